"""The segment tables: saved rule sets over contacts or organizations, and the members
a static segment froze."""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from accord.database import JSONField
from accord.models import BaseModel, OwnedRecord, UTCDateTimeField

__all__ = ["Segment", "SegmentMember", "TARGETS", "KINDS"]

#: What a segment selects: contacts or organizations.
TARGETS = ("contact", "organization")
#: ``dynamic``: evaluated when asked; ``static``: the members stored by its freeze action.
KINDS = ("dynamic", "static")


class Segment(OwnedRecord):
    """A saved rule set: every rule ({"field", "op", "value"}) must hold."""

    name = peewee.CharField(max_length=200, index=True)
    target = peewee.CharField(max_length=20, default="contact")
    kind = peewee.CharField(max_length=10, default="dynamic")
    rules = JSONField(default=list)
    description = peewee.TextField(null=True)
    #: When a static segment's members were last stored (its freeze action).
    frozen_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "marketing_segment"


class SegmentMember(BaseModel):
    """One member of a static segment: a contact's or an organization's id (by the
    segment's target), as it was when the segment was frozen."""

    segment = peewee.ForeignKeyField(Segment, backref="+", on_delete="CASCADE")
    record_id = peewee.IntegerField()
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]
        segment_id: peewee.ForeignKeyField[int]

    class Meta:
        table_name = "marketing_segment_member"
        indexes = ((("segment", "record_id"), True),)
