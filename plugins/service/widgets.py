"""The service widgets of the dashboard (``dashboard_widgets``): SLA attainment, the
backlog by age and the open tickets per queue.

Each counts only the tickets the reader's record rule reaches and honours the
dashboard's owner and team filter: the first two are the service metrics
(``accord.metrics.compute`` with the dashboard's query, whose reader is the actor), the
queue table's own query is limited with ``accord.metrics.scoped``.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import TYPE_CHECKING

import peewee

from accord.metrics import MetricQuery, compute, scoped
from accord.pages import Series, Widget

from .metrics import AGES
from .models import Ticket
from .rules import TICKET

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

__all__ = ["service_widgets"]


def service_widgets(kernel: Accord, actor: Actor, query: MetricQuery) -> list[Widget]:
    """The widgets of a reader of tickets (``service.ticket.read``); none for another."""
    if not actor.can(f"{TICKET}.read"):
        return []
    total = dataclasses.replace(query, by="total")
    return [attainment_widget(kernel, total), backlog_widget(kernel, total),
            queue_widget(kernel, query)]


def attainment_widget(kernel: Accord, query: MetricQuery) -> Widget:
    points = compute(kernel, "service.sla_attainment", query)
    value = points[0].value if points else Decimal("0.00")
    shown = format(value.normalize(), "f") if value else "0"  # 50 %, 66.67 %
    return Widget("SLA attainment", "figure", value=f"{shown} %", order=60,
                  note="Tickets resolved in the range that met both their first-response "
                       "and resolution targets.")


def backlog_widget(kernel: Accord, query: MetricQuery) -> Widget:
    points = {p.group: p.value for p in compute(kernel, "service.backlog_by_age", query)}
    labels = tuple(name for name, _ in AGES)
    values = tuple(int(points.get(name, 0)) for name in labels)
    return Widget("Backlog by age", "bars", labels=labels,
                  series=(Series("Open tickets", values),), order=61,
                  link="/service/queue",
                  note=f"Tickets open at the end of the range ({query.end.isoformat()}), by "
                       "time since they were received.")


def queue_widget(kernel: Accord, query: MetricQuery) -> Widget:
    """The tickets open now (not resolved or closed) per queue, and how many of them
    are past a due time."""
    T = Ticket
    late = peewee.Case(None, [(T.first_response_breached | T.resolution_breached, 1)], 0)
    with kernel.bound():
        rows = (T.select(T.queue, peewee.fn.COUNT(T.id), peewee.fn.SUM(late))
                .where(T.status.not_in(("resolved", "closed")))
                .group_by(T.queue).order_by(T.queue))
        found = [(queue, n, int(breached or 0))
                 for queue, n, breached in scoped(rows, T, query, record_type=TICKET).tuples()]
    return Widget("Open tickets per queue", "table", columns=("Queue", "Open", "Breached"),
                  rows=tuple(found), order=62, link="/service/queue",
                  note="Tickets not resolved or closed, as they stand now.")
