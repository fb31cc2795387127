"""Transactions and savepoints keep their meaning on both engines, while PostgreSQL
sends BEGIN, SAVEPOINT and RELEASE with the next statement (accord.database): what a
savepoint covers is undone by its rollback, whatever carried its SAVEPOINT, and a
transaction or savepoint in which nothing ran sends nothing."""

from __future__ import annotations

import logging

import peewee
import pytest

from accord.database import is_postgres, open_database


@pytest.fixture
def database(database_url):
    database = open_database(database_url)
    key = "SERIAL PRIMARY KEY" if is_postgres(database) else "INTEGER PRIMARY KEY"
    database.execute_sql(f"CREATE TABLE probe (id {key}, v INTEGER UNIQUE)")
    yield database
    database.close()


def _values(database):
    return [v for (v,) in database.execute_sql("SELECT v FROM probe ORDER BY v").fetchall()]


def _insert(database, v):
    database.execute_sql("INSERT INTO probe (v) VALUES (%s)" if is_postgres(database)
                         else "INSERT INTO probe (v) VALUES (?)", (v,))


@pytest.fixture
def sent():
    """The SQL of every message peewee sends while the test runs."""
    messages: list[str] = []

    class Listen(logging.Handler):
        def emit(self, record):
            if isinstance(record.msg, tuple):
                messages.append(record.msg[0])

    log = logging.getLogger("peewee")
    handler, level = Listen(), log.level
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    yield messages
    log.removeHandler(handler)
    log.setLevel(level)


def test_a_failed_statement_is_undone_to_its_savepoint_and_the_transaction_goes_on(
        database):
    with database.atomic():
        _insert(database, 1)
        with pytest.raises(peewee.IntegrityError):
            with database.atomic():  # its SAVEPOINT goes with the failing INSERT
                _insert(database, 1)
        with pytest.raises(peewee.IntegrityError):
            with database.atomic():
                _insert(database, 2)
                _insert(database, 1)
        _insert(database, 3)
    assert _values(database) == [1, 3]


def test_an_exception_undoes_the_savepoint_and_only_it(database):
    with database.atomic():
        _insert(database, 1)
        with database.atomic():
            _insert(database, 2)
        with pytest.raises(RuntimeError):
            with database.atomic():
                _insert(database, 3)
                with database.atomic():
                    _insert(database, 4)
                raise RuntimeError("undo 3 and 4")
        with pytest.raises(RuntimeError):
            with database.atomic():
                raise RuntimeError("nothing ran")
    assert _values(database) == [1, 2]


def test_a_failed_transaction_is_rolled_back_and_the_next_one_starts_clean(database):
    _insert(database, 1)
    with pytest.raises(peewee.IntegrityError):
        with database.atomic():  # BEGIN goes with the failing INSERT
            with database.atomic():
                _insert(database, 1)
    with database.atomic():
        _insert(database, 2)
    assert _values(database) == [1, 2]
    assert not database.in_transaction()


def test_a_statement_through_the_cursor_itself_is_inside_the_savepoint(database):
    with database.atomic():
        with pytest.raises(RuntimeError):
            with database.atomic():
                database.cursor().execute("INSERT INTO probe (v) VALUES (7)")
                raise RuntimeError("undo 7")
        with database.atomic():
            database.connection().cursor().execute("INSERT INTO probe (v) VALUES (8)")
    assert _values(database) == [8]


def test_a_closed_connection_leaves_nothing_queued_for_the_next(database):
    with database.atomic():
        _insert(database, 1)
    database.close()
    with database.atomic():
        _insert(database, 2)
    assert _values(database) == [1, 2]


@pytest.mark.postgres_only
def test_postgresql_sends_a_transactions_bookkeeping_with_its_statements(database, sent):
    with database.atomic():
        with database.atomic():
            pass  # nothing ran: nothing sent
    assert sent == []
    with database.atomic():
        with database.atomic():
            _insert(database, 1)
        with database.atomic():
            _insert(database, 2)
    words = [[statement.split()[0] for statement in message.split("; ")]
             for message in sent]
    assert words == [["BEGIN", "SAVEPOINT", "INSERT"],
                     ["RELEASE", "SAVEPOINT", "INSERT"]]
    assert _values(database) == [1, 2]  # the last RELEASE went with the COMMIT
