"""The vehicle schema and the bodies of the vehicle's actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import ValidationError, fields, validate

from accord.money import MoneyField
from accord.schemas import InputSchema, OwnedRecordSchema

from .models import STATUSES
from .vin import normal_vin, vin_problem

__all__ = ["VinField", "VehicleSchema", "ReserveSchema", "SellSchema", "TestDriveSchema",
           "ServiceSchema"]

#: The first model year of a car with a 17-character VIN, and a year ahead of today.
FIRST_YEAR = 1981


class VinField(fields.String):
    """A VIN: spaces and dashes dropped, kept in capitals, refused unless its check
    digit is right."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = normal_vin(super()._deserialize(value, attr, data, **kwargs))
        problem = vin_problem(text)
        if problem:
            raise ValidationError(problem)
        return text


def _year(value: int) -> None:
    last = dt.date.today().year + 1
    if not FIRST_YEAR <= value <= last:
        raise ValidationError(f"Give a model year from {FIRST_YEAR} to {last}.")


def _ref(**kwargs: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=2 ** 63 - 1),
                          **kwargs)


class VehicleSchema(OwnedRecordSchema):
    # The length bound makes the record page's form a one-line input; VinField itself
    # refuses a VIN of another length with its own message.
    vin = VinField(required=True, validate=validate.Length(max=17), metadata={
        "description": "17 characters with a valid check digit (9th character)",
        "example": "1M8GDM9AXKP042788"})
    make = fields.String(required=True, validate=validate.Length(min=1, max=60))
    model = fields.String(required=True, validate=validate.Length(min=1, max=60))
    year = fields.Integer(required=True, strict=True, validate=_year,
                          metadata={"description": "The model year", "example": 2019})
    mileage = fields.Integer(load_default=0, strict=True,
                             validate=validate.Range(min=0, max=9_999_999))
    price = MoneyField(required=True)
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={
        "description": "stock, reserved or sold: set by the reserve, release and sell "
                       "actions"})
    owner_contact_id = _ref(allow_none=True, metadata={
        "description": "The customer the vehicle belongs to (the sell action sets it)"})
    reserved_for_id = _ref(allow_none=True)
    reserved_until = fields.Date(allow_none=True)
    sold_at = fields.AwareDateTime(allow_none=True)


class ReserveSchema(InputSchema):
    contact_id = _ref(required=True)


class SellSchema(InputSchema):
    contact_id = _ref(required=True, metadata={"description": "The buyer"})


class TestDriveSchema(InputSchema):
    contact_id = _ref(required=True)
    at = fields.AwareDateTime(required=True, metadata={"description": "When it starts"})
    notes = fields.String(validate=validate.Length(max=2000))


class ServiceSchema(InputSchema):
    work = fields.String(required=True, validate=validate.Length(min=1, max=150), metadata={
        "description": "What the workshop is to do (an inspection, the brakes…)"})
    notes = fields.String(validate=validate.Length(max=10_000))
    priority = fields.String(validate=validate.OneOf(("low", "normal", "high", "urgent")))
