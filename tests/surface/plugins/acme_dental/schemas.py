"""The appointment schema and the bodies of its actions."""

import marshmallow as ma
from marshmallow import fields, validate

from accord.schemas import OwnedRecordSchema


class AppointmentSchema(OwnedRecordSchema):
    patient_id = fields.Integer(required=True, strict=True)
    starts_at = fields.AwareDateTime(required=True)
    treatment = fields.String(validate=validate.Length(min=1, max=100))
    status = fields.String(metadata={"description": "booked, confirmed, done or cancelled"})
    confirmed_at = fields.AwareDateTime(allow_none=True)
    notes = fields.String(allow_none=True)


class CompleteSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    notes = fields.String(required=True, validate=validate.Length(min=1, max=2000))
