"""Marshmallow schemas of the core record types: what is accepted and how it is shown.

One schema per record type validates input (``load``) and shapes output (``dump``).
Custom fields are added per record type at run time (see customfields.py). Every schema
that reads input (a record's, an action's body) derives from ``InputSchema``, which
holds the rules every field of a kind follows whoever declares it: dates and datetimes
lie in the calendar (``accord.dates``); money is ``accord.money.MoneyField``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Context, Decimal
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from .dates import outside_calendar
from .money import MoneyField, plain_decimal

__all__ = [
    "InputSchema", "RecordSchema", "OwnedRecordSchema", "PlainDecimal", "ExactDecimal",
    "Between", "decimal_field", "OrganizationSchema", "ContactSchema",
    "UserSchema", "TeamSchema", "ActivitySchema", "ProductSchema",
    "DEFAULT_RELATIONSHIPS", "ACTIVITY_KINDS",
]

DEFAULT_RELATIONSHIPS = ("prospect", "customer", "partner", "reseller", "supplier")
ACTIVITY_KINDS = ("call", "meeting", "email", "task", "note")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _text(length: int, *, required: bool = False, **kwargs: Any) -> fields.String:
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=length), **kwargs)
    return fields.String(allow_none=True, validate=validate.Length(max=length), **kwargs)


#: The largest value an integer column holds on both engines.
MAX_INT = 2_147_483_647


def _ref(**kwargs: Any) -> fields.Integer:
    """A reference to another record by id (existence is checked by the service)."""
    return fields.Integer(allow_none=True, strict=True,
                          validate=validate.Range(min=1, max=2 ** 63 - 1), **kwargs)


def _email(**kwargs: Any) -> fields.Email:
    """An email address that fits its column (254 characters, RFC 5321)."""
    return fields.Email(validate=validate.Length(max=254), **kwargs)


def in_calendar(value: dt.date) -> None:
    """The validator of every date and datetime an ``InputSchema`` reads."""
    problem = outside_calendar(value)
    if problem is not None:
        raise ma.ValidationError(problem)


class InputSchema(ma.Schema):
    """The base of every schema that reads input: unknown fields are refused by name,
    and every date and datetime field (a plugin's plain ``fields.Date`` and a date
    custom field included) takes only days of the calendar, 1900-01-01 to 9899-12-31."""

    class Meta:
        unknown = ma.RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field[Any]) -> None:
        super().on_bind_field(field_name, field_obj)
        # Fields are copied per schema instance before binding: this touches no class.
        for field in (field_obj, getattr(field_obj, "inner", None)):
            if isinstance(field, (fields.Date, fields.DateTime)) and not field.dump_only \
                    and in_calendar not in field.validators:
                field.validators.append(in_calendar)


#: Wide enough to quantize any number a client sends without an error.
_WIDE = Context(prec=1000)


class PlainDecimal(fields.Decimal):
    """A Decimal read in plain decimal notation only (``"12.50"``, ``-3`` or a finite
    JSON number; never ``"1e3"``, ``"NaN"`` or ``"Infinity"``: see
    ``accord.money.plain_decimal``), shown as a string."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("as_string", True)
        super().__init__(allow_nan=False, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        number = value if isinstance(value, float) else plain_decimal(value)
        if number is None:
            raise self.make_error("invalid")
        return super()._deserialize(number, attr, data, **kwargs)


class ExactDecimal(PlainDecimal):
    """A plain Decimal with at most ``places`` decimals: more are refused, never rounded
    away. Read in one form (``"1.50"`` and ``"1.5000"`` alike, never ``-0``) and shown as
    a string with ``places`` decimals."""

    def __init__(self, places: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.count = places
        self.shown = Decimal(1).scaleb(-places)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        number: Decimal = super()._deserialize(value, attr, data, **kwargs)
        exact = number.quantize(self.shown, context=_WIDE)
        if exact != number:
            raise ma.ValidationError(f"At most {self.count} decimal places.")
        return abs(exact) if exact == 0 else exact

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else format(Decimal(value).quantize(self.shown), "f")


class Between(validate.Validator):
    """``low`` (excluded when ``above``) to ``high``.

    (apispec would write a ``validate.Range`` on a Decimal shown as a string with
    string bounds, which OpenAPI refuses; the bounds are in the field's description.)
    """

    def __init__(self, low: int, high: int, *, above: bool = False) -> None:
        self.low, self.high, self.above = Decimal(low), Decimal(high), above

    def __call__(self, value: Decimal) -> Decimal:
        if value < self.low or (self.above and value == self.low) or value > self.high:
            first = "more than" if self.above else "at least"
            raise ma.ValidationError(f"Must be {first} {self.low} and at most {self.high}.")
        return value

    @property
    def text(self) -> str:
        return f"{'more than' if self.above else 'from'} {self.low} to {self.high}"


def decimal_field(places: int, low: int, high: int, *, above: bool = False,
                  description: str = "", places_text: str = "",
                  field: type[ExactDecimal] = ExactDecimal, **kwargs: Any) -> fields.Decimal:
    """A Decimal field (a string in JSON) from ``low`` (excluded when ``above``) to
    ``high``, with at most ``places`` decimals (described as ``places_text`` when
    given)."""
    bounds = Between(low, high, above=above)
    text = f"{bounds.text}, at most {places_text or f'{places} decimal places'}"
    text = f"{description} ({text})" if description else text.capitalize()
    return field(places, validate=bounds, metadata={"description": text}, **kwargs)


class RecordSchema(InputSchema):
    """Fields every record shows; unknown input fields are refused by name."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    id = fields.Integer(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)
    version = fields.Integer(dump_only=True)

    @ma.pre_load
    def _strip_strings(self, data: Any, **kwargs: Any) -> Any:
        # Leading/trailing blanks are never meaningful in CRM fields; "" means empty.
        if not isinstance(data, dict):
            return data
        out = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if value == "" and key in self.fields and self.fields[key].allow_none:
                    value = None
            out[key] = value
        return out


class OwnedRecordSchema(RecordSchema):
    owner_id = _ref()
    team_id = _ref()


class _AddressMixin(ma.Schema):
    street = _text(200)
    city = _text(100)
    postal_code = _text(20)
    region = _text(100)
    country = fields.String(allow_none=True, validate=validate.Regexp(
        _COUNTRY, error="Give a two-letter ISO country code such as DE or US."))


class OrganizationSchema(_AddressMixin, OwnedRecordSchema):
    name = _text(200, required=True)
    # No schema default: the first of the configured relationships is (builtin.py).
    relationship = fields.String()
    industry = _text(100)
    size = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0, max=MAX_INT))
    website = fields.Url(allow_none=True, require_tld=False)
    phone = _text(50)
    email = _email(allow_none=True)
    parent_id = _ref()
    customer_since = fields.Date(allow_none=True)


class ContactSchema(_AddressMixin, OwnedRecordSchema):
    first_name = _text(100)
    last_name = _text(100, required=True)
    email = _email(allow_none=True)
    phone = _text(50)
    mobile = _text(50)
    title = _text(100)
    organization_id = _ref()
    birthday = fields.Date(allow_none=True)
    email_opt_out = fields.Boolean(load_default=False)
    call_opt_out = fields.Boolean(load_default=False)
    #: Ids of products the contact is interested in (kept in accord_contact_interest).
    products_of_interest = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1)),
        validate=validate.Length(max=200))


class UserSchema(RecordSchema):
    email = _email(required=True)
    name = _text(200, required=True)
    role = fields.String(required=True, attribute="role_id", validate=validate.Length(min=1))
    active = fields.Boolean(load_default=True)

    @ma.post_load
    def _lower_email(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if data.get("email"):
            data["email"] = data["email"].lower()
        return data


class TeamSchema(RecordSchema):
    name = _text(200, required=True)
    manager_id = _ref()
    #: The members' user ids; the manager is always one of them.
    members = fields.List(fields.Integer(strict=True, validate=validate.Range(min=1)),
                          validate=validate.Length(max=5000))


class ActivitySchema(OwnedRecordSchema):
    kind = fields.String(required=True, validate=validate.OneOf(ACTIVITY_KINDS))
    subject = _text(300, required=True)
    body = fields.String(allow_none=True)
    due_at = fields.AwareDateTime(allow_none=True)
    done_at = fields.AwareDateTime(allow_none=True)
    record_type = _text(100)
    record_id = _ref()
    organization_id = _ref()
    contact_id = _ref()


class ProductSchema(RecordSchema):
    sku = _text(64, required=True)
    name = _text(200, required=True)
    description = fields.String(allow_none=True)
    category = _text(100)
    unit_price = MoneyField(allow_none=True)
    cost_price = MoneyField(allow_none=True)
    active = fields.Boolean(load_default=True)
