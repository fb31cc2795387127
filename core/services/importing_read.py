"""Reading an import file, CSV or XLSX, as a stream of rows with their line numbers.

A CSV file is UTF-8 (a byte-order mark is skipped) with its delimiter sniffed among
comma, semicolon and tab; an XLSX workbook is read with openpyxl in read-only mode,
its first sheet or the one named. Either way the rows are read one at a time (no row
cap, constant memory); a first pass counts them (the progress bar's total) and finds
a file that cannot be read before anything is written.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from typing import IO, Any, Iterator

from ..errors import ValidationError

__all__ = ["ImportFile", "open_file", "FileRefused", "MAX_CELL"]

#: The longest cell read, in characters (csv's own limit is 131,072).
MAX_CELL = 100_000
_DELIMITERS = (",", ";", "\t")
_XLSX_MAGIC = b"PK\x03\x04"


class FileRefused(ValidationError):
    """A file that cannot be imported at all (unreadable, no header, no rows): nothing
    is written. ``messages`` hold ``{"file": [why]}``."""

    def __init__(self, message: str) -> None:
        super().__init__({"file": [message]})
        self.reason = message

    def __str__(self) -> str:
        return self.reason


@dataclass
class ImportFile:
    """An opened import file: its header and a way to read its rows again."""

    name: str
    kind: str  # csv | xlsx
    headers: list[str]
    total: int
    _source: Any = field(repr=False, default=None)
    delimiter: str = ","
    sheet: str | None = None

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """``(line, cells)`` for each data row; ``line`` counts the header as 1 (for
        CSV, the physical line the row starts on). Blank rows are skipped."""
        if self.kind == "csv":
            yield from _csv_rows(self._source, self.delimiter)
        else:
            yield from _xlsx_rows(self._source, self.sheet)


def open_file(source: str | bytes | os.PathLike[str], *, name: str | None = None,
              sheet: str | None = None) -> ImportFile:
    """Open a path or the bytes of an upload. FileRefused says why it cannot be read."""
    if isinstance(source, bytes):
        data: bytes | str = source
        name = name or "upload"
        head = source[:4]
    else:
        path = os.fspath(source)
        name = name or os.path.basename(path)
        try:
            with open(path, "rb") as handle:
                head = handle.read(4)
        except OSError as exc:
            raise FileRefused(f"cannot read {path}: {exc.strerror}") from None
        data = path
    if head == _XLSX_MAGIC or name.lower().endswith((".xlsx", ".xlsm")):
        return _open_xlsx(data, name, sheet)
    if sheet is not None:
        raise FileRefused(f"--sheet applies to XLSX workbooks; {name} is a CSV file")
    return _open_csv(data, name)


# CSV -----------------------------------------------------------------------

def _text(data: bytes | str) -> IO[str]:
    raw: IO[bytes] = io.BytesIO(data) if isinstance(data, bytes) else open(data, "rb")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")


def _open_csv(data: bytes | str, name: str) -> ImportFile:
    csv.field_size_limit(MAX_CELL)
    try:
        with _text(data) as handle:
            sample = handle.read(64 * 1024)
    except UnicodeDecodeError as exc:
        raise FileRefused(_not_utf8(exc, name)) from None
    if not sample.strip():
        raise FileRefused(f"{name} is empty")
    delimiter = _sniff(sample)
    total = 0
    headers: list[str] | None = None
    try:
        with _text(data) as handle:
            for _, cells in _csv_lines(handle, delimiter):
                if headers is None:
                    headers = cells
                else:
                    total += 1
    except UnicodeDecodeError as exc:
        raise FileRefused(_not_utf8(exc, name)) from None
    except csv.Error as exc:
        raise FileRefused(_csv_problem(exc, name)) from None
    if headers is None:
        raise FileRefused(f"{name} is empty")
    return ImportFile(name, "csv", _headers(headers, name), total, data, delimiter)


def _sniff(sample: str) -> str:
    """The delimiter: the only one of , ; tab the header line holds, else what
    csv.Sniffer finds in the sample, else the commonest. A header holding none names one
    column: then one the sample does not hold (a comma when it holds all three), so that
    a cell's unquoted comma (a file written with semicolons) splits no row."""
    first = next((line for line in sample.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in _DELIMITERS}
    present = [d for d, n in counts.items() if n]
    if not present:
        return next((d for d in _DELIMITERS if d not in sample), ",")
    if len(present) == 1:  # one kind of delimiter
        return present[0]
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(_DELIMITERS)).delimiter
    except csv.Error:
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _csv_lines(handle: IO[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(handle, delimiter=delimiter)
    last = 0
    for cells in reader:
        start, last = last + 1, reader.line_num
        if any(c.strip() for c in cells):
            yield start, cells


def _csv_rows(data: bytes | str, delimiter: str) -> Iterator[tuple[int, list[Any]]]:
    csv.field_size_limit(MAX_CELL)
    with _text(data) as handle:
        lines = _csv_lines(handle, delimiter)
        next(lines, None)  # the header
        yield from lines


def _not_utf8(exc: UnicodeDecodeError, name: str) -> str:
    return (f"{name} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} cannot be "
            "read); save it as 'CSV UTF-8' and import it again")


def _csv_problem(exc: csv.Error, name: str) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"{name} has a cell longer than {MAX_CELL:,} characters"
    return f"{name} is not a readable CSV file: {text}"


# XLSX ----------------------------------------------------------------------

def _workbook(data: bytes | str, name: str) -> Any:
    import zipfile

    import openpyxl  # type: ignore[import-untyped]

    try:
        return openpyxl.load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data,
                                      read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRefused(f"{name} is not a readable XLSX workbook ({exc})") from None


def _sheet(book: Any, sheet: str | None, name: str) -> Any:
    if sheet is None:
        return book.worksheets[0]
    if sheet not in book.sheetnames:
        raise FileRefused(f"{name} has no sheet {sheet!r} (it has: "
                          f"{', '.join(book.sheetnames)})")
    return book[sheet]


def _open_xlsx(data: bytes | str, name: str, sheet: str | None) -> ImportFile:
    book = _workbook(data, name)
    try:
        headers: list[str] | None = None
        total = 0
        for _, cells in _sheet_rows(_sheet(book, sheet, name)):
            if headers is None:
                headers = ["" if c is None else str(c) for c in cells]
            else:
                total += 1
    finally:
        book.close()
    if headers is None:
        raise FileRefused(f"{name} is empty")
    return ImportFile(name, "xlsx", _headers(headers, name), total, data, sheet=sheet)


def _sheet_rows(ws: Any) -> Iterator[tuple[int, list[Any]]]:
    for line, row in enumerate(ws.iter_rows(values_only=True), start=1):
        cells = list(row)
        if any(c is not None and str(c).strip() for c in cells):
            yield line, cells


def _xlsx_rows(data: bytes | str, sheet: str | None) -> Iterator[tuple[int, list[Any]]]:
    book = _workbook(data, "the workbook")
    try:
        rows = _sheet_rows(_sheet(book, sheet, "the workbook"))
        next(rows, None)
        yield from rows
    finally:
        book.close()


# Headers -------------------------------------------------------------------

def _headers(cells: list[str], name: str) -> list[str]:
    headers = [c.strip() for c in cells]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise FileRefused(f"{name} has no header row")
    for index, header in enumerate(headers):
        if not header:
            raise FileRefused(f"column {index + 1} of {name} has no header")
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = header.casefold()
        if key in seen:
            raise FileRefused(f"column {header!r} appears twice (columns {seen[key] + 1} "
                              f"and {index + 1})")
        seen[key] = index
    return headers
