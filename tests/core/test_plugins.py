"""The plugin lifecycle: discovered -> enabled <-> disabled -> purged, every refusal with
its message and an untouched database, toggles seen by other processes, and hook order."""

from __future__ import annotations


import pytest

from accord import services
from accord.errors import NotFound, PluginError, ValidationError
from accord.hooks import hookimpl
from accord.models import AuditEntry, PluginState
from accord.plugins import PluginManifest
from accord.services.backup import read_archive_rows, read_manifest
from accord.services.plugins import disable, enable, purge, purge_plan


@pytest.fixture
def k(make_kernel, plugins_folder):
    """A kernel with every plugin of the local test folder found (none enabled)."""
    return make_kernel(plugins_dir=plugins_folder)


def snapshot(kernel):
    """What a refused command must leave as it was: plugin states and the audit trail."""
    with kernel.bound():
        states = sorted(PluginState.select(PluginState.name, PluginState.state,
                                           PluginState.version).tuples())
        return states, AuditEntry.select().count()


def stored_state(kernel, name):
    with kernel.bound():
        row = PluginState.get_or_none(PluginState.name == name)
    return row.state if row else None


def tables(kernel):
    return set(kernel.database.get_tables())


def note_titles(kernel):
    """Read the notes table directly: it must be there whatever the plugin's state."""
    cursor = kernel.database.execute_sql("SELECT title FROM acme_notes_note ORDER BY id")
    return [row[0] for row in cursor.fetchall()]


def shout_vetoed(kernel, actor):
    """Whether the running hooks refuse an ALL-CAPS note title (acme_notes' rule)."""
    from acme_notes.hooks import NOTE

    try:
        kernel.hooks.validate_records(kernel=kernel, record_type=NOTE,
                                      rows=[{"title": "LOUD NOTE"}], existing=[None],
                                      actor=actor)
    except ValidationError as exc:
        assert exc.messages == {"title": ["no titles in capitals, please"]}
        return True
    return False


# The lifecycle --------------------------------------------------------------

def test_found_plugins_start_discovered_with_nothing_written(k):
    assert k.plugins.get("acme_notes").state == "discovered"
    assert "acme_notes" not in k.plugins.active
    assert "acme_notes.note" not in k.records
    assert "acme_notes_note" not in tables(k)
    assert snapshot(k)[0] == []


def test_enable_applies_migrations_and_switches_the_hooks_on(k, actor):
    assert enable(k, "acme_notes", actor=actor) == ["acme_notes"]
    assert stored_state(k, "acme_notes") == "enabled"
    assert "acme_notes_note" in tables(k)
    assert [c.name for c in k.database.get_columns("acme_notes_note")][-1] == "priority"
    assert k.migrations.status("acme_notes").applied == ("0001_create_notes",
                                                         "0002_add_priority")
    note = services.create(k, "acme_notes.note", {"title": "Call back"}, actor=actor)
    assert (note.title, note.priority) == ("Call back", 3)
    with pytest.raises(ValidationError) as exc:
        services.create(k, "acme_notes.note", {"title": "CALL BACK"}, actor=actor)
    assert str(exc.value) == "title: no titles in capitals, please"
    assert note_titles(k) == ["Call back"]
    assert enable(k, "acme_notes", actor=actor) == []  # a second enable changes nothing


def test_disable_removes_hooks_and_type_but_keeps_rows_then_enable_brings_them_back(k, actor):
    enable(k, "acme_notes", actor=actor)
    services.bulk_create(k, "acme_notes.note", [{"title": "One"}, {"title": "Two"}],
                         actor=actor)
    assert shout_vetoed(k, actor)

    assert disable(k, "acme_notes", actor=actor) == ["acme_notes"]
    assert stored_state(k, "acme_notes") == "disabled"
    assert not shout_vetoed(k, actor)
    with pytest.raises(NotFound, match=r"^record type 'acme_notes.note' is not available: "
                                       r"the acme_notes plugin is disabled$"):
        services.create(k, "acme_notes.note", {"title": "Three"}, actor=actor)
    assert "acme_notes_note" in tables(k)
    assert note_titles(k) == ["One", "Two"]
    with pytest.raises(PluginError, match=r"^acme_notes is not enabled \(it is disabled\)$"):
        disable(k, "acme_notes", actor=actor)

    assert enable(k, "acme_notes", actor=actor) == ["acme_notes"]
    assert shout_vetoed(k, actor)
    from acme_notes.models import Note

    with k.bound():
        assert [n.title for n in Note.select().order_by(Note.id)] == ["One", "Two"]


def test_purge_plan_reports_tables_rows_and_dependents(k, actor):
    enable(k, "acme_notes", actor=actor)
    services.bulk_create(k, "acme_notes.note", [{"title": "A"}, {"title": "B"}], actor=actor)
    plan = purge_plan(k, "acme_notes")
    assert plan.tables == {"acme_notes_note": 2}
    assert "acme_extra" in plan.dependents
    assert plan.migrations == ["0001_create_notes", "0002_add_priority"]


def test_purge_is_refused_while_enabled_or_onto_an_existing_file(k, actor, tmp_path):
    enable(k, "acme_notes", actor=actor)
    services.create(k, "acme_notes.note", {"title": "Keep me"}, actor=actor)
    export = tmp_path / "notes.json"
    before = snapshot(k)
    with pytest.raises(PluginError) as exc:
        purge(k, "acme_notes", export_to=export, actor=actor)
    assert str(exc.value) == "acme_notes is enabled; disable it before purging"
    assert not export.exists()
    assert snapshot(k) == before and note_titles(k) == ["Keep me"]

    disable(k, "acme_notes", actor=actor)
    export.write_text("precious", encoding="utf-8")
    before = snapshot(k)
    with pytest.raises(ValidationError) as exc:
        purge(k, "acme_notes", export_to=export, actor=actor)
    assert exc.value.messages == {"export": [f"{export} already exists; choose a new file"]}
    assert export.read_text(encoding="utf-8") == "precious"
    assert note_titles(k) == ["Keep me"]
    assert snapshot(k) == before


def test_purge_keeps_the_tables_when_the_export_cannot_be_written(k, actor, tmp_path):
    enable(k, "acme_notes", actor=actor)
    services.create(k, "acme_notes.note", {"title": "Keep me"}, actor=actor)
    disable(k, "acme_notes", actor=actor)
    before = snapshot(k)
    with pytest.raises(ValidationError, match="cannot write"):
        purge(k, "acme_notes", export_to=tmp_path / "no-such-folder" / "x.json", actor=actor)
    assert note_titles(k) == ["Keep me"]
    assert snapshot(k) == before


def test_purge_exports_every_row_then_drops_the_tables(k, actor, tmp_path):
    enable(k, "acme_notes", actor=actor)
    services.bulk_create(k, "acme_notes.note", [{"title": "Alpha", "priority": 1},
                                                {"title": "Beta"}], actor=actor)
    disable(k, "acme_notes", actor=actor)
    export = tmp_path / "notes.json"
    plan = purge(k, "acme_notes", export_to=export, actor=actor)
    assert plan.tables == {"acme_notes_note": 2}
    # The export is an archive of the backup's format (accord.services.backup).
    manifest = read_manifest(export)
    assert (manifest["plugin"], manifest["owners"]["acme_notes"]["version"]) == (
        "acme_notes", "1.2.0")
    rows = read_archive_rows(export, "acme_notes_note")
    assert [(r["title"], r["priority"]) for r in rows] == [("Alpha", 1), ("Beta", 3)]
    assert "acme_notes_note" not in tables(k)
    assert "accord_migrations_acme_notes" not in tables(k)
    assert stored_state(k, "acme_notes") == "purged"
    with k.bound():
        purged = [e.changes for e in AuditEntry.select().where(AuditEntry.action == "purged")]
    assert [None, str(export)] in [c.get("export") for c in purged]


# Refusals: each with its message, the database unchanged -----------------------

def test_unknown_plugin_name(k, actor):
    before = snapshot(k)
    known = ", ".join(sorted(k.plugins.plugins))
    assert "acme_notes, broken_import" in known
    for action in (lambda: enable(k, "nothere", actor=actor),
                   lambda: disable(k, "nothere", actor=actor),
                   lambda: purge_plan(k, "nothere")):
        with pytest.raises(NotFound) as exc:
            action()
        assert str(exc.value) == f"unknown plugin 'nothere' (known: {known})"
    assert snapshot(k) == before


def test_plugin_failing_on_import_is_marked_failed_and_the_rest_start(k, actor):
    broken = k.plugins.get("broken_import")
    assert broken.state == "failed"
    assert broken.error == "cannot import: RuntimeError: this plugin is broken on purpose"
    before = snapshot(k)
    with pytest.raises(PluginError) as exc:
        enable(k, "broken_import", actor=actor)
    assert str(exc.value) == ("broken_import failed to load: cannot import: RuntimeError: "
                              "this plugin is broken on purpose")
    assert snapshot(k) == before
    assert enable(k, "acme_notes", actor=actor) == ["acme_notes"]


@pytest.mark.parametrize("name, message, hook", [
    ("misspelled", "misspelled failed to load: unknown hook 'validate_record': no such hook "
                   "specification; did you mean 'validate_records'?", "validate_record"),
    ("wrong_args", "wrong_args failed to load: hook validate_records: Argument(s) {'rowz'} are "
                   "declared in the hookimpl but can not be found in the hookspec",
     "validate_records"),
])
def test_bad_hooks_fail_the_plugin_naming_plugin_and_hook(k, actor, name, message, hook):
    assert k.plugins.get(name).state == "failed"
    assert name not in k.plugins.implementations(hook)
    before = snapshot(k)
    with pytest.raises(PluginError) as exc:
        enable(k, name, actor=actor)
    assert (str(exc.value), exc.value.plugin, exc.value.hook) == (message, name, hook)
    assert snapshot(k) == before


def test_dependency_cycle_fails_both_plugins(k, actor):
    message = "dependency cycle: cycle_a -> cycle_b -> cycle_a"
    assert [k.plugins.get(n).error for n in ("cycle_a", "cycle_b")] == [message, message]
    before = snapshot(k)
    with pytest.raises(PluginError) as exc:
        enable(k, "cycle_b", actor=actor, with_deps=True)
    assert str(exc.value) == f"cycle_b failed to load: {message}"
    assert snapshot(k) == before


@pytest.mark.parametrize("name, message", [
    ("needs_missing", "cannot enable needs_missing: nothere (>=1) is not installed"),
    ("needs_new_notes", "cannot enable needs_new_notes: acme_notes >=2,<3 is required, but "
                        "acme_notes 1.2.0 is installed"),
    ("future_core", "future_core 1.0 needs core API >=2,<3, but this Accord provides 1.0"),
])
def test_unmet_requirements_are_refused(k, actor, name, message):
    before = snapshot(k)
    with pytest.raises(PluginError) as exc:
        enable(k, name, actor=actor, with_deps=True)
    assert str(exc.value) == message
    assert snapshot(k) == before
    assert "acme_notes_note" not in tables(k)


def test_enabling_with_missing_deps_names_them_and_with_deps_enables_them_in_order(k, actor):
    before = snapshot(k)
    with pytest.raises(PluginError) as exc:
        enable(k, "acme_extra", actor=actor)
    assert str(exc.value) == ("cannot enable acme_extra: it requires acme_notes (>=1,<2), not "
                              "enabled; enable it first")
    assert snapshot(k) == before

    assert enable(k, "acme_extra", actor=actor, with_deps=True) == ["acme_notes", "acme_extra"]
    with k.bound():
        audit = [e.changes["plugin"][1] for e in
                 AuditEntry.select().where(AuditEntry.action == "enabled").order_by(AuditEntry.id)]
    assert audit == ["acme_notes", "acme_extra"]
    assert {stored_state(k, "acme_notes"), stored_state(k, "acme_extra")} == {"enabled"}
    with pytest.raises(ValidationError, match="priority 5 is reserved"):
        services.create(k, "acme_notes.note", {"title": "Top", "priority": 5}, actor=actor)


def test_disabling_a_required_plugin_is_refused_unless_cascaded(k, actor):
    enable(k, "acme_extra", actor=actor, with_deps=True)
    before = snapshot(k)
    with pytest.raises(PluginError) as exc:
        disable(k, "acme_notes", actor=actor)
    assert str(exc.value) == ("cannot disable acme_notes: acme_extra requires it; disable it "
                              "first")
    assert snapshot(k) == before
    assert disable(k, "acme_notes", actor=actor, cascade=True) == ["acme_extra", "acme_notes"]
    assert [stored_state(k, n) for n in ("acme_extra", "acme_notes")] == ["disabled"] * 2
    assert k.plugins.active == {"core"}


# Several processes on one database -----------------------------------------------

def test_a_toggle_by_one_kernel_reaches_another_after_sync(make_kernel, plugins_folder, actor):
    first = make_kernel(plugins_dir=plugins_folder)
    second = make_kernel(plugins_dir=plugins_folder)
    enable(first, "acme_notes", actor=actor)
    assert "acme_notes.note" not in second.records  # not yet: no sync
    second.sync()
    assert "acme_notes.note" in second.records
    services.create(second, "acme_notes.note", {"title": "From the second"}, actor=actor)
    with pytest.raises(ValidationError):
        services.create(second, "acme_notes.note", {"title": "SHOUTING"}, actor=actor)

    disable(first, "acme_notes", actor=actor)
    second.sync()
    assert "acme_notes.note" not in second.records
    assert not shout_vetoed(second, actor)
    assert note_titles(second) == ["From the second"]


def test_sync_reads_only_the_counters_when_nothing_changed(make_kernel, plugins_folder, actor,
                                                           count_queries):
    first = make_kernel(plugins_dir=plugins_folder)
    second = make_kernel(plugins_dir=plugins_folder)
    with count_queries() as idle:
        second.sync()
    assert idle.count == 1
    assert "accord_meta" in idle.get_queries()[0].msg[0]

    enable(first, "acme_notes", actor=actor)
    with count_queries() as moved:
        second.sync()
    assert any("accord_plugin" in q.msg[0] for q in moved.get_queries())
    assert "acme_notes" in second.plugins.active


# Hook call order --------------------------------------------------------------

def _orderly(name, calls, **marks):
    class Plugin:
        MANIFEST = PluginManifest(name=name, version="1.0")

        @hookimpl(**marks)
        def validate_records(self, record_type):
            calls.append(name)

    return Plugin()


def test_call_order_follows_tryfirst_and_trylast_not_names_or_install_order(make_kernel,
                                                                            actor):
    calls: list[str] = []
    plugins = [_orderly("aaa_last", calls, trylast=True), _orderly("mmm_plain", calls),
               _orderly("zzz_first", calls, tryfirst=True)]
    k = make_kernel(plugins=plugins, enable=["aaa_last", "mmm_plain", "zzz_first"])
    order = k.plugins.implementations("validate_records")
    # The core's own rules live with its record types: only the three plugins answer.
    assert order == ["zzz_first", "mmm_plain", "aaa_last"]
    services.create(k, "contact", {"last_name": "Ng"}, actor=actor)
    assert calls == ["zzz_first", "mmm_plain", "aaa_last"]
