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
