"""Plugins installed as packages are found through the ``accord.plugins`` entry points."""

from __future__ import annotations

import importlib.metadata
import sys

import pytest

from accord import services
from accord.services.plugins import enable


@pytest.fixture
def installed_notes(monkeypatch, plugins_folder, modules_restored):
    """acme_notes as if pip-installed: importable, and registered as an entry point."""
    with modules_restored("acme_notes"):
        yield from _installed(monkeypatch, plugins_folder)


def _installed(monkeypatch, plugins_folder):
    monkeypatch.syspath_prepend(plugins_folder)
    point = importlib.metadata.EntryPoint(name="acme_notes", value="acme_notes.hooks",
                                          group="accord.plugins")

    def entry_points(**params):
        return [point] if params.get("group") == "accord.plugins" else []

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    yield point


def test_an_installed_plugin_is_discovered_and_its_migrations_run(make_kernel, installed_notes,
                                                                  actor):
    kernel = make_kernel(discover_plugins=True)
    plugin = kernel.plugins.get("acme_notes")
    assert plugin.source.startswith("entry point acme_notes.hooks")
    assert plugin.state == "discovered"
    enable(kernel, "acme_notes", actor=actor)
    with kernel.bound():
        assert "acme_notes_note" in kernel.database.get_tables()
    note = services.create(kernel, "acme_notes.note", {"title": "Call back", "priority": 2},
                           actor=actor)
    assert (note.title, note.priority) == ("Call back", 2)


def test_discovery_can_be_switched_off(make_kernel, installed_notes):
    kernel = make_kernel(discover_plugins=False)
    assert "acme_notes" not in kernel.plugins.plugins


def test_a_plugins_folder_is_not_left_on_sys_path(make_kernel, plugins_folder, tmp_path,
                                                  modules_restored):
    before = list(sys.path)
    with modules_restored("acme_notes"):  # the folder's copy is forgotten after
        kernel = make_kernel(plugins_dir=plugins_folder)
        assert "acme_notes" in kernel.plugins.plugins
        assert sys.path == before
    # Another kernel's folder with a plugin of the same name gets its own copy.
    other = tmp_path / "other"
    (other / "acme_notes").mkdir(parents=True)
    (other / "acme_notes" / "__init__.py").write_text(
        "from accord.plugins import PluginManifest\n"
        "MANIFEST = PluginManifest(name='acme_notes', version='9.0.0')\n")
    with modules_restored("acme_notes"):
        second = make_kernel(plugins_dir=str(other))
        assert second.plugins.get("acme_notes").version == "9.0.0"
        assert sys.path == before
