"""A ticket's SLA: its due times and the business time its clock stood still.

The clock starts when the ticket is received and stands still while the ticket waits
for the customer or is resolved; each pause's business time is added to the targets
when the clock goes on (``resumed``), so the due times move by exactly that much.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .businesstime import Calendar, business_time, due_at
from .settings import targets

__all__ = ["due_times", "paused", "resumed"]


def due_times(calendar: Calendar, settings: dict[str, Any], *, priority: str,
              received_at: dt.datetime, paused_seconds: int
              ) -> tuple[dt.datetime, dt.datetime]:
    """When the first response and the resolution of a ticket are due: its priority's
    targets in business time after ``received_at``, plus the business time its clock
    stood still."""
    first, resolution = targets(settings, priority)
    pause = dt.timedelta(seconds=paused_seconds)
    return (due_at(calendar, received_at, first + pause),
            due_at(calendar, received_at, resolution + pause))


def paused(ticket: Any, at: dt.datetime) -> dict[str, Any]:
    """The fields that stop a ticket's clock at ``at`` (nothing when it stands still
    already)."""
    return {} if ticket.sla_paused_at is not None else {"sla_paused_at": at}


def resumed(calendar: Calendar, ticket: Any, at: dt.datetime) -> dict[str, Any]:
    """The fields that start a stopped clock again at ``at``: the pause's business
    time (whole seconds) is added to what the clock stood still before."""
    if ticket.sla_paused_at is None:
        return {}
    stood = business_time(calendar, ticket.sla_paused_at, at)
    return {"sla_paused_at": None,
            "sla_paused_seconds": ticket.sla_paused_seconds + int(stood.total_seconds())}
