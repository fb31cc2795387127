"""The column mapping of an import, and how a cell becomes a value the schema loads.

A column maps to a field of the record type by its header: the field's name or its
label (a custom field's), compared without case, spaces, underscores or hyphens; a
reference field also answers to its name without ``_id`` (``Organization`` ->
``organization_id``). ``--map "Company=organization_id"`` overrides the guess and
``--map "Notes="`` skips a column. A column that maps to nothing refuses the file.

References are given by id or by natural key (``NATURAL_KEYS``): an organization by
its name, a user or a contact by email, a product by SKU or name; a value matching
none or several records is a row error naming it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable

import marshmallow as ma
import peewee
from marshmallow import fields

from ..money import MoneyField
from .authz import permission_for, scoped
from .bulk_sql import CHUNK
from .importing_read import FileRefused

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordType
    from .actors import Actor

__all__ = ["Column", "Plan", "plan_columns", "importable_fields", "normalize", "guess_columns",
           "CellError", "NATURAL_KEYS", "resolve_references", "parse_map"]

#: The fields a reference to a record type may be given by, besides the id.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "organization": ("name",), "contact": ("email",), "user": ("email",),
    "product": ("sku", "name"), "team": ("name",),
}
#: What a list cell's items are separated by (``products_of_interest``, multi choice).
LIST_SEPARATOR = ";"
_TRUE = frozenset({"true", "yes", "y", "1", "x", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})
_INT = re.compile(r"^[+-]?\d+$")
_MONEY = re.compile(r"^(?:([A-Za-z]{3})\s*([-+]?[\d.]+)|([-+]?[\d.]+)\s*([A-Za-z]{3})?)$")


class CellError(Exception):
    """A cell that cannot become a value of its field; the message says why."""


def normalize(text: str) -> str:
    """``"First Name"``, ``first_name`` and ``first-name`` alike."""
    return re.sub(r"[\s_\-]+", "", text).casefold()


@dataclass(frozen=True)
class Reference:
    """A column naming another record: the target model and record type, and the
    fields a natural key is looked up in."""

    model: type[peewee.Model]
    record_type: RecordType | None
    keys: tuple[str, ...]
    label: str


@dataclass(frozen=True)
class Column:
    """A column of the file mapped to a field (``field`` None: skipped)."""

    index: int
    header: str
    field: str | None
    convert: Callable[[Any], Any] = lambda v: v
    reference: Reference | None = None
    is_list: bool = False
    #: A money field's currency column (``amount_currency`` beside ``amount``, as an
    #: export writes them): its index, or None when the amount cell names its currency.
    currency: int | None = None


@dataclass(frozen=True)
class Plan:
    """What each column of a file becomes."""

    columns: tuple[Column, ...]

    @property
    def mapping(self) -> dict[str, str]:
        """header -> field ("" for a skipped column), as saved for reuse."""
        return {c.header: c.field or "" for c in self.columns}

    def header_of(self, field: str) -> str:
        """The header of the column holding ``field`` (the field itself if none)."""
        for column in self.columns:
            if column.field == field:
                return column.header
        return field


def importable_fields(kernel: Accord, record_type: RecordType) -> dict[str, ma.fields.Field[Any]]:
    """The fields a file may set: the schema's input fields (custom fields included),
    without a document's lines."""
    schema = kernel.schema(record_type)
    lines = {lines.name for lines in record_type.lines}
    return {name: field for name, field in schema.fields.items()
            if not field.dump_only and name not in lines}


def _labels(kernel: Accord, record_type: RecordType, name: str,
            field: ma.fields.Field[Any]) -> set[str]:
    out = {normalize(name)}
    if name.endswith("_id"):
        out.add(normalize(name[:-3]))
    if name.startswith("x_"):
        out.add(normalize(name[2:]))
        definition = kernel.fields.of(record_type.name).get(name)
        if definition is not None and definition.label:
            out.add(normalize(definition.label))
    if field.attribute:
        out.add(normalize(field.attribute))
    return out


def parse_map(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["Company=organization_id", "Notes="]`` as a dict; a bad item is refused."""
    out: dict[str, str] = {}
    for item in items:
        header, sep, field = item.partition("=")
        if not sep or not header.strip():
            raise FileRefused(f"--map {item!r}: give COLUMN=FIELD (or COLUMN= to skip it)")
        out[header.strip()] = field.strip()
    return out


def plan_columns(kernel: Accord, record_type: RecordType, headers: list[str],
                 overrides: dict[str, str] | None = None) -> Plan:
    """Map each header to a field: an override first, else the guess. FileRefused
    names the column that maps to nothing, an override naming an unknown column or
    field, or two columns mapped to one field."""
    available = importable_fields(kernel, record_type)
    overrides = dict(overrides or {})
    by_header = {normalize(h): h for h in headers}
    given: dict[str, str] = {}
    for header, field in overrides.items():
        actual = header if header in headers else by_header.get(normalize(header))
        if actual is None:
            raise FileRefused(f"the mapping names a column {header!r} the file does not "
                              f"have (its columns: {', '.join(headers)})")
        if field and field not in available:
            field = _guess(kernel, record_type, available, field) or field
            if field not in available:
                raise FileRefused(f"the mapping maps column {header!r} to {field!r}, "
                                  f"which is not a field of {record_type.name}")
        given[actual] = field
    # A money field's currency column, as an export writes it beside the amount.
    money = {normalize(f"{name}_currency"): name for name, field in available.items()
             if isinstance(field, MoneyField)}
    currencies = {money[normalize(h)]: i for i, h in enumerate(headers)
                  if h not in given and normalize(h) in money}
    columns = []
    holders: dict[str, str] = {}
    for index, header in enumerate(headers):
        if index in currencies.values():
            columns.append(Column(index, header, None))
            continue
        if header in given:
            field_name: str | None = given[header] or None
        else:
            field_name = _guess(kernel, record_type, available, header)
            if field_name is None:
                raise FileRefused(
                    f'column "{header}" matches no field of {record_type.name}; map it '
                    f'with --map "{header}=FIELD" or skip it with --map "{header}="')
        if field_name is not None:
            if field_name in holders:
                raise FileRefused(f'columns "{holders[field_name]}" and "{header}" both map '
                                  f"to {field_name}; map one of them elsewhere or skip it")
            holders[field_name] = header
            column = _column(kernel, record_type, index, header, field_name,
                             available[field_name])
            if field_name in currencies:
                column = replace(column, currency=currencies[field_name])
            columns.append(column)
        else:
            columns.append(Column(index, header, None))
    if not holders:
        raise FileRefused("no column maps to a field")
    return Plan(tuple(columns))


def guess_columns(kernel: Accord, record_type: RecordType,
                  headers: list[str]) -> dict[str, str]:
    """header -> the field it maps to by name or label ("" when none)."""
    available = importable_fields(kernel, record_type)
    return {h: _guess(kernel, record_type, available, h) or "" for h in headers}


def _guess(kernel: Accord, record_type: RecordType, available: dict[str, ma.fields.Field[Any]],
           header: str) -> str | None:
    wanted = normalize(header)
    for name, field in available.items():
        if wanted in _labels(kernel, record_type, name, field):
            return name
    return None


def _column(kernel: Accord, record_type: RecordType, index: int, header: str, name: str,
            field: ma.fields.Field[Any]) -> Column:
    reference = _reference(kernel, record_type, name)
    if isinstance(field, fields.List):
        inner = _converter(kernel, field.inner)
        return Column(index, header, name, _list_of(inner), reference, is_list=True)
    return Column(index, header, name, _converter(kernel, field), reference)


def _reference(kernel: Accord, record_type: RecordType, name: str) -> Reference | None:
    model = record_type.model
    target: type[peewee.Model] | None = None
    for fk in model._meta.refs:
        if fk.object_id_name == name:
            target = fk.rel_model
    if target is None:
        for link in record_type.links:
            if link.name == name:
                target = link.through._meta.fields[link.target].rel_model
    if target is None:
        return None
    target_type = kernel.records.for_model(target)
    short = (target_type.name.split(".")[-1] if target_type is not None
             else str(target._meta.table_name).replace("accord_", "", 1))
    keys = NATURAL_KEYS.get(short) if target_type is None or target_type.plugin == "core" \
        else None
    if keys is None:
        keys = tuple(n for n in ("name",) if n in target._meta.fields)
    label = (target_type.label or short).lower() if target_type is not None else short
    return Reference(target, target_type, keys, label.replace("_", " "))


# Cells ---------------------------------------------------------------------

def _converter(kernel: Accord, field: ma.fields.Field[Any]) -> Callable[[Any], Any]:
    if isinstance(field, fields.Boolean):
        return _boolean
    if isinstance(field, fields.Integer):
        return _integer
    if isinstance(field, fields.Decimal):
        return _decimal
    if isinstance(field, fields.DateTime):
        return _datetime
    if isinstance(field, fields.Date):
        return _date
    if isinstance(field, MoneyField):
        currency = kernel.config.base_currency
        return lambda value: _money(value, currency)
    return _string


def _list_of(inner: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, list):
            return value
        return [inner(v.strip()) for v in str(value).split(LIST_SEPARATOR) if v.strip()]
    return convert


def _string(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value if isinstance(value, str) else str(value)


def _boolean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(f"{value!r} is not yes or no (give true/false, yes/no or 1/0)")


def _integer(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if not _INT.match(text):
        return text
    if len(text.lstrip("+-")) > 19:  # past 64 bits, and int() refuses 4,300 digits
        raise CellError(f"a whole number of {len(text.lstrip('+-')):,} digits cannot be "
                        "stored (at most 19 digits)")
    return int(text)


def _decimal(value: Any) -> Any:
    if isinstance(value, float):
        return str(Decimal(repr(value)))
    return value if isinstance(value, (str, int)) else str(value)


def _date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return _string(value)


def _datetime(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return aware.isoformat()
    return _string(value)


def _money(value: Any, base: str) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"amount": _decimal(value), "currency": base}
    match = _MONEY.match(str(value).strip())
    if not match:
        raise CellError(f"{value!r} is not an amount; give one such as 12.50 EUR")
    amount = match.group(2) or match.group(3)
    currency = (match.group(1) or match.group(4) or base).upper()
    return {"amount": amount, "currency": currency}


# References ----------------------------------------------------------------

def resolve_references(kernel: Accord, reference: Reference, values: set[str],
                       actor: Actor) -> dict[str, int | str]:
    """Each cell value -> the id it names, or a message (str) saying why it names none.

    A value of digits is an id (its existence is checked by the services); others are
    looked up in the natural keys, set-based, among the records the actor may read."""
    out: dict[str, int | str] = {}
    names = []
    for value in values:
        if _INT.match(value) and not value.startswith(("+", "-")):
            out[value] = int(value)
        else:
            names.append(value)
    if not names:
        return out
    if not reference.keys:
        for value in names:
            out[value] = f"{value!r} is not an id of a {reference.label} (give its id)"
        return out
    model = reference.model
    found: dict[str, set[int]] = {}
    readable = (reference.record_type is None or
                actor.can(permission_for(reference.record_type, "read")))
    lowered = {v.casefold(): v for v in names}
    if readable:
        keys = sorted(lowered)
        for key_name in reference.keys:
            column = peewee.fn.LOWER(model._meta.fields[key_name])
            for start in range(0, len(keys), CHUNK):
                query: Any = model.select(model._meta.primary_key, column.alias("k")).where(
                    column.in_(keys[start:start + CHUNK]))
                if reference.record_type is not None:
                    query = scoped(query, reference.record_type, actor)
                for rid, key in query.tuples():
                    found.setdefault(lowered.get(key, key), set()).add(rid)
    by = " or ".join(reference.keys).replace("_", " ")
    for value in names:
        ids = found.get(value, set())
        if len(ids) == 1:
            out[value] = next(iter(ids))
        elif not ids:
            out[value] = f"there is no {reference.label} with {by} {value!r}"
        else:
            listed = ", ".join(map(str, sorted(ids)[:5]))
            out[value] = (f"{value!r} names {len(ids)} {reference.label}s ({listed}); "
                          "give the id instead")
    return out
