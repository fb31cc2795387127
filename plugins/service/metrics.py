"""The service metrics (KPIs) of ``accord report``, the metrics API and the dashboard:
ticket volume, first-response and resolution times (median and p90, in business
minutes) and SLA attainment.

Each reads the tickets of the range in one query, limited to the query's owner and team
and to the reader's record rule (``scoped``); the times are counted in the firm's
business hours (the settings' calendar) in Python, since SQL knows nothing of opening
hours. The exact definitions are in docs/service.md (Metrics).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Callable

from accord.hooks import hookimpl
from accord.metrics import Metric, MetricPoint, MetricQuery, scoped

from .businesstime import business_time
from .models import Ticket
from .settings import calendar

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["register_metrics", "SERVICE_METRICS", "median", "p90"]

_TENTH = Decimal("0.1")
_PERCENT = Decimal("0.01")


def median(values: list[float]) -> Decimal:
    """The middle value (the mean of the two middle ones for an even count), to 0.1."""
    return Decimal(str(statistics.median(values))).quantize(_TENTH, rounding=ROUND_HALF_UP)


def p90(values: list[float]) -> Decimal:
    """The 90th percentile by nearest rank: the value at rank ceil(0.9 × n) of the
    sorted values (of 4 values, the 4th; of 10, the 9th), to 0.1."""
    ranked = sorted(values)
    value = ranked[math.ceil(0.9 * len(ranked)) - 1]
    return Decimal(str(value)).quantize(_TENTH, rounding=ROUND_HALF_UP)


def _period(moment: dt.datetime, mq: MetricQuery) -> str:
    return "total" if mq.by == "total" else f"{moment.year:04d}-{moment.month:02d}"


def _in_range(column: Any, mq: MetricQuery) -> Any:
    return (column >= mq.start_at) & (column < mq.end_exclusive)


def _volume(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    counts: dict[str, int] = {}
    query = Ticket.select(Ticket.received_at).where(_in_range(Ticket.received_at, mq))
    for (received,) in scoped(query, Ticket, mq).tuples():
        key = _period(received, mq)
        counts[key] = counts.get(key, 0) + 1
    return [MetricPoint(period, Decimal(n)) for period, n in counts.items()]


def _first_response_minutes(kernel: Accord, mq: MetricQuery) -> dict[str, list[float]]:
    """Business minutes from receipt to the first public reply, of the tickets answered
    in the range, by the period of the answer."""
    hours = calendar(kernel.settings("service"))
    out: dict[str, list[float]] = {}
    query = Ticket.select(Ticket.received_at, Ticket.first_responded_at).where(
        _in_range(Ticket.first_responded_at, mq))
    for received, answered in scoped(query, Ticket, mq).tuples():
        minutes = business_time(hours, received, answered).total_seconds() / 60
        out.setdefault(_period(answered, mq), []).append(minutes)
    return out


def _resolution_minutes(kernel: Accord, mq: MetricQuery) -> dict[str, list[float]]:
    """Business minutes from receipt to the resolution, less the business time the clock
    stood still (waiting on the customer; resolved before a reopen), of the tickets
    resolved in the range, by the period of the resolution."""
    hours = calendar(kernel.settings("service"))
    out: dict[str, list[float]] = {}
    query = Ticket.select(Ticket.received_at, Ticket.resolved_at,
                          Ticket.sla_paused_seconds).where(_in_range(Ticket.resolved_at, mq))
    for received, resolved, paused in scoped(query, Ticket, mq).tuples():
        seconds = business_time(hours, received, resolved).total_seconds() - (paused or 0)
        out.setdefault(_period(resolved, mq), []).append(max(seconds, 0) / 60)
    return out


def _statistic(times: Callable[[Accord, MetricQuery], dict[str, list[float]]],
               figure: Callable[[list[float]], Decimal]
               ) -> Callable[[Accord, MetricQuery], list[MetricPoint]]:
    def compute(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
        return [MetricPoint(period, figure(values))
                for period, values in times(kernel, mq).items() if values]
    return compute


def _attainment(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    """Of the tickets resolved in the range, the share that met both targets (neither
    breach flag set), by the period of the resolution."""
    met: dict[str, list[int]] = {}
    query = Ticket.select(Ticket.resolved_at, Ticket.first_response_breached,
                          Ticket.resolution_breached).where(_in_range(Ticket.resolved_at, mq))
    for resolved, first_late, resolution_late in scoped(query, Ticket, mq).tuples():
        counts = met.setdefault(_period(resolved, mq), [0, 0])
        counts[1] += 1
        if not (first_late or resolution_late):
            counts[0] += 1
    return [MetricPoint(period, (Decimal(ok * 100) / Decimal(total)).quantize(
        _PERCENT, rounding=ROUND_HALF_UP)) for period, (ok, total) in met.items()]


SERVICE_METRICS = (
    Metric("service.ticket_volume", "Tickets received (by the day the customer got in "
           "touch)", "count", _volume),
    Metric("service.first_response_median", "Median time to the first public reply, in "
           "business minutes, of the tickets answered in the period", "business minutes",
           _statistic(_first_response_minutes, median), adds_up=False),
    Metric("service.first_response_p90", "90th percentile (nearest rank) of the time to the "
           "first public reply, in business minutes", "business minutes",
           _statistic(_first_response_minutes, p90), adds_up=False),
    Metric("service.resolution_median", "Median time to the resolution, in business "
           "minutes less the time the clock stood still, of the tickets resolved in the "
           "period", "business minutes", _statistic(_resolution_minutes, median),
           adds_up=False),
    Metric("service.resolution_p90", "90th percentile (nearest rank) of the time to the "
           "resolution, in business minutes less the time the clock stood still",
           "business minutes", _statistic(_resolution_minutes, p90), adds_up=False),
    Metric("service.sla_attainment", "Share of the tickets resolved in the period that met "
           "both their first-response and resolution targets", "percent", _attainment,
           adds_up=False),
)


@hookimpl
def register_metrics() -> list[Metric]:
    return list(SERVICE_METRICS)
