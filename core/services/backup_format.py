"""The backup archive: a zip holding ``manifest.json`` and one gzipped JSON-lines file
per table, with values typed so they come back identical on either engine.

A line is a JSON array of one row's values in the order of the table's ``columns``
in the manifest; each column names its kind (``int``, ``bool``, ``decimal``,
``float``, ``text``, ``datetime``, ``datetimetz``, ``date``, ``time``, ``json``,
``bytes``), which says how its values are written:

- decimal: a string with the column's scale (``"12.5000"``), never a float;
- datetime: ISO 8601 as stored (Accord stores UTC without zone), datetimetz: ISO
  8601 in UTC with its offset; date and time: ISO 8601;
- json: the document itself; bytes: base64; SQL NULL: ``null``.

Each table's checksum is ``sha256:`` and the sum (mod 2**256) of the SHA-256 of its
lines: the order of the rows does not change it (text keys sort differently on the
two engines), a changed, missing or repeated row does.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Sequence

from ..errors import AccordError

__all__ = ["FORMAT", "FORMAT_VERSION", "MANIFEST", "Column", "ArchiveError", "ArchiveWriter",
           "ArchiveReader", "encoder", "decoder", "Checksum", "dump_json"]

#: What ``manifest.json`` says the file is.
FORMAT = "accord-backup"
#: The version of the layout this code writes; it reads this one and those before.
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class ArchiveError(AccordError):
    """The archive cannot be read or does not hold what its manifest says (CLI: exit 1)."""


@dataclass(frozen=True)
class Column:
    """One column of a table as the archive describes it."""

    name: str
    kind: str
    #: Digits after the point (decimal columns whose type says it), else None.
    scale: int | None = None

    def as_list(self) -> list[Any]:
        return [self.name, self.kind, self.scale]

    @classmethod
    def from_list(cls, raw: Sequence[Any]) -> Column:
        name, kind, scale = raw
        if kind not in KINDS:
            raise ArchiveError(f"column {name}: unknown kind {kind!r}")
        return cls(str(name), str(kind), None if scale is None else int(scale))


def dump_json(value: Any) -> str:
    """A JSON document as Accord's JSONField writes it (compact, keys sorted)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


# Encoding: a stored value (as either engine's driver returns it) -> its archive form.

def _datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def _enc_datetime(value: Any) -> str:
    when = _datetime(value)
    if when.tzinfo is not None:
        return when.astimezone(dt.timezone.utc).isoformat()
    return when.isoformat()


def _enc_datetimetz(value: Any) -> str:
    when = _datetime(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc).isoformat()


def _enc_date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        return dt.datetime.fromisoformat(text).date().isoformat()


def _enc_time(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.time) else dt.time.fromisoformat(
        str(value)).isoformat()


def _enc_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):  # a JSON column read back as text's kind
        return dump_json(value)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode("utf-8")
    return str(value)


def _enc_json(value: Any) -> Any:
    if isinstance(value, (str, bytes)):
        return json.loads(value)
    return value


def _enc_bytes(value: Any) -> str:
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return base64.b64encode(raw).decode("ascii")


def _enc_decimal(scale: int | None) -> Callable[[Any], str]:
    step = None if scale is None else Decimal(1).scaleb(-scale)

    def encode(value: Any) -> str:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        if step is not None:
            number = number.quantize(step)
        return format(number, "f")

    return encode


_ENCODERS: dict[str, Callable[[Any], Any]] = {
    "int": int, "bool": bool, "float": float, "text": _enc_text, "json": _enc_json,
    "datetime": _enc_datetime, "datetimetz": _enc_datetimetz, "date": _enc_date,
    "time": _enc_time, "bytes": _enc_bytes,
}
KINDS = frozenset({*_ENCODERS, "decimal"})


def encoder(column: Column) -> Callable[[Any], Any]:
    """The function turning a value of ``column`` (NULL aside) into its archive form."""
    if column.kind == "decimal":
        return _enc_decimal(column.scale)
    return _ENCODERS[column.kind]


# Decoding: an archive value -> the parameter to insert into a column of ``kind`` on
# the target engine (``sqlite`` or ``postgresql``).

def _dec_datetime(value: Any, sqlite: bool) -> Any:
    when = dt.datetime.fromisoformat(str(value))
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    # The text sqlite3 writes for a datetime, as Accord's models store it.
    return when.isoformat(" ") if sqlite else when


def _dec_datetimetz(value: Any, sqlite: bool) -> Any:
    when = dt.datetime.fromisoformat(str(value))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.isoformat(" ") if sqlite else when


def _dec_date(value: Any, sqlite: bool) -> Any:
    day = dt.date.fromisoformat(str(value)[:10])
    return day.isoformat() if sqlite else day


def _dec_json(value: Any, sqlite: bool) -> Any:
    # A text value comes from a column read as text (a JSON column of a plugin whose
    # code was not there to say so): it is the document's text already.
    return value if isinstance(value, str) else dump_json(value)


def _dec_text(value: Any, sqlite: bool) -> Any:
    return value if isinstance(value, str) else dump_json(value)


def _dec_decimal(value: Any, sqlite: bool) -> Any:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a decimal: {value!r}") from None
    return str(number) if sqlite else number


def _dec_bool(value: Any, sqlite: bool) -> Any:
    return int(bool(value)) if sqlite else bool(value)


_DECODERS: dict[str, Callable[[Any, bool], Any]] = {
    "int": lambda v, s: int(v), "bool": _dec_bool, "float": lambda v, s: float(v),
    "text": _dec_text, "json": _dec_json, "datetime": _dec_datetime,
    "datetimetz": _dec_datetimetz, "date": _dec_date, "decimal": _dec_decimal,
    "time": lambda v, s: dt.time.fromisoformat(str(v)).isoformat() if s else
    dt.time.fromisoformat(str(v)),
    "bytes": lambda v, s: base64.b64decode(v),
}


def decoder(kind: str, engine: str) -> Callable[[Any], Any]:
    """The function turning an archive value into what a ``kind`` column of the target
    engine takes."""
    function = _DECODERS[kind]
    sqlite = engine == "sqlite"
    return lambda value: function(value, sqlite)


class Checksum:
    """The order-free checksum of a table's lines (see the module docstring)."""

    def __init__(self) -> None:
        self.total = 0
        self.rows = 0

    def add(self, line: bytes) -> None:
        self.total = (self.total + int.from_bytes(hashlib.sha256(line).digest(), "big")) % (
            1 << 256)
        self.rows += 1

    def hexdigest(self) -> str:
        return f"sha256:{self.total:064x}"


def rows(count: int) -> str:
    """``1 row``, ``2 rows``."""
    return f"{count} {'row' if count == 1 else 'rows'}"


def line_of(values: list[Any]) -> bytes:
    return (json.dumps(values, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
            + "\n").encode()


class ArchiveWriter:
    """Writes an archive to a new file: tables one after the other, streamed, then the
    manifest. ``close(manifest)`` finishes it; ``abort()`` removes what was written."""

    def __init__(self, target: Path) -> None:
        self.target = target
        # Readable by its owner only, from its first byte: it holds password and token
        # hashes and the webhooks' signing secrets. Refused when the file exists.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._zip = zipfile.ZipFile(os.fdopen(fd, "wb"), "w", zipfile.ZIP_STORED,
                                    allowZip64=True)

    def table(self, name: str) -> TableWriter:
        member = f"tables/{name}.jsonl.gz"
        raw = self._zip.open(member, "w", force_zip64=True)
        return TableWriter(member, raw)

    def close(self, manifest: dict[str, Any]) -> None:
        self._zip.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=False))
        self._finish()

    def abort(self) -> None:
        try:
            self._finish()
        finally:
            self.target.unlink(missing_ok=True)

    def _finish(self) -> None:
        stream = self._zip.fp  # the file given to ZipFile, which it does not close
        try:
            self._zip.close()
        finally:
            if stream is not None:
                stream.close()


class TableWriter:
    """One table's file: rows go in as value lists, already encoded."""

    def __init__(self, member: str, raw: IO[bytes]) -> None:
        self.member = member
        self._raw = raw
        self._gzip = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=5, mtime=0)
        self.checksum = Checksum()

    def write(self, values: list[Any]) -> None:
        line = line_of(values)
        self._gzip.write(line)
        self.checksum.add(line)

    def close(self) -> None:
        self._gzip.close()
        self._raw.close()


class ArchiveReader:
    """Reads an archive: its manifest (checked for a known format) and tables' rows."""

    def __init__(self, source: Path) -> None:
        self.source = source
        if not source.is_file():
            raise ArchiveError(f"{source}: no such file")
        try:
            self._zip = zipfile.ZipFile(source, "r")
            raw = self._zip.read(MANIFEST)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ArchiveError(f"{source} is not an Accord archive, or it is truncated or "
                               f"corrupted ({exc})") from None
        except KeyError:
            raise ArchiveError(f"{source} is not an Accord archive: it has no "
                               f"{MANIFEST}") from None
        try:
            manifest = json.loads(raw)
        except ValueError:
            raise ArchiveError(f"{source}: {MANIFEST} is not valid JSON") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ArchiveError(f"{source} is not an Accord archive (its {MANIFEST} does not "
                               f"say format {FORMAT!r})")
        version = manifest.get("format_version")
        if not isinstance(version, int) or version < 1:
            raise ArchiveError(f"{source}: unknown archive format version {version!r}")
        if version > FORMAT_VERSION:
            raise ArchiveError(f"{source} has archive format {version}, newer than this "
                               f"Accord reads ({FORMAT_VERSION}); upgrade Accord to restore it")
        self.manifest: dict[str, Any] = manifest

    def rows(self, table: str, entry: dict[str, Any]) -> Iterator[list[Any]]:
        """The rows of one table as value lists; checks the count and the checksum when
        the file ends (ArchiveError naming the table otherwise)."""
        checksum = Checksum()
        try:
            with self._zip.open(entry["file"]) as raw, gzip.GzipFile(fileobj=raw) as lines:
                for line in io.BufferedReader(lines):
                    checksum.add(line)
                    yield json.loads(line)
        except KeyError:
            raise ArchiveError(f"{self.source}: the file of table {table} is missing") from None
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise ArchiveError(f"{self.source}: table {table} is corrupted or truncated "
                               f"({exc})") from None
        if checksum.rows != entry["rows"] or checksum.hexdigest() != entry["checksum"]:
            raise ArchiveError(f"{self.source}: table {table} does not match its checksum "
                               f"({rows(checksum.rows)} read, {entry['rows']} expected); the "
                               "archive is corrupted")

    def close(self) -> None:
        self._zip.close()
