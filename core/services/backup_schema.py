"""What a backup learns from the database itself: its tables, who owns each, their
columns typed for the archive, keys, and an order to insert them in.

Tables are found by introspection, not through the running plugins' models, so the
tables of a disabled plugin, or of one whose code failed to load, are backed up too.
An owner is the core or a plugin with a migration history table
(``accord_migrations_<owner>``); a table is a plugin's when its name starts with
``<plugin>_`` (the longest such prefix wins), the core's when it starts with
``accord_``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

import peewee

from ..database import JSONField, is_postgres
from ..plugins.manager import CORE
from .backup_format import Column

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["TableInfo", "engine_of", "user_tables", "owners_of", "table_info", "known_models",
           "insert_order", "HISTORY_PREFIX"]

HISTORY_PREFIX = "accord_migrations_"

_PG_COLUMNS = """
SELECT column_name, data_type, numeric_scale, is_nullable FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position
"""

_PG_KINDS = {
    "integer": "int", "bigint": "int", "smallint": "int", "boolean": "bool",
    "numeric": "decimal", "real": "float", "double precision": "float",
    "timestamp without time zone": "datetime", "timestamp with time zone": "datetimetz",
    "date": "date", "time without time zone": "time", "jsonb": "json", "json": "json",
    "bytea": "bytes",
}
_SCALE = re.compile(r"\(\s*\d+\s*,\s*(\d+)\s*\)")


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    #: Foreign keys: (column, the table it names).
    foreign_keys: tuple[tuple[str, str], ...]
    nullable: frozenset[str]


def engine_of(database: Any) -> str:
    return "postgresql" if is_postgres(database) else "sqlite"


def user_tables(database: Any) -> list[str]:
    """Every table of the database but the engine's own (``sqlite_sequence``)."""
    return sorted(t for t in database.get_tables() if not t.startswith("sqlite_"))


def owners_of(tables: Iterable[str]) -> tuple[dict[str, list[str]], list[str]]:
    """The tables of each owner (the core first), and those no owner claims."""
    tables = list(tables)
    owners = sorted(t[len(HISTORY_PREFIX):] for t in tables if t.startswith(HISTORY_PREFIX))
    plugins = sorted((o for o in owners if o != "core"), key=len, reverse=True)
    out: dict[str, list[str]] = {"core": []} if "core" in owners else {}
    out.update({o: [] for o in owners if o != "core"})
    unowned: list[str] = []
    for table in tables:
        if table.startswith(HISTORY_PREFIX) and table[len(HISTORY_PREFIX):] in out:
            out[table[len(HISTORY_PREFIX):]].append(table)
            continue
        owner = next((p for p in plugins if table.startswith(f"{p}_")), None)
        if owner is None and table.startswith("accord_") and "core" in out:
            owner = "core"
        if owner is None:
            unowned.append(table)
        else:
            out[owner].append(table)
    return out, unowned


def known_models(kernel: Accord) -> dict[str, type[peewee.Model]]:
    """The models the installed code declares, by table: the core's and every loaded
    plugin's, whatever its state. They say what SQLite's column types cannot (a
    boolean is an INTEGER there, a JSON document TEXT)."""
    from ..models import CORE_MODELS

    models: list[type[peewee.Model]] = list(CORE_MODELS)
    loaded = [CORE, *kernel.plugins.plugins]
    models += [rt.model for _, rt in kernel.plugins.collect("register_record_types",
                                                            only=loaded)]
    models += [m for _, m in kernel.plugins.collect("register_models", only=loaded)]
    return {m._meta.table_name: m for m in models}


def _kind_sqlite(declared: str) -> tuple[str, int | None]:
    text = declared.upper()
    if "INT" in text:
        return "int", None
    if text.startswith(("DECIMAL", "NUMERIC")):
        match = _SCALE.search(text)
        return "decimal", int(match[1]) if match else None
    if text.startswith(("REAL", "FLOAT", "DOUBLE")):
        return "float", None
    if text.startswith(("DATETIME", "TIMESTAMP")):
        return "datetime", None
    if text == "DATE":
        return "date", None
    if text == "TIME":
        return "time", None
    if text == "BLOB":
        return "bytes", None
    if text.startswith("BOOL"):
        return "bool", None
    if text.startswith("JSON"):
        return "json", None
    return "text", None


def _refine(kind: str, field: Any) -> str:
    """SQLite's INTEGER and TEXT say less than the model's field."""
    if kind == "int" and isinstance(field, peewee.BooleanField):
        return "bool"
    if kind == "text" and isinstance(field, JSONField):
        return "json"
    return kind


def table_info(database: Any, table: str, model: type[peewee.Model] | None) -> TableInfo:
    fields = model._meta.columns if model is not None else {}
    columns: list[Column] = []
    nullable: set[str] = set()
    if is_postgres(database):
        for name, data_type, scale, is_null in database.execute_sql(
                _PG_COLUMNS, (table,)).fetchall():
            kind = _PG_KINDS.get(data_type, "text")
            columns.append(Column(name, kind, scale if kind == "decimal" else None))
            if is_null == "YES":
                nullable.add(name)
    else:
        for _, name, declared, notnull, _, _ in database.execute_sql(
                f'PRAGMA table_info("{table}")').fetchall():
            kind, scale = _kind_sqlite(declared or "")
            columns.append(Column(name, _refine(kind, fields.get(name)), scale))
            if not notnull:
                nullable.add(name)
    keys = tuple(database.get_primary_keys(table))
    foreign = tuple((fk.column, fk.dest_table) for fk in database.get_foreign_keys(table))
    return TableInfo(table, tuple(columns), keys, foreign, frozenset(nullable))


def insert_order(infos: dict[str, TableInfo]) -> tuple[list[str], dict[str, list[str]]]:
    """Tables in an order where each comes after those its foreign keys name, and the
    columns to fill in after every row is in: a table's references to itself, and, to
    break a cycle between tables, the nullable references of one of them."""
    deferred: dict[str, list[str]] = {}
    needs: dict[str, set[str]] = {}
    for name, info in infos.items():
        needs[name] = set()
        for column, target in info.foreign_keys:
            if target == name:
                deferred.setdefault(name, []).append(column)
            elif target in infos:
                needs[name].add(target)
    order: list[str] = []
    remaining = dict(needs)
    while remaining:
        ready = sorted(t for t, wanted in remaining.items() if not wanted & remaining.keys())
        if not ready:
            # A cycle: fill one table's references to the others later.
            table = min(remaining)
            info = infos[table]
            for column, target in info.foreign_keys:
                if target in remaining and target != table:
                    if column not in info.nullable:
                        raise ValueError(f"{table}.{column} is part of a cycle of "
                                         "foreign keys and cannot be left empty")
                    deferred.setdefault(table, []).append(column)
            remaining[table] = set()
            continue
        for table in ready:
            order.append(table)
            del remaining[table]
    for table, columns in deferred.items():
        info = infos[table]
        stuck = [c for c in columns if c not in info.nullable]
        if stuck:
            raise ValueError(f"{table}.{stuck[0]} names its own table and cannot be empty")
    return order, deferred
