"""Bulk SQL of the service layer: multi-row INSERTs and key lookups, set-based.

Only the service layer calls these (inside its transactions).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable, Sequence

import peewee

__all__ = ["insert_rows", "ids_by_key", "CHUNK"]

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
