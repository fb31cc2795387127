"""Restoring a backup archive into an empty database (see ``accord.services.backup``).

The order: the archive's format is checked (``ArchiveReader``), the database must
hold no table, every owner of the archive must be installed with every migration the
archive names, in the same order; then the schema is built by running each owner's
migrations up to the archived one, what they seeded is emptied, the rows go in
(parents first, a batch per statement), every id counter is moved up to what the
archive's table had reached, and each table is read back against its checksum.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import peewee

from .. import ids
from ..database import masked_url, open_database
from ..errors import AccordError
from ..migrating import CORE_MIGRATIONS
from .backup import BATCH, Progress, RestoreReport, _Silent, read_rows
from .backup_format import (ArchiveError, ArchiveReader, Checksum, Column, decoder, encoder,
                            line_of, rows)
from .backup_schema import (TableInfo, engine_of, insert_order, known_models, table_info,
                            user_tables)

if TYPE_CHECKING:
    from ..config import Config
    from ..kernel import Accord

__all__ = ["restore"]

logger = logging.getLogger(__name__)


def restore(config: Config, source: str | Path, *, plugins: Sequence[Any] | None = None,
            progress: Progress | None = None) -> RestoreReport:
    """Restore the archive at ``source`` into the empty database ``config`` names, with
    the plugins installed there (discovered as ``config`` says, plus ``plugins`` given
    in code). Raises AccordError (ArchiveError for the archive) naming what stops it;
    the database is then left empty."""
    reader = ArchiveReader(Path(source))
    try:
        if reader.manifest.get("kind") != "backup":
            raise ArchiveError(f"{source} is an export of {reader.manifest.get('plugin')}, "
                               "not a backup of a whole database; it cannot be restored")
        kernel = _bare_kernel(config, plugins)
        try:
            with kernel.bound():
                report = _restore(kernel, reader, progress or _Silent())
        finally:
            kernel.close()
    finally:
        reader.close()
    try:
        _index_custom_fields(config, plugins)
    except AccordError as exc:  # the rows are in and checked; only the indexes are not
        logger.warning("restored, but the indexes of indexed custom fields were not made: %s",
                       exc)
    return report


def _bare_kernel(config: Config, plugins: Sequence[Any] | None) -> Accord:
    """A kernel with its database open and its plugins loaded, not started: the
    database has no tables yet, and only the migrations say which to create."""
    from .. import builtin
    from ..kernel import Accord

    kernel = Accord(config, plugins=list(plugins or []))
    kernel.database = open_database(config.database_url)
    try:
        with kernel.bound():
            kernel.database.connect(reuse_if_open=True)
    except peewee.OperationalError as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AccordError(f"database_url: cannot connect to "
                          f"{masked_url(config.database_url)}: {detail}") from None
    kernel.plugins.register_core(builtin)
    kernel.plugins.load(kernel._candidates())
    return kernel


def _restore(kernel: Accord, reader: ArchiveReader, progress: Progress) -> RestoreReport:
    database: Any = kernel.database
    there = user_tables(database)
    if there:
        shown = ", ".join(there[:5]) + (", …" if len(there) > 5 else "")
        raise AccordError(f"the database is not empty: it has {len(there)} "
                          f"{'table' if len(there) == 1 else 'tables'} ({shown}); "
                          "restore only into an empty database")
    owners: dict[str, Any] = reader.manifest["owners"]
    plan = [(owner, _check_owner(kernel, owner, owners[owner]["migrations"]))
            for owner in _owner_order(kernel, owners)]
    postgres = engine_of(database) == "postgresql"
    try:
        # PostgreSQL: DDL and rows in one transaction. SQLite: the migrations run as
        # always (a rebuild needs foreign keys off, impossible inside a transaction), the
        # rows in one transaction; anything failing drops every table below.
        with database.atomic() if postgres else contextlib.nullcontext():
            pending = {}
            for owner, (runner, archived, later) in plan:
                if archived:
                    runner.up(target=archived[-1])
                if later:
                    pending[owner] = later
            with database.atomic():
                tables = _load(kernel, reader, owners, progress)
    except BaseException:
        _drop_everything(database)
        raise
    return RestoreReport(tables, pending)


def _owner_order(kernel: Accord, owners: dict[str, Any]) -> list[str]:
    """The core first, then the plugins, each after those it requires."""
    missing = [o for o in owners if o != "core" and o not in kernel.plugins.plugins]
    if missing:
        raise AccordError(
            f"the archive holds the tables of {', '.join(sorted(missing))}, not installed "
            f"here; install {'it' if len(missing) == 1 else 'them'} and restore again")
    order = [o for o in ["core", *kernel.plugins.load_order] if o in owners]
    return order + sorted(o for o in owners if o not in order)  # failed to load


def _check_owner(kernel: Accord, owner: str, archived: list[str]) -> tuple[Any, list[str],
                                                                            list[str]]:
    """The owner's runner, its archived migrations, and the ones installed beyond them;
    refused when the installed ones do not begin with the archived ones."""
    runner = kernel.migrations.runner(owner)
    installed = sorted((m.idx, m.name) for m in runner.migrations()) if runner else []
    names = [name for _, name in installed]
    for index, name in enumerate(archived):
        if name not in names:
            raise AccordError(f"{owner}: the archive has migration {name} applied, which this "
                              f"installation lacks; install the {owner} version that has it")
        if names[index] != name:
            raise AccordError(f"{owner}: migration {names[index]} is installed before "
                              f"{name} but was not applied in the archive; restore with "
                              "the version that made the archive")
    if owner == "core" and runner is not None:
        assert Path(runner.directory) == CORE_MIGRATIONS
    return runner, list(archived), names[len(archived):]


def _load(kernel: Accord, reader: ArchiveReader, owners: dict[str, Any],
          progress: Progress) -> dict[str, int]:
    database: Any = kernel.database
    engine = engine_of(database)
    entries: dict[str, dict[str, Any]] = {t: e for o in owners.values()
                                          for t, e in o["tables"].items()}
    models = known_models(kernel)
    present = set(user_tables(database))
    infos: dict[str, TableInfo] = {}
    for table, entry in entries.items():
        if table not in present:
            raise AccordError(f"table {table} of the archive is not created by the "
                              "migrations installed here")
        infos[table] = table_info(database, table, models.get(table))
        have = {c.name for c in infos[table].columns}
        lost = [c[0] for c in entry["columns"] if c[0] not in have]
        if lost:
            raise AccordError(f"table {table} here has no column {lost[0]}; the archive "
                              "needs it")
    try:
        order, deferred = insert_order(infos)
    except ValueError as exc:
        raise AccordError(f"cannot order the tables for inserting: {exc}") from None
    for table in reversed(order):  # what the migrations seeded
        database.execute_sql(f'DELETE FROM "{table}"')
    progress.start(sum(e["rows"] for e in entries.values()))
    for table in order:
        _insert(database, engine, reader, table, entries[table], infos[table],
                deferred.get(table, []), progress)
    floors = {t: max(int(e.get("counter") or 0), _highest_id(database, infos[t]))
              for t, e in entries.items()}
    ids.keep_counters(database, floors)
    for table in order:
        _verify(database, table, entries[table])
    return {t: int(e["rows"]) for t, e in entries.items()}


def _insert(database: Any, engine: str, reader: ArchiveReader, table: str,
            entry: dict[str, Any], info: TableInfo, later: list[str],
            progress: Progress) -> None:
    columns = [Column.from_list(c) for c in entry["columns"]]
    names = [c.name for c in columns]
    kinds = {c.name: c.kind for c in info.columns}
    decoders = [decoder(kinds[c.name], engine) for c in columns]
    target = peewee.Table(table).bind(database)
    fields = [peewee.Column(target, n) for n in names]
    keys = list(entry.get("primary_key") or info.primary_key)
    held = [names.index(c) for c in later if c in names]
    at = [names.index(k) for k in keys]
    size = max(1, min(BATCH, 30000 // max(1, len(names))))
    batch: list[list[Any]] = []
    fills: list[tuple[list[Any], list[Any]]] = []
    for number, values in enumerate(reader.rows(table, entry), start=1):
        try:
            row = [None if v is None else dec(v) for dec, v in zip(decoders, values)]
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise ArchiveError(f"table {table}, row {number}: {exc}") from None
        if held:
            kept = [row[i] for i in held]
            if any(v is not None for v in kept):
                fills.append(([row[i] for i in at], kept))
                for i in held:
                    row[i] = None
        batch.append(row)
        if len(batch) == size:
            _insert_batch(target, fields, batch, table)
            progress.advance(len(batch))
            batch = []
    if batch:
        _insert_batch(target, fields, batch, table)
        progress.advance(len(batch))
    if fills:
        sets = ", ".join(f'"{names[i]}" = {database.param}' for i in held)
        where = " AND ".join(f'"{k}" = {database.param}' for k in keys)
        for key, kept in fills:
            database.execute_sql(f'UPDATE "{table}" SET {sets} WHERE {where}', [*kept, *key])


def _insert_batch(target: Any, fields: list[Any], batch: list[list[Any]], table: str) -> None:
    try:
        target.insert(batch, columns=fields).execute()
    except peewee.DatabaseError as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AccordError(f"table {table}: the rows cannot be inserted ({detail})") from None


def _highest_id(database: Any, info: TableInfo) -> int:
    if list(info.primary_key) != ["id"]:
        return 0
    value = database.execute_sql(f'SELECT MAX("id") FROM "{info.name}"').fetchone()[0]
    return int(value or 0)


def _verify(database: Any, table: str, entry: dict[str, Any]) -> None:
    """Read the table back as the archive typed it: same rows, same checksum."""
    columns = [Column.from_list(c) for c in entry["columns"]]
    encoders = [encoder(c) for c in columns]
    checksum = Checksum()
    for row in read_rows(database, table, columns, entry.get("primary_key") or ()):
        checksum.add(line_of([None if v is None else enc(v) for enc, v in zip(encoders, row)]))
    if checksum.rows != entry["rows"] or checksum.hexdigest() != entry["checksum"]:
        raise AccordError(f"table {table} does not read back as archived "
                          f"({rows(checksum.rows)}, {entry['rows']} archived); nothing was "
                          "restored")


def _drop_everything(database: Any) -> None:
    """Leave the database as empty as it was (the restore began on no table)."""
    with contextlib.suppress(peewee.DatabaseError):
        database.rollback()
    postgres = engine_of(database) == "postgresql"
    if not postgres:  # outside a transaction, so it applies: drop in any order
        database.pragma("foreign_keys", 0)
    try:
        for table in user_tables(database):
            with contextlib.suppress(peewee.DatabaseError):
                database.execute_sql(f'DROP TABLE IF EXISTS "{table}"'
                                     + (" CASCADE" if postgres else ""))
    finally:
        if not postgres:
            database.pragma("foreign_keys", 1)
    left = user_tables(database)
    if left:
        logger.error("restore failed and these tables could not be dropped: %s", left)


def _index_custom_fields(config: Config, plugins: Sequence[Any] | None) -> None:
    """The expression indexes of the indexed custom fields, which no migration makes."""
    from ..kernel import Accord

    with Accord(config, plugins=list(plugins or [])) as kernel, kernel.bound():
        loaded = ["core", *kernel.plugins.plugins]
        types = {rt.name: rt for _, rt in kernel.plugins.collect("register_record_types",
                                                                 only=loaded)}
        present = set(user_tables(kernel.database))
        for type_name, field in _indexed(kernel):
            record_type = types.get(type_name)
            if record_type is not None and record_type.model._meta.table_name in present:
                kernel.fields.create_index(record_type, field)


def _indexed(kernel: Accord) -> Iterator[tuple[str, Any]]:
    from ..models import CustomField

    for row in CustomField.select().where(CustomField.indexed == True):
        yield row.record_type, kernel.fields.get(row.record_type, row.name)
