"""List endpoints: filters, text search, sorting, keyset pages, field choice, expand."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import peewee
from flask import request

from ..customfields import FieldDef
from ..database import is_postgres
from ..errors import ValidationError
from ..pagination import after_cursor, cursor_of
from ..query import SortKey, build_query, order_by, sort_keys
from .problems import ApiError

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordType
    from ..services.actors import Actor

__all__ = ["list_records", "MAX_LIMIT", "DEFAULT_LIMIT"]

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
RESERVED = {"limit", "cursor", "sort", "q", "fields", "expand"}


def _limit() -> int:
    raw = request.args.get("limit", str(DEFAULT_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(400, f"limit must be a whole number from 1 to {MAX_LIMIT}",
                       errors={"limit": [f"{raw!r} is not between 1 and {MAX_LIMIT}"]})
    return int(raw)


def _filters() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in request.args:
        if key in RESERVED:
            continue
        values = request.args.getlist(key)
        out[key] = values[0] if len(values) == 1 else ",".join(values)
    return out


def list_records(kernel: Accord, record_type: RecordType, actor: Actor) -> dict[str, Any]:
    """One page of a list, shaped ``{"items": [...], "next_cursor": str | None}``."""
    limit = _limit()
    sort = [s for s in request.args.get("sort", "").split(",") if s.strip()]
    try:
        keys = sort_keys(kernel, record_type, [s.strip() for s in sort])
        query = build_query(kernel, record_type, _filters(), q=request.args.get("q"),
                            actor=actor)
    except ValidationError as exc:
        raise ApiError(400, "unknown or malformed list parameters; see errors",
                       errors=exc.flat()) from None
    model = record_type.model
    cursor = request.args.get("cursor")
    with kernel.bound():
        if cursor:
            try:
                query = after_cursor(query, model, keys, cursor)
            except ValidationError as exc:
                raise ApiError(400, "bad cursor", errors=exc.flat()) from None
        rows = list(query.order_by(*order_by(record_type, keys)).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    items = kernel.dump_many(record_type, rows, actor=actor)
    items = _expand(kernel, record_type, rows, items, actor)
    items = _choose_fields(record_type, items)
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = cursor_of(last, keys, {k.name: _sort_value(kernel, k, last) for k in keys})
    return {"items": items, "next_cursor": next_cursor}


def _sort_value(kernel: Accord, key: SortKey, record: Any) -> Any:
    field = key.field
    if isinstance(field, FieldDef):
        raw = (record.custom or {}).get(field.name)
        if raw is not None and field.kind == "decimal":
            from decimal import Decimal

            return Decimal(str(raw)) if is_postgres(kernel.database) else float(raw)
        return raw
    if isinstance(field, peewee.ForeignKeyField):
        return getattr(record, field.object_id_name)
    return getattr(record, field.name)


def _choose_fields(record_type: RecordType, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    raw = request.args.get("fields")
    if not raw:
        return items
    wanted = [f.strip() for f in raw.split(",") if f.strip()]
    known = set(items[0]) if items else None
    if known is not None:
        unknown = [f for f in wanted if f not in known]
        if unknown:
            raise ApiError(400, "unknown fields in ?fields=",
                           errors={"fields": [f"{record_type.name} has no field {f!r}"
                                              for f in unknown]})
    keep = set(wanted) | {"id"}
    return [{k: v for k, v in item.items() if k in keep} for item in items]


def _expand(kernel: Accord, record_type: RecordType, rows: list[Any],
            items: list[dict[str, Any]], actor: Actor) -> list[dict[str, Any]]:
    """``?expand=organization`` embeds the referenced records: one query per name."""
    raw = request.args.get("expand")
    if not raw:
        return items
    model = record_type.model
    for name in [n.strip() for n in raw.split(",") if n.strip()]:
        field = model._meta.fields.get(name)
        if not isinstance(field, peewee.ForeignKeyField):
            raise ApiError(400, "unknown relation in ?expand=",
                           errors={"expand": [f"{record_type.name} has no reference {name!r}"]})
        target = kernel.records.for_model(field.rel_model)
        ids = sorted({getattr(r, field.object_id_name) for r in rows
                      if getattr(r, field.object_id_name) is not None})
        embedded: dict[Any, dict[str, Any]] = {}
        if ids and target is not None:
            from ..services.authz import permission_for, scoped

            if actor.can(permission_for(target, "read")):
                with kernel.bound():
                    query = scoped(target.model.select().where(target.model.id.in_(ids)),
                                   target, actor)
                    found = list(query)
                for record, data in zip(found, kernel.dump_many(target, found, actor=actor)):
                    embedded[record.id] = data
        for row, item in zip(rows, items):
            item[name] = embedded.get(getattr(row, field.object_id_name))
    return items
