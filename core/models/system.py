"""The kernel's own tables: plugin states, custom fields, audit trail, outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from ..database import JSONField
from .base import BaseModel, UTCDateTimeField, utcnow

__all__ = ["PluginState", "KernelMeta", "NumberSequence", "CustomField", "AuditEntry",
           "OutboxMessage", "IdHighWater"]


class PluginState(BaseModel):
    """The lifecycle state of one plugin, shared by every process on the database."""

    name = peewee.CharField(max_length=100, primary_key=True)
    state = peewee.CharField(max_length=20)  # discovered | enabled | disabled | purged
    version = peewee.CharField(max_length=50, null=True)
    changed_at = UTCDateTimeField(default=utcnow)
    settings = JSONField(default=dict)

    class Meta:
        table_name = "accord_plugin"


class KernelMeta(BaseModel):
    """Counters every process polls cheaply, e.g. ``plugin_state`` (bumped on a toggle)."""

    key = peewee.CharField(max_length=100, primary_key=True)
    value = peewee.IntegerField(default=0)

    class Meta:
        table_name = "accord_meta"


class NumberSequence(BaseModel):
    """The last number given in a gapless sequence (a year's invoices): its row lock
    makes numbering serial (``accord.services.sequences``)."""

    name = peewee.CharField(max_length=100, primary_key=True)
    last = peewee.BigIntegerField()

    class Meta:
        table_name = "accord_number_sequence"


class CustomField(BaseModel):
    """An implementer-defined field of a record type, stored in the record's ``custom``."""

    record_type = peewee.CharField(max_length=100)
    name = peewee.CharField(max_length=63)
    kind = peewee.CharField(max_length=20)
    label = peewee.CharField(max_length=200, null=True)
    required = peewee.BooleanField(default=False)
    choices = JSONField(null=True)
    indexed = peewee.BooleanField(default=False)
    personal = peewee.BooleanField(default=False)
    created_at = UTCDateTimeField(default=utcnow)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]

    class Meta:
        table_name = "accord_custom_field"
        indexes = ((("record_type", "name"), True),)


class AuditEntry(BaseModel):
    """One change to one record: who, when, and the before/after of changed fields."""

    at = UTCDateTimeField(default=utcnow, index=True)
    actor_id = peewee.IntegerField(null=True, index=True)
    actor_label = peewee.CharField(max_length=200, null=True)
    action = peewee.CharField(max_length=20)
    record_type = peewee.CharField(max_length=100)
    record_id = peewee.IntegerField()
    changes = JSONField(default=dict)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]

    class Meta:
        table_name = "accord_audit"
        indexes = ((("record_type", "record_id"), False),)


class OutboxMessage(BaseModel):
    """Something that must reach another system, written in the same transaction."""

    created_at = UTCDateTimeField(default=utcnow)
    topic = peewee.CharField(max_length=200, index=True)
    payload = JSONField(default=dict)
    status = peewee.CharField(max_length=20, default="pending", index=True)
    attempts = peewee.IntegerField(default=0)
    next_attempt_at = UTCDateTimeField(default=utcnow)
    last_error = peewee.TextField(null=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]

    class Meta:
        table_name = "accord_outbox"


class IdHighWater(BaseModel):
    """The highest id a dropped table gave, so the table, created again (a purge then
    an enable, a downgrade then an upgrade), starts above it (see ``accord.ids``)."""

    name = peewee.CharField(max_length=200, primary_key=True)  # the table's
    last_id = peewee.BigIntegerField()

    class Meta:
        table_name = "accord_id_high_water"
