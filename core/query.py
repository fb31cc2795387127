"""Finding records: field filters with operators, text search and sorting, custom
fields included. The API's lists and the CLI build on this one module.

Filters are ``{"name": "Acme", "size__gte": 10, "x_tier__in": ["gold", "silver"]}``;
operators: (none) equals, ``__gte``, ``__lte``, ``__gt``, ``__lt``, ``__in``,
``__contains`` (text fields only, Unicode case-insensitive on both engines, ``%`` and
``_`` taken literally; a multi-choice custom field: holds the value), ``__isnull``.
Sorting: ``["-created_at", "name"]``; empty values come last in either direction (on
both engines); the id always breaks ties.

Every value is checked before it reaches the SQL: a number must be finite, in plain
notation and within what its column holds; text must be valid Unicode without NUL.
What one query may ask for is bounded (``MAX_FILTERS``, ``MAX_SORT_KEYS``,
``MAX_IN_VALUES``, ``MAX_SEARCH_LENGTH``), so no request costs more than a page's worth.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import marshmallow as ma
import peewee

from .customfields import FieldDef, json_value_expr
from .database import CONTAINS_FUNCTION, JSONField, is_postgres
from .errors import ValidationError
from .money import plain_decimal

if TYPE_CHECKING:
    from .kernel import Accord
    from .models import BaseRecord
    from .records import Link, RecordType
    from .services.actors import Actor

__all__ = ["find", "build_query", "sort_keys", "order_by", "SortKey", "OPERATORS",
           "MAX_FILTERS", "MAX_SORT_KEYS", "MAX_IN_VALUES", "MAX_SEARCH_LENGTH",
           "text_problem", "number_problem"]

OPERATORS = ("gte", "lte", "gt", "lt", "in", "contains", "isnull")

#: The most filters one query takes, sort keys it sorts on, values one ``__in`` lists,
#: and characters ``q`` or ``__contains`` searches for.
MAX_FILTERS = 50
MAX_SORT_KEYS = 5
MAX_IN_VALUES = 500
MAX_SEARCH_LENGTH = 200
#: The integers both engines compare (SQLite's INTEGER is 64 bits).
_INT_MIN, _INT_MAX = -2**63, 2**63 - 1


def find(kernel: Accord, type_name: str, filters: Mapping[str, Any] | None = None, *,
         q: str | None = None, sort: Sequence[str] = (), limit: int | None = None,
         actor: Actor | None = None) -> list[Any]:
    """Records of a type matching ``filters`` and text search ``q``, sorted; with a
    restricted ``actor``, only those its read permission and record rule reach."""
    record_type = kernel.records.get(type_name)
    with kernel.bound():
        query = build_query(kernel, record_type, filters or {}, q=q, sort=sort, actor=actor)
        if limit is not None:
            query = query.limit(limit)
        return list(query)


def build_query(kernel: Accord, record_type: RecordType, filters: Mapping[str, Any], *,
                q: str | None = None, sort: Sequence[str] = (),
                actor: Actor | None = None) -> peewee.ModelSelect[BaseRecord]:
    model = record_type.model
    query = model.select()
    if actor is not None:
        from .services.authz import permission_for, require, scoped

        require(actor, permission_for(record_type, "read"))
        query = scoped(query, record_type, actor)
    problems: dict[str, list[str]] = {}
    if len(filters) > MAX_FILTERS:
        raise ValidationError({"filters": [f"{len(filters)} filters; a list takes at most "
                                           f"{MAX_FILTERS}"]})
    for key, value in filters.items():
        try:
            query = query.where(_condition(kernel, record_type, key, value))
        except _Bad as exc:
            problems[key] = [str(exc)]
    needle = q.strip() if isinstance(q, str) else q
    if needle:
        terms = [model._meta.fields[name] for name in record_type.searchable]
        try:
            needle = _search_text(needle)
        except _Bad as exc:
            problems["q"] = [str(exc)]
            terms = []
        condition = None
        for term in terms:
            part = _text_contains(kernel, term, needle)
            condition = part if condition is None else condition | part
        if condition is not None:
            query = query.where(condition)
    try:
        keys = sort_keys(kernel, record_type, sort)
    except ValidationError as exc:
        problems.update(exc.messages)
        keys = []
    if problems:
        raise ValidationError(problems)
    return query.order_by(*order_by(record_type, keys))


@dataclass(frozen=True)
class SortKey:
    """One ``?sort=`` key: its expression and direction (empty values always last)."""

    name: str
    expr: Any
    field: Any
    desc: bool


def sort_keys(kernel: Accord, record_type: RecordType, sort: Sequence[str]) -> list[SortKey]:
    """The sort keys of ``sort``; ValidationError names an unknown field, a field given
    twice, or more than ``MAX_SORT_KEYS`` keys."""
    if len(sort) > MAX_SORT_KEYS:
        raise ValidationError({"sort": [f"{len(sort)} sort keys; a list sorts on at most "
                                        f"{MAX_SORT_KEYS}"]})
    keys, problems, seen = [], {}, set()
    for key in sort:
        name = key[1:] if key.startswith("-") else key
        try:
            if name in seen:
                raise _Bad(f"{name!r} is given twice")
            seen.add(name)
            expr, field = _expression(kernel, record_type, name)
            if isinstance(field, FieldDef) and field.kind == "multi_choice":
                raise _Bad(f"{name} is a multi-choice field (a list): it cannot be sorted on")
        except _Bad as exc:
            problems[f"sort.{_shown(name)}"] = [str(exc)]
            continue
        keys.append(SortKey(name, expr, field, key.startswith("-")))
    if problems:
        raise ValidationError(problems)
    return keys


def id_descending(keys: Sequence[SortKey]) -> bool:
    """The id breaks ties in the direction of the last sort key."""
    return bool(keys) and keys[-1].desc


def order_by(record_type: RecordType, keys: Sequence[SortKey]) -> list[Any]:
    # Both engines put empty values last (their defaults differ).
    order = [k.expr.desc(nulls="LAST") if k.desc else k.expr.asc(nulls="LAST") for k in keys]
    model = record_type.model
    order.append(model.id.desc() if id_descending(keys) else model.id.asc())
    return order


class _Bad(Exception):
    pass


def _expression(kernel: Accord, record_type: RecordType,
                name: str) -> tuple[Any, peewee.Field | FieldDef]:
    model = record_type.model
    if name.startswith("x_"):
        defs = kernel.fields.of(record_type.name)
        if name not in defs:
            raise _Bad(f"{record_type.name} has no field {_shown(name)!r}")
        return json_value_expr(kernel.database, model, defs[name]), defs[name]
    field = model._meta.fields.get(name)
    if field is None:
        for candidate in model._meta.refs:
            if candidate.object_id_name == name:
                field = candidate
    # A JSON column is a document, not a value a list can compare or order.
    if field is None or name in ("custom", "password_hash") or name.endswith("_currency") \
            or isinstance(field, JSONField):
        raise _Bad(f"{record_type.name} has no field {_shown(name)!r}")
    return field, field


def _condition(kernel: Accord, record_type: RecordType, key: str, value: Any) -> Any:
    name, _, op = key.partition("__")
    if op and op not in OPERATORS:
        raise _Bad(f"unknown operator {_shown(op)!r}; use one of {', '.join(OPERATORS)}")
    link = next((l for l in record_type.links if l.name == name), None)
    if link is not None:
        return _linked_to(record_type, link, op, value)
    expr, field = _expression(kernel, record_type, name)
    if op == "isnull":
        wanted = _boolean(value)
        return expr.is_null(wanted)
    if isinstance(field, FieldDef) and field.kind == "multi_choice":
        if op != "contains":
            raise _Bad(f"{name} is a multi-choice field (a list): filter it with "
                       f"{name}__contains=VALUE or {name}__isnull")
        return _json_array_contains(kernel, record_type, field, _text(value))
    if op == "in":
        values = _listed(value)
        return expr.in_([_coerce(kernel, field, v) for v in values])
    if op == "contains":
        if not _is_text(field):
            raise _Bad(f"{name} is not a text field; __contains searches text: compare "
                       f"{name} with =, __gte, __lte, __gt, __lt or __in")
        return _text_contains(kernel, expr, _search_text(value))
    coerced = _coerce(kernel, field, value)
    return {"": expr == coerced, "gte": expr >= coerced, "lte": expr <= coerced,
            "gt": expr > coerced, "lt": expr < coerced}[op]


def _linked_to(record_type: RecordType, link: Link, op: str, value: Any) -> Any:
    """Records whose link field holds the id given (or one of the ids, with ``__in``)."""
    if op not in ("", "in"):
        raise _Bad(f"{link.name} is a list of ids: filter it with {link.name}=ID or "
                   f"{link.name}__in=ID,ID")
    ids = [_integer(v, f"{link.name}: give record ids (numbers), not {_shown(value)!r}")
           for v in _listed(value)]
    source = getattr(link.through, link.source)
    target = getattr(link.through, link.target)
    return record_type.model.id.in_(link.through.select(source).where(target.in_(ids)))


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    raise _Bad(f"expected true or false, got {_shown(value)!r}")


def _coerce(kernel: Accord, field: peewee.Field | FieldDef, value: Any) -> Any:
    """Turn a filter value (often text from a URL) into the field's type."""
    if isinstance(field, FieldDef):
        if field.kind == "integer":
            return _integer(value)
        if field.kind == "decimal":
            number = _decimal(value)
            # SQLite compares the JSON value as REAL; PostgreSQL casts it to numeric.
            return number if is_postgres(kernel.database) else float(number)
        if field.kind == "boolean":
            return _boolean(value)
        if field.kind == "date":
            # Stored as ISO text; a value that is no date would compare as text and
            # match nothing (or the wrong rows) instead of being refused.
            try:
                return ma.fields.Date().deserialize(str(value)).isoformat()
            except ma.ValidationError:
                raise _Bad(f"{_shown(value)!r} is not a date (YYYY-MM-DD)") from None
        return _text(value)
    target = field.rel_field if isinstance(field, peewee.ForeignKeyField) else field
    if isinstance(target, (peewee.IntegerField, peewee.AutoField)):
        return _integer(value)
    if isinstance(field, peewee.BooleanField):
        return _boolean(value)
    if isinstance(field, peewee.DecimalField):
        number = _decimal(value)
        problem = number_problem(field, number)
        if problem:
            raise _Bad(f"{_shown(value)!r}: {problem}")
        return number
    if isinstance(field, peewee.FloatField):
        return float(_decimal(value))
    if isinstance(field, peewee.DateTimeField):
        try:
            parsed = ma.fields.AwareDateTime(default_timezone=None).deserialize(_text(value))
        except ma.ValidationError:
            try:
                day = ma.fields.Date().deserialize(_text(value))
                return _midnight(day)
            except ma.ValidationError:
                raise _Bad(f"{_shown(value)!r} is not a date or an ISO datetime with a "
                           "zone") from None
        try:
            # The field's own db_value turns it to UTC when the query is built: a time
            # that has no UTC in the calendar (year 1 at +14:00) is refused here.
            parsed.astimezone(dt.timezone.utc)
        except OverflowError:
            raise _Bad(f"{_shown(value)!r} is outside the calendar") from None
        return parsed
    if isinstance(field, peewee.DateField):
        try:
            return ma.fields.Date().deserialize(_text(value))
        except ma.ValidationError:
            raise _Bad(f"{_shown(value)!r} is not a date (YYYY-MM-DD)") from None
    return _text(value)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def _shown(value: Any) -> str:
    """``value`` fit to quote in a message: at most 60 characters, and only characters
    that encode (a lone surrogate would break the answer it is quoted in)."""
    text = str(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= 60 else text[:57] + "..."


def text_problem(text: str) -> str | None:
    """What keeps ``text`` out of a query or a column, or None: PostgreSQL stores no NUL
    character, and a lone surrogate (``\\ud800``) is no Unicode text on either engine."""
    if "\x00" in text:
        return "holds a NUL character (\\u0000), which no text may hold"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (it holds a lone surrogate such as \\ud800)"
    return None


def _text(value: Any) -> str:
    text = str(value)
    problem = text_problem(text)
    if problem:
        raise _Bad(f"{_shown(text)!r} {problem}")
    return text


def _listed(value: Any) -> list[Any]:
    """The values of an ``__in`` filter: a list, or comma-separated text."""
    values = list(value) if isinstance(value, (list, tuple)) else str(value).split(",")
    if len(values) > MAX_IN_VALUES:
        raise _Bad(f"{len(values)} values; __in takes at most {MAX_IN_VALUES}")
    return values


def _integer(value: Any, message: str | None = None) -> int:
    """A whole number both engines compare: digits only (an int, or text of one)."""
    text = str(value).strip() if not isinstance(value, bool) else ""
    digits = text[1:] if text[:1] in "+-" else text
    # int() would take "1_000" and "٣"; more than 19 digits is past 64 bits anyway.
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
        raise _Bad(message or f"{_shown(value)!r} is not a whole number")
    number = int(text)
    if not _INT_MIN <= number <= _INT_MAX:
        raise _Bad(message or f"{_shown(value)!r} is out of range (a whole number from "
                              f"{_INT_MIN} to {_INT_MAX})")
    return number


def _decimal(value: Any) -> Decimal:
    """A finite number in plain notation (the rule of every number a record holds)."""
    if isinstance(value, float) and math.isfinite(value):
        return Decimal(repr(value))
    number = plain_decimal(value.strip() if isinstance(value, str) else value)
    if number is None:
        raise _Bad(f"{_shown(value)!r} is not a number in plain notation (such as 12 or "
                   "-0.5; no exponent, NaN or Infinity)")
    return number


def number_problem(field: peewee.DecimalField, number: Decimal) -> str | None:
    """What keeps a finite ``number`` from comparing with a DECIMAL column, or None: more
    digits before the point than the column holds, or more places than it keeps (the
    column would round the value, and the comparison with it)."""
    whole = field.max_digits - field.decimal_places
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if number.adjusted() >= whole and number != 0:
        return f"out of range for {field.name} (at most {whole} digits before the point)"
    if places > field.decimal_places and number != number.quantize(Decimal(1).scaleb(
            -field.decimal_places), rounding="ROUND_DOWN"):
        return f"{field.name} keeps at most {field.decimal_places} decimal places"
    return None


def _is_text(field: peewee.Field | FieldDef) -> bool:
    if isinstance(field, FieldDef):
        return field.kind in ("text", "choice")
    return isinstance(field, (peewee.CharField, peewee.TextField)) and \
        not isinstance(field, peewee.ForeignKeyField)


def _search_text(value: Any) -> str:
    text = _text(value)
    if len(text) > MAX_SEARCH_LENGTH:
        raise _Bad(f"searches for at most {MAX_SEARCH_LENGTH} characters, not {len(text)}")
    return text


def _text_contains(kernel: Accord, expr: Any, needle: str) -> Any:
    """``expr`` holds ``needle``, ignoring case in every script on both engines, with
    ``%`` and ``_`` taken literally.

    PostgreSQL's ILIKE compares characters case-insensitively. SQLite's LIKE knows
    only ASCII case, so a needle with other letters goes to the registered
    ``accord_contains`` function (a Python ``lower()`` per row); its longest ASCII
    stretch, when it has one, is matched with LIKE first so that few rows reach it.
    """
    if is_postgres(kernel.database):
        return _like(expr, "ILIKE", needle)
    lowered = needle.lower()
    if lowered.isascii():
        return _like(expr, "LIKE", lowered)
    found = peewee.Function(CONTAINS_FUNCTION, [expr, lowered]) == 1
    stretch = max("".join(c if c.isascii() else " " for c in lowered).split(),
                  key=len, default="")
    return _like(expr, "LIKE", stretch) & found if len(stretch) > 1 else found


def _like(expr: Any, operator: str, needle: str) -> Any:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return peewee.NodeList((expr, peewee.SQL(operator), peewee.Value(f"%{escaped}%"),
                            peewee.SQL("ESCAPE '\\'")))


def _json_array_contains(kernel: Accord, record_type: RecordType, field: FieldDef,
                         value: str) -> Any:
    model = record_type.model
    column = model._meta.fields["custom"]
    if is_postgres(kernel.database):
        import json

        return peewee.NodeList((column, peewee.SQL(f"-> '{field.name}' @> %s",
                                                    [json.dumps([value])])), glue=" ")
    return peewee.NodeList((
        peewee.SQL("EXISTS (SELECT 1 FROM json_each("),
        peewee.fn.json_extract(column, f"$.{field.name}"),
        peewee.SQL(") WHERE value = ?)", [value])), glue="")
