"""Keyset (cursor) pagination over any sort: a deep page costs what the first one does.

The cursor holds the sort values and the id of the last row of a page, encoded as
opaque URL-safe text; the next page is the rows after that tuple in the list's own
order (empty values last, the id breaking ties), found through the indexes.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal
from typing import Any, Sequence, TypeVar

import peewee

from .errors import ValidationError
from .query import SortKey, id_descending

__all__ = ["encode_cursor", "decode_cursor", "after_cursor", "cursor_of"]

_M = TypeVar("_M", bound=peewee.Model)

#: Longer text is no cursor of ours (sort values are short; a text custom field holds
#: at most 10,000 characters).
MAX_CURSOR_LENGTH = 60_000


def _tag(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    return value


def _untag(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        (kind, text), = value.items()
        if kind == "dt":
            return dt.datetime.fromisoformat(text)
        if kind == "d":
            return dt.date.fromisoformat(text)
        if kind == "n":
            number = Decimal(text)
            if not number.is_finite():
                raise ValueError("not a finite number")
            return number
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is no value of a list")  # JSON has no NaN or Infinity


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_tag(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, width: int) -> list[Any]:
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("longer than any cursor of a list")
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode(),
                            parse_constant=_no_constant)
        if not isinstance(values, list) or len(values) != width:
            raise ValueError
        return [_untag(v) for v in values]
    except (ValueError, UnicodeError, TypeError, ArithmeticError, RecursionError):
        # ArithmeticError: decimal.InvalidOperation ({"n": "abc"}); RecursionError:
        # JSON nested thousands deep.
        raise ValidationError({"cursor": ["not a cursor of this list; use the next_cursor "
                                          "of the previous page with the same sort"]}) from None


def decode_cursor(cursor: str, width: int) -> list[Any]:
    """The values of a cursor made by ``encode_cursor``; ValidationError if it is not one."""
    return _decode(cursor, width)


def cursor_of(record: Any, keys: Sequence[SortKey], values: dict[str, Any]) -> str:
    """The cursor after ``record``; ``values`` holds its sort values by key name."""
    return encode_cursor([values[k.name] for k in keys] + [record.id])


def after_cursor(query: peewee.ModelSelect[_M], model: Any, keys: Sequence[SortKey],
                 cursor: str) -> peewee.ModelSelect[_M]:
    """``query`` limited to the rows after the cursor, in the order ``keys`` give."""
    values = _decode(cursor, len(keys) + 1)
    if not isinstance(values[-1], int):
        raise ValidationError({"cursor": ["not a cursor of this list"]})
    conditions = []
    equal: list[Any] = []
    for key, value in zip(keys, values):
        if value is None:
            # Empty values come last: after an empty value only empty values follow.
            equal.append(key.expr.is_null())
            continue
        later = (key.expr < value) if key.desc else (key.expr > value)
        # Empty values sort after every value, in both directions.
        conditions.append(_all(equal + [later | key.expr.is_null()]))
        equal.append(key.expr == value)
    last_id = values[-1]
    after_id = model.id < last_id if id_descending(keys) else model.id > last_id
    conditions.append(_all(equal + [after_id]))
    return query.where(_any(conditions))


def _all(parts: list[Any]) -> Any:
    out = parts[0]
    for part in parts[1:]:
        out = out & part
    return out


def _any(parts: list[Any]) -> Any:
    out = parts[0]
    for part in parts[1:]:
        out = out | part
    return out
