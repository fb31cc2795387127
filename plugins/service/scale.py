"""The service share of the scale data (``accord demo --scale N``): tickets over three
years with priorities, first responses, resolutions and SLA breaches.

At scale 1: 500,000 tickets. They are created through ``services.bulk_create`` (the SLA
due times computed as for any ticket), then moved through their workflow with
``services.bulk_update`` and the verb that owns each change (``comment`` for the first
response, ``open``, ``wait``, ``resolve``, ``close``, ``breach``), with the values the
plugin's own verbs compute (business seconds, breach flags). Left out, because the
verbs write them one ticket at a time: the comment rows behind the first responses and
the satisfaction surveys sent on resolution.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import TYPE_CHECKING, Any, Iterator

from accord.models import Organization

from .businesstime import business_time
from .models import Ticket
from .rules import TICKET
from .settings import PRIORITIES, calendar, channels

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.scale import ScaleRun

__all__ = ["service_scale", "FIGURES"]

#: At scale 1.
FIGURES = {"tickets": 500_000}
#: Share of each priority (low, normal, high, urgent).
PRIORITY_WEIGHTS = (20, 55, 20, 5)
#: Mean hours to the first response and then to the resolution, per priority.
RESPONSE_HOURS = {"low": 30.0, "normal": 12.0, "high": 4.0, "urgent": 1.0}
RESOLUTION_HOURS = {"low": 120.0, "normal": 48.0, "high": 16.0, "urgent": 6.0}
SUBJECTS = ("Cannot log in", "Invoice question", "Delivery late", "Device not starting",
            "Wrong item received", "Request for a quote", "Password reset",
            "Data export needed", "Slow response times", "Complaint about service")


def service_scale(kernel: Accord, run: ScaleRun) -> None:
    with kernel.bound():
        orgs: list[Any] = list(Organization.select(Organization.id, Organization.size)
                    .order_by(Organization.id).tuples())
    if not orgs:
        return
    settings = kernel.settings("service")
    rng = run.rng("service.tickets")
    total = run.count(FIGURES["tickets"])
    weights = list(itertools.accumulate(max(s or 1, 1) ** 0.7 for _, s in orgs))
    picks = rng.choices(range(len(orgs)), cum_weights=weights, k=total)
    kinds, categories = channels(settings), settings["categories"]

    def rows() -> Iterator[dict[str, Any]]:  # made as written: no list of them all
        for n, org in enumerate(picks):
            received = run.now - dt.timedelta(
                days=(run.today - run.day_back(rng)).days, seconds=rng.randrange(86_400))
            yield {
                "organization_id": orgs[org][0], "channel": kinds[rng.randrange(len(kinds))],
                "category": categories[rng.randrange(len(categories))],
                "priority": rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0],
                "subject": SUBJECTS[n % len(SUBJECTS)], "received_at": received.isoformat()}

    ids = run.write(TICKET, rows(), total, "service.tickets")
    _workflow(kernel, run, ids)


def _workflow(kernel: Accord, run: ScaleRun, ids: list[int]) -> None:
    """Answer, open, park, resolve and close the tickets by age, as the verbs would."""
    rng = run.rng("service.workflow")
    hours = calendar(kernel.settings("service"))
    with kernel.bound():
        # Written into an empty database: the tickets are those from the first id on.
        tickets: list[Any] = list(
            Ticket.select(Ticket.id, Ticket.priority, Ticket.received_at,
                          Ticket.first_response_due_at, Ticket.resolution_due_at)
            .where(Ticket.id >= ids[0]).order_by(Ticket.id).tuples())
    now = run.now
    answer, open_, wait, resolve, close, breach = [], [], [], [], [], []
    for tid, priority, received, first_due, resolution_due in tickets:
        age = now - received
        replied = received + dt.timedelta(hours=rng.expovariate(1 / RESPONSE_HOURS[priority]))
        solved = replied + dt.timedelta(hours=rng.expovariate(1 / RESOLUTION_HOURS[priority]))
        if age < dt.timedelta(days=2) and rng.random() < 0.5 or replied >= now:
            late = first_due is not None and first_due < now
            if late:
                breach.append((tid, {"first_response_breached": True}))
            continue
        answer.append((tid, {
            "first_responded_at": replied, "last_comment_at": replied,
            "first_response_seconds": _seconds(hours, received, replied),
            "first_response_breached": first_due is not None and replied > first_due}))
        if solved >= now or age < dt.timedelta(days=14) and rng.random() < 0.4:
            open_.append((tid, {"status": "open"}))
            if rng.random() < 0.3:
                wait.append((tid, {"status": "pending_customer", "sla_paused_at": now}))
            elif resolution_due is not None and resolution_due < now:
                breach.append((tid, {"resolution_breached": True}))
            continue
        resolve.append((tid, {
            "status": "resolved", "resolved_at": solved, "sla_paused_at": solved,
            "resolution_seconds": _seconds(hours, received, solved),
            "resolution_breached": resolution_due is not None and solved > resolution_due}))
        closed = solved + dt.timedelta(days=3)
        if closed < now:
            close.append((tid, {"status": "closed", "closed_at": closed}))
    for verb, items in (("comment", answer), ("open", open_), ("wait", wait),
                        ("resolve", resolve), ("close", close), ("breach", breach)):
        run.update(TICKET, items, f"service.tickets {verb}", verb=verb)
        run.counts[f"service.{verb}"] = len(items)


def _seconds(hours: Any, start: dt.datetime, end: dt.datetime) -> int:
    return max(int(business_time(hours, start, end).total_seconds()), 0)
