"""One page of a list: filters, text search, sort, a keyset cursor, the fields asked
for and embedded relations, with the reader's permission, record rule and masking
applied. Every face that lists records (the API, the pages) calls ``list_page``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterator

import marshmallow as ma
import peewee

from ..customfields import FieldDef, from_json
from ..database import is_postgres
from ..errors import BadQuery, PermissionDenied, ValidationError
from ..pagination import after_cursor, cursor_of, decode_cursor
from ..query import SortKey, build_query, number_problem, order_by, sort_keys, text_problem
from .authz import PERSONAL_DATA, permission_for, scoped
from .rows import fetch_records
from .paging import parse_limit
from .reading import dump_many, masked_fields

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordType
    from .actors import Actor

__all__ = ["list_page", "shape", "column_fields", "MAX_EXPAND", "MAX_FIELDS"]

#: The most relations one page embeds, and field names ``?fields=`` may list.
MAX_EXPAND = 10
MAX_FIELDS = 200


#: Dumped fields a list's columns never show: the id leads every row, the version is
#: the ETag's.
_NOT_COLUMNS = frozenset({"id", "version"})


def column_fields(kernel: Accord, record_type: RecordType) -> Iterator[tuple[str, Any]]:
    """(key, dumped field) of each field a list of the type can show as a column (and
    an export writes), custom fields included, in the schema's order: the id, the
    version and embedded objects (a document's lines) left out."""
    for name, field in kernel.schema(record_type).dump_fields.items():
        key = field.data_key or name
        if key in _NOT_COLUMNS or isinstance(field, ma.fields.Nested) or (
                isinstance(field, ma.fields.List)
                and isinstance(field.inner, ma.fields.Nested)):
            continue
        yield key, field


def list_page(kernel: Accord, record_type: RecordType | str, *, actor: Actor,
              filters: dict[str, Any] | None = None, sort: list[str] | None = None,
              q: str | None = None, cursor: str | None = None,
              limit: int | str | None = None, fields: str | None = None,
              expand: str | None = None) -> dict[str, Any]:
    """One page, shaped ``{"items": [...], "next_cursor": str | None}``. A bad
    parameter is a ``BadQuery`` naming it (the API answers 400); filtering or sorting
    on personal data the actor may not read is ``PermissionDenied``."""
    rt = kernel.records.get(record_type) if isinstance(record_type, str) else record_type
    filters = dict(filters or {})
    size = parse_limit(limit)
    _expanded(expand)  # refused before any query runs
    try:
        keys = sort_keys(kernel, rt, [s.strip() for s in sort or [] if s.strip()])
        _refuse_personal(kernel, rt, actor, filters, keys)
        query = build_query(kernel, _searched(kernel, rt, actor), filters, q=q, actor=actor)
    except ValidationError as exc:
        raise BadQuery("unknown or malformed list parameters; see errors", exc.flat()) from None
    model = rt.model
    with kernel.bound():
        if cursor:
            try:
                _check_cursor(keys, cursor)
                query = after_cursor(query, model, keys, cursor)
            except ValidationError as exc:
                raise BadQuery("bad cursor", exc.flat()) from None
        rows = fetch_records(kernel, query.order_by(*order_by(rt, keys)).limit(size + 1))
    more = len(rows) > size
    rows = rows[:size]
    items = dump_many(kernel, rt, rows, actor=actor)
    items = shape(kernel, rt, rows, items, actor=actor, fields=fields, expand=expand)
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = cursor_of(last, keys, {k.name: _sort_value(kernel, k, last) for k in keys})
    return {"items": items, "next_cursor": next_cursor}


def _refuse_personal(kernel: Accord, record_type: RecordType, actor: Actor,
                     filters: dict[str, Any], keys: list[SortKey]) -> None:
    """Filtering or sorting on a masked field would reveal it (and a cursor would carry
    its value): only who may read personal data may do it."""
    personal = masked_fields(kernel, record_type, actor)
    used = sorted(({k.partition("__")[0] for k in filters} | {k.name for k in keys}) & personal)
    if used:
        raise PermissionDenied(f"{actor.label} ({actor.role}) lacks the permission "
                               f"{PERSONAL_DATA} to filter or sort on {', '.join(used)}")


def _searched(kernel: Accord, record_type: RecordType, actor: Actor) -> RecordType:
    """The type as ``?q=`` searches it: masked fields are not searched for who may not
    read them, or a match would reveal what they hold."""
    personal = masked_fields(kernel, record_type, actor)
    if not personal:
        return record_type
    return dataclasses.replace(record_type, searchable=tuple(
        name for name in record_type.searchable if name not in personal))


def _check_cursor(keys: list[SortKey], cursor: str) -> None:
    """A cursor is opaque but travels through clients: each value must have the type
    its sort key gives, or an edited one would reach the SQL (and answer 500)."""
    values = decode_cursor(cursor, len(keys) + 1)
    fits = all(value is None or _fits(value, k.field) for value, k in zip(values, keys))
    if not fits or not _fits(values[-1], None):
        raise ValidationError({"cursor": ["not a cursor of this list; use the next_cursor "
                                          "of the previous page with the same sort"]})


def _fits(value: Any, field: Any) -> bool:
    """``value`` is one the sort key of ``field`` can give (None: the id)."""
    kind = _cursor_kind(field) if field is not None else (int,)
    if isinstance(value, bool) and bool not in kind or not isinstance(value, kind):
        return False
    if isinstance(field, peewee.DecimalField) and not isinstance(value, Decimal):
        value = Decimal(repr(value) if isinstance(value, float) else str(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return -2 ** 63 <= value < 2 ** 63
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return False
        if isinstance(field, FieldDef):
            # A stored decimal has at most 100 digits and a two-digit exponent; PostgreSQL
            # cannot even compare a number far beyond (1E+999999999).
            return abs(value.adjusted()) < 200
        # The column's own db_value quantizes it: a number it cannot hold fails there.
        return not isinstance(field, peewee.DecimalField) or number_problem(field, value) is None
    if isinstance(value, str):
        return text_problem(value) is None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return False
        try:
            value.astimezone(dt.timezone.utc)  # what the column's db_value does
        except OverflowError:
            return False
    return True


def _cursor_kind(field: Any) -> tuple[type, ...]:
    """The Python types a sort key's values come in (see ``_sort_value``)."""
    if isinstance(field, FieldDef):
        return {"integer": (int,), "decimal": (int, float, Decimal), "boolean": (bool,),
                "multi_choice": (list,)}.get(field.kind, (str,))
    if isinstance(field, peewee.ForeignKeyField):
        field = field.rel_field
    if isinstance(field, peewee.BooleanField):
        return (bool,)
    if isinstance(field, (peewee.IntegerField, peewee.AutoField)):
        return (int,)
    if isinstance(field, peewee.DecimalField):
        return (Decimal, int, float)
    if isinstance(field, peewee.DateTimeField):
        return (dt.datetime,)
    if isinstance(field, peewee.DateField):
        return (dt.date,)
    return (str,)


def _sort_value(kernel: Accord, key: SortKey, record: Any) -> Any:
    field = key.field
    if isinstance(field, FieldDef):
        value = from_json(field.kind, (record.custom or {}).get(field.name))
        if value is not None and field.kind == "decimal":
            return value if is_postgres(kernel.database) else float(value)
        if field.kind == "date" and value is not None:
            return value.isoformat()  # compared as the ISO text it is stored as
        return value
    if isinstance(field, peewee.ForeignKeyField):
        return getattr(record, field.object_id_name)
    return getattr(record, field.name)


def shape(kernel: Accord, record_type: RecordType, records: list[Any],
          items: list[dict[str, Any]], *, actor: Actor, fields: str | None = None,
          expand: str | None = None) -> list[dict[str, Any]]:
    """Dumped ``records`` with the relations ``expand`` names embedded and only the
    ``fields`` asked kept, as a list page does it (a single read does it too). A bad
    name is a ``BadQuery`` naming it."""
    items = _expand(kernel, record_type, records, items, actor, expand)
    return _choose_fields(record_type, items, fields, expand)


def _choose_fields(record_type: RecordType, items: list[dict[str, Any]], raw: str | None,
                   expand: str | None) -> list[dict[str, Any]]:
    if not raw:
        return items
    wanted = [f.strip() for f in raw.split(",") if f.strip()]
    if len(wanted) > MAX_FIELDS:
        raise BadQuery("too many fields in ?fields=", {"fields": [
            f"{len(wanted)} names; ?fields= takes at most {MAX_FIELDS}"]})
    known = set(items[0]) if items else None
    if known is not None:
        unknown = [f for f in wanted if f not in known]
        if unknown:
            raise BadQuery("unknown fields in ?fields=",
                           {"fields": [f"{record_type.name} has no field {f!r}"
                                       for f in unknown]})
    # Expanded relations stay: asking for them and dropping them would make no sense.
    expanded = {n.strip() for n in (expand or "").split(",") if n.strip()}
    keep = set(wanted) | {"id"} | expanded
    return [{k: v for k, v in item.items() if k in keep} for item in items]


def _expand(kernel: Accord, record_type: RecordType, rows: list[Any],
            items: list[dict[str, Any]], actor: Actor, raw: str | None) -> list[dict[str, Any]]:
    """``?expand=organization`` embeds the referenced records: one query per name."""
    if not raw:
        return items
    model = record_type.model
    for name in _expanded(raw):
        field = model._meta.fields.get(name)
        target = (kernel.records.for_model(field.rel_model)
                  if isinstance(field, peewee.ForeignKeyField) else None)
        # A reference to a table that is not a record type (a user's role) is no relation.
        if not isinstance(field, peewee.ForeignKeyField) or target is None:
            raise BadQuery("unknown relation in ?expand=",
                           {"expand": [f"{record_type.name} has no reference {name!r}"]})
        ids = sorted({getattr(r, field.object_id_name) for r in rows
                      if getattr(r, field.object_id_name) is not None})
        embedded: dict[Any, dict[str, Any]] = {}
        if ids:
            if actor.can(permission_for(target, "read")):
                with kernel.bound():
                    query = scoped(target.model.select().where(target.model.id.in_(ids)),
                                   target, actor)
                    found = list(query)
                for record, data in zip(found, dump_many(kernel, target, found, actor=actor)):
                    embedded[record.id] = data
        for row, item in zip(rows, items):
            item[name] = embedded.get(getattr(row, field.object_id_name))
    return items


def _expanded(raw: str | None) -> list[str]:
    """The relation names of ``?expand=``, each once, at most ``MAX_EXPAND`` of them."""
    names = list(dict.fromkeys(n.strip() for n in (raw or "").split(",") if n.strip()))
    if len(names) > MAX_EXPAND:
        raise BadQuery("too many relations in ?expand=", {"expand": [
            f"{len(names)} names; ?expand= embeds at most {MAX_EXPAND} relations"]})
    return names
