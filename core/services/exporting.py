"""Exports of any record type's list as CSV or XLSX, for every face (the API, the CLI,
the list pages).

An export is the list's own query (``accord.services.lists.list_page``: filters,
``q``, sort, the reader's permission, record rule and masking) read page by page
through its keyset cursor, so memory stays that of one page whatever the count. Its
header is the field names the API uses (a money field as ``amount`` and
``amount_currency``), so ``accord import`` reads the file back unchanged; dates are ISO
text. A CSV cell a spreadsheet would run as a formula gets a leading quote; an XLSX
cell is written as text (never a formula), so it keeps its exact value.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, TYPE_CHECKING, Any, Iterator


from ..errors import BadQuery, ValidationError
from .importing_map import LIST_SEPARATOR
from .lists import MAX_FIELDS, column_fields, list_page
from .paging import MAX_LIMIT

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordType
    from .actors import Actor

__all__ = ["Export", "ExportColumn", "FORMATS", "MEDIA_TYPES", "prepare", "csv_cell", "csv_lines",
           "write_csv", "write_xlsx", "xlsx_chunks", "export_to_file", "format_of",
           "export_columns", "writable_keys"]

#: The formats an export is written in, by the name faces take (``--format``, ``?format=``).
FORMATS = ("csv", "xlsx")
#: The media type of each format.
MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: What a spreadsheet would run as a formula when a cell starts with it.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
#: Bytes read at a time when an XLSX file is streamed out.
_CHUNK = 64 * 1024
#: Characters XML 1.0, and so a workbook, cannot hold (openpyxl refuses them).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: The sheet's name (Excel allows 31 characters).
_SHEET = 31


@dataclass(frozen=True)
class ExportColumn:
    """A field of the export: its API name, and whether it is money (two columns)."""

    key: str
    money: bool = False

    @property
    def header(self) -> list[str]:
        return [self.key, f"{self.key}_currency"] if self.money else [self.key]


@dataclass
class Export:
    """One export ready to be written: its header, and its rows read page by page."""

    kernel: Accord
    record_type: RecordType
    actor: Actor
    columns: list[ExportColumn]
    filters: dict[str, Any]
    q: str | None
    sort: list[str]
    first: dict[str, Any] = field(repr=False)

    @property
    def header(self) -> list[str]:
        return [name for column in self.columns for name in column.header]

    def items(self) -> Iterator[dict[str, Any]]:
        """The dumped records, one page of the list in memory at a time."""
        page = self.first
        while True:
            yield from page["items"]
            if not page["next_cursor"]:
                return
            page = self._page(page["next_cursor"])

    def rows(self) -> Iterator[list[Any]]:
        """Each record as the values of ``header`` (money split, lists joined)."""
        for item in self.items():
            yield [v for c in self.columns for v in _values(item, c)]

    def _page(self, cursor: str | None) -> dict[str, Any]:
        return list_page(self.kernel, self.record_type, actor=self.actor,
                         filters=self.filters, sort=self.sort, q=self.q, cursor=cursor,
                         limit=MAX_LIMIT)


def export_columns(kernel: Accord, record_type: RecordType) -> list[ExportColumn]:
    """Every field a list of the type shows, custom fields included, in the schema's
    order (embedded objects and lists of them left out)."""
    return [ExportColumn(key, key in record_type.money_fields)
            for key, _ in column_fields(kernel, record_type)]


def writable_keys(kernel: Accord, record_type: RecordType) -> set[str]:
    """The fields a write of the type takes (and so ``accord import`` reads): not the
    computed ones, the timestamps or those only the type's own actions set."""
    schema = kernel.schema(record_type)
    owned = set(record_type.verb_field_map) if not record_type.written_by else set()
    return {f.data_key or n for n, f in schema.load_fields.items()} - owned


def prepare(kernel: Accord, record_type: RecordType | str, *, actor: Actor,
            filters: dict[str, Any] | None = None, q: str | None = None,
            sort: list[str] | str | None = None,
            fields: list[str] | str | None = None, with_id: bool = False) -> Export:
    """An export of the list these parameters give, its first page read: a bad
    parameter is a ``BadQuery`` naming it (as the list's), a missing permission
    ``PermissionDenied``, both before anything is written.

    The columns are ``fields``, by default every field a write takes (custom fields
    included; not the id, the timestamps or computed values), so that ``accord
    import`` reads the file back as it is; ``with_id`` (or ``id`` among ``fields``)
    puts the id first."""
    rt = kernel.records.get(record_type) if isinstance(record_type, str) else record_type
    available = {c.key: c for c in export_columns(kernel, rt)}
    wanted = _names(fields)
    with_id = with_id or "id" in wanted
    wanted = [name for name in wanted if name != "id"]
    if len(wanted) > MAX_FIELDS:
        raise BadQuery("too many fields in ?fields=", {"fields": [
            f"{len(wanted)} names; ?fields= takes at most {MAX_FIELDS}"]})
    unknown = [f for f in wanted if f not in available]
    if unknown:
        raise BadQuery("unknown fields in ?fields=",
                       {"fields": [f"{rt.name} has no field {f!r}" for f in unknown]})
    if wanted:
        columns = [available[k] for k in wanted]
    else:
        writable = writable_keys(kernel, rt)
        columns = [c for c in available.values() if c.key in writable]
    if with_id:
        columns.insert(0, ExportColumn("id"))
    sort_keys = _names(sort)
    export = Export(kernel, rt, actor, columns, dict(filters or {}), q or None, sort_keys,
                    first={})
    export.first = export._page(None)
    return export


def _names(raw: list[str] | str | None) -> list[str]:
    """Comma-separated names (or a list of such), each once."""
    parts = [raw] if isinstance(raw, str) else list(raw or [])
    names = [n.strip() for part in parts for n in part.split(",") if n.strip()]
    return list(dict.fromkeys(names))


def _values(item: dict[str, Any], column: ExportColumn) -> list[Any]:
    value = item.get(column.key)
    if column.money:
        if isinstance(value, dict):
            return [value.get("amount"), value.get("currency")]
        return [None, None]
    if isinstance(value, list):
        # One cell, its items apart as ``accord import`` reads them back.
        return [f"{LIST_SEPARATOR} ".join(str(v) for v in value)]
    if isinstance(value, dict):
        return [str(value)]
    return [value]


# CSV ------------------------------------------------------------------------------------

def csv_cell(value: Any) -> str:
    """A text value as a CSV cell a spreadsheet will not run: a cell starting with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading quote."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value  # a number of the database: not a formula
    return csv_cell(value)


def csv_lines(export: Export) -> Iterator[str]:
    """The export as CSV text, one line at a time (header first)."""
    out = io.StringIO()
    writer = csv.writer(out)

    def line(values: list[Any]) -> str:
        out.seek(0)
        out.truncate()
        writer.writerow(values)
        return out.getvalue()

    yield line(export.header)
    for row in export.rows():
        yield line([_csv_value(v) for v in row])


def write_csv(export: Export, out: IO[str]) -> int:
    """Write the export to a text file; returns the count of records written."""
    count = -1
    for count, text in enumerate(csv_lines(export)):
        out.write(text)
    return count


# XLSX -----------------------------------------------------------------------------------

def write_xlsx(export: Export, out: IO[bytes]) -> int:
    """Write the export as an XLSX workbook (openpyxl's write-only mode: rows go to
    disk as they come); returns the count of records written."""
    from openpyxl import Workbook  # type: ignore[import-untyped,unused-ignore]
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped,unused-ignore]

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=export.record_type.name[:_SHEET])
    sheet.append(export.header)
    # A money amount is a number (its currency fixes its decimals); another decimal
    # stays text, or 12.50 would come back as 12.5.
    numeric = [n for c in export.columns for n in ((True, False) if c.money else (False,))]
    count = 0
    for row in export.rows():
        cells = []
        for value, number in zip(row, numeric):
            cell = WriteOnlyCell(sheet, value=_xlsx_value(value, number))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with
            cells.append(cell)
        sheet.append(cells)
        count += 1
    book.save(out)
    return count


def _xlsx_value(value: Any, number: bool) -> Any:
    """Numbers stay numbers (a money amount too), the rest is text as the API gives it,
    but for the control characters a workbook cannot hold (each becomes U+FFFD)."""
    if value is None or isinstance(value, (bool, int, float, Decimal)):
        return value
    if number:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            pass
    return _CONTROL.sub("\ufffd", str(value))


def xlsx_chunks(export: Export) -> Iterator[bytes]:
    """The XLSX workbook as bytes to stream: built in a temporary file, then read out
    in chunks (an XLSX is a zip: its end is written last)."""
    with tempfile.TemporaryFile() as spool:
        write_xlsx(export, spool)
        spool.seek(0)
        while True:
            chunk = spool.read(_CHUNK)
            if not chunk:
                return
            yield chunk


# Files ----------------------------------------------------------------------------------

def format_of(path: str, given: str | None = None) -> str:
    """The format asked for, else the one the file name ends with."""
    suffix = os.path.splitext(path)[1].lstrip(".")
    fmt = (given or suffix).lower()
    if fmt not in FORMATS:
        raise ValidationError({"format": [
            f"{fmt or path!r} is not a format an export is written in; use "
            + " or ".join(FORMATS) + " (or a file name ending .csv or .xlsx)"]})
    return fmt


def export_to_file(export: Export, path: str, fmt: str) -> int:
    """Write the export to ``path``; returns the count of records written."""
    if fmt == "xlsx":
        with open(path, "wb") as binary:
            return write_xlsx(export, binary)
    with open(path, "w", newline="", encoding="utf-8") as text:
        return write_csv(export, text)
