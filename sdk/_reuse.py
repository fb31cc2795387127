"""Test databases built once per plugin set and reset between tests.

Building a test's database (the core's migrations, then each plugin's when it is
enabled) is most of what a short test costs: on PostgreSQL, some hundred CREATE
TABLE and CREATE INDEX statements. Tests in a row mostly ask for the same plugins, so
the ``make_kernel`` fixture builds a database once per *set-up key* (the plugins, the
ones enabled, the settings) and, for the next test with that key, gives back exactly
the state the build left:

- **SQLite**: a copy of the database file right after the build (SQLite's backup
  API), copied into the new test's folder.
- **PostgreSQL**: each test starts with an empty ``public`` schema (the fixture
  ``database_url`` moves the previous test's schema aside, a rename); a test whose
  key was built before gets that schema back, checked to have the structure of the
  build (tables, columns, indexes, constraints: a test that added a custom field's
  index is given it back without, one that dropped a plugin's tables is not reused),
  its rows deleted and the rows the build left written again, and its id sequences
  where the build left them.

A set-up key exists only when it says everything the build depends on: plugins given
as modules or as objects of classes defined at the top of a module (not classes made
inside a test, nor copies in a temporary folder), no ``plugins_dir``, no discovery,
settings of plain values. A test that takes
``monkeypatch`` itself, or is marked ``@pytest.mark.fresh_database``, always builds.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sqlite3
import tempfile
import types
from dataclasses import dataclass
from typing import Any, Iterable

__all__ = ["setup_key", "park_postgres", "restore_postgres", "snapshot_postgres",
           "restore_sqlite", "snapshot_sqlite"]

_PLAIN = (str, int, float, bool, type(None))
#: Schemas set aside per database (one per set-up key); the oldest are dropped.
_KEEP = 3


def _plain(value: Any) -> bool:
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def setup_key(plugins: Iterable[Any], enable: Iterable[str] | None, enable_loaded: bool,
              settings: dict[str, Any]) -> tuple[Any, ...] | None:
    """What a test's database build depends on, or None when it cannot be said."""
    if settings.get("plugins_dir") or settings.get("discover_plugins"):
        return None
    rest = {k: v for k, v in settings.items() if k != "database_url"}
    if not _plain(rest):
        return None
    parts = []
    for plugin in plugins:
        part = _plugin_key(plugin)
        if part is None:
            return None
        parts.append(part)
    return (tuple(parts), tuple(enable or ()), enable_loaded, repr(sorted(rest.items())))


def _plugin_key(plugin: Any) -> tuple[Any, ...] | None:
    """A module by its name and file; an object of a class defined at the top of a
    module by the class and the object's attributes (plain values only)."""
    import sys

    if isinstance(plugin, types.ModuleType):
        source = getattr(plugin, "__file__", None)
        return None if _temporary(source) else (plugin.__name__, source)
    cls = type(plugin)
    module = sys.modules.get(cls.__module__)
    if "<locals>" in cls.__qualname__ or _temporary(getattr(module, "__file__", None)):
        return None
    attributes = getattr(plugin, "__dict__", {})
    if not _plain(attributes):
        return None
    return (cls.__module__, cls.__qualname__, repr(sorted(attributes.items())))


def _temporary(source: str | None) -> bool:
    """No file, or one in a temporary folder (a copy a test made)."""
    if not source:
        return True
    return os.path.realpath(source).startswith(os.path.realpath(tempfile.gettempdir()) + os.sep)


def _digest(key: tuple[Any, ...]) -> str:
    return hashlib.sha1(repr(key).encode()).hexdigest()[:16]


# SQLite -----------------------------------------------------------------------------

_FILES: dict[tuple[Any, ...], str] = {}
_FOLDER: list[str] = []


def restore_sqlite(path: str, key: tuple[Any, ...]) -> bool:
    """Put the build of ``key`` at ``path`` (a database not created yet)."""
    built = _FILES.get(key)
    if built is None:
        return False
    shutil.copyfile(built, path)
    return True


def snapshot_sqlite(path: str, key: tuple[Any, ...]) -> None:
    """Keep a consistent copy of the database at ``path`` as the build of ``key``."""
    if not _FOLDER:
        _FOLDER.append(tempfile.mkdtemp(prefix="accord-test-builds-"))
    target = os.path.join(_FOLDER[0], f"{_digest(key)}.db")
    source = sqlite3.connect(path)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    _FILES[key] = target


# PostgreSQL -------------------------------------------------------------------------

@dataclass
class _Build:
    fingerprint: str
    #: Tables, children before the tables they refer to (the order to delete in).
    order: list[str]
    #: Each table's rows as COPY text (only tables holding rows).
    rows: dict[str, bytes]
    #: (sequence, last_value, is_called)
    sequences: list[tuple[str, int, bool]]
    #: The names of the indexes (one a test adds, a custom field's, is dropped again).
    indexes: frozenset[str]


_BUILDS: dict[tuple[str, tuple[Any, ...]], _Build] = {}
#: Per database URL: set-up key -> the schema holding that build, oldest first.
_PARKED: dict[str, dict[tuple[Any, ...], str]] = {}
#: Per database URL: the key whose build ``public`` holds (None: unknown or none).
_PUBLIC: dict[str, tuple[Any, ...] | None] = {}

_FINGERPRINT = """
SELECT md5(coalesce(string_agg(item, ',' ORDER BY item), '')) FROM (
  SELECT 'c:' || c.relname || ':' || c.relkind::text AS item FROM pg_class c
   WHERE c.relnamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'a:' || c.relname || ':' || a.attname || ':' || a.atttypid::text || ':'
         || a.atttypmod::text || ':' || a.attnotnull::text
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
   WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'k:' || k.conname || ':' || k.contype::text || ':' || k.conkey::text || ':'
         || coalesce(k.confkey::text, '') || ':' || k.confrelid::regclass::text
    FROM pg_constraint k WHERE k.connamespace = 'public'::regnamespace
  UNION ALL
  SELECT 'i:' || c.relname || ':' || i.indkey::text || ':' || i.indisunique::text || ':'
         || coalesce(pg_get_expr(i.indexprs, i.indrelid), '')
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
   WHERE c.relnamespace = 'public'::regnamespace
) items
"""

_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
#: Indexes of their own (not those behind a primary key or unique constraint).
_INDEXES = """
SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE c.relnamespace = 'public'::regnamespace
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
"""
_REFERENCES = """
SELECT c.relname, r.relname FROM pg_constraint k
  JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
 WHERE k.contype = 'f' AND k.connamespace = 'public'::regnamespace AND c.oid <> r.oid
"""
_SEQUENCES = """
SELECT c.relname FROM pg_class c
 WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace ORDER BY c.relname
"""


def _connect(url: str) -> Any:
    import psycopg2

    return psycopg2.connect(url, connect_timeout=10)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def park_postgres(url: str) -> None:
    """Leave an empty ``public`` schema: the one there is set aside when it holds a
    known build, else dropped."""
    key = _PUBLIC.pop(url, None)
    first = url not in _PARKED
    parked = _PARKED.setdefault(url, {})
    conn = _connect(url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            if first:  # builds an earlier test run left
                cur.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                            ("accord\\_build\\_%",))
                for (old,) in cur.fetchall():
                    cur.execute(f"DROP SCHEMA {_quoted(old)} CASCADE")
            if key is not None:
                name = parked.pop(key, None) or _free_name(parked)
                dropped = [parked.pop(k) for k in list(parked)[:max(0, len(parked) - _KEEP + 1)]]
                try:
                    cur.execute("; ".join(
                        [f"DROP SCHEMA IF EXISTS {_quoted(s)} CASCADE" for s in [name, *dropped]]
                        + [f"ALTER SCHEMA public RENAME TO {_quoted(name)}",
                           "CREATE SCHEMA public"]))
                    parked[key] = name
                    return
                except Exception:  # not the schema's owner, say: build every time
                    pass
            cur.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    finally:
        conn.close()


def _free_name(parked: dict[tuple[Any, ...], str]) -> str:
    used = set(parked.values())
    return next(f"accord_build_{n}" for n in range(len(used) + _KEEP + 1)
                if f"accord_build_{n}" not in used)


def restore_postgres(url: str, key: tuple[Any, ...]) -> bool | None:
    """Bring back the build of ``key`` as ``public``, reset to its rows: True. False
    when there is none, or its structure changed (it is dropped then): build it. None
    when ``public`` is not empty (the test wrote something first): leave it alone."""
    build = _BUILDS.get((url, key))
    name = _PARKED.get(url, {}).get(key)
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(_TABLES + " LIMIT 1")
            if cur.fetchone() is not None:
                return None
            if build is None or name is None:
                return False
            del _PARKED[url][key]
            cur.execute(f"DROP SCHEMA public CASCADE; ALTER SCHEMA {_quoted(name)} "
                        "RENAME TO public")
            cur.execute(_TABLES)
            if {r[0] for r in cur.fetchall()} == set(build.order):
                cur.execute(_INDEXES)
                added = [r[0] for r in cur.fetchall() if r[0] not in build.indexes]
                if added:
                    cur.execute("; ".join(f"DROP INDEX {_quoted(i)}" for i in added))
            cur.execute(_FINGERPRINT)
            if cur.fetchone()[0] != build.fingerprint:
                conn.rollback()
                cur.execute(f"DROP SCHEMA IF EXISTS {_quoted(name)} CASCADE")
                conn.commit()
                return False
            cur.execute("; ".join(f"DELETE FROM {_quoted(t)}" for t in build.order))
            for table in reversed(build.order):
                rows = build.rows.get(table)
                if rows:
                    cur.copy_expert(f"COPY {_quoted(table)} FROM STDIN", io.BytesIO(rows))
            if build.sequences:
                cur.execute("SELECT " + ", ".join(
                    "setval(%s, %s, %s)" for _ in build.sequences),
                    [v for sequence in build.sequences for v in sequence])
        conn.commit()
    finally:
        conn.close()
    _PUBLIC[url] = key
    return True


def snapshot_postgres(url: str, key: tuple[Any, ...]) -> None:
    """Record what ``public`` holds now as the build of ``key`` (unless its tables
    refer to each other in a cycle, which a plain delete order cannot empty)."""
    conn = _connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(_TABLES)
            tables = sorted(r[0] for r in cur.fetchall())
            cur.execute(_REFERENCES)
            order = _children_first(tables, cur.fetchall())
            if order is None:
                return
            cur.execute(_FINGERPRINT)
            fingerprint = cur.fetchone()[0]
            cur.execute(_INDEXES)
            indexes = frozenset(r[0] for r in cur.fetchall())
            rows: dict[str, bytes] = {}
            for table in tables:
                buffer = io.BytesIO()
                cur.copy_expert(f"COPY {_quoted(table)} TO STDOUT", buffer)
                if buffer.getvalue():
                    rows[table] = buffer.getvalue()
            cur.execute(_SEQUENCES)
            names = [r[0] for r in cur.fetchall()]
            sequences: list[tuple[str, int, bool]] = []
            if names:
                cur.execute(" UNION ALL ".join(
                    f"SELECT %s, last_value, is_called FROM {_quoted(n)}" for n in names),
                    [_quoted(n) for n in names])
                sequences = [(n, int(v), bool(c)) for n, v, c in cur.fetchall()]
        conn.rollback()
    finally:
        conn.close()
    _BUILDS[(url, key)] = _Build(fingerprint, order, rows, sequences, indexes)
    _PUBLIC[url] = key


def _children_first(tables: list[str], references: list[tuple[str, str]]) -> list[str] | None:
    """``tables`` ordered so that each comes before the tables it refers to."""
    referrers: dict[str, set[str]] = {t: set() for t in tables}
    for child, parent in references:
        if child in referrers and parent in referrers:
            referrers[parent].add(child)
    order: list[str] = []
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(table: str) -> bool:
        if table in done:
            return True
        if table in visiting:
            return False  # a cycle
        visiting.add(table)
        for child in sorted(referrers[table]):
            if not visit(child):
                return False
        visiting.discard(table)
        done.add(table)
        order.append(table)
        return True

    for table in tables:
        if not visit(table):
            return None
    return order
