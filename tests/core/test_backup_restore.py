"""Backup and restore (issue 16, part 4): every table comes back row for row, on the
same engine and across engines (SQLite -> PostgreSQL -> SQLite), the app works on the
restored database, and a backup's memory stays bounded whatever the size."""

from __future__ import annotations

import datetime as dt
import os
import tracemalloc
import zipfile
from decimal import Decimal

import pytest

from accord import services
from accord.config import Config
from accord.demo import DEMO_PASSWORD, load_demo
from accord.ids import counters
from accord.models import AuditEntry
from accord.services.backup import backup, read_archive_rows, read_rows
from accord.services.backup_format import encoder, line_of
from accord.services.backup_schema import known_models, table_info, user_tables
from accord.services.fields import add_field
from accord.services.plugins import disable
from accord.services.restore import restore
from accord.web import create_app
from accord_sdk.databases import reset_postgres, worker_database

PLUGINS = ("sales", "competitors", "service", "marketing")


def _resolve(names):
    import importlib.metadata

    found = {ep.name: ep for ep in importlib.metadata.entry_points(group="accord.plugins")}
    return [found[n].load() for n in names]


def other_database(engine, tmp_path, name="b"):
    """A second empty database on ``engine`` (PostgreSQL: <test db>_<name>)."""
    if engine == "postgres":
        url = worker_database(os.environ["ACCORD_TEST_DATABASE_URL"], name)
        reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path / f'{name}.db'}"


def rows_of(kernel):
    """Every table's columns and rows, each row typed as the archive types it, sorted:
    the same on either engine when the rows are the same."""
    out = {}
    with kernel.bound():
        database = kernel.database
        models = known_models(kernel)
        for table in user_tables(database):
            info = table_info(database, table, models.get(table))
            encoders = [encoder(c) for c in info.columns]
            lines = sorted(line_of([None if v is None else e(v) for e, v in zip(encoders, row)])
                           for row in read_rows(database, table, info.columns, info.primary_key))
            out[table] = ([(c.name, c.kind) for c in info.columns], lines)
    return out


def load_everything(kernel, actor):
    """The demo of every plugin, custom fields (one indexed) with values, and a disabled
    plugin whose tables keep their rows."""
    load_demo(kernel)
    add_field(kernel, "contact", "x_shoe_size", "decimal", actor=actor, indexed=True)
    add_field(kernel, "contact", "x_vip", "boolean", actor=actor)
    add_field(kernel, "organization", "x_founded", "date", actor=actor)
    with kernel.bound():
        from accord.models import Contact, Organization

        contact = Contact.select().order_by(Contact.id).first()
        org = Organization.select().order_by(Organization.id).first()
    services.update(kernel, "contact", contact.id,
                    {"x_shoe_size": "42.5", "x_vip": True, "first_name": "Zoë"}, actor=actor)
    services.update(kernel, "organization", org.id, {"x_founded": "1999-03-04"}, actor=actor)
    disable(kernel, "competitors", actor=actor)


def start_on(make_kernel, url):
    return make_kernel(plugins=PLUGINS, database_url=url)


@pytest.mark.plugins(*PLUGINS)
def test_backup_then_restore_gives_identical_rows_and_a_working_app(
        kernel, actor, make_kernel, make_api_client, accord_engine, tmp_path):
    load_everything(kernel, actor)
    archive = tmp_path / "all.accord"
    report = backup(kernel, archive, actor=actor)
    before = rows_of(kernel)
    assert report.rows == sum(len(lines) for _, lines in before.values())
    assert set(report.owners) == {"core", *PLUGINS}
    assert "competitors_competitor" in report.owners["competitors"]  # disabled, kept
    manifest = zipfile.ZipFile(archive).read("manifest.json").decode()
    assert '"format_version": 1' in manifest and '"kind": "backup"' in manifest
    # The custom field definitions, plugin states and settings are rows like any other.
    assert [r["state"] for r in read_archive_rows(archive, "accord_plugin")
            if r["name"] == "competitors"] == ["disabled"]
    assert {r["name"] for r in read_archive_rows(archive, "accord_custom_field")} == {
        "x_shoe_size", "x_vip", "x_founded"}

    url = other_database(accord_engine, tmp_path)
    done = restore(Config(database_url=url, discover_plugins=False), archive,
                   plugins=_resolve(PLUGINS))
    assert done.rows == report.rows and done.pending == {}
    restored = start_on(make_kernel, url)
    after = rows_of(restored)
    assert list(after) == list(before)
    for table in before:
        assert after[table] == before[table], table
    with kernel.bound():
        source_counters = counters(kernel.database)
    with restored.bound():
        # Every id counter stands where the source's stood (or above): no id comes back.
        assert all(n >= source_counters.get(t, 0)
                   for t, n in counters(restored.database).items())
        # The indexed custom field has its expression index again.
        assert "accord_contact_x_shoe_size_idx" in {
            i.name for i in restored.database.get_indexes("accord_contact")}
    assert restored.plugins.get("competitors").stored_state == "disabled"

    # The app works: the demo admin logs in with the restored password, lists the
    # contacts, and a new contact's id lies above every restored one.
    client = create_app(restored, SECRET_KEY="backup-tests").test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    login = client.post("/login", data={"email": "admin@example.com",
                                        "password": DEMO_PASSWORD, "csrf_token": token})
    assert login.status_code == 302
    assert "Zoë" in client.get("/records/contact").get_data(as_text=True)
    api = make_api_client(kernel=restored)
    listed = api.get("/api/v1/contacts?limit=200").get_json()["items"]
    assert sorted(c["id"] for c in listed) == sorted(
        int(line.split(b",", 1)[0][1:]) for line in before["accord_contact"][1])
    assert {c["x_shoe_size"] for c in listed} >= {"42.5"}
    made = api.post("/api/v1/contacts", json={"first_name": "New", "last_name": "Person"})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["id"] > max(c["id"] for c in listed)
    assert made.get_json()["id"] > source_counters["accord_contact"]


@pytest.mark.postgres_only
def test_sqlite_to_postgresql_and_back_keeps_every_row(make_kernel, actor, database_url,
                                                        tmp_path):
    source = make_kernel(plugins=PLUGINS, enable=list(PLUGINS),
                         database_url=f"sqlite:///{tmp_path / 'source.db'}")
    load_everything(source, actor)
    first = backup(source, tmp_path / "from-sqlite.accord", actor=actor)
    expected = rows_of(source)

    restore(Config(database_url=database_url, discover_plugins=False),
            first.path, plugins=_resolve(PLUGINS))
    on_postgres = start_on(make_kernel, database_url)
    assert rows_of(on_postgres) == expected

    second = backup(on_postgres, tmp_path / "from-postgres.accord", actor=actor)
    assert second.tables == first.tables
    back = f"sqlite:///{tmp_path / 'back.db'}"
    restore(Config(database_url=back, discover_plugins=False), second.path,
            plugins=_resolve(PLUGINS))
    on_sqlite = start_on(make_kernel, back)
    assert rows_of(on_sqlite) == expected
    # Typed values survive both trips: money, custom decimals, booleans, dates.
    with on_sqlite.bound():
        from accord.models import Contact, Product

        zoe = Contact.get(Contact.first_name == "Zoë")
        assert zoe.custom == {"x_shoe_size": "42.5", "x_vip": True}
        assert {p.unit_price for p in Product.select()} >= {Decimal("29"), Decimal("2400")}
        assert zoe.created_at.tzinfo is dt.timezone.utc


def test_a_backup_of_50000_rows_keeps_memory_bounded(kernel, actor, tmp_path):
    now = dt.datetime.now(dt.timezone.utc)
    with kernel.bound(), kernel.database.atomic():
        rows = [{"at": now, "actor_label": "bulk", "action": "created",
                 "record_type": "contact", "record_id": i,
                 "changes": {"note": [None, f"row {i} " + "x" * 100]}}
                for i in range(50_000)]
        for start in range(0, len(rows), 2000):
            AuditEntry.insert_many(rows[start:start + 2000]).execute()
    del rows
    with kernel.bound():
        tracemalloc.start()
        held = list(AuditEntry.select().tuples())
        holding = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    del held
    tracemalloc.start()
    report = backup(kernel, tmp_path / "big.accord", actor=actor)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report.tables["accord_audit"] >= 50_000
    assert peak < holding / 5, (peak, holding)
    assert peak < 8_000_000


@pytest.mark.plugins("sales", "competitors")
def test_the_tables_of_a_plugin_whose_code_is_not_loaded_are_kept(
        kernel, actor, make_kernel, accord_engine, tmp_path):
    rival = services.create(kernel, "competitors.competitor", {"name": "Rival"}, actor=actor)
    expected = rows_of(kernel)
    # A kernel without the competitors code (as when it fails to load) backs up its
    # tables too, found in the database and typed from the database alone.
    without = make_kernel(plugins=["sales"])
    report = backup(without, tmp_path / "partial.zip", actor=actor)
    assert "competitors_competitor" in report.owners["competitors"]
    assert report.tables["competitors_competitor"] == 1

    url = other_database(accord_engine, tmp_path)
    restore(Config(database_url=url, discover_plugins=False), report.path,
            plugins=_resolve(["sales", "competitors"]))
    restored = make_kernel(plugins=["sales", "competitors"], database_url=url)
    assert rows_of(restored) == expected
    assert services.get(restored, "competitors.competitor", rival.id,
                        actor=actor).name == "Rival"


def test_tables_are_assigned_to_their_owner_by_history_and_prefix():
    from accord.services.backup_schema import owners_of

    owned, unowned = owners_of([
        "accord_contact", "accord_migrations_core", "accord_migrations_acme",
        "accord_migrations_acme_notes", "acme_thing", "acme_notes_note", "stray_table"])
    assert owned == {"core": ["accord_contact", "accord_migrations_core"],
                     "acme": ["accord_migrations_acme", "acme_thing"],
                     "acme_notes": ["accord_migrations_acme_notes", "acme_notes_note"]}
    assert unowned == ["stray_table"]
