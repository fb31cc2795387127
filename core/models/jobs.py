"""The record of background job runs: one row per run, kept by the core."""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from .base import BaseModel, UTCDateTimeField

__all__ = ["JobRun", "JOB_STATUSES"]

#: What a finished run can be: its job returned a summary, or it raised.
JOB_STATUSES = ("ok", "failed")


class JobRun(BaseModel):
    """One run of a job (``accord jobs run``, or ``accord worker`` on its schedule)."""

    job = peewee.CharField(max_length=200)
    plugin = peewee.CharField(max_length=100)
    #: The day the job was run for (its ``today``).
    day = peewee.DateField()
    started_at = UTCDateTimeField()
    finished_at = UTCDateTimeField()
    status = peewee.CharField(max_length=10)  # ok | failed
    #: The job's one-line summary (status ok).
    summary = peewee.TextField(null=True)
    #: What the job raised (status failed).
    error = peewee.TextField(null=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]

    class Meta:
        table_name = "accord_job_run"
        indexes = ((("job", "started_at"), False),)
