"""Turning loaded values into columns, and stored values into audit-safe JSON."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..money import Money

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordType

__all__ = ["to_columns", "jsonable", "jsonable_row", "column_values"]


#: Types whose values are their own JSON form (exactly these, not subclasses).
_PLAIN = frozenset({str, int, float, bool, type(None)})


def jsonable(value: Any) -> Any:
    """A value as it is written into audit entries and outbox payloads."""
    if type(value) in _PLAIN:
        return value
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def jsonable_row(row: dict[str, Any]) -> dict[str, Any]:
    """``jsonable(row)`` for a loaded row, without a call per plain value."""
    plain = _PLAIN
    return {k: v if type(v) in plain else jsonable(v) for k, v in row.items()}


def to_columns(kernel: Accord, record_type: RecordType, row: dict[str, Any]) -> tuple[
        dict[str, Any], dict[str, Any]]:
    """Split a loaded row into model columns and ``x_`` custom values (JSON form)."""
    columns = dict(row)
    custom = kernel.fields.split(record_type.name, columns)
    for name in record_type.money_fields:
        if name in columns:
            money = columns.pop(name)
            columns[name] = money.amount if money is not None else None
            columns[f"{name}_currency"] = money.currency if money is not None else None
    return columns, custom


def column_values(kernel: Accord, record_type: RecordType, record: Any,
                  names: list[str]) -> dict[str, Any]:
    """The current values of a stored record, shaped like a loaded row, for ``names``."""
    out: dict[str, Any] = {}
    custom = record.custom or {}
    money = set(record_type.money_fields)
    for name in names:
        if name.startswith("x_"):
            out[name] = custom.get(name)
        elif name in money:
            amount = getattr(record, name)
            out[name] = None if amount is None else Money(
                Decimal(amount), getattr(record, f"{name}_currency"))
        else:
            out[name] = getattr(record, name)
    return out
