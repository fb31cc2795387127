"""The fee schema, the body of the pay action, and the plugin's settings."""

import marshmallow as ma
from marshmallow import fields, validate

from accord.money import MoneyField
from accord.schemas import OwnedRecordSchema


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


class PaySchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    paid_by = fields.String(required=True, validate=validate.OneOf(("patient", "insurer")))


class FeeSettings(ma.Schema):
    """``[plugins.settings.acme_fees]`` in accord.toml."""

    currency = fields.String(load_default="EUR", validate=validate.Regexp(r"^[A-Z]{3}$"))
    payment_days = fields.Integer(load_default=30, validate=validate.Range(min=0, max=365))
