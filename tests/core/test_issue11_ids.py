"""Issue 11, items 3 and 4: ids are never reused (a record deleted or purged leaves its
timeline, tags and audit to no newcomer), and demo data is all or nothing."""

from __future__ import annotations

import sqlite3

import pytest

import accord_competitors.demo
import accord_competitors.hooks
import accord_sales.hooks
from accord import services
from accord.database import sqlite_file
from accord.models import Activity, AuditEntry, Organization, Tag, Tagging
from accord.services import Actor
from accord.services.audit import record_history
from accord.services.backup import read_archive_rows
from accord.services.plugins import disable, enable, purge, purge_plan
from accord.services.tags import tag, tags_of
from accord_sales.models import Opportunity
from accord_sdk.pytest_plugin import CliRunner

SYSTEM = Actor.system("test")
BOTH = (accord_sales.hooks, accord_competitors.hooks)


def _opportunity(kernel, name):
    org = services.create(kernel, "organization", {"name": f"{name} Ltd"}, actor=SYSTEM)
    return services.create(kernel, "sales.opportunity", {
        "name": name, "organization_id": org.id,
        "amount": {"amount": "1000", "currency": "EUR"}}, actor=SYSTEM)


def _note(kernel, type_name, record_id, subject):
    return services.create(kernel, "activity", {
        "kind": "note", "subject": subject, "record_type": type_name,
        "record_id": record_id}, actor=SYSTEM)


def _history(kernel, type_name, record_id):
    """What a user sees of a record: its timeline, tags and audit actions."""
    return ([item.title for item in services.timeline(kernel, type_name, record_id)],
            tags_of(kernel, type_name, record_id, actor=SYSTEM),
            [entry.action for entry in record_history(kernel, type_name, record_id,
                                                       actor=SYSTEM)])


def _keyed_tables(kernel):
    """SQLite tables whose key is an INTEGER PRIMARY KEY, with their CREATE TABLE."""
    out = {}
    for name, sql in kernel.database.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%'").fetchall():
        keys = [row for row in kernel.database.execute_sql(
            f'PRAGMA table_info("{name}")').fetchall() if row[5]]
        if len(keys) == 1 and keys[0][2].upper() == "INTEGER":
            out[name] = sql
    return out


# Item 3: ids are never reused ------------------------------------------------------

@pytest.mark.plugins(accord_sales.hooks)
def test_item_03_the_newest_record_deleted_leaves_its_id_and_history_to_no_one(kernel):
    _opportunity(kernel, "Older")
    newest = _opportunity(kernel, "Newest")
    _note(kernel, "sales.opportunity", newest.id, "Called the buyer")
    tag(kernel, "sales.opportunity", newest.id, ["hot"], actor=SYSTEM)
    services.update(kernel, "sales.opportunity", newest.id, {"name": "Newest deal"},
                    actor=SYSTEM)
    services.delete(kernel, "sales.opportunity", newest.id, actor=SYSTEM)

    fresh = _opportunity(kernel, "Fresh")
    assert fresh.id > newest.id
    assert _history(kernel, "sales.opportunity", fresh.id) == ([], [], ["created"])
    # The same on the core's own tables.
    gone = services.create(kernel, "organization", {"name": "Gone"}, actor=SYSTEM)
    services.delete(kernel, "organization", gone.id, actor=SYSTEM)
    assert services.create(kernel, "organization", {"name": "New"},
                           actor=SYSTEM).id > gone.id


@pytest.mark.sqlite_only
def test_item_03_every_sqlite_table_with_an_integer_id_is_autoincrement(make_kernel,
                                                                        plugins_folder):
    kernel = make_kernel(plugins=list(BOTH), plugins_dir=plugins_folder,
                         enable=["sales", "competitors", "acme_notes"])
    tables = _keyed_tables(kernel)
    assert {"accord_contact", "accord_audit", "accord_activity", "accord_tagging",
            "sales_opportunity", "competitors_competitor", "acme_notes_note",
            "accord_migrations_core", "accord_migrations_acme_notes"} <= set(tables)
    assert [name for name, sql in tables.items() if "AUTOINCREMENT" not in sql] == []
    # A future migration's raw SQL gets it too; other statements are left alone.
    kernel.database.execute_sql('CREATE TABLE "acme_raw" (id INTEGER PRIMARY KEY, '
                                'code INTEGER NOT NULL, name TEXT)')
    kernel.database.execute_sql('CREATE TABLE "acme_keyed" (code TEXT PRIMARY KEY, n INTEGER)')
    created = dict(kernel.database.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE name IN ('acme_raw', 'acme_keyed')"))
    assert created == {
        "acme_raw": 'CREATE TABLE "acme_raw" (id INTEGER PRIMARY KEY AUTOINCREMENT, '
                    'code INTEGER NOT NULL, name TEXT)',
        "acme_keyed": 'CREATE TABLE "acme_keyed" (code TEXT PRIMARY KEY, n INTEGER)'}


def _strip_autoincrement(path, table):
    """Make ``table`` as a database of Accord 0.1 had it: no AUTOINCREMENT (SQLite's
    rebuild recipe, on a connection of its own that adds nothing)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = OFF")
        (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()
        extras = [row[0] for row in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL", (table,))]
        conn.execute("BEGIN")
        conn.execute(f'CREATE TABLE "old_{table}" '
                     + sql[sql.index("("):].replace(" AUTOINCREMENT", ""))
        conn.execute(f'INSERT INTO "old_{table}" SELECT * FROM "{table}"')
        conn.execute(f'DROP TABLE "{table}"')
        conn.execute(f'ALTER TABLE "old_{table}" RENAME TO "{table}"')
        for statement in extras:
            conn.execute(statement)
        conn.execute("COMMIT")
    finally:
        conn.close()


@pytest.mark.sqlite_only
def test_item_03_migration_0006_rebuilds_the_tables_of_an_older_database(make_kernel):
    kernel = make_kernel(plugins=[accord_sales.hooks], enable=["sales"])
    deals = [_opportunity(kernel, name) for name in ("One", "Two", "Three")]
    _note(kernel, "sales.opportunity", deals[0].id, "Keep me")
    services.delete(kernel, "sales.opportunity", deals[2].id, actor=SYSTEM)
    with kernel.bound():
        kernel.migrations.downgrade("core", 5)
    path = sqlite_file(kernel.config.database_url)
    for table in ("sales_opportunity", "accord_organization", "accord_activity"):
        _strip_autoincrement(path, table)
    kernel.database.execute_sql("DELETE FROM sqlite_sequence")  # 0.1 kept no counter
    before = {t: sql for t, sql in _keyed_tables(kernel).items()}
    assert "AUTOINCREMENT" not in before["sales_opportunity"]
    indexes = {t: sorted(i.name for i in kernel.database.get_indexes(t))
               for t in ("sales_opportunity", "accord_organization", "accord_activity")}

    with kernel.bound():
        assert "0006_never_reuse_ids" in kernel.migrations.upgrade("core")
    after = _keyed_tables(kernel)
    assert [name for name, sql in after.items() if "AUTOINCREMENT" not in sql] == []
    assert {t: sorted(i.name for i in kernel.database.get_indexes(t))
            for t in indexes} == indexes
    kernel.sync()
    with kernel.bound():
        assert [d.name for d in Opportunity.select().order_by(Opportunity.id)] == ["One",
                                                                                   "Two"]
    assert _history(kernel, "sales.opportunity", deals[0].id)[0] == ["Keep me"]
    # The deleted newest deal's id stays taken: its audit says it was given.
    assert _opportunity(kernel, "Four").id > deals[2].id


def test_item_03_migration_0006_goes_down_and_up_on_both_engines(kernel):
    assert "accord_id_high_water" in kernel.database.get_tables()
    with kernel.bound():
        assert kernel.migrations.downgrade("core", 5)[-1] == "0006_never_reuse_ids"
        assert "accord_id_high_water" not in kernel.database.get_tables()
        assert "0006_never_reuse_ids" in kernel.migrations.upgrade("core")
    assert "accord_id_high_water" in kernel.database.get_tables()


def test_item_03_a_table_dropped_and_created_again_starts_above_its_old_ids(
        make_kernel, plugins_folder, actor):
    kernel = make_kernel(plugins_dir=plugins_folder, enable=["acme_notes"])
    notes = services.bulk_create(kernel, "acme_notes.note",
                                 [{"title": t} for t in ("A", "B", "C")], actor=actor)
    services.delete(kernel, "acme_notes.note", notes[2], actor=actor)
    disable(kernel, "acme_notes", actor=actor)
    with kernel.bound():
        kernel.migrations.downgrade("acme_notes", 0)
    assert "acme_notes_note" not in kernel.database.get_tables()
    rows = kernel.database.execute_sql(
        'SELECT "name", "last_id" FROM "accord_id_high_water"').fetchall()
    assert rows == [("acme_notes_note", notes[2])]

    enable(kernel, "acme_notes", actor=actor)
    again = services.create(kernel, "acme_notes.note", {"title": "D"}, actor=actor)
    assert again.id == notes[2] + 1
    assert kernel.database.execute_sql(
        'SELECT COUNT(*) FROM "accord_id_high_water"').fetchone() == (0,)


@pytest.mark.sqlite_only
def test_item_03_a_table_rebuilt_by_a_migration_keeps_its_counter(make_kernel,
                                                                  plugins_folder, actor):
    """playhouse.migrate changes a SQLite column by copying the rows into a new table,
    whose counter is then the highest id left, not the highest ever given."""
    from playhouse.migrate import SchemaMigrator

    from accord import ids

    kernel = make_kernel(plugins_dir=plugins_folder, enable=["acme_notes"])
    notes = services.bulk_create(kernel, "acme_notes.note",
                                 [{"title": t} for t in ("A", "B", "C")], actor=actor)
    services.delete(kernel, "acme_notes.note", notes[2], actor=actor)
    before = ids.counters(kernel.database)
    migrator = SchemaMigrator.from_database(kernel.database)
    with migrator.migration_context():
        migrator.migrate(migrator.drop_not_null("acme_notes_note", "title"))
    assert ids.counters(kernel.database)["acme_notes_note"] == notes[1]  # rebuilt
    ids.keep_counters(kernel.database, before)
    again = services.create(kernel, "acme_notes.note", {"title": "D"}, actor=actor)
    assert again.id == notes[2] + 1


@pytest.mark.plugins(*BOTH)
def test_item_03_purge_deletes_and_reports_the_history_of_its_records(kernel, tmp_path):
    old = services.create(kernel, "competitors.competitor", {"name": "Old Rival"},
                          actor=SYSTEM)
    _note(kernel, "competitors.competitor", old.id, "They cut prices by 20%")
    tag(kernel, "competitors.competitor", old.id, ["aggressive", "shared"], actor=SYSTEM)
    services.update(kernel, "competitors.competitor", old.id, {"name": "Old Rival Inc"},
                    actor=SYSTEM)
    org = services.create(kernel, "organization", {"name": "Customer"}, actor=SYSTEM)
    tag(kernel, "organization", org.id, ["shared"], actor=SYSTEM)
    _note(kernel, "organization", org.id, "Unrelated call")
    disable(kernel, "competitors", actor=SYSTEM)
    cli = CliRunner(kernel)

    # created, updated, tagged x2 of the competitor; created of its note
    assert purge_plan(kernel, "competitors", actor=SYSTEM).traces == {
        "activities": 1, "tag links": 2, "tags": 1, "audit entries": 5}
    dry = cli("plugins", "purge", "competitors", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert ("and delete from its records: 1 activity, 2 tag links, 1 tag, 5 audit entries"
            in dry.output.splitlines())
    assert "competitors_competitor" in kernel.database.get_tables()
    with kernel.bound():
        assert Activity.select().count() == 2 and Tag.select().count() == 2

    export = tmp_path / "competitors.json"
    done = cli("plugins", "purge", "competitors", "--export", str(export), "--yes")
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[1:] == [
        ("deleted from its records (exported too): 1 activity, 2 tag links, 1 tag, "
         "5 audit entries"), "purged competitors"]
    def saved(table):
        return read_archive_rows(export, table, owner="traces")

    assert [a["subject"] for a in saved("accord_activity")] == ["They cut prices by 20%"]
    assert sorted(t["tag_name"] for t in saved("accord_tagging")) == ["aggressive", "shared"]
    assert len(saved("accord_audit")) == 5
    with kernel.bound():
        assert [a.subject for a in Activity.select()] == ["Unrelated call"]
        assert [t.name for t in Tag.select()] == ["shared"]
        assert [(t.record_type, t.record_id) for t in Tagging.select()] == [
            ("organization", org.id)]
        assert not AuditEntry.select().where(
            AuditEntry.record_type == "competitors.competitor").exists()
        purged = AuditEntry.get(AuditEntry.action == "purged")
    assert purged.changes["traces"] == [{"activities": 1, "tag links": 2, "tags": 1,
                                         "audit entries": 5}, None]

    enable(kernel, "competitors", actor=SYSTEM)
    new = services.create(kernel, "competitors.competitor", {"name": "New Rival"},
                          actor=SYSTEM)
    assert new.id > old.id
    assert _history(kernel, "competitors.competitor", new.id) == ([], [], ["created"])
    assert _history(kernel, "organization", org.id)[:2] == (["Unrelated call"], ["shared"])


@pytest.mark.plugins(*BOTH)
def test_item_03_purge_and_enable_again_never_gives_a_purged_id(kernel, tmp_path):
    rivals = [services.create(kernel, "competitors.competitor", {"name": n}, actor=SYSTEM)
              for n in ("First", "Second")]
    services.delete(kernel, "competitors.competitor", rivals[1].id, actor=SYSTEM)
    disable(kernel, "competitors", actor=SYSTEM)
    purge(kernel, "competitors", export_to=tmp_path / "c.json", actor=SYSTEM)
    enable(kernel, "competitors", actor=SYSTEM)
    again = services.create(kernel, "competitors.competitor", {"name": "Third"},
                            actor=SYSTEM)
    assert again.id == rivals[1].id + 1


# Item 4: demo data is one transaction ----------------------------------------------

def _demo_rows(kernel):
    with kernel.bound():
        return {rt.name: rt.model.select().count() for rt in kernel.records}


@pytest.mark.plugins(*BOTH)
def test_item_04_a_failing_plugin_demo_keeps_no_demo_data_and_a_rerun_loads_it(
        kernel, monkeypatch):
    real = accord_competitors.demo.competitors_demo

    def broken(kernel, actor):
        services.create(kernel, "competitors.competitor", {"name": "Half"}, actor=actor)
        raise RuntimeError("price feed unreachable\nsecond line of detail")

    monkeypatch.setattr(accord_competitors.demo, "competitors_demo", broken)
    before = _demo_rows(kernel)
    cli = CliRunner(kernel)
    failed = cli("init", "--demo")
    assert failed.exit_code == 1
    assert failed.output.splitlines()[-1] == (
        "Error: the demo data of competitors failed (RuntimeError: price feed unreachable); "
        "no demo data was loaded; fix competitors or disable it (accord plugins disable "
        "competitors), then run 'accord init --demo' again")
    assert "Traceback" not in failed.output
    assert _demo_rows(kernel) == before
    with kernel.bound():
        assert not Organization.select().exists()

    monkeypatch.setattr(accord_competitors.demo, "competitors_demo", real)
    loaded = cli("init", "--demo")
    assert loaded.exit_code == 0, loaded.output
    assert "demo data loaded: " in loaded.output
    rows = _demo_rows(kernel)
    assert rows["organization"] > 0 and rows["sales.opportunity"] > 0
    assert rows["competitors.competitor"] == 3


@pytest.mark.plugins(accord_sales.hooks)
def test_item_04_the_cores_demo_failing_names_the_core_and_keeps_nothing(kernel,
                                                                         monkeypatch):
    import accord.demo

    def refused(kernel, actor):
        services.create(kernel, "organization", {"name": "Half"}, actor=actor)
        services.create(kernel, "contact", {"last_name": ""}, actor=actor)

    monkeypatch.setattr(accord.demo, "core_demo", refused)
    before = _demo_rows(kernel)
    failed = CliRunner(kernel)("init", "--demo")
    assert failed.exit_code == 1
    assert failed.output.splitlines()[-1].startswith(
        "Error: the core's demo data failed (last_name: ")
    assert failed.output.splitlines()[-1].endswith(
        "); no demo data was loaded; fix the cause, then run 'accord init --demo' again")
    assert _demo_rows(kernel) == before
