"""Finding records: field filters with operators, text search and sorting, custom
fields included. The API's lists and the CLI build on this one module.

Filters are ``{"name": "Acme", "size__gte": 10, "x_tier__in": ["gold", "silver"]}``;
operators: (none) equals, ``__gte``, ``__lte``, ``__gt``, ``__lt``, ``__in``,
``__contains`` (text, case-insensitive; a multi-choice custom field: holds the
value), ``__isnull``. Sorting: ``["-created_at", "name"]``; empty values come last in
either direction (on both engines); the id always breaks ties.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import marshmallow as ma
import peewee

from .customfields import FieldDef, json_value_expr
from .database import is_postgres
from .errors import ValidationError

if TYPE_CHECKING:
    from .kernel import Accord
    from .models import BaseRecord
    from .records import Link, RecordType
    from .services.actors import Actor

__all__ = ["find", "build_query", "sort_keys", "order_by", "SortKey", "OPERATORS"]

OPERATORS = ("gte", "lte", "gt", "lt", "in", "contains", "isnull")


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
    for key, value in filters.items():
        try:
            query = query.where(_condition(kernel, record_type, key, value))
        except _Bad as exc:
            problems[key] = [str(exc)]
    if q:
        terms = [model._meta.fields[name] for name in record_type.searchable]
        if terms:
            like = f"%{q.strip()}%"
            condition = None
            for term in terms:
                part = term.ilike(like)
                condition = part if condition is None else condition | part
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
    """The sort keys of ``sort``; ValidationError names an unknown field."""
    keys, problems = [], {}
    for key in sort:
        name = key[1:] if key.startswith("-") else key
        try:
            expr, field = _expression(kernel, record_type, name)
        except _Bad as exc:
            problems[f"sort.{name}"] = [str(exc)]
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
            raise _Bad(f"{record_type.name} has no field {name!r}")
        return json_value_expr(kernel.database, model, defs[name]), defs[name]
    field = model._meta.fields.get(name)
    if field is None:
        for candidate in model._meta.refs:
            if candidate.object_id_name == name:
                field = candidate
    if field is None or name in ("custom", "password_hash") or name.endswith("_currency"):
        raise _Bad(f"{record_type.name} has no field {name!r}")
    return field, field


def _condition(kernel: Accord, record_type: RecordType, key: str, value: Any) -> Any:
    name, _, op = key.partition("__")
    if op and op not in OPERATORS:
        raise _Bad(f"unknown operator {op!r}; use one of {', '.join(OPERATORS)}")
    link = next((l for l in record_type.links if l.name == name), None)
    if link is not None:
        return _linked_to(record_type, link, op, value)
    expr, field = _expression(kernel, record_type, name)
    if op == "isnull":
        wanted = _boolean(value)
        return expr.is_null(wanted)
    if op == "in":
        values = value if isinstance(value, (list, tuple)) else str(value).split(",")
        return expr.in_([_coerce(kernel, field, v) for v in values])
    if op == "contains":
        if isinstance(field, FieldDef) and field.kind == "multi_choice":
            return _json_array_contains(kernel, record_type, field, str(value))
        return expr.ilike(f"%{value}%")
    coerced = _coerce(kernel, field, value)
    return {"": expr == coerced, "gte": expr >= coerced, "lte": expr <= coerced,
            "gt": expr > coerced, "lt": expr < coerced}[op]


def _linked_to(record_type: RecordType, link: Link, op: str, value: Any) -> Any:
    """Records whose link field holds the id given (or one of the ids, with ``__in``)."""
    if op not in ("", "in"):
        raise _Bad(f"{link.name} is a list of ids: filter it with {link.name}=ID or "
                   f"{link.name}__in=ID,ID")
    raw = value if isinstance(value, (list, tuple)) else str(value).split(",")
    try:
        ids = [int(v) for v in raw]
    except ValueError:
        raise _Bad(f"{link.name}: give record ids (numbers), not {value!r}") from None
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
    raise _Bad(f"expected true or false, got {value!r}")


def _coerce(kernel: Accord, field: peewee.Field | FieldDef, value: Any) -> Any:
    """Turn a filter value (often text from a URL) into the field's type."""
    if isinstance(field, FieldDef):
        if field.kind == "integer":
            try:
                return int(str(value))
            except ValueError:
                raise _Bad(f"{value!r} is not a whole number") from None
        if field.kind == "decimal":
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                raise _Bad(f"{value!r} is not a number") from None
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
                raise _Bad(f"{value!r} is not a date (YYYY-MM-DD)") from None
        return str(value)
    target = field.rel_field if isinstance(field, peewee.ForeignKeyField) else field
    if isinstance(target, (peewee.IntegerField, peewee.AutoField)):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise _Bad(f"{value!r} is not a whole number") from None
    if isinstance(field, peewee.BooleanField):
        return _boolean(value)
    if isinstance(field, peewee.DecimalField):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise _Bad(f"{value!r} is not a number") from None
    if isinstance(field, peewee.DateTimeField):
        try:
            parsed = ma.fields.AwareDateTime(default_timezone=None).deserialize(str(value))
        except ma.ValidationError:
            try:
                day = ma.fields.Date().deserialize(str(value))
                return _midnight(day)
            except ma.ValidationError:
                raise _Bad(f"{value!r} is not a date or an ISO datetime with a zone") from None
        # Aware, as the field's own db_value converts it when the query is built.
        return parsed
    if isinstance(field, peewee.DateField):
        try:
            return ma.fields.Date().deserialize(str(value))
        except ma.ValidationError:
            raise _Bad(f"{value!r} is not a date (YYYY-MM-DD)") from None
    return value


def _midnight(day: Any) -> Any:
    import datetime as dt

    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


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
