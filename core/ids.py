"""Ids are never reused, on either engine.

Two ways an id comes back, and the remedy for each:

- SQLite gives a deleted row's id to the next insert unless the table's INTEGER
  PRIMARY KEY is AUTOINCREMENT. ``autoincrement`` adds it to every CREATE TABLE the
  kernel's SQLite connection runs (core, plugins, tables of future migrations alike);
  core migration 0006 rebuilt the tables of databases made before.
- A table dropped and created again (a purge then an enable, a downgrade then an
  upgrade, a column change that ``playhouse.migrate`` makes by rebuilding the table)
  restarts its counter, on SQLite and on PostgreSQL alike. ``counters`` and
  ``keep_counters`` run around every migration: a table that is gone leaves the
  highest id it gave in ``accord_id_high_water``, and a table that is there again
  starts above it.
"""

from __future__ import annotations

import re
from typing import Any

import peewee

__all__ = ["autoincrement", "counters", "keep_counters", "HIGH_WATER_TABLE"]

#: Where a dropped table's highest id waits for the table to come back (migration 0006).
HIGH_WATER_TABLE = "accord_id_high_water"

_CREATE_TABLE = re.compile(r"\s*CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?TABLE\b", re.I)
# A column whose type is exactly INTEGER and which is the PRIMARY KEY (the rowid alias,
# the only column AUTOINCREMENT may qualify), with its optional order and conflict
# clause; no comma or parenthesis between the type and PRIMARY KEY, so the match
# never spans two columns.
_ROWID_KEY = re.compile(
    r"""[(,]\s*(?:"[^"]*"|`[^`]*`|\[[^\]]*\]|\w+)\s+INTEGER\b[^,()]*?\bPRIMARY\s+KEY\b"""
    r"""(?:\s+(?:ASC|DESC)\b)?(?:\s+ON\s+CONFLICT\s+\w+\b)?""", re.I)


def autoincrement(sql: str) -> str:
    """``sql`` with AUTOINCREMENT on the INTEGER PRIMARY KEY when it creates a table
    that has one without it; any other statement comes back unchanged."""
    if not _CREATE_TABLE.match(sql):
        return sql
    upper = sql.upper()
    if "AUTOINCREMENT" in upper or "WITHOUT ROWID" in upper:
        return sql
    return _ROWID_KEY.sub(lambda m: m.group(0) + " AUTOINCREMENT", sql, count=1)


# A sequence owned by the single-column primary key of a table of the current schema
# (serial and identity columns alike), with the last id it gave (None: none yet).
_PG_COUNTERS = """
SELECT t.relname, quote_ident(n.nspname) || '.' || quote_ident(s.relname), q.last_value
FROM pg_class s
JOIN pg_namespace n ON n.oid = s.relnamespace
JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_index i ON i.indrelid = t.oid AND i.indisprimary AND i.indnkeyatts = 1
  AND i.indkey[0] = d.refobjsubid
LEFT JOIN pg_sequences q ON q.schemaname = n.nspname AND q.sequencename = s.relname
WHERE s.relkind = 'S' AND n.nspname = current_schema()
"""

_SQLITE_COUNTERS = """
SELECT m.name, m.name, s.seq FROM sqlite_master m
LEFT JOIN sqlite_sequence s ON s.name = m.name
WHERE m.type = 'table' AND m.sql LIKE '%AUTOINCREMENT%'
"""


def _counters(database: Any) -> dict[str, tuple[str, int]]:
    """Each table with an id counter: (the counter's handle, the highest id given)."""
    if isinstance(database, peewee.PostgresqlDatabase):
        rows = database.execute_sql(_PG_COUNTERS).fetchall()
    else:
        has_sequence = database.execute_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'"
        ).fetchone()
        if not has_sequence:  # SQLite creates it with the first AUTOINCREMENT table
            return {}
        rows = database.execute_sql(_SQLITE_COUNTERS).fetchall()
    return {table: (handle, int(last or 0)) for table, handle, last in rows}


def counters(database: Any) -> dict[str, int]:
    """The highest id each table has given so far, by table name."""
    return {table: last for table, (_, last) in _counters(database).items()}


def keep_counters(database: Any, before: dict[str, int]) -> None:
    """After migrations ran: keep what ``before`` (their ``counters``) knew.

    A table of ``before`` that is gone leaves its highest id in ``accord_id_high_water``
    (when that table exists: core migration 0006 creates it); every table with a
    counter is moved up to what it had reached before, or to what a dropped table of
    its name had reached, so its next id is above every id it ever gave."""
    now = _counters(database)
    tables = set(database.get_tables())
    kept = HIGH_WATER_TABLE in tables
    param = database.param
    stored: dict[str, int] = {}
    if kept:
        stored = {name: int(last) for name, last in database.execute_sql(
            f'SELECT "name", "last_id" FROM "{HIGH_WATER_TABLE}"').fetchall()}
    gone = {t: last for t, last in before.items() if t not in tables and last}
    with database.atomic():
        for table, last in gone.items():
            if kept and last > stored.get(table, 0):
                _store(database, table, last, replace=table in stored)
        for table, (handle, current) in now.items():
            floor = max(before.get(table, 0), stored.get(table, 0))
            if floor > current:
                _set_counter(database, table, handle, floor)
            if table in stored:
                database.execute_sql(
                    f'DELETE FROM "{HIGH_WATER_TABLE}" WHERE "name" = {param}', (table,))


def _store(database: Any, table: str, last: int, *, replace: bool) -> None:
    param = database.param
    if replace:
        database.execute_sql(f'UPDATE "{HIGH_WATER_TABLE}" SET "last_id" = {param} '
                             f'WHERE "name" = {param}', (last, table))
    else:
        database.execute_sql(f'INSERT INTO "{HIGH_WATER_TABLE}" ("name", "last_id") '
                             f'VALUES ({param}, {param})', (table, last))


def _set_counter(database: Any, table: str, handle: str, last: int) -> None:
    """Make ``last`` the highest id ``table`` has given: its next id is ``last + 1``."""
    if isinstance(database, peewee.PostgresqlDatabase):
        database.execute_sql("SELECT setval(%s, %s)", (handle, last))
        return
    updated = database.execute_sql("UPDATE sqlite_sequence SET seq = ? WHERE name = ?",
                                   (last, table)).rowcount
    if not updated:
        database.execute_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)",
                             (table, last))
