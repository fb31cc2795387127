"""Import a CSV or XLSX file into any record type, through the bulk services.

``run_import`` reads the file as a stream (``importing_read``), maps its columns to the
type's fields (``importing_map``), converts each cell, resolves references given by
natural key and finds the records ``match`` names, then writes batches of
``BATCH`` rows with ``services.bulk_create`` / ``bulk_update`` (so validation, hooks,
audit entries and outbox rows are exactly those of the API, and hooks run once per
batch). Every bad row is reported with its line, column and message.

All-or-nothing by default: the batches run inside one outer transaction and nothing
is kept when any row is bad. ``partial=True`` commits the good rows batch by batch and
writes the bad ones, with an ``error`` column, to ``rejects``. ``dry_run=True`` does
the whole work, hooks and checks included, and rolls it back.
"""

from __future__ import annotations

import contextlib
import csv
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator, cast

import marshmallow as ma
import peewee

from ..errors import AccordError, ValidationError, flatten_messages
from .authz import permission_for, require, scoped
from .crud import bulk_create, bulk_update
from .importing_map import (CellError, Plan, parse_map, plan_columns,
                            resolve_references)
from .importing_read import FileRefused, ImportFile, open_file

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordType
    from .actors import Actor

__all__ = ["run_import", "ImportResult", "RowError", "FileRefused", "BATCH", "MAX_ERRORS",
           "IMPORT_PERMISSION", "parse_map", "open_file", "plan_columns", "format_error"]

#: Rows written per call of the bulk services (hooks run once per batch).
BATCH = 1000
IMPORT_PERMISSION = "admin.import"
#: Row errors kept in a result (the count goes on).
MAX_ERRORS = 10_000
_ROW_KEY = re.compile(r"^rows\[(\d+)\](?:\.(.+))?$")
_ROW_REF = re.compile(r"\b(?:in )?rows\[(\d+)\]")


@dataclass(frozen=True)
class RowError:
    """What is wrong with one cell (or a whole row: ``column`` empty) of the file."""

    line: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


def format_error(error: RowError) -> str:
    """``line 14, column "Email": not a valid email address``."""
    where = f'line {error.line}, column "{error.column}"' if error.column else \
        f"line {error.line}"
    return f"{where}: {error.message}"


@dataclass
class ImportResult:
    """What an import did (or, for a dry run or a refused file, would have done)."""

    record_type: str
    file_name: str
    total: int = 0
    processed: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    partial: bool = False
    #: Nothing was written because of bad rows (all-or-nothing).
    refused: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"record_type": self.record_type, "file_name": self.file_name,
                "total": self.total, "processed": self.processed, "created": self.created,
                "updated": self.updated, "rejected": self.rejected,
                "dry_run": self.dry_run, "refused": self.refused,
                "errors": [e.as_dict() for e in self.errors]}


class _Rollback(Exception):
    """Leaves the outer transaction without keeping anything."""


@dataclass
class _Row:
    line: int
    cells: list[Any]
    data: dict[str, Any]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)
    target: int | None = None


def run_import(kernel: Accord, type_name: str, source: Any, *, actor: Actor,
               file_name: str | None = None, mapping: dict[str, str] | None = None,
               match: str | None = None, partial: bool = False, dry_run: bool = False,
               sheet: str | None = None, rejects: IO[str] | None = None,
               progress: Callable[[int, int], None] | None = None,
               batch: int = BATCH) -> ImportResult:
    """Import ``source`` (a path or the bytes of an upload) into ``type_name``.

    ``mapping``: header -> field overrides ("" skips the column). ``match``: a field
    (``email``, a custom field such as ``x_external_id``, any unique field) whose value
    finds the record a row updates; rows whose value matches none are created.
    ``progress(processed, total)`` is called after each batch. FileRefused (nothing
    written) for a file that cannot be imported at all; PermissionDenied without
    ``admin.import`` and the type's write permission."""
    record_type = kernel.records.get(type_name)
    require(actor, IMPORT_PERMISSION)
    require(actor, permission_for(record_type, "write"))
    if record_type.written_by:
        raise FileRefused(f"{record_type.name} records are written by the "
                          f"{' or '.join(record_type.written_by)} action only; they cannot "
                          "be imported")
    opened = open_file(source, name=file_name, sheet=sheet)
    plan = plan_columns(kernel, record_type, opened.headers, mapping)
    if opened.total == 0:
        raise FileRefused(f"{opened.name} has a header but no rows")
    matcher = _matcher(kernel, record_type, match) if match else None
    result = ImportResult(record_type.name, opened.name, total=opened.total,
                          dry_run=dry_run, partial=partial)
    writer = None
    if rejects is not None:
        writer = csv.writer(rejects)
        writer.writerow(list(opened.headers) + ["error"])
    job = _Job(kernel, record_type, plan, actor, matcher, result, writer, partial)
    outer = contextlib.nullcontext() if partial and not dry_run else kernel.transaction()
    try:
        with outer:
            for rows in _batches(opened, plan, batch):
                if partial and not dry_run:
                    with kernel.transaction():
                        job.batch(rows)
                else:
                    job.batch(rows)
                if progress is not None:
                    progress(result.processed, result.total)
            if dry_run or (result.rejected and not partial):
                raise _Rollback()
    except _Rollback:
        pass
    result.refused = bool(result.rejected) and not partial
    if result.refused and not dry_run:  # nothing was kept
        result.created = result.updated = 0
    return result


def _batches(opened: ImportFile, plan: Plan, size: int) -> Iterator[list[_Row]]:
    rows: list[_Row] = []
    for line, cells in opened.rows():
        rows.append(_convert(plan, line, cells))
        if len(rows) >= size:
            yield rows
            rows = []
    if rows:
        yield rows


def _convert(plan: Plan, line: int, cells: list[Any]) -> _Row:
    row = _Row(line, cells, {})
    width = len(plan.columns)
    if len(cells) > width and any(c is not None and str(c).strip() for c in cells[width:]):
        row.errors.append(("", f"the row has {len(cells)} cells but the header names "
                               f"{width} columns"))
    for column in plan.columns:
        if column.field is None:
            continue
        value = cells[column.index] if column.index < len(cells) else None
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("="):
                shown = value if len(value) <= 40 else value[:37] + "..."
                row.errors.append((column.header, f"a formula ({shown}) is not a value; "
                                   "give the value itself"))
                continue
        if value is None or value == "":
            continue
        if column.reference is not None and not column.is_list:
            row.data[column.field] = str(value).strip() if not isinstance(value, float) \
                else str(int(value)) if value.is_integer() else str(value)
            continue
        if column.currency is not None and column.currency < len(cells):
            currency = cells[column.currency]
            if currency is not None and str(currency).strip():
                amount = str(Decimal(repr(value))) if isinstance(value, float) else value
                value = f"{amount} {str(currency).strip()}"
        try:
            row.data[column.field] = column.convert(value)
        except CellError as exc:
            row.errors.append((column.header, str(exc)))
    return row


class _Matcher:
    """Finds the stored records a batch's rows name by the ``match`` field."""

    def __init__(self, field: str, key: Any, lower: bool) -> None:
        self.field, self.key, self.lower = field, key, lower

    def value(self, row: _Row) -> Any:
        value = row.data.get(self.field)
        if isinstance(value, str) and self.lower:
            return value.casefold()
        return value


def _matcher(kernel: Accord, record_type: RecordType, name: str) -> _Matcher:
    from ..customfields import json_value_expr

    model = record_type.model
    field = name.strip()
    aliases = {"external id": "x_external_id", "external_id": "x_external_id"}
    field = aliases.get(field.casefold(), field)
    definition = kernel.fields.of(record_type.name).get(field)
    if definition is not None:
        return _Matcher(field, json_value_expr(kernel.database, model, definition), False)
    column = model._meta.fields.get(field)
    schema_fields = kernel.schema(record_type).fields
    if column is None or field not in schema_fields or isinstance(
            column, peewee.ForeignKeyField):
        known = sorted(n for n in schema_fields if n in model._meta.fields
                       and not schema_fields[n].dump_only
                       and not isinstance(model._meta.fields[n], peewee.ForeignKeyField))
        known += sorted(kernel.fields.of(record_type.name))
        raise FileRefused(f"--match {name!r} is not a field of {record_type.name} "
                          f"(match on one of: {', '.join(known)})")
    lower = field == "email" or isinstance(schema_fields[field], ma.fields.Email)
    key: Any = peewee.fn.LOWER(column) if lower else column
    return _Matcher(field, key, lower)


@dataclass
class _Job:
    kernel: Accord
    record_type: RecordType
    plan: Plan
    actor: Actor
    matcher: _Matcher | None
    result: ImportResult
    rejects: Any
    partial: bool
    #: match value -> the line that first gave it (a value twice in a file is an error).
    seen: dict[Any, int] = field(default_factory=dict)

    def batch(self, rows: list[_Row]) -> None:
        self._references(rows)
        if self.matcher is not None:
            self._match(rows)
        for row in rows:
            if row.errors:
                self._more_errors(row)
        good = [r for r in rows if not r.errors]
        creates = [r for r in good if r.target is None]
        updates = [r for r in good if r.target is not None]
        self._write(creates, lambda items: bulk_create(
            self.kernel, self.record_type.name, [r.data for r in items], actor=self.actor))
        self._write(updates, lambda items: bulk_update(
            self.kernel, self.record_type.name, [(cast(int, r.target), r.data) for r in items],
            actor=self.actor))
        result = self.result
        for row in rows:
            result.processed += 1
            if row.errors:
                result.rejected += 1
                self._report(row)
            elif row.target is None:
                result.created += 1
            else:
                result.updated += 1

    def _report(self, row: _Row) -> None:
        errors = self.result.errors
        for column, message in row.errors:
            if len(errors) < MAX_ERRORS:
                errors.append(RowError(row.line, column, _plain(message)))
        if self.rejects is not None:
            text = "; ".join(f'column "{c}": {_plain(m)}' if c else _plain(m)
                             for c, m in row.errors)
            width = len(self.plan.columns)
            cells = ["" if v is None else v for v in row.cells[:width]]
            cells += [""] * (width - len(cells))
            self.rejects.writerow(cells + [text])

    # References and matches ------------------------------------------------

    def _references(self, rows: list[_Row]) -> None:
        for column in self.plan.columns:
            if column.reference is None or column.field is None:
                continue
            name = column.field
            wanted: set[str] = set()
            for row in rows:
                value = row.data.get(name)
                if value is None:
                    continue
                wanted.update(value if isinstance(value, list) else [value])
            wanted = {str(v) for v in wanted}
            if not wanted:
                continue
            resolved = resolve_references(self.kernel, column.reference, wanted, self.actor)
            for row in rows:
                value = row.data.get(name)
                if value is None:
                    continue
                values = value if isinstance(value, list) else [value]
                ids = []
                for item in values:
                    found = resolved[str(item)]
                    if isinstance(found, str):
                        row.errors.append((column.header, found))
                    else:
                        ids.append(found)
                row.data[name] = ids if isinstance(value, list) else (ids[0] if ids else None)

    def _match(self, rows: list[_Row]) -> None:
        matcher = self.matcher
        assert matcher is not None
        header = self.plan.header_of(matcher.field)
        values: dict[Any, list[_Row]] = {}
        for row in rows:
            value = matcher.value(row)
            if value is None or row.errors:
                continue
            first = self.seen.get(value)
            if first is not None:
                row.errors.append((header, f"{row.data[matcher.field]!r} is also on line "
                                   f"{first}; a record is matched once per file"))
                continue
            self.seen[value] = row.line
            values.setdefault(value, []).append(row)
        if not values:
            return
        model = self.record_type.model
        found: dict[Any, list[int]] = {}
        keys = list(values)
        for start in range(0, len(keys), 500):
            query = model.select(model.id, matcher.key.alias("k")).where(
                matcher.key.in_(keys[start:start + 500]))
            query = scoped(query, self.record_type, self.actor)
            for rid, key in query.tuples():
                found.setdefault(key, []).append(rid)
        for value, matched in values.items():
            ids = found.get(value, [])
            for row in matched:
                if len(ids) == 1:
                    row.target = ids[0]
                elif len(ids) > 1:
                    row.errors.append((header, f"{row.data[matcher.field]!r} matches "
                                       f"{len(ids)} {self.record_type.plural} "
                                       f"({', '.join(map(str, sorted(ids)[:5]))})"))

    # Writing ---------------------------------------------------------------

    def _write(self, rows: list[_Row], write: Callable[[list[_Row]], Any]) -> None:
        """Write ``rows``; a row the services refuse gets its errors and the rest is
        written again, in a savepoint each time, until every row left is written."""
        pending = list(rows)
        checked = False
        while pending:
            try:
                with self.kernel.transaction():
                    write(pending)
                return
            except ValidationError as exc:
                if not checked:
                    checked = True
                    if self._schema_errors(pending):
                        pending = [r for r in pending if not r.errors]
                        continue
                placed = self._place(pending, exc)
                if not placed:
                    self._one_by_one(pending, write)
                    return
                pending = [r for r in pending if not r.errors]
            except (AccordError, peewee.IntegrityError, peewee.DataError):
                self._one_by_one(pending, write)
                return

    def _schema_errors(self, rows: list[_Row]) -> bool:
        """Load each row with the schema, as the services will; True if any is bad."""
        schema = self.kernel.schema(self.record_type)
        bad = False
        for row in rows:
            try:
                schema.load(row.data, partial=row.target is not None)
            except ma.ValidationError as exc:
                bad = True
                for name, messages in flatten_messages(exc.messages).items():
                    self._add(row, name, messages)
        return bad

    def _more_errors(self, row: _Row) -> None:
        """The schema's errors of a row already refused for some cells, on its other
        cells, so that one pass names all that is wrong with it."""
        failed = {column for column, _ in row.errors}
        try:
            self.kernel.schema(self.record_type).load(row.data,
                                                      partial=row.target is not None)
        except ma.ValidationError as exc:
            for name, messages in flatten_messages(exc.messages).items():
                if self.plan.header_of(name.split(".", 1)[0]) not in failed:
                    self._add(row, name, messages)

    def _place(self, rows: list[_Row], exc: ValidationError) -> bool:
        """Give each row its errors from a bulk error; False if one is not placed at a
        row (the summary of more bad rows, a veto of the whole batch)."""
        messages = exc.flat()
        if any(not _ROW_KEY.match(k) for k in messages):
            return False
        for key, texts in messages.items():
            match = _ROW_KEY.match(key)
            assert match is not None
            index = int(match.group(1))
            if index >= len(rows):
                return False
            self._add(rows[index], match.group(2) or "_schema", texts, rows)
        return True

    def _one_by_one(self, rows: list[_Row], write: Callable[[list[_Row]], Any]) -> None:
        for row in rows:
            try:
                with self.kernel.transaction():
                    write([row])
            except ValidationError as exc:
                for key, texts in exc.flat().items():
                    match = _ROW_KEY.match(key)
                    self._add(row, (match.group(2) or "_schema") if match else key, texts)
            except AccordError as exc:
                row.errors.append(("", str(exc)))
            except (peewee.IntegrityError, peewee.DataError) as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                row.errors.append(("", f"the database refused the row ({first})"))

    def _add(self, row: _Row, name: str, messages: list[str],
             batch: list[_Row] | None = None) -> None:
        field_name = name.split(".", 1)[0]
        header = "" if field_name == "_schema" else self.plan.header_of(field_name)
        for message in messages:
            if batch is not None:  # "(also in rows[0])" names the line
                message = _ROW_REF.sub(
                    lambda m: f"on line {batch[int(m.group(1))].line}"
                    if int(m.group(1)) < len(batch) else m.group(0), message)
            row.errors.append((header, message))


def _plain(message: str) -> str:
    """``Not a valid email address.`` as ``not a valid email address``."""
    text = message.strip()
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1]
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text
