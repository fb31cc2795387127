"""The fee schema, the body of the pay action, and the plugin's settings."""

import marshmallow as ma
from marshmallow import fields, validate

from accord.money import CurrencyField, MoneyField
from accord.schemas import InputSchema, OwnedRecordSchema


class FeeSchema(OwnedRecordSchema):
    patient_id = fields.Integer(required=True, strict=True)
    insurer_id = fields.Integer(allow_none=True, strict=True)
    treatment = fields.String(required=True, validate=validate.Length(min=1, max=100))
    treated_on = fields.Date(metadata={"description": "Today when left out"})
    due_on = fields.Date(dump_only=True)
    amount = MoneyField(required=True)
    status = fields.String(metadata={"description": "open, paid or waived: set by the pay "
                                                    "and waive actions"})
    paid_by = fields.String(allow_none=True)
    paid_at = fields.AwareDateTime(allow_none=True)


class PaySchema(InputSchema):
    paid_by = fields.String(required=True, validate=validate.OneOf(("patient", "insurer")))


class FeeSettings(ma.Schema):
    """``[plugins.settings.acme_fees]`` in accord.toml."""

    currency = CurrencyField(load_default="EUR")
    payment_days = fields.Integer(load_default=30, validate=validate.Range(min=0, max=365))
