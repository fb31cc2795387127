"""Marshmallow schemas of competitors, competing products, observed prices and deal
involvements, and of the observe_price action.

Rules that need the database (an opportunity that exists and is open, a name used
once per competitor, prices set by their verb only) are in rules.py.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from accord.money import Money, MoneyField
from accord.schemas import InputSchema, RecordSchema

from .models import STATUSES, THREAT_LEVELS

__all__ = ["CompetitorSchema", "CompetingProductSchema", "PriceObservationSchema",
           "InvolvementSchema", "ObservePriceSchema"]

_BY_OBSERVE = ("Set by the observe_price action only (POST /api/v1/competitors/products/"
               "<id>/observe_price), which keeps the price history")


def _text(length: int, **kwargs: Any) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(max=length), **kwargs)


def _name(length: int) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=length))


def _id(**kwargs: Any) -> fields.Integer:
    """A required reference by id (existence is checked by the service)."""
    return fields.Integer(required=True, strict=True,
                          validate=validate.Range(min=1, max=2 ** 63 - 1), **kwargs)


def _not_negative(value: Money) -> None:
    if value.amount < 0:
        raise ma.ValidationError("The amount may not be negative.")


def _positive(value: Money) -> None:
    if value.amount <= 0:
        raise ma.ValidationError("A price is more than 0.")


class CompetitorSchema(RecordSchema):
    name = _name(200)
    website = fields.Url(allow_none=True, require_tld=False, validate=validate.Length(max=500))
    history = fields.String(allow_none=True, metadata={
        "description": "Background: the firm's history"})
    size = _text(200, metadata={"description": "Background: staff, revenue…"})
    ownership = _text(200, metadata={"description": "Background: who owns it"})
    situation = fields.String(allow_none=True, metadata={"description": "Its current situation"})
    markets = _text(500, metadata={"description": "Markets we compete in"})
    regions = _text(500, metadata={"description": "Regions we compete in"})
    segments = _text(500, metadata={"description": "Customer segments we compete for"})
    strategy = fields.String(allow_none=True)
    strengths = fields.String(allow_none=True)
    weaknesses = fields.String(allow_none=True)
    threat_level = fields.String(load_default="medium", validate=validate.OneOf(THREAT_LEVELS))
    status = fields.String(load_default="active", validate=validate.OneOf(STATUSES))


class CompetingProductSchema(RecordSchema):
    competitor_id = _id()
    name = _name(200)
    category = _text(100)
    main_use = fields.String(allow_none=True)
    performance_notes = fields.String(allow_none=True)
    list_price = MoneyField(allow_none=True, metadata={"description": _BY_OBSERVE})
    price_observed_on = fields.Date(allow_none=True, metadata={"description": _BY_OBSERVE})
    #: Ids of our products (core ``product``) it competes with (competitors_rivalry).
    competes_with = fields.List(fields.Integer(strict=True, validate=validate.Range(min=1)),
                                validate=validate.Length(max=200), metadata={
                                    "description": "Ids of our products it competes with"})


class PriceObservationSchema(RecordSchema):
    product_id = _id()
    price = MoneyField(required=True, validate=_positive)
    observed_on = fields.Date(required=True)
    source = _text(200, metadata={"description": "Where the price was seen"})
    recorded_by_id = fields.Integer(dump_only=True, allow_none=True)
    recorded_by_label = fields.String(dump_only=True)


class InvolvementSchema(RecordSchema):
    opportunity_id = _id(metadata={"description": "A sales opportunity; fixed once linked"})
    competitor_id = _id(metadata={"description": "Fixed once linked"})
    quoted_price = MoneyField(allow_none=True, validate=_not_negative, metadata={
        "description": "The price the competitor quoted, when known"})
    notes = fields.String(allow_none=True)


class ObservePriceSchema(InputSchema):
    """The body of ``POST /api/v1/competitors/products/<id>/observe_price``."""

    price = MoneyField(required=True, validate=_positive)
    observed_on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "The day the price was seen; today when left out"})
    source = _text(200, load_default=None, metadata={"description": "Where it was seen"})
