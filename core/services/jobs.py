"""Recording job runs: the one write ``accord.jobs`` makes, kept in the service layer."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ..models import JOB_STATUSES, JobRun

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["record_run"]


def record_run(kernel: Accord, *, job: str, plugin: str, day: dt.date,
               started_at: dt.datetime, finished_at: dt.datetime, status: str,
               summary: str | None = None, error: str | None = None) -> JobRun:
    """Store one finished run of a job (``status`` ok or failed) and return it."""
    if status not in JOB_STATUSES:
        raise ValueError(f"status: {status!r} is not one of {', '.join(JOB_STATUSES)}")
    with kernel.transaction():
        run: JobRun = JobRun.create(job=job, plugin=plugin, day=day, started_at=started_at,
                                    finished_at=finished_at, status=status, summary=summary,
                                    error=error)
    return run
