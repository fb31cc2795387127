"""Marshmallow schemas of the core record types: what is accepted and how it is shown.

One schema per record type validates input (``load``) and shapes output (``dump``).
Custom fields are added per record type at run time (see customfields.py).
"""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from .money import MoneyField

__all__ = [
    "RecordSchema", "OwnedRecordSchema", "OrganizationSchema", "ContactSchema",
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


class RecordSchema(ma.Schema):
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
