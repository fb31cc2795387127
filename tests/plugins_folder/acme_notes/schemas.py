"""The note schema."""

from marshmallow import fields, validate

from accord.schemas import OwnedRecordSchema


class NoteSchema(OwnedRecordSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    priority = fields.Integer(load_default=3, strict=True, validate=validate.Range(min=1, max=5))
