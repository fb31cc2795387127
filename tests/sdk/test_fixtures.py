"""The SDK fixtures plugin authors get: a kernel per test, on each engine."""

from __future__ import annotations

import pytest

from accord import services
from accord.models import Contact


def test_kernel_starts_on_a_fresh_database(kernel, actor):
    with kernel.bound():
        assert Contact.select().count() == 0
    services.create(kernel, "contact", {"last_name": "Ng"}, actor=actor)
    with kernel.bound():
        assert [c.last_name for c in Contact.select()] == ["Ng"]


def test_each_test_gets_an_empty_database(kernel):
    with kernel.bound():
        assert Contact.select().count() == 0


def test_engine_is_the_one_asked_for(kernel, accord_engine):
    from accord.database import is_postgres

    assert is_postgres(kernel.database) == (accord_engine == "postgres")


def test_plugins_marker_loads_and_enables_only_the_named_plugins(make_kernel, plugins_folder):
    import importlib
    import sys

    sys.path.insert(0, plugins_folder)
    notes = importlib.import_module("acme_notes.hooks")
    k = make_kernel(plugins=[notes], enable=["acme_notes"])
    assert sorted(k.plugins.plugins) == ["acme_notes"]
    assert "acme_notes" in k.plugins.active
    assert "acme_notes.note" in k.records


def test_cli_runs_against_the_kernel(cli):
    result = cli("users", "add", "ann@example.com", "--name", "Ann", "--role", "sales")
    assert result.exit_code == 0, result.output
    listing = cli("users", "list")
    assert "ann@example.com" in listing.output


def test_count_queries_counts_sql(kernel, count_queries):
    with count_queries() as counter:
        with kernel.bound():
            list(Contact.select())
    assert counter.count == 1


# Builds reused between tests (accord_sdk._reuse) ------------------------------------

@pytest.mark.parametrize("run", [1, 2])
def test_every_test_starts_empty_with_ids_from_one(kernel, actor, run):
    """The second run starts on the first one's build (reset), on the same worker."""
    with kernel.bound():
        assert Contact.select().count() == 0
    assert services.create(kernel, "contact", {"last_name": f"Ng {run}"}, actor=actor).id == 1


def _build(url, plugins=()):
    from accord.config import Config
    from accord.kernel import Accord
    from accord.services import Actor
    from accord.services.plugins import enable

    kernel = Accord(Config(database_url=url, discover_plugins=False),
                    plugins=list(plugins)).start(upgrade=True)
    for name in kernel.plugins.plugins:
        enable(kernel, name, actor=Actor.system("test"), with_deps=True)
    return kernel


def _reset_to_build(database_url, key, tmp_path):
    """What the fixtures do between two tests: a new empty database, the build put back."""
    from accord_sdk import _reuse

    if database_url.startswith("sqlite:///"):
        url = f"sqlite:///{tmp_path / 'next.db'}"
        assert _reuse.restore_sqlite(url[len("sqlite:///"):], key)
        return url, True
    _reuse.park_postgres(database_url)
    return database_url, _reuse.restore_postgres(database_url, key)


def test_a_build_comes_back_as_it_was_built(database_url, tmp_path, actor):
    import uuid

    import accord_sales.hooks
    from accord.services.fields import add_field
    from accord_sdk import _reuse

    key = ("test", uuid.uuid4().hex)
    kernel = _build(database_url, [accord_sales.hooks])
    path = database_url[len("sqlite:///"):] if database_url.startswith("sqlite") else None
    (_reuse.snapshot_sqlite(path, key) if path else
     _reuse.snapshot_postgres(database_url, key))
    add_field(kernel, "contact", "x_tier", "text", indexed=True, actor=actor)
    for name in ("Ng", "Ode"):
        services.create(kernel, "contact", {"last_name": name, "x_tier": "gold"}, actor=actor)
    services.create(kernel, "sales.lead", {"name": "Fifty seats"}, actor=actor)
    kernel.close()

    url, restored = _reset_to_build(database_url, key, tmp_path)
    assert restored
    again = _build(url, [accord_sales.hooks])
    try:
        with again.bound():
            assert Contact.select().count() == 0
        assert "x_tier" not in again.fields.of("contact")
        assert services.create(again, "contact", {"last_name": "New"}, actor=actor).id == 1
        assert services.create(again, "sales.lead", {"name": "Ten"}, actor=actor).id == 1
        assert again.plugins.get("sales").stored_state == "enabled"
        from accord.database import is_postgres

        if is_postgres(again.database):
            indexes = [r[0] for r in again.database.execute_sql(
                "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
                " AND indexname LIKE %s", ("%tier%",)).fetchall()]
            assert indexes == []
    finally:
        again.close()


@pytest.mark.postgres_only
def test_a_build_whose_tables_changed_is_built_anew(database_url, actor):
    import uuid

    from accord_sdk import _reuse

    key = ("test", uuid.uuid4().hex)
    kernel = _build(database_url)
    _reuse.snapshot_postgres(database_url, key)
    kernel.database.execute_sql('CREATE TABLE "stray" (id integer)')
    kernel.close()

    _reuse.park_postgres(database_url)
    assert _reuse.restore_postgres(database_url, key) is False
    import psycopg2

    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            assert cur.fetchone()[0] == 0  # left empty, to be built
    finally:
        conn.close()


@pytest.mark.postgres_only
def test_a_database_the_test_wrote_to_first_is_left_alone(database_url):
    import uuid

    import psycopg2
    from accord_sdk import _reuse

    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute('CREATE TABLE "mine" (id integer)')
        assert _reuse.restore_postgres(database_url, ("test", uuid.uuid4().hex)) is None
        with conn.cursor() as cur:
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            assert cur.fetchall() == [("mine",)]
    finally:
        conn.close()
