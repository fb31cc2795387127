"""Issue 11, data safety: a downgrade that would drop data is refused on an enabled
plugin, shows what it touches, and needs an export and --yes; purge's dry run lists
only the tables that exist."""

from __future__ import annotations


import pytest

from accord import services
from accord.errors import PluginError
from accord.services.backup import read_archive_rows
from accord.services.plugins import disable, downgrade, downgrade_plan, purge_plan
from accord_sdk.pytest_plugin import CliRunner


@pytest.fixture
def notes(make_kernel, plugins_folder, actor):
    kernel = make_kernel(plugins_dir=plugins_folder, enable=["acme_notes"])
    services.create(kernel, "acme_notes.note", {"title": "Call back", "priority": 2},
                    actor=actor)
    return kernel


def _tables(kernel):
    return set(kernel.database.get_tables())


def test_item_01_a_downgrade_of_an_enabled_plugin_is_refused(notes, actor):
    with pytest.raises(PluginError) as caught:
        downgrade_plan(notes, "acme_notes", 0, actor=actor)
    assert str(caught.value) == ("acme_notes is enabled and its code expects its newest "
                                 "tables; disable it first (accord plugins disable acme_notes)")
    result = CliRunner(notes)("db", "downgrade", "acme_notes", "--to", "1", "--yes",
                              "--export", "x.json")
    assert result.exit_code == 1
    assert "disable it first" in result.output
    assert "acme_notes_note" in _tables(notes)
    assert list(notes.migrations.status("acme_notes").applied) == ["0001_create_notes",
                                                                   "0002_add_priority"]


def test_item_01_a_downgrade_shows_what_it_touches_and_needs_export_and_yes(notes, actor,
                                                                             tmp_path):
    disable(notes, "acme_notes", actor=actor)
    cli = CliRunner(notes)
    shown = cli("db", "downgrade", "acme_notes", "--to", "0")
    assert shown.exit_code == 1
    lines = [line.split() for line in shown.output.splitlines()]
    assert shown.output.splitlines()[0] == (
        "acme_notes: would revert 0002_add_priority, 0001_create_notes")
    assert ["acme_notes_note", "1"] in lines
    assert shown.output.splitlines()[-1] == (
        "nothing reverted; to revert: accord db downgrade acme_notes --to 0 --export FILE --yes")
    assert "acme_notes_note" in _tables(notes)
    unexported = cli("db", "downgrade", "acme_notes", "--to", "0", "--yes")
    assert unexported.exit_code == 2 and "--export FILE is required" in unexported.output
    assert "acme_notes_note" in _tables(notes)

    export = tmp_path / "notes.json"
    plan = downgrade(notes, "acme_notes", 0, export_to=export, actor=actor)
    assert plan.tables == {"acme_notes_note": 1}
    assert "acme_notes_note" not in _tables(notes)
    saved = read_archive_rows(export, "acme_notes_note")
    assert [row["title"] for row in saved] == ["Call back"]
    # Purge's dry run after the downgrade lists no table that is gone.
    item_05 = purge_plan(notes, "acme_notes", actor=actor)
    assert item_05.tables == {}


def test_item_01_an_existing_export_file_is_never_overwritten(notes, actor, tmp_path):
    disable(notes, "acme_notes", actor=actor)
    export = tmp_path / "notes.json"
    export.write_text("keep me", encoding="utf-8")
    result = CliRunner(notes)("db", "downgrade", "acme_notes", "--to", "1", "--yes",
                              "--export", str(export))
    assert result.exit_code == 1
    assert f"{export} already exists; choose a new file" in result.output
    assert export.read_text(encoding="utf-8") == "keep me"
    assert notes.migrations.status("acme_notes").applied[-1] == "0002_add_priority"


def test_item_05_purge_dry_run_lists_only_existing_tables(notes, actor):
    disable(notes, "acme_notes", actor=actor)
    with notes.bound():
        notes.migrations.downgrade("acme_notes", 0)
    assert purge_plan(notes, "acme_notes", actor=actor).tables == {}
    result = CliRunner(notes)("plugins", "purge", "acme_notes", "--dry-run")
    assert "acme_notes_note" not in result.output


def test_item_02_a_deleted_organization_never_nulls_what_names_it(make_kernel, actor):
    import accord_sales.hooks

    from accord.errors import Conflict
    from accord.services.plugins import disable as disable_plugin

    kernel = make_kernel(plugins=[accord_sales.hooks], enable=["sales"])
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=actor)
    ng = services.create(kernel, "contact", {"last_name": "Ng", "organization_id": org.id},
                         actor=actor)
    with pytest.raises(Conflict) as caught:
        services.delete(kernel, "organization", org.id, actor=actor)
    assert str(caught.value) == (f"organization {org.id} is named by 1 contact; give it "
                                 "another organization or delete it first")
    assert services.get(kernel, "contact", ng.id).organization_id == org.id
    # A disabled plugin's rows count too: its opportunity keeps its organization.
    services.update(kernel, "contact", ng.id, {"organization_id": None}, actor=actor)
    deal = services.create(kernel, "sales.opportunity", {"name": "Seats",
                                                         "organization_id": org.id},
                           actor=actor)
    disable_plugin(kernel, "sales", actor=actor)
    with pytest.raises(Conflict) as caught:
        services.delete(kernel, "organization", org.id, actor=actor)
    assert str(caught.value) == (f"organization {org.id} is named by 1 sales opportunity; "
                                 "give it another organization or delete it first")
    with kernel.bound():
        from accord_sales.models import Opportunity

        stored = Opportunity.get_by_id(deal.id)
    assert (stored.organization_id, stored.version) == (org.id, 1)
    assert services.get(kernel, "organization", org.id).version == 1
