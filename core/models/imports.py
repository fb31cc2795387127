"""Imports of CSV and XLSX files: the column mappings saved for reuse, and the import
jobs the API and the wizard run (``accord.services.importing``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from ..database import JSONField
from .base import BaseModel, UTCDateTimeField, utcnow
from .people import User

__all__ = ["ImportMapping", "ImportJob", "IMPORT_STATUSES"]

#: draft (uploaded on the wizard, being mapped), queued (waiting for the worker),
#: running, done (written or, in a dry run, checked), refused (nothing written: bad
#: rows or a bad file), failed (an unexpected error).
IMPORT_STATUSES = ("draft", "queued", "running", "done", "refused", "failed")


class ImportMapping(BaseModel):
    """A column mapping saved under a name: file header -> field name ("" skips it)."""

    name = peewee.CharField(max_length=100, unique=True)
    record_type = peewee.CharField(max_length=100)
    columns = JSONField(default=dict)
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]

    class Meta:
        table_name = "accord_import_mapping"


class ImportJob(BaseModel):
    """One import of a file, run as a job: its options, progress and outcome."""

    record_type = peewee.CharField(max_length=100)
    file_name = peewee.CharField(max_length=255)
    status = peewee.CharField(max_length=10, default="queued")
    #: dry_run, partial, match, sheet, mapping (header -> field).
    options = JSONField(default=dict)
    total = peewee.IntegerField(null=True)
    processed = peewee.IntegerField(default=0)
    created = peewee.IntegerField(default=0)
    updated = peewee.IntegerField(default=0)
    rejected = peewee.IntegerField(default=0)
    #: Each bad row: {"line": 14, "column": "Email", "message": "..."}.
    errors = JSONField(default=list)
    #: Why the whole file was refused (a bad header, an unreadable file), if it was.
    message = peewee.TextField(null=True)
    #: The uploaded file, kept until the job has run.
    content = peewee.BlobField(null=True)
    #: The rejected rows with an ``error`` column (a partial import).
    rejects = peewee.BlobField(null=True)
    actor = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)
    finished_at = UTCDateTimeField(null=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]
        actor_id: int | None

    class Meta:
        table_name = "accord_import"
        indexes = ((("actor", "created_at"), False),)
