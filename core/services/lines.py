"""Rows written with their record (a quote's lines): see ``accord.records.Lines``.

Taken out of the loaded rows after the write hooks ran (so hooks may compute them),
written after the records inside the same transaction (one DELETE and one
multi-row INSERT per line field), read back with one query per field. A row read
back has its record at hand (``line.quote``, joined in that query), so its schema may
show a value of the record's, such as the currency of a line's amounts, without a
query per row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .values import jsonable

if TYPE_CHECKING:
    from ..records import Lines, RecordType

__all__ = ["pop_lines", "write_lines", "lines_of"]

CHUNK = 500


def pop_lines(record_type: RecordType, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Take the (writable) line fields out of loaded rows."""
    out = []
    for row in rows:
        out.append({lines.name: list(row.pop(lines.name) or ())
                    for lines in record_type.lines if lines.name in row and not lines.read_only})
    return out


def _parent(lines: Lines) -> Any:
    return getattr(lines.model, lines.parent)


def _ordered(lines: Lines) -> list[Any]:
    fields = lines.model._meta.fields
    keys = [fields["position"]] if "position" in fields else []
    return [*keys, lines.model._meta.primary_key]


def _stored(lines: Lines, ids: list[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {i: [] for i in ids}
    parent = _parent(lines)
    record = parent.rel_model
    for start in range(0, len(ids), CHUNK):
        query = (lines.model.select(lines.model, record).join(record, on=parent)
                 .where(parent.in_(ids[start:start + CHUNK]))
                 .order_by(parent, *_ordered(lines)))
        for row in query:
            out[getattr(row, parent.object_id_name)].append(row)
    return out


def lines_of(record_type: RecordType, ids: list[int],
             only: tuple[str, ...] | None = None) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """The line fields of records as JSON-ready lists, one query per field."""
    out: dict[int, dict[str, list[dict[str, Any]]]] = {i: {} for i in ids}
    for lines in record_type.lines:
        if only is not None and lines.name not in only:
            continue
        schema = lines.schema()
        for record_id, rows in _stored(lines, ids).items():
            out[record_id][lines.name] = schema.dump(rows, many=True)
    return out


def write_lines(record_type: RecordType, ids: list[int], values: list[dict[str, Any]],
                *, replace: bool) -> dict[int, dict[str, list[Any]]]:
    """Store the rows given for records, replacing what they had; returns per record
    the ``{field: [before, after]}`` of the line fields that changed (JSON forms)."""
    changes: dict[int, dict[str, list[Any]]] = {}
    for lines in record_type.lines:
        given = [(rid, v[lines.name]) for rid, v in zip(ids, values) if lines.name in v]
        if not given:
            continue
        touched = [rid for rid, _ in given]
        before = lines_of(record_type, touched, only=(lines.name,)) if replace else {}
        parent = _parent(lines)
        has_position = "position" in lines.model._meta.fields
        inserts = []
        for record_id, rows in given:
            new = [{**row, "position": i} if has_position else dict(row)
                   for i, row in enumerate(rows, 1)]
            old = before.get(record_id, {}).get(lines.name, [])
            after = [jsonable(row) for row in new]
            if replace and _same(old, after):
                continue
            changes.setdefault(record_id, {})[lines.name] = [old if replace else None, after]
            inserts += [{**row, parent.name: record_id} for row in new]
        changed = [rid for rid in touched if lines.name in changes.get(rid, {})]
        if replace and changed:
            for start in range(0, len(changed), CHUNK):
                lines.model.delete().where(parent.in_(changed[start:start + CHUNK])).execute()
        _fill_defaults(lines, inserts)
        for start in range(0, len(inserts), CHUNK):
            lines.model.insert_many(inserts[start:start + CHUNK]).execute()
    return changes


def _fill_defaults(lines: Lines, rows: list[dict[str, Any]]) -> None:
    """Give every row the same keys (one multi-row INSERT), missing ones their default."""
    names = {k for row in rows for k in row}
    combined = lines.model._meta.combined
    for row in rows:
        for name in names - row.keys():
            default = combined[name].default
            row[name] = default() if callable(default) else default


def _same(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> bool:
    """Whether stored rows (dumped) hold the new rows' values (compared on the new
    rows' keys, as strings: a dumped Decimal may differ in trailing zeros)."""
    if len(old) != len(new):
        return False
    for stored, row in zip(old, new):
        for key, value in row.items():
            if key == "position":
                continue
            have = stored.get(key, stored.get(key.removesuffix("_id")))
            if _norm(have) != _norm(value):
                return False
    return True


def _norm(value: Any) -> Any:
    from decimal import Decimal, InvalidOperation

    if isinstance(value, str):
        try:
            return Decimal(value).normalize()
        except InvalidOperation:
            return value
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value).normalize()
    return value
