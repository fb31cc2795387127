"""Load-time checks: a plugin with a defaulted hook argument, a misspelled hook, a
migration without down() or an action on an undeclared permission is refused at load,
with its name and the culprit; the rest of the system starts, and the SDK fixtures
fail with that load error instead of a later "unknown record type"."""

from __future__ import annotations

import pytest

from accord import services
from accord.errors import PluginError, PluginLoadError
from accord.hooks import hookimpl
from accord.plugins import PluginManifest
from accord.records import Permission, RecordAction
from accord.services.plugins import enable

DEFAULT_ARG = ("hook validate_records: argument 'actor' has a default; hook arguments are "
               "passed by name and never take defaults")
NO_DOWN = "migration 0002_add_colour.py has no down(); every migration must be reversible"
UNDECLARED = ("action contact/close needs permission undeclared_action.contact.close, which "
              "neither the plugin, the core nor a plugin it requires declares; declare it in "
              "register_permissions")


@pytest.fixture
def k(make_kernel, plugins_folder):
    """Every plugin of the local test folder found, broken ones included."""
    return make_kernel(plugins_dir=plugins_folder)


def assert_refused(kernel, actor, name, error, hook):
    """Failed with that error, out of every hook, refused by enable; others still run."""
    plugin = kernel.plugins.get(name)
    assert (plugin.state, plugin.error, plugin.failed_hook) == ("failed", error, hook)
    assert kernel.plugins.hooks_of(name) == []
    with pytest.raises(PluginError) as exc:
        enable(kernel, name, actor=actor)
    assert (str(exc.value), exc.value.plugin, exc.value.hook) == (
        f"{name} failed to load: {error}", name, hook)
    assert enable(kernel, "acme_notes", actor=actor) == ["acme_notes"]
    note = services.create(kernel, "acme_notes.note", {"title": "Still here"}, actor=actor)
    assert note.title == "Still here"


# 1. Hook arguments with defaults ---------------------------------------------------

def test_a_hook_argument_with_a_default_fails_the_plugin(k, actor):
    assert_refused(k, actor, "default_arg", DEFAULT_ARG, "validate_records")


# 2. Misspelled hooks ---------------------------------------------------------------

def test_a_misspelled_hook_suggests_the_close_name(k, actor):
    assert_refused(k, actor, "misspelled", "unknown hook 'validate_record': no such hook "
                   "specification; did you mean 'validate_records'?", "validate_record")


class Frobnicator:
    MANIFEST = PluginManifest(name="frobnicator", version="1.0")

    @hookimpl
    def frobnicate(self, record_type):
        pass


def test_an_unknown_hook_with_no_close_name_asks_to_check_its_spelling(make_kernel):
    kernel = make_kernel(plugins=[Frobnicator()], allow_failed=True)
    plugin = kernel.plugins.get("frobnicator")
    assert (plugin.state, plugin.error, plugin.failed_hook) == (
        "failed", "unknown hook 'frobnicate': no such hook specification; check its spelling",
        "frobnicate")


# 3. Migrations without down() (or up()) ----------------------------------------------

def test_a_migration_without_down_fails_the_plugin(k, actor):
    assert_refused(k, actor, "no_down", NO_DOWN, None)
    assert "no_down_pin" not in k.database.get_tables()


def test_a_migration_without_up_fails_the_plugin(make_kernel, tmp_path):
    package = tmp_path / "local_plugins" / "no_up_pins"
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text(
        "from accord.plugins import PluginManifest\n"
        "MANIFEST = PluginManifest(name='no_up_pins', version='1.0')\n", encoding="utf-8")
    (package / "migrations" / "0001_create_pins.py").write_text(
        "def down(migrator, db):\n    pass\n", encoding="utf-8")
    kernel = make_kernel(plugins_dir=str(package.parent))
    plugin = kernel.plugins.get("no_up_pins")
    assert (plugin.state, plugin.error) == (
        "failed", "migration 0001_create_pins.py has no up(); every migration must define "
                  "up() and down()")


# 4. Actions on undeclared permissions ----------------------------------------------

def test_an_action_whose_permission_nobody_declares_fails_the_plugin(k, actor):
    assert_refused(k, actor, "undeclared_action", UNDECLARED, "register_actions")


def _same(kernel, record_id, *, actor, version):
    return {"id": record_id}


class Borrower:
    """Uses acme_notes' permission without requiring acme_notes."""

    MANIFEST = PluginManifest(name="borrower", version="1.0")

    @hookimpl
    def register_actions(self):
        return [RecordAction("acme_notes.note", "touch", "acme_notes.note.write", _same)]


class Declarer:
    """Its own permission, a core one and one of a plugin it requires: all fine."""

    MANIFEST = PluginManifest(name="declarer", version="1.0", requires={"acme_notes": ">=1"})

    @hookimpl
    def register_permissions(self):
        return [Permission("declarer.contact.star", "Star contacts")]

    @hookimpl
    def register_actions(self):
        return [RecordAction("contact", "star", "declarer.contact.star", _same),
                RecordAction("contact", "peek", "core.contact.read", _same),
                RecordAction("acme_notes.note", "touch", "acme_notes.note.write", _same)]


def test_only_the_plugin_the_core_and_its_requirements_declare_permissions(make_kernel,
                                                                          plugins_folder):
    kernel = make_kernel(plugins=[Borrower(), Declarer()], plugins_dir=plugins_folder,
                         enable=["declarer"], allow_failed=True)
    assert kernel.plugins.get("borrower").error == (
        "action acme_notes.note/touch needs permission acme_notes.note.write, which neither "
        "the plugin, the core nor a plugin it requires declares; declare it in "
        "register_permissions")
    assert kernel.plugins.get("declarer").state == "enabled"
    assert kernel.plugins.get("borrower").failed_hook == "register_actions"


# 5. The SDK fixtures fail with the load error ------------------------------------------

class DefaultArg:
    MANIFEST = PluginManifest(name="default_arg_code", version="1.0")

    @hookimpl
    def validate_records(self, record_type, rows, actor=None):
        pass


def test_make_kernel_raises_the_load_error_of_a_plugin_it_was_given(make_kernel):
    with pytest.raises(PluginLoadError) as exc:
        make_kernel(plugins=[DefaultArg()])
    assert (str(exc.value), exc.value.plugin, exc.value.hook) == (
        f"default_arg_code failed to load: {DEFAULT_ARG}", "default_arg_code",
        "validate_records")


def test_make_kernel_raises_the_load_error_of_a_plugin_it_was_asked_to_enable(make_kernel,
                                                                             plugins_folder):
    with pytest.raises(PluginLoadError) as exc:
        make_kernel(plugins_dir=plugins_folder, enable=["acme_notes", "no_down"])
    assert str(exc.value) == f"no_down failed to load: {NO_DOWN}"


@pytest.mark.plugins(DefaultArg())
def test_the_kernel_fixture_raises_the_load_error_of_a_marked_plugin(request, database_url):
    # database_url puts the engine parameter in this test's fixtures, as `kernel` would.
    with pytest.raises(PluginLoadError) as exc:
        request.getfixturevalue("kernel")
    assert str(exc.value) == f"default_arg_code failed to load: {DEFAULT_ARG}"


@pytest.mark.plugins(DefaultArg(), allow_failed=True)
def test_allow_failed_keeps_a_broken_plugin_out_and_starts(kernel):
    assert kernel.plugins.get("default_arg_code").state == "failed"
    assert kernel.plugins.active == {"core"}
