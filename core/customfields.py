"""Custom fields: implementer-defined, typed fields of any record type.

Definitions come from ``accord.toml`` (``[fields.contact.x_tier]``) and from the
``accord_custom_field`` table (CLI, later the API). Values live in the record's
``custom`` JSON column under the field's ``x_`` name, are validated by marshmallow
fields built here (dates in the calendar and decimals in plain notation, like every
record's fields: see accord.schemas), and can be filtered and sorted through JSON
expressions (backed by an expression index when the field is marked indexed).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Mapping

import peewee
from marshmallow import fields, validate

from .config import FIELD_KINDS
from .database import is_postgres
from .errors import ConfigError, NotFound, ValidationError
from .schemas import PlainDecimal

if TYPE_CHECKING:
    from .kernel import Accord
    from .records import RecordType

__all__ = ["FieldDef", "CustomFields", "json_value_expr"]

_NAME = re.compile(r"^x_[a-z][a-z0-9_]{0,59}$")


@dataclass(frozen=True)
class FieldDef:
    record_type: str
    name: str
    kind: str
    label: str | None = None
    required: bool = False
    choices: tuple[str, ...] | None = None
    indexed: bool = False
    personal: bool = False
    source: str = "database"  # or "config"

    def ma_field(self) -> fields.Field[Any]:
        """The marshmallow field that validates and shows this field's values."""
        kwargs: dict[str, Any] = {"required": self.required, "allow_none": not self.required,
                                  "metadata": {"description": self.label or self.name,
                                               "x-custom-field": True}}
        base: fields.Field[Any]
        if self.kind == "text":
            base = fields.String(validate=validate.Length(max=10000), **kwargs)
        elif self.kind == "integer":
            base = fields.Integer(strict=True, validate=validate.Range(*INTEGER_RANGE),
                                  **kwargs)
        elif self.kind == "decimal":
            base = PlainDecimal(**kwargs)
        elif self.kind == "date":
            base = fields.Date(**kwargs)
        elif self.kind == "boolean":
            base = StrictBoolean(**kwargs)
        elif self.kind == "choice":
            base = fields.String(validate=validate.OneOf(self.choices or ()), **kwargs)
        else:  # multi_choice
            base = fields.List(fields.String(validate=validate.OneOf(self.choices or ())),
                               **kwargs)
        return base


class StrictBoolean(fields.Boolean):
    """A JSON boolean only: "yes", 1 or "off" are refused, not read as true or false."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if value is True or value is False:
            return value
        raise self.make_error("invalid", input=value)


def _to_json(kind: str, value: Any) -> Any:
    """The JSON form a value is stored in (sortable as text for dates)."""
    if value is None:
        return None
    if kind == "decimal":
        return format(value, "f")  # plain notation, whatever the number's exponent
    if kind == "date":
        return value.isoformat()
    return value


#: A stored decimal: plain digits, or the exponent form older releases wrote (a
#: short exponent only). The same pattern guards PostgreSQL's cast (json_value_expr).
_STORED_DECIMAL = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]{1,2})?$"
_STORED_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
#: The whole numbers an integer field holds: what both engines compare (64 bits).
INTEGER_RANGE = (-2**63, 2**63 - 1)


def fits(kind: str, value: Any) -> bool:
    """Whether a value stored in ``custom`` is one a field of ``kind`` holds. A value
    that does not fit (left by a removed field of another kind, or by a kind changed in
    accord.toml) reads as empty, in records, filters and sorts alike."""
    if kind in ("text", "choice"):
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool) and \
            INTEGER_RANGE[0] <= value <= INTEGER_RANGE[1]
    if kind == "decimal":
        if isinstance(value, int) and not isinstance(value, bool):
            return True
        return isinstance(value, str) and len(value) <= 100 and \
            re.match(_STORED_DECIMAL, value) is not None
    if kind == "date":
        if not (isinstance(value, str) and re.match(_STORED_DATE, value)):
            return False
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return False
        return True
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def from_json(kind: str, value: Any) -> Any:
    """The Python value of a stored one; None when it does not fit ``kind`` (``fits``)."""
    if value is None or not fits(kind, value):
        return None
    if kind == "decimal":
        return Decimal(str(value))
    if kind == "date":
        return dt.date.fromisoformat(value)
    return value


def validate_definition(record_type: str, name: str, kind: str,
                        choices: list[str] | tuple[str, ...] | None) -> None:
    problems: dict[str, list[str]] = {}
    if not _NAME.match(name):
        problems["name"] = [f"{name!r}: custom field names start with 'x_', then a lowercase "
                            "letter, then lowercase letters, digits or '_' (at most 62)"]
    if kind not in FIELD_KINDS:
        problems["kind"] = [f"{kind!r} is not a field kind; use one of {', '.join(FIELD_KINDS)}"]
    elif kind in ("choice", "multi_choice"):
        if not choices:
            problems["choices"] = [f"a {kind} field needs a list of choices"]
        elif len(set(choices)) != len(choices) or any(not c for c in choices):
            problems["choices"] = ["choices must be distinct and not empty"]
    elif choices:
        problems["choices"] = [f"only choice and multi_choice fields take choices, not {kind}"]
    if problems:
        raise ValidationError(problems)


class CustomFields:
    """The custom field definitions of one kernel, from the config and the database."""

    def __init__(self, kernel: Accord) -> None:
        self._kernel = kernel
        self._defs: dict[str, dict[str, FieldDef]] = {}

    def load(self) -> None:
        """Read the definitions (called at start and after every change)."""
        from .models import CustomField

        defs: dict[str, dict[str, FieldDef]] = {}
        for type_name, entries in self._kernel.config.fields.items():
            for name, raw in entries.items():
                choices = raw.get("choices")
                defs.setdefault(type_name, {})[name] = FieldDef(
                    type_name, name, raw["kind"], raw.get("label"), bool(raw.get("required")),
                    tuple(choices) if choices else None, bool(raw.get("indexed")),
                    bool(raw.get("personal")), source="config")
        for row in CustomField.select().order_by(CustomField.id):
            defs.setdefault(row.record_type, {})[row.name] = FieldDef(
                row.record_type, row.name, row.kind, row.label, row.required,
                tuple(row.choices) if row.choices else None, row.indexed, row.personal)
        self._defs = defs

    def check_config(self) -> None:
        """Refuse a config field on an unknown record type or with a bad definition."""
        for type_name, entries in self._kernel.config.fields.items():
            if type_name not in self._kernel.records:
                raise ConfigError(f"fields.{type_name}: unknown record type "
                                  f"(known: {', '.join(self._kernel.records.names())})")
            for name, d in entries.items():
                try:
                    validate_definition(type_name, name, d["kind"], d.get("choices"))
                except ValidationError as exc:
                    raise ConfigError(f"fields.{type_name}.{name}: {exc}") from None

    def of(self, record_type: str) -> dict[str, FieldDef]:
        return self._defs.get(record_type, {})

    def get(self, record_type: str, name: str) -> FieldDef:
        try:
            return self._defs[record_type][name]
        except KeyError:
            raise NotFound(f"{record_type} has no custom field {name!r}") from None

    def version_key(self, record_type: str) -> tuple[FieldDef, ...]:
        return tuple(self.of(record_type).values())

    # Values ---------------------------------------------------------------

    def split(self, record_type: str, data: dict[str, Any]) -> dict[str, Any]:
        """Move loaded ``x_`` values out of ``data`` into their JSON form; return them."""
        defs = self.of(record_type)
        custom = {}
        for name in [k for k in data if k.startswith("x_")]:
            custom[name] = _to_json(defs[name].kind, data.pop(name))
        return custom

    def values(self, record_type: str, custom: Mapping[str, Any] | None) -> dict[str, Any]:
        """The Python values of a stored ``custom`` column, every defined field present."""
        custom = custom or {}
        return {name: from_json(d.kind, custom.get(name)) for name, d in self.of(record_type).items()}

    # Schema ----------------------------------------------------------------

    def schema_fields(self, record_type: str) -> dict[str, fields.Field[Any]]:
        return {name: d.ma_field() for name, d in self.of(record_type).items()}

    # Indexes ---------------------------------------------------------------

    def index_name(self, record_type: RecordType, name: str) -> str:
        return f"{record_type.model._meta.table_name}_{name}_idx"

    def index_names(self) -> set[str]:
        """Names of the expression indexes of every indexed custom field."""
        out: set[str] = set()
        for type_name, defs in self._defs.items():
            if type_name in self._kernel.records:
                rt = self._kernel.records.get(type_name)
                out.update(self.index_name(rt, n) for n, d in defs.items() if d.indexed)
        return out

    def create_index(self, record_type: RecordType, field: FieldDef) -> None:
        database = self._kernel.database
        assert database is not None, "start() the kernel first"
        table = record_type.model._meta.table_name
        expr = _index_sql(database, field)
        database.execute_sql(
            f'CREATE INDEX IF NOT EXISTS "{self.index_name(record_type, field.name)}" '
            f'ON "{table}" ({expr})')

    def create_config_indexes(self) -> None:
        """Index the fields ``accord.toml`` marks indexed (at start; the config is read then)."""
        for type_name, defs in self._defs.items():
            if type_name in self._kernel.records:
                record_type = self._kernel.records.get(type_name)
                for field in defs.values():
                    if field.indexed and field.source == "config":
                        self.create_index(record_type, field)

    def drop_index(self, record_type: RecordType, field: FieldDef) -> None:
        assert self._kernel.database is not None, "start() the kernel first"
        self._kernel.database.execute_sql(
            f'DROP INDEX IF EXISTS "{self.index_name(record_type, field.name)}"')


def _index_sql(database: peewee.Database, field: FieldDef) -> str:
    if is_postgres(database):
        return f"(custom->>'{field.name}')"
    return f"json_extract(custom, '$.{field.name}')"


def json_value_expr(database: peewee.Database | None, model: type[peewee.Model],
                    field: FieldDef) -> peewee.Node:
    """An SQL expression for a custom field's value on ``database``'s engine, typed
    for comparison and sorting.

    The same expression text as the index so the planner uses the index.
    """
    column = model._meta.fields["custom"]
    if is_postgres(database):
        text = peewee.NodeList((column, peewee.SQL(f"->>'{field.name}'")), glue="")
        text = peewee.NodeList((peewee.SQL("("), text, peewee.SQL(")")), glue="")
        # A stored value that does not fit the kind (see ``fits``) is NULL here, where
        # the cast would fail the whole query.
        typed = peewee.NodeList((peewee.SQL("jsonb_typeof("), column,
                                 peewee.SQL(f"->'{field.name}')")), glue="")
        if field.kind in ("integer", "decimal"):
            fitting = typed == "number"
            if field.kind == "decimal":
                fitting = fitting | peewee.NodeList((text, peewee.SQL("~"),
                                                     peewee.Value(_STORED_DECIMAL)))
            return peewee.Case(None, [(fitting, peewee.Cast(text, "numeric"))])
        if field.kind == "boolean":
            return peewee.Case(None, [(typed == "boolean", peewee.Cast(text, "boolean"))])
        if field.kind == "multi_choice":
            return peewee.NodeList((column, peewee.SQL(f"->'{field.name}'")), glue="")
        return text
    value = peewee.fn.json_extract(column, f"$.{field.name}")
    if field.kind != "decimal":
        return value
    # Decimals are stored as JSON strings (exact); compare them as numbers. CAST would
    # read text that is no number (a value left by a field of another kind) as 0: it is
    # NULL instead, as it reads in the record (``fits``).
    stored = peewee.fn.json_type(column, f"$.{field.name}")
    digits = peewee.NodeList((value, peewee.SQL("GLOB '*[0-9]*'")))
    only_number_signs = peewee.NodeList((value, peewee.SQL("NOT GLOB '*[^-0-9.eE+]*'")))
    number = (stored << ["integer", "real"]) | ((stored == "text") & digits & only_number_signs)
    return peewee.Case(None, [(number, peewee.Cast(value, "REAL"))])
