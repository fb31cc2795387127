"""Data quality as the core's metrics: how complete the records of every type are,
field by field (custom fields included), and how many records no one has changed
since a day.

- ``core.completeness`` (percent, by ``field``: ``contact.email``,
  ``acme_dental.visit.tooth``, ``organization.x_tier``): of the records of a type,
  the share whose field holds a value (text: not empty). Identifiers, versions,
  timestamps, flags (always set) and currency codes (set with their amount) are left
  out. It is the state of today, shown as the range's last month (or its total).
- ``core.stale_records`` (count, by ``record_type``): the records whose last change
  is before the range's first day, as of today: asked for the last twelve months, the
  records no one changed in twelve months.

Both count only the record types the reader may read and, of those, the records the
reader's rules reach (and the query's owner and team); a type without records gives
no point.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterator

import peewee

from .customfields import json_value_expr
from .database import JSONField
from .metrics import MetricPoint, scoped

if TYPE_CHECKING:
    from .kernel import Accord
    from .metrics import MetricQuery
    from .records import RecordType

__all__ = ["completeness", "stale_records", "fields_measured"]

#: Columns that say nothing about how complete a record is.
_LEFT_OUT = ("id", "version", "created_at", "updated_at", "custom", "password_hash")
_HUNDRED = Decimal(100)


def _readable(mq: MetricQuery, record_type: RecordType) -> bool:
    from .services.authz import permission_for

    reader = mq.reader
    return reader is None or not reader.restricted or reader.can(
        permission_for(record_type, "read"))


def _types(kernel: Accord, mq: MetricQuery) -> Iterator[RecordType]:
    for record_type in sorted(kernel.records, key=lambda rt: rt.name):
        if _readable(mq, record_type):
            yield record_type


def _period(mq: MetricQuery) -> str:
    return "total" if mq.by == "total" else f"{mq.end.year:04d}-{mq.end.month:02d}"


def _filled(expr: Any, text: bool) -> Any:
    return expr.is_null(False) & (expr != "") if text else expr.is_null(False)


def fields_measured(kernel: Accord, record_type: RecordType) -> list[tuple[str, Any]]:
    """``(name, condition)`` of each field whose completeness is measured: the model's
    columns (a link by its ``_id`` name) and the type's custom fields."""
    model = record_type.model
    out = []
    for field in model._meta.sorted_fields:
        if field.name in _LEFT_OUT or field.name.endswith("_currency") or \
                isinstance(field, (JSONField, peewee.BooleanField)):
            continue
        name = field.object_id_name if isinstance(field, peewee.ForeignKeyField) \
            else field.name
        text = isinstance(field, (peewee.CharField, peewee.TextField))
        out.append((name, _filled(field, text)))
    if "custom" in model._meta.fields:
        for name, definition in sorted(kernel.fields.of(record_type.name).items()):
            if definition.kind == "boolean":
                continue
            expr = json_value_expr(kernel.database, model, definition)
            out.append((name, _filled(expr, definition.kind in ("text", "choice"))))
    return out


def completeness(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    period = _period(mq)
    points = []
    for record_type in _types(kernel, mq):
        model = record_type.model
        measured = fields_measured(kernel, record_type)
        if not measured:
            continue
        sums = [peewee.fn.SUM(peewee.Case(None, [(condition, 1)], 0))
                for _, condition in measured]
        query = scoped(model.select(peewee.fn.COUNT(model.id), *sums), model, mq,
                       record_type=record_type.name)
        total, *filled = next(iter(query.tuples()))
        if not total:
            continue
        for (name, _), count in zip(measured, filled):
            share = (_HUNDRED * int(count or 0) / int(total)).quantize(Decimal("0.01"))
            points.append(MetricPoint(period, share, f"{record_type.name}.{name}"))
    return points


def stale_records(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    period = _period(mq)
    points = []
    for record_type in _types(kernel, mq):
        model = record_type.model
        changed = model._meta.fields.get("updated_at")
        if changed is None:
            continue
        query = scoped(model.select(peewee.fn.COUNT(model.id))
                       .where(changed < mq.start_at), model, mq,
                       record_type=record_type.name)
        count = query.scalar() or 0
        if count:
            points.append(MetricPoint(period, Decimal(count), record_type.name))
    return points
