"""Marshmallow schemas of leads and opportunities, and of the convert and move actions.

Values that depend on the settings (pipelines, stages, lead sources, channels) are
checked by the write-path rules (rules.py), which know the settings in force.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from accord.money import Money, MoneyField
from accord.schemas import OwnedRecordSchema

__all__ = ["LeadSchema", "OpportunitySchema", "ConvertSchema", "MoveSchema", "LEAD_STATUSES"]

#: A lead's statuses; a converted lead stays ``qualified``.
LEAD_STATUSES = ("new", "contacted", "qualified", "disqualified")


def _text(length: int, **kwargs: Any) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(max=length), **kwargs)


def _name(length: int) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=length))


def _ref(**kwargs: Any) -> fields.Integer:
    return fields.Integer(allow_none=True, strict=True,
                          validate=validate.Range(min=1, max=2 ** 63 - 1), **kwargs)


def _not_negative(value: Money) -> None:
    if value.amount < 0:
        raise ma.ValidationError("The amount may not be negative.")


_BY_CONVERT = "Set by the convert action only."


class LeadSchema(OwnedRecordSchema):
    name = _name(200)
    company = _text(200)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = _text(50)
    #: One of the ``lead_sources`` setting.
    source = _text(60, metadata={"description": "One of the lead_sources setting"})
    status = fields.String(load_default="new", validate=validate.OneOf(LEAD_STATUSES))
    disqualify_reason = _text(500, metadata={
        "description": "Required when the status is disqualified"})
    converted_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    contact_id = _ref(metadata={"description": _BY_CONVERT})
    organization_id = _ref(metadata={"description": _BY_CONVERT})
    opportunity_id = _ref(metadata={"description": _BY_CONVERT})


class OpportunitySchema(OwnedRecordSchema):
    name = _name(200)
    organization_id = _ref()
    contact_id = _ref()
    amount = MoneyField(validate=_not_negative, metadata={
        "description": "Defaults to 0 in the currency setting"})
    expected_close_date = fields.Date(allow_none=True)
    pipeline = fields.String(validate=validate.Length(min=1, max=40), metadata={
        "description": "A pipeline of the settings; the default_pipeline setting when left "
                       "out. Fixed once the opportunity exists."})
    stage = fields.String(validate=validate.Length(min=1, max=60), metadata={
        "description": "An open stage of the pipeline (its first when left out); changed "
                       "afterwards by the move action only"})
    probability = fields.Integer(strict=True, validate=validate.Range(0, 100), metadata={
        "description": "Percent; the stage's when left out"})
    channel = _text(60, metadata={"description": "One of the channels setting"})
    loss_reason = _text(500, metadata={"description": "Set when the opportunity is lost"})
    closed_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class ConvertSchema(ma.Schema):
    """The body of ``POST /api/v1/sales/leads/<id>/convert``."""

    class Meta:
        unknown = ma.RAISE

    create_opportunity = fields.Boolean(load_default=False)
    opportunity = fields.Dict(keys=fields.String(), load_default=None, allow_none=True, metadata={
        "description": "Fields of the new opportunity (name, amount, pipeline, stage, "
                       "expected_close_date…); with create_opportunity only"})


class MoveSchema(ma.Schema):
    """The body of ``POST /api/v1/sales/opportunities/<id>/move``."""

    class Meta:
        unknown = ma.RAISE

    stage = fields.String(required=True, validate=validate.Length(min=1, max=60))
    loss_reason = fields.String(allow_none=True, validate=validate.Length(max=500), metadata={
        "description": "Required when moving to a lost stage"})
    probability = fields.Integer(strict=True, validate=validate.Range(0, 100), metadata={
        "description": "Percent, for an open stage; the stage's when left out"})
