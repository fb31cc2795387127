"""Bulk SQL of the service layer: multi-row INSERTs and key lookups, set-based.

Only the service layer calls these (inside its transactions).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from typing import Any, Callable, Sequence

import peewee

__all__ = ["insert_rows", "update_rows", "ids_by_key", "quoted", "CHUNK"]

#: Rows per statement (SQLite allows 32,766 variables in one statement).
CHUNK = 500


#: Types of column values that are never SQL nodes (checked first, all at once).
_VALUE_TYPES = frozenset({str, int, float, bool, type(None), bytes, dict, list,
                          dt.datetime, dt.date, dt.time, Decimal})
#: INSERT statements by (engine, table, columns, rows, RETURNING), built once.
_STATEMENTS: dict[tuple[Any, ...], str | None] = {}


def insert_rows(model: type[peewee.Model], fields: list[peewee.Field],
                 values: Sequence[Sequence[Any]], *,
                 returning: peewee.Field | Sequence[peewee.Field] | None = None,
                 skip_conflicts: bool = False,
                 along: tuple[str, Sequence[Any]] | None = None) -> list[Any]:
    """Insert value lists in statements of CHUNK rows; the RETURNING values, if asked:
    one value per row for a field, the row's tuple of raw column values for a list.
    ``skip_conflicts``: a row a unique index refuses is left out (``ON CONFLICT DO
    NOTHING``, on both engines) instead of failing the statement, and returns nothing.

    The statement is the one ``model.insert_many(chunk, fields=fields)`` renders (its
    text depends only on the columns and the number of rows, so it is rendered once
    and reused) and every value goes through its field's ``db_value`` as peewee
    does; what is saved is peewee's building of a node per value, its main cost
    for thousands of rows. A value that is an SQL expression takes peewee's path.

    ``along`` (PostgreSQL, with ``returning``): ``(sql, params)`` of a statement that
    reads the inserted rows from ``written`` and goes in the same statement, as a
    data-modifying WITH (``WITH written AS (INSERT ...), along AS (sql) SELECT * FROM
    written``): one round trip for both, and nothing written along a row a conflict
    skipped.
    """
    database = model._meta.database
    converters: list[Callable[[Any], Any]] = [field.db_value for field in fields]
    Node = peewee.Node
    out: list[Any] = []
    whole = False  # a tuple per row (a list of fields) rather than one value
    targets: tuple[peewee.Field, ...] = ()
    if isinstance(returning, peewee.Field):
        targets = (returning,)
    elif returning is not None:
        targets, whole = tuple(returning), True
    for start in range(0, len(values), CHUNK):
        chunk = values[start:start + CHUNK]
        sql = _statement(database, model, fields, len(chunk), targets, skip_conflicts)
        params: list[Any] = []
        if sql is not None:
            for row in chunk:
                converted = [convert(value) for convert, value in zip(converters, row)]
                if not (_VALUE_TYPES.issuperset(map(type, row)) and
                        _VALUE_TYPES.issuperset(map(type, converted))) and (
                        any(isinstance(v, Node) for v in row) or
                        any(isinstance(v, Node) for v in converted)):
                    sql = None
                    break
                params.extend(converted)
        if sql is None:
            query = model.insert_many(chunk, fields=fields)
            if skip_conflicts:
                query = query.on_conflict("NOTHING")
            if not targets:
                query.execute()
                continue
            # Run as SQL, so RETURNING gives raw column values like the path below.
            sql, params = query.returning(*targets).sql()
        if along is not None:
            sql = f"WITH written AS ({sql}), along AS ({along[0]}) SELECT * FROM written"
            params = [*params, *along[1]]
        cursor = database.execute_sql(sql, params)
        if targets:
            rows = cursor.fetchall()
            out.extend(rows if whole else [r[0] for r in rows])
    return out


def _statement(database: Any, model: type[peewee.Model], fields: list[peewee.Field],
               rows: int, returning: tuple[peewee.Field, ...],
               skip_conflicts: bool = False) -> str | None:
    """The text of a ``rows``-row INSERT of ``fields`` (None: let peewee build it)."""
    target = getattr(database, "obj", database)  # the database behind the proxy
    key = (type(target), target.param, getattr(target, "quote", None), model,
           tuple(f.column_name for f in fields), rows,
           tuple(f.column_name for f in returning), skip_conflicts)
    if key in _STATEMENTS:
        return _STATEMENTS[key]
    query = model.insert_many([[None] * len(fields)], fields=fields)
    if returning:
        query = query.returning(*returning)
    if skip_conflicts:
        query = query.on_conflict("NOTHING")
    one, _ = query.sql()
    group = "(" + ", ".join([target.param] * len(fields)) + ")"
    # One group of exactly these columns, or peewee added something: build with it.
    sql = one.replace(group, ", ".join([group] * rows)) if one.count(group) == 1 else None
    if len(_STATEMENTS) > 256:
        _STATEMENTS.clear()
    _STATEMENTS[key] = sql
    return sql


#: Values per UPDATE statement (SQLite allows 32,766 variables in one statement).
_UPDATE_VALUES = 30_000


def update_rows(model: type[peewee.Model],
                changes: Sequence[tuple[int, int, dict[peewee.Field, Any]]]) -> list[int] | None:
    """Set each ``(id, version, {field: value})`` row's columns, and its version one up,
    where its id and version still hold: set-based, one ``WITH accord_changed_rows(...)
    AS (VALUES ...) UPDATE ... FROM accord_changed_rows ... RETURNING id`` per chunk of
    rows setting the same columns
    (one UPDATE a row cost a round trip and peewee's building each). Returns the ids
    updated (a row another writer changed meanwhile is not among them); None when
    the values or the engine need peewee's own UPDATE a row (an SQL expression among
    the values; SQLite before 3.35, without UPDATE FROM and RETURNING). ``version``
    is set by the statement: leave it out of the columns."""
    database = model._meta.database
    target = getattr(database, "obj", database)  # the database behind the proxy
    if isinstance(target, peewee.SqliteDatabase) and sqlite3.sqlite_version_info < (3, 35):
        return None
    groups: dict[tuple[peewee.Field, ...], list[tuple[int, int, list[Any]]]] = {}
    for ident, version, columns in changes:
        fields = tuple(columns)
        values = [field.db_value(value) for field, value in columns.items()]
        if any(isinstance(v, peewee.Node) for v in (*columns.values(), *values)):
            return None
        groups.setdefault(fields, []).append((ident, version, values))
    out: list[int] = []
    for fields, rows in groups.items():
        size = max(1, _UPDATE_VALUES // (len(fields) + 2))
        for start in range(0, len(rows), size):
            chunk = rows[start:start + size]
            sql = _update_statement(target, model, fields, len(chunk))
            params = [v for ident, version, values in chunk for v in (ident, version, *values)]
            out.extend(row[0] for row in database.execute_sql(sql, params).fetchall())
    return out


def quoted(name: str, quotes: str) -> str:
    """An identifier quoted as peewee's ``Entity`` quotes it (``quotes``: the engine's
    pair, its own quote character doubled inside)."""
    return name.replace(quotes[0], quotes).join(quotes)


#: UPDATE statements by (engine, table, columns, rows), built once.
_UPDATES: dict[tuple[Any, ...], str] = {}


def _update_statement(database: Any, model: type[peewee.Model],
                      fields: tuple[peewee.Field, ...], rows: int) -> str:
    """The text of ``update_rows``'s statement for ``rows`` rows setting ``fields``."""
    key = (type(database), database.param, model, tuple(f.column_name for f in fields), rows)
    sql = _UPDATES.get(key)
    if sql is None:
        if len(_UPDATES) > 256:
            _UPDATES.clear()
        sql = _UPDATES[key] = _render_update(database, model, fields, rows)
    return sql


def _render_update(database: Any, model: type[peewee.Model],
                   fields: tuple[peewee.Field, ...], rows: int) -> str:
    quotes = database.get_sql_context().state.quote or '""'

    def q(name: str) -> str:
        return quoted(name, quotes)

    table = q(model._meta.table_name)
    pk: peewee.Field = model._meta.primary_key  # type: ignore[assignment]
    version: peewee.Field = model._meta.fields["version"]
    mark: str = database.param
    postgres = isinstance(database, peewee.PostgresqlDatabase)

    def typed(field: peewee.Field) -> str:
        if not postgres:
            return mark
        if isinstance(field, peewee.AutoField) or field is version:
            return f"CAST({mark} AS BIGINT)"  # an id's column type is SERIAL, not a type
        c = database.get_sql_context()
        return f"CAST({mark} AS {c.sql(field.ddl_datatype(c)).query()[0]})"

    # Typed in the first row: PostgreSQL takes each column's type from it.
    first = "(" + ", ".join(typed(f) for f in (pk, version, *fields)) + ")"
    other = "(" + ", ".join([mark] * (len(fields) + 2)) + ")"
    names = ", ".join(q(n) for n in ("v_id", "v_version", *(f"v_{f.column_name}"
                                                              for f in fields)))
    rows_of = "accord_changed_rows"  # the CTE: a name no table takes
    sets = ", ".join(f"{q(f.column_name)} = {rows_of}.{q('v_' + f.column_name)}"
                     for f in fields)
    where = (f"{table}.{q(pk.column_name)} = {rows_of}.{q('v_id')} AND "
             f"{table}.{q(version.column_name)} = {rows_of}.{q('v_version')}")
    return (f"WITH {rows_of}({names}) AS (VALUES "
            f"{', '.join([first] + [other] * (rows - 1))}) "
            f"UPDATE {table} SET {sets}, {q(version.column_name)} = "
            f"{table}.{q(version.column_name)} + 1 FROM {rows_of} WHERE {where} "
            f"RETURNING {table}.{q(pk.column_name)}")


#: (model, id of the key expression, database class) -> (the key, kept alive so its id
#: stays its own, and the SQL of a one-value lookup).
_ONE_KEY: dict[tuple[type, int, type], tuple[Any, str]] = {}


def _one_key_sql(model: type[peewee.Model], key: Any) -> str:
    cache_key = (model, id(key), type(model._meta.database.obj))
    cached = _ONE_KEY.get(cache_key)
    if cached is None or cached[0] is not key:
        sentinel = object()
        # converter=False: the value is converted by the caller (``key.db_value``).
        probe = key == peewee.Value(sentinel, converter=False)
        sql, params = model.select(model._meta.primary_key).where(probe).limit(1).sql()
        assert len(params) == 2 and params[0] is sentinel, params
        cached = _ONE_KEY[cache_key] = (key, sql)
    return cached[1]


def ids_by_key(model: type[peewee.Model], key: Any, values: list[Any]) -> dict[Any, Any]:
    """``{value: id}`` for the stored rows of ``model`` whose ``key`` (a unique field or
    indexed expression, e.g. ``fn.lower(Contact.email)``) equals one of ``values``.

    Asked as one correlated lookup per value, CHUNK values a statement::

        WITH keys (n, k) AS (VALUES ...) SELECT n, (SELECT id ... WHERE key = k) FROM keys

    rather than ``key IN (...)``: for some hundred values PostgreSQL's planner scans
    the whole table until it holds ~10^5 rows, so a bulk import checking its keys
    batch after batch read its growing table again and again; each correlated
    lookup is one index probe on both engines.
    """
    found: dict[Any, Any] = {}
    convert: Callable[[Any], Any] | None = (
        key.db_value if isinstance(key, peewee.Field) else None)
    database = model._meta.database
    if len(values) == 1:
        # One value (every single write checking its unique keys): a plain index
        # probe whose statement is rendered once per model, key and engine.
        value = convert(values[0]) if convert else values[0]
        row = database.execute_sql(_one_key_sql(model, key), (value, 1)).fetchone()
        return {values[0]: row[0]} if row is not None else {}
    for start in range(0, len(values), CHUNK):
        chunk = values[start:start + CHUNK]
        keys = peewee.ValuesList(
            [(n, convert(v) if convert else v) for n, v in enumerate(chunk)]
        ).cte("accord_keys", columns=("n", "k"))
        match = model.select(model._meta.primary_key).where(key == keys.c.k).limit(1)
        query = peewee.Select([keys], [keys.c.n, match]).with_cte(keys)
        for n, rid in database.execute(query).fetchall():
            if rid is not None:
                found[chunk[n]] = rid
    return found
