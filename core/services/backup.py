"""Backup and restore of a whole database, and the archive a purge writes first.

``backup`` reads every table (found by introspection: see ``backup_schema``) in one
read transaction (REPEATABLE READ on PostgreSQL, one snapshot on SQLite's WAL), in
key order, a batch at a time, and streams the rows into the archive
(``backup_format``), so memory stays bounded whatever the size.

``restore`` writes an archive into an empty database, on either engine: it checks
the archive's format and that every owner's migrations are installed, runs them up
to the archived state, empties what they seeded, inserts the rows in foreign-key
order, moves every id counter past the archived one, and reads every table back
against the archive's checksums. All or nothing: on PostgreSQL in one transaction; on
SQLite (whose migrations cannot run inside one) every table is dropped again when
anything fails, so the database is left empty either way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Protocol, Sequence

from .. import __version__, ids
from ..errors import AccordError, ValidationError
from ..plugins.manifest import CORE_API_VERSION
from .actors import Actor
from .authz import require
from .backup_format import (FORMAT, FORMAT_VERSION, ArchiveError, ArchiveReader,
                            ArchiveWriter, Column, encoder)
from .backup_schema import (TableInfo, engine_of, known_models, owners_of,
                            table_info, user_tables)

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["backup", "export_tables", "read_archive_rows", "read_manifest", "read_rows",
           "BackupReport", "RestoreReport", "Progress", "BACKUP_PERMISSIONS", "BATCH"]

logger = logging.getLogger(__name__)

#: A backup holds every user, token hash and setting: it needs both.
BACKUP_PERMISSIONS = ("admin.plugins", "admin.users")
#: Rows read or inserted per statement.
BATCH = 1000


class Progress(Protocol):
    """What shows the progress (the CLI's tqdm bar): the total rows, then each batch."""

    def start(self, total: int) -> None: ...

    def advance(self, rows: int) -> None: ...


class _Silent:
    def start(self, total: int) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass


@dataclass(frozen=True)
class BackupReport:
    path: Path
    #: Rows by table.
    tables: dict[str, int]
    owners: dict[str, list[str]]
    #: Tables no owner claims (no migration history names them): left out, with a warning.
    skipped: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


@dataclass(frozen=True)
class RestoreReport:
    tables: dict[str, int]
    #: Migrations installed here beyond the archive's, by owner: ``accord db upgrade``
    #: (or enabling the plugin) applies them.
    pending: dict[str, list[str]]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


# Reading ------------------------------------------------------------------------

def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def read_rows(database: Any, table: str, columns: Sequence[Column],
          keys: Sequence[str]) -> Iterator[list[Any]]:
    """The rows of ``table`` in key order, one batch per query (keyset), as lists of
    raw values of ``columns``."""
    names = [c.name for c in columns]
    select = f'SELECT {_quoted(names)} FROM "{table}"'
    if not keys:  # no key to page by: one query, fetched a batch at a time
        cursor = database.execute_sql(select)
        while batch := cursor.fetchmany(BATCH):
            yield from (list(row) for row in batch)
        return
    key_list = _quoted(keys)
    at = [names.index(k) for k in keys]
    marks = ", ".join([database.param] * len(keys))
    order = f" ORDER BY {key_list} LIMIT {BATCH}"
    last: list[Any] | None = None
    while True:
        if last is None:
            rows = database.execute_sql(select + order).fetchall()
        else:
            rows = database.execute_sql(f"{select} WHERE ({key_list}) > ({marks}){order}",
                                        last).fetchall()
        yield from (list(row) for row in rows)
        if len(rows) < BATCH:
            return
        last = [rows[-1][i] for i in at]


def _encode(table: str, columns: Sequence[Column], rows: Iterator[list[Any]]) -> Iterator[
        list[Any]]:
    encoders = [encoder(c) for c in columns]
    for row in rows:
        try:
            yield [None if v is None else enc(v) for enc, v in zip(encoders, row)]
        except (ValueError, TypeError, ArithmeticError) as exc:
            bad = next((c.name for c, enc, v in zip(columns, encoders, row)
                        if v is not None and not _encodes(enc, v)), "?")
            raise AccordError(f"table {table}, column {bad}: a value cannot be read as "
                              f"its type ({exc})") from None


def _encodes(enc: Any, value: Any) -> bool:
    try:
        enc(value)
    except (ValueError, TypeError, ArithmeticError):
        return False
    return True


@contextlib.contextmanager
def _snapshot(database: Any) -> Iterator[None]:
    """One consistent read of every table (inside a caller's transaction: that one's)."""
    outermost = not database.in_transaction()
    with database.atomic():
        if outermost and engine_of(database) == "postgresql":
            database.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _count(database: Any, table: str) -> int:
    return int(database.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])


def _applied(database: Any, owner: str) -> list[str]:
    rows = database.execute_sql(f'SELECT "name" FROM "accord_migrations_{owner}"').fetchall()
    return sorted(str(r[0]) for r in rows)


# Writing an archive ---------------------------------------------------------------

def _write_tables(database: Any, writer: ArchiveWriter, infos: Sequence[TableInfo],
                  progress: Progress,
                  rows_of: dict[str, Iterator[list[Any]]] | None = None) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for info in infos:
        out = writer.table(info.name)
        try:
            source = (rows_of or {}).get(info.name) or read_rows(
                database, info.name, info.columns, info.primary_key)
            pending = 0
            for values in _encode(info.name, info.columns, source):
                out.write(values)
                pending += 1
                if pending == BATCH:
                    progress.advance(pending)
                    pending = 0
            progress.advance(pending)
        finally:
            out.close()
        entries[info.name] = {
            "file": out.member, "rows": out.checksum.rows, "checksum": out.checksum.hexdigest(),
            "columns": [c.as_list() for c in info.columns],
            "primary_key": list(info.primary_key)}
    return entries


def _manifest(database: Any, kind: str, owners: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind,
            "accord_version": __version__, "core_api": CORE_API_VERSION,
            "engine": engine_of(database),
            "created_at": dt.datetime.now(dt.timezone.utc).isoformat(), **extra,
            "owners": owners}


def _new_file(target: str | Path, field_name: str) -> Path:
    path = Path(target)
    if path.exists():
        raise ValidationError({field_name: [f"{path} already exists; choose a new file"]})
    if not path.parent.is_dir():
        raise ValidationError({field_name: [f"cannot write {path}: no folder {path.parent}"]})
    return path


@contextlib.contextmanager
def _writing(path: Path, field_name: str) -> Iterator[ArchiveWriter]:
    """A writer on ``path`` that removes the file unless the block completes."""
    try:
        writer = ArchiveWriter(path)
    except OSError as exc:
        raise ValidationError({field_name: [f"cannot write {path}: {exc.strerror}"]}) from None
    try:
        yield writer
    except OSError as exc:  # the disk filled up, the folder went away
        writer.abort()
        raise ValidationError({field_name: [f"cannot write {path}: {exc.strerror or exc}"]}
                              ) from None
    except BaseException:
        writer.abort()
        raise


def backup(kernel: Accord, target: str | Path, *, actor: Actor,
           progress: Progress | None = None) -> BackupReport:
    """Write every table of the database to a new archive at ``target``."""
    for permission in BACKUP_PERMISSIONS:
        require(actor, permission)
    kernel.sync()
    path = _new_file(target, "file")
    progress = progress or _Silent()
    with kernel.bound():
        database = kernel.database
        models = known_models(kernel)
        with _snapshot(database):
            owned, unowned = owners_of(user_tables(database))
            for table in unowned:
                logger.warning("table %s belongs to no owner (no migration history names "
                               "it): left out of the backup", table)
            counters = ids.counters(database)
            infos = {t: table_info(database, t, models.get(t))
                     for tables in owned.values() for t in tables}
            progress.start(sum(_count(database, t) for t in infos))
            owners: dict[str, Any] = {}
            with _writing(path, "file") as writer:
                for owner, tables in owned.items():
                    entries = _write_tables(database, writer, [infos[t] for t in tables],
                                            progress)
                    for table, entry in entries.items():
                        entry["counter"] = counters.get(table)
                    owners[owner] = {"migrations": _applied(database, owner),
                                     "version": _version(kernel, owner), "tables": entries}
                writer.close(_manifest(database, "backup", owners, skipped=unowned))
    return BackupReport(path, {t: e["rows"] for o in owners.values()
                               for t, e in o["tables"].items()},
                        {o: list(v["tables"]) for o, v in owners.items()}, unowned)


def _version(kernel: Accord, owner: str) -> str | None:
    if owner == "core":
        return __version__
    plugin = kernel.plugins.plugins.get(owner)
    return plugin.version if plugin is not None else None


def export_tables(kernel: Accord, owner: str, version: str, tables: Sequence[str],
                  target: str | Path, *,
                  traces: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    """One owner's tables (those that exist) to a new archive of the backup's format (its
    manifest says ``kind: export``), with, for a purge, the ``traces`` the core keeps
    about its records (rows by table, from ``export_traces``) under the owner
    ``traces``; a trace row's extra values (a tag link's ``tag_name``) are text columns."""
    path = _new_file(target, "export")
    with kernel.bound():
        database = kernel.database
        models = known_models(kernel)
        existing = set(user_tables(database))
        infos = [table_info(database, t, models.get(t)) for t in tables if t in existing]
        with _snapshot(database), _writing(path, "export") as writer:
            owners: dict[str, Any] = {owner: {
                "migrations": _applied_if_any(database, owner, existing), "version": version,
                "tables": _write_tables(database, writer, infos, _Silent())}}
            if traces is not None:
                trace_infos, rows = [], {}
                for table, found in traces.items():
                    info = table_info(database, table, models.get(table))
                    names = [c.name for c in info.columns]
                    extra = [k for k in (found[0] if found else {}) if k not in names]
                    columns = (*info.columns, *(Column(k, "text") for k in extra))
                    info = TableInfo(table, columns, info.primary_key, (), info.nullable)
                    trace_infos.append(info)
                    rows[table] = iter([[r.get(c.name) for c in columns] for r in found])
                owners["traces"] = {"migrations": [], "version": None, "tables":
                                    _write_tables(database, writer, trace_infos, _Silent(),
                                                  rows)}
            writer.close(_manifest(database, "export", owners, plugin=owner))
    return path


def _applied_if_any(database: Any, owner: str, existing: set[str]) -> list[str]:
    return _applied(database, owner) if f"accord_migrations_{owner}" in existing else []


def read_manifest(source: str | Path) -> dict[str, Any]:
    """An archive's manifest, once its format is checked."""
    reader = ArchiveReader(Path(source))
    reader.close()
    return reader.manifest


def read_archive_rows(source: str | Path, table: str, *,
                      owner: str | None = None) -> list[dict[str, Any]]:
    """The rows of one table of an archive as dicts of archive values (tests, tools)."""
    reader = ArchiveReader(Path(source))
    try:
        for name, entry in reader.manifest["owners"].items():
            if (owner is None or owner == name) and table in entry["tables"]:
                info = entry["tables"][table]
                columns = [c[0] for c in info["columns"]]
                return [dict(zip(columns, row)) for row in reader.rows(table, info)]
    finally:
        reader.close()
    raise ArchiveError(f"{source} holds no table {table}")
