"""The forms record pages generate from a schema (``accord.pages.record.form_fields``)."""

from __future__ import annotations

import marshmallow as ma

from accord.pages.record import form_fields


class Comment(ma.Schema):
    body = ma.fields.String()


class Ticket(ma.Schema):
    subject = ma.fields.String(required=True, validate=ma.validate.Length(max=200))
    tags = ma.fields.List(ma.fields.String(), dump_only=True)
    comments = ma.fields.List(ma.fields.Nested(Comment), dump_only=True)
    extra = ma.fields.Dict(dump_only=True)


def test_records_inside_a_record_are_left_to_panels_and_lists_of_words_shown():
    values = {"subject": "Printer jams", "tags": ["urgent", "vip"],
              "comments": [{"body": "Tried twice"}], "extra": {"a": 1}}
    items = {item.name: item for item in form_fields(Ticket(), values)}
    assert sorted(items) == ["subject", "tags"]
    assert (items["subject"].input, items["subject"].value, items["subject"].editable) == (
        "text", "Printer jams", True)
    assert (items["tags"].value, items["tags"].editable) == (["urgent", "vip"], False)
