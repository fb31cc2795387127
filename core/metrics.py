"""Metrics (KPIs): declared through ``register_metrics``, computed set-based in SQL.

A metric answers a ``MetricQuery`` (a date range, a grouping, owner/team filters)
with a list of points, one per month or one for the whole range.

The faces call ``metric_query`` (defaults and bounds), then ``catalog`` or ``report``
(which need ``core.metrics.read``); ``compute`` applies the same bounds to any query,
so the API, the CLI and Python callers refuse the same ranges with the same messages.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Callable

import peewee

from .database import is_postgres
from .errors import NotFound, ValidationError

if TYPE_CHECKING:
    from .kernel import Accord
    from .services.actors import Actor

logger = logging.getLogger(__name__)

__all__ = ["Metric", "MetricQuery", "MetricPoint", "compute", "list_metrics", "month_of",
           "month_expr", "months_between", "default_range", "stored", "scoped", "exact_sum",
           "CORE_METRICS", "metric_query", "check_query", "catalog", "report", "METRICS_READ",
           "MAX_MONTHS"]

#: The permission to list and compute metrics: an explicit grant (see EXPLICIT_ONLY),
#: since a metric adds up records whoever owns them.
METRICS_READ = "core.metrics.read"
#: The days a metric may be asked about, and the most months one query may span.
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(9000, 12, 31)
MAX_MONTHS = 240

#: SQLite keeps DECIMAL columns as 8-byte floats: ``exact_sum`` adds money columns (4
#: places) there as whole ten-thousandths, exactly, and turns them back into Decimals.
_SCALE = 10_000


@dataclass(frozen=True)
class MetricQuery:
    """What a metric is asked: dates ``start`` to ``end`` inclusive, by month or total."""

    start: dt.date
    end: dt.date
    by: str = "month"  # or "total"
    owner_id: int | None = None
    team_id: int | None = None

    @property
    def start_at(self) -> dt.datetime:
        """Midnight UTC of ``start``, aware: compare model datetime fields with it."""
        return dt.datetime(self.start.year, self.start.month, self.start.day,
                           tzinfo=dt.timezone.utc)

    @property
    def end_exclusive(self) -> dt.datetime:
        """Midnight UTC after ``end``, aware."""
        day = self.end + dt.timedelta(days=1)
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def stored(moment: dt.datetime) -> dt.datetime:
    """A bound as stored (naive UTC), for SQL expressions that wrap columns (COALESCE…),
    where no field converts the value."""
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class MetricPoint:
    period: str  # "2026-11", or "total"
    value: Decimal
    #: For a metric broken down by something (``Metric.group_by``: a stage, a channel,
    #: a customer…): which one; None for a plain metric.
    group: str | None = None


@dataclass(frozen=True)
class Metric:
    """A KPI a plugin declares: a name (``<plugin>.<metric>``), what it means, its unit
    (count, ratio, percent, currency, per customer per month …) and its query."""

    name: str
    description: str
    unit: str
    compute: Callable[[Accord, MetricQuery], list[MetricPoint]]
    #: What the points are broken down by (``stage``, ``channel``, ``customer``…), when
    #: they are: each point then names its ``group``.
    group_by: str | None = None


def list_metrics(kernel: Accord) -> dict[str, tuple[str, Metric]]:
    out: dict[str, tuple[str, Metric]] = {}
    for plugin, metric in kernel.plugins.collect("register_metrics"):
        if metric.name in out:
            logger.warning("metric %s of %s ignored: %s declared it first", metric.name,
                           plugin, out[metric.name][0])
            continue
        out[metric.name] = (plugin, metric)
    return out


def catalog(kernel: Accord, *, actor: Actor) -> dict[str, tuple[str, Metric]]:
    """The metrics of the running plugins by name, with the plugin declaring each."""
    from .services.authz import require

    require(actor, METRICS_READ)
    return list_metrics(kernel)


def report(kernel: Accord, name: str, query: MetricQuery, *,
           actor: Actor) -> tuple[Metric, list[MetricPoint]]:
    """One metric's definition and its points over ``query`` (see ``compute``)."""
    from .services.authz import require

    require(actor, METRICS_READ)
    points = compute(kernel, name, query)
    return list_metrics(kernel)[name][1], points


def metric_query(*, start: dt.date | None = None, end: dt.date | None = None,
                 by: str = "month", owner_id: int | None = None,
                 team_id: int | None = None, today: dt.date | None = None) -> MetricQuery:
    """The query the faces ask: without ``end``, up to today; without ``start``, a year
    of whole months up to the end. ValidationError names what is out of bounds."""
    problems = _problems(start, end, by)
    if problems:
        raise ValidationError(problems)
    last = end if end is not None else (today or dt.date.today())
    query = MetricQuery(start if start is not None else default_range(last)[0], last,
                        by=by, owner_id=owner_id, team_id=team_id)
    check_query(query)
    return query


def check_query(query: MetricQuery) -> None:
    """Refuse dates out of FIRST_DAY..LAST_DAY, a start after the end, a grouping other
    than month or total, and a range of more than MAX_MONTHS months."""
    problems = _problems(query.start, query.end, query.by)
    if problems:
        raise ValidationError(problems)
    if query.start > query.end:
        raise ValidationError({"from": [f"{query.start} is after {query.end}"]})
    months = (query.end.year - query.start.year) * 12 + query.end.month - query.start.month + 1
    if months > MAX_MONTHS:
        raise ValidationError({"from": [
            f"the range spans {months} months; ask for at most {MAX_MONTHS} at once"]})


def _problems(start: dt.date | None, end: dt.date | None, by: str) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for key, day in (("from", start), ("to", end)):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            problems[key] = [f"give a date from {FIRST_DAY} to {LAST_DAY}"]
    if by not in ("month", "total"):
        problems["by"] = ["use month or total"]
    return problems


def compute(kernel: Accord, name: str, query: MetricQuery) -> list[MetricPoint]:
    """Compute one metric; every month of the range appears, zero when empty (for a
    broken-down metric: every month of each group that has a point, groups by name).
    The range is checked first (``check_query``)."""
    check_query(query)
    metrics = list_metrics(kernel)
    if name not in metrics:
        raise NotFound(f"unknown metric {name!r} (known: {', '.join(sorted(metrics))})")
    with kernel.bound():
        points = {(p.group, p.period): p.value for p in metrics[name][1].compute(kernel, query)}
    periods = months_between(query.start, query.end) if query.by == "month" else ["total"]
    metric = metrics[name][1]
    groups: list[str | None] = [None]
    if metric.group_by:
        groups = [*sorted({g for g, _ in points if g is not None})]
    # An empty period of an amount or a percentage reads like its others: 0.00.
    zero = Decimal("0.00") if metric.unit in ("currency", "percent") else Decimal(0)
    return [MetricPoint(p, points.get((g, p), zero), g) for g in groups for p in periods]


def default_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """The range a metric covers when none is given: the first of the month eleven
    months back (a year of whole months) to ``today``."""
    month = today.month - 11
    year = today.year
    while month < 1:
        month += 12
        year -= 1
    return dt.date(year, month, 1), today


def months_between(start: dt.date, end: dt.date) -> list[str]:
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def month_of(kernel: Accord, expr: Any, query: MetricQuery) -> Any:
    """The ``YYYY-MM`` bucket of a date/datetime expression, or 'total'."""
    if query.by == "total":
        # A bare literal in GROUP BY is refused by PostgreSQL ("non-integer constant").
        return peewee.Cast(peewee.Value("total"), "TEXT")
    return month_expr(kernel, expr)


def month_expr(kernel: Accord, expr: Any) -> Any:
    """The ``YYYY-MM`` of a date or datetime expression, on either engine."""
    if is_postgres(kernel.database):
        return peewee.fn.to_char(expr, "YYYY-MM")
    return peewee.fn.strftime("%Y-%m", expr)


def exact_sum(kernel: Accord, column: Any, *, weight: Any = None,
              when: Any = None) -> tuple[Any, Callable[[Any], Decimal]]:
    """``SUM(column [* weight / 100])`` over the rows ``when`` holds (all without it),
    exact on both engines, and the function turning its result into a Decimal.

    ``column`` is a decimal column of at most 4 places (money, a quantity); ``weight``
    an integer percentage column (a probability). PostgreSQL sums numerics exactly;
    SQLite sums whole ten-thousandths as integers."""
    if is_postgres(kernel.database):
        value, divisor = column, Decimal(1)
    else:
        value, divisor = peewee.Cast(peewee.fn.ROUND(column * _SCALE), "INTEGER"), Decimal(_SCALE)
    if weight is not None:
        value = value * weight
        divisor *= 100
    if when is not None:
        value = peewee.Case(None, [(when, value)], 0)
    return peewee.fn.SUM(value), lambda v: Decimal(v or 0) / divisor


def _ratio(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# The core's own metrics -------------------------------------------------------

def scoped(query: Any, model: Any, mq: MetricQuery) -> Any:
    """``query`` limited to the owner and team ``mq`` asks for (``model.owner``/``team``)."""
    if mq.owner_id is not None:
        query = query.where(model.owner == mq.owner_id)
    if mq.team_id is not None:
        query = query.where(model.team == mq.team_id)
    return query


def _new_customers(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    from .models import Organization as O

    bucket = month_of(kernel, O.customer_since, mq)
    query = (O.select(bucket.alias("period"), peewee.fn.COUNT(O.id))
             .where(O.customer_since >= mq.start, O.customer_since <= mq.end)
             .group_by(bucket))
    return [MetricPoint(p, Decimal(n)) for p, n in scoped(query, O, mq).tuples()]


def _customer_activities(kernel: Accord, mq: MetricQuery) -> Any:
    """Activities about customer organizations in the range: (period, org) rows.

    An activity is about an organization through its ``organization`` link or a
    generic ``record_type``/``record_id`` link; it counts on its done (else created) date.
    """
    from .models import Activity as A
    from .models import Organization as O

    at = peewee.fn.COALESCE(A.done_at, A.created_at)
    org = peewee.fn.COALESCE(A.organization, peewee.Case(
        None, [((A.record_type == "organization"), A.record_id)], None))
    query = (A.select(month_of(kernel, at, mq).alias("period"), org.alias("org"))
             .join(O, on=(O.id == org))
             .where(O.relationship == "customer", at >= stored(mq.start_at),
                    at < stored(mq.end_exclusive)))
    return scoped(query, O, mq)


def _active_customers(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    sub = _customer_activities(kernel, mq).alias("acts")
    query = (peewee.Select([sub], [sub.c.period, peewee.fn.COUNT(sub.c.org.distinct())])
             .group_by(sub.c.period).bind(kernel.database))
    return [MetricPoint(p, Decimal(n)) for p, n in query.tuples()]


def _contact_frequency(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    from .models import Organization as O

    customers = scoped(O.select().where(O.relationship == "customer"), O, mq).count()
    if not customers:
        return []
    sub = _customer_activities(kernel, mq).alias("acts")
    query = (peewee.Select([sub], [sub.c.period, peewee.fn.COUNT(peewee.SQL("*"))])
             .group_by(sub.c.period).bind(kernel.database))
    months = 1 if mq.by == "month" else len(months_between(mq.start, mq.end))
    return [MetricPoint(p, _ratio(Decimal(n) / customers / months)) for p, n in query.tuples()]


CORE_METRICS = (
    Metric("core.new_customers", "Organizations that became customers in the period",
           "count", _new_customers),
    Metric("core.active_customers",
           "Customers with at least one activity (call, meeting, email, task, note) in the period",
           "count", _active_customers),
    Metric("core.contact_frequency",
           "Activities per customer per month, over all current customers",
           "activities per customer per month", _contact_frequency),
)
