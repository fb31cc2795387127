"""The service metrics (KPIs) of ``accord report``, the metrics API and the dashboard:
ticket volume, first-response and resolution times (median and p90, in business
minutes), SLA attainment, the complaint rate and the backlog by age.

Each is one set-based query (two for the complaint rates, whose denominators are other
metrics), limited to the query's owner and team and to the reader's record rule
(``scoped``). The times are the business seconds the services store on each ticket when
it is answered and resolved (``first_response_seconds``, ``resolution_seconds``: the
firm's business hours, which SQL knows nothing of, are counted then), so the median and
the 90th percentile are taken in SQL: ``percentile_cont``/``percentile_disc`` on
PostgreSQL, window functions on SQLite. The exact definitions are in docs/service.md
(Metrics).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import statistics
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Callable

import peewee

from accord.database import is_postgres
from accord.hooks import hookimpl
from accord.metrics import Metric, MetricPoint, MetricQuery, compute, month_of, scoped

from .models import Ticket

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["register_metrics", "SERVICE_METRICS", "median", "p90", "AGES", "COMPLAINT",
           "ORDER_STATUSES", "backlog_condition"]

_TENTH = Decimal("0.1")
_PERCENT = Decimal("0.01")
_MINUTE = Decimal(60)
#: The category whose tickets the complaint rates count.
COMPLAINT = "complaint"
#: The backlog's age buckets: (name, the age it reaches up to, excluded); the last has
#: no bound. Their names sort in this order (the metrics list groups by name).
AGES = (("0-1 days", dt.timedelta(days=1)), ("1-3 days", dt.timedelta(days=3)),
        ("3-7 days", dt.timedelta(days=7)), ("7+ days", None))
#: The sales orders the complaint rate per 100 orders counts: all but cancelled ones.
ORDER_STATUSES = ("confirmed", "partially_fulfilled", "fulfilled")
_ORDER = "sales.order"


def median(values: list[float]) -> Decimal:
    """The middle value (the mean of the two middle ones for an even count), to 0.1:
    what the SQL of the ``*_median`` metrics computes (the tests hold one to the other)."""
    return Decimal(str(statistics.median(values))).quantize(_TENTH, rounding=ROUND_HALF_UP)


def p90(values: list[float]) -> Decimal:
    """The 90th percentile by nearest rank: the value at rank ceil(0.9 × n) of the
    sorted values (of 4 values, the 4th; of 10, the 9th), to 0.1."""
    ranked = sorted(values)
    value = ranked[math.ceil(0.9 * len(ranked)) - 1]
    return Decimal(str(value)).quantize(_TENTH, rounding=ROUND_HALF_UP)


def _in_range(column: Any, mq: MetricQuery) -> Any:
    return (column >= mq.start_at) & (column < mq.end_exclusive)


def _period_of_end(mq: MetricQuery) -> str:
    return "total" if mq.by == "total" else f"{mq.end.year:04d}-{mq.end.month:02d}"


def _minutes(seconds: Any) -> Decimal:
    return (Decimal(str(seconds)) / _MINUTE).quantize(_TENTH, rounding=ROUND_HALF_UP)


def _per_hundred(count: int, base: Decimal) -> Decimal:
    return (Decimal(count * 100) / base).quantize(_PERCENT, rounding=ROUND_HALF_UP)


# Volume and SLA attainment ---------------------------------------------------------

def _volume(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    T = Ticket
    bucket = month_of(kernel, T.received_at, mq)
    # COUNT(*), not of the ids: PostgreSQL then counts from the index alone.
    query = (T.select(bucket.alias("period"), peewee.fn.COUNT(peewee.SQL("*")))
             .where(_in_range(T.received_at, mq)).group_by(bucket))
    return [MetricPoint(p, Decimal(n)) for p, n in scoped(query, T, mq).tuples()]


def _attainment(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    """Of the tickets resolved in the range, the share that met both targets (neither
    breach flag set), by the period of the resolution."""
    T = Ticket
    bucket = month_of(kernel, T.resolved_at, mq)
    met = peewee.Case(None, [((T.first_response_breached == False)  # noqa: E712 (SQL)
                              & (T.resolution_breached == False), 1)], 0)  # noqa: E712
    query = (T.select(bucket.alias("period"), peewee.fn.SUM(met), peewee.fn.COUNT(T.id))
             .where(_in_range(T.resolved_at, mq)).group_by(bucket))
    return [MetricPoint(p, _per_hundred(int(ok), Decimal(total)))
            for p, ok, total in scoped(query, T, mq).tuples() if total]


# First response and resolution times ---------------------------------------------------

def _ordered(aggregate: Any, column: Any) -> Any:
    """``aggregate WITHIN GROUP (ORDER BY column)`` (PostgreSQL's ordered-set aggregates)."""
    return peewee.NodeList((aggregate, peewee.SQL("WITHIN GROUP"), peewee.NodeList(
        (peewee.SQL("ORDER BY"), column), parens=True)))


def _statistic(at: Any, seconds: Any, kind: str
               ) -> Callable[[Accord, MetricQuery], list[MetricPoint]]:
    """The median (``kind`` "median": the mean of the two middle values of an even
    count) or the 90th percentile by nearest rank ("p90": rank ceil(0.9 n)) of the
    business seconds ``seconds`` of the tickets whose ``at`` is in the range, by the
    period of ``at``, in business minutes to 0.1: one query."""

    def compute_points(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
        T = Ticket
        bucket = month_of(kernel, at, mq)
        where = _in_range(at, mq) & seconds.is_null(False)
        if is_postgres(kernel.database):
            figure = (_ordered(peewee.fn.percentile_cont(0.5), seconds) if kind == "median"
                      else _ordered(peewee.fn.percentile_disc(0.9), seconds))
            query = scoped(T.select(bucket.alias("period"), figure).where(where)
                           .group_by(bucket), T, mq)
            rows = list(query.tuples())
        else:
            # SQLite: each value's rank within its period, and the period's count.
            inner = scoped(T.select(
                bucket.alias("period"), seconds.alias("s"),
                peewee.fn.ROW_NUMBER().over(partition_by=[bucket],
                                            order_by=[seconds]).alias("rn"),
                peewee.fn.COUNT(peewee.SQL("*")).over(partition_by=[bucket]).alias("n"),
            ).where(where), T, mq).alias("ranked")
            rn, n = inner.c.rn, inner.c.n
            if kind == "median":  # ranks (n + 1) / 2 and (n + 2) / 2, integer division
                pick, value = (rn == (n + 1) / 2) | (rn == (n + 2) / 2), peewee.fn.AVG(inner.c.s)
            else:  # rank ceil(9 n / 10), in integers
                pick, value = rn == (n * 9 + 9) / 10, peewee.fn.MAX(inner.c.s)
            query = (peewee.Select([inner], [inner.c.period, value]).where(pick)
                     .group_by(inner.c.period).bind(kernel.database))
            rows = list(query.tuples())
        return [MetricPoint(p, _minutes(v)) for p, v in rows if v is not None]

    return compute_points


# Complaints ------------------------------------------------------------------------

def _complaints(kernel: Accord, mq: MetricQuery) -> dict[str, int]:
    """Tickets of the category ``complaint`` received in the range, by period."""
    T = Ticket
    bucket = month_of(kernel, T.received_at, mq)
    query = (T.select(bucket.alias("period"), peewee.fn.COUNT(T.id))
             .where(_in_range(T.received_at, mq), T.category == COMPLAINT).group_by(bucket))
    return {p: n for p, n in scoped(query, T, mq).tuples()}


def _firm_wide(mq: MetricQuery) -> MetricQuery:
    """The query of a denominator: the firm's whole figure (no owner or team filter),
    as far as the reader may read."""
    return dataclasses.replace(mq, owner_id=None, team_id=None, _run=None)


def _complaint_rate(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    """Complaints received in the period per 100 of the firm's active customers of the
    period (``core.active_customers``)."""
    complaints = _complaints(kernel, mq)
    customers = {p.period: p.value for p in compute(kernel, "core.active_customers",
                                                    _firm_wide(mq))}
    return [MetricPoint(p, _per_hundred(n, customers[p])) for p, n in complaints.items()
            if customers.get(p)]


def _orders(kernel: Accord, mq: MetricQuery) -> dict[str, int]:
    """Sales orders dated in each period (not cancelled) the reader may read: one query
    built by the core from the ``sales.order`` record type (``accord.query``: its read
    permission, record rule and filters), grouped by the month of its ``order_date``;
    the sales plugin's models and tables are never named here."""
    from accord.query import build_query

    record_type = kernel.records.get(_ORDER)
    query = build_query(kernel, record_type, {
        "order_date__gte": mq.start.isoformat(), "order_date__lte": mq.end.isoformat(),
        "status__in": list(ORDER_STATUSES)}, actor=mq.reader)
    day = record_type.model._meta.fields["order_date"]
    bucket = month_of(kernel, day, mq)
    counted: Any = query.select(bucket.alias("period"), peewee.fn.COUNT(peewee.SQL("*")))
    return {period: n for period, n in counted.order_by().group_by(bucket).tuples()}


def _complaints_per_orders(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    """Complaints received in the period per 100 sales orders dated in it; no points
    without the sales plugin."""
    complaints = _complaints(kernel, mq)
    if _ORDER not in kernel.records or "sales" not in kernel.plugins.active:
        return []
    orders = _orders(kernel, mq)
    return [MetricPoint(p, _per_hundred(n, Decimal(orders[p]))) for p, n in complaints.items()
            if orders.get(p)]


# The backlog -------------------------------------------------------------------------

def backlog_condition(at: dt.datetime) -> Any:
    """The tickets open at ``at``: received before it and not resolved by then (a
    closed ticket was resolved first)."""
    T = Ticket
    return (T.received_at < at) & (T.resolved_at.is_null() | (T.resolved_at >= at))


def _backlog(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    """The tickets open at the end of the range by age (from receipt to the end of the
    range, in calendar time), one point per age bucket in the range's last period."""
    T = Ticket
    end = mq.end_exclusive
    age = peewee.Case(None, [(T.received_at > end - bound, peewee.Value(name))
                             for name, bound in AGES if bound is not None], AGES[-1][0])
    query = (T.select(age.alias("age"), peewee.fn.COUNT(T.id))
             .where(backlog_condition(end)).group_by(age))
    period = _period_of_end(mq)
    return [MetricPoint(period, Decimal(n), group) for group, n in scoped(query, T, mq).tuples()]


_ANSWERED, _RESOLVED = Ticket.first_responded_at, Ticket.resolved_at

SERVICE_METRICS = (
    Metric("service.ticket_volume", "Tickets received (by the day the customer got in "
           "touch)", "count", _volume),
    Metric("service.first_response_median", "Median time to the first public reply, in "
           "business minutes, of the tickets answered in the period", "business minutes",
           _statistic(_ANSWERED, Ticket.first_response_seconds, "median"), adds_up=False),
    Metric("service.first_response_p90", "90th percentile (nearest rank) of the time to the "
           "first public reply, in business minutes", "business minutes",
           _statistic(_ANSWERED, Ticket.first_response_seconds, "p90"), adds_up=False),
    Metric("service.resolution_median", "Median time to the resolution, in business "
           "minutes less the time the clock stood still, of the tickets resolved in the "
           "period", "business minutes",
           _statistic(_RESOLVED, Ticket.resolution_seconds, "median"), adds_up=False),
    Metric("service.resolution_p90", "90th percentile (nearest rank) of the time to the "
           "resolution, in business minutes less the time the clock stood still",
           "business minutes", _statistic(_RESOLVED, Ticket.resolution_seconds, "p90"),
           adds_up=False),
    Metric("service.sla_attainment", "Share of the tickets resolved in the period that met "
           "both their first-response and resolution targets", "percent", _attainment,
           adds_up=False),
    Metric("service.complaint_rate", "Complaints (tickets of the category complaint) "
           "received in the period per 100 active customers of the firm (customers with an "
           "activity in the period, core.active_customers)", "per 100 customers",
           _complaint_rate, adds_up=False),
    Metric("service.complaints_per_100_orders", "Complaints received in the period per 100 "
           "sales orders dated in it (not cancelled); none without the sales plugin",
           "per 100 orders", _complaints_per_orders, adds_up=False),
    Metric("service.backlog_by_age", "Tickets open (not resolved or closed) at the end of "
           "the range, by age since receipt: 0-1 days, 1-3 days, 3-7 days, 7+ days",
           "count", _backlog, group_by="age", adds_up=False),
)


@hookimpl
def register_metrics() -> list[Metric]:
    from .surveys import SURVEY_METRICS  # CSAT and NPS (issue 13, surveys)
    from .returns import RETURN_RATE  # returned over sold, per product (returns)
    from .repair_metrics import REPAIR_METRICS  # repair and warranty cost by product
    return [*SERVICE_METRICS, *SURVEY_METRICS, RETURN_RATE, *REPAIR_METRICS]
