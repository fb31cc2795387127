"""Metrics (KPIs): declared through ``register_metrics``, computed set-based in SQL.

A metric answers a ``MetricQuery`` (a date range, a grouping, owner/team filters)
with a list of points, one per month or one for the whole range.

The faces call ``metric_query`` (defaults and bounds), then ``catalog`` or ``report``
(which need ``core.metrics.read``); ``compute`` applies the same bounds to any query,
so the API, the CLI and Python callers refuse the same ranges with the same messages.

A metric counts only what its reader may read: ``report`` sets the query's ``reader``
(a restricted actor), and a metric limits its query with ``scoped`` (or
``rule_condition``, ``reading``, ``reaches``), which apply the reader's record rule for
each record type it counts, check the reader's read permission, and refuse an owner or
team filter the rule does not reach. Money is added up in the base currency
(``MoneySum``, accord.rates), with what has no exchange rate reported on each point
(``MetricPoint.unconverted``), never dropped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Callable

import peewee

from .database import is_postgres
from .errors import NotFound, PermissionDenied, ValidationError
from .money import Money, round_amount
from .rates import Converted, RateBook, Totals, base_currency

if TYPE_CHECKING:
    from .kernel import Accord
    from .services.actors import Actor

logger = logging.getLogger(__name__)

__all__ = ["Metric", "MetricQuery", "MetricPoint", "compute", "list_metrics", "month_of",
           "month_expr", "months_between", "default_range", "stored", "scoped", "exact_sum",
           "CORE_METRICS", "metric_query", "check_query", "catalog", "report", "METRICS_READ",
           "MAX_MONTHS", "rule_condition", "reading", "reaches", "MoneySum", "conversion_day",
           "money_point", "round_money"]

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
    #: Whose record rules the figures obey: a restricted actor (a user through the API;
    #: ``report`` sets it) counts only the records its rules reach. None: every record.
    reader: Actor | None = None
    #: Set by ``compute`` for the metric's run: the kernel, and the record types the
    #: metric said it counts.
    _run: _Run | None = field(default=None, compare=False, repr=False)

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
    #: Amounts the value leaves out because no exchange rate converts them into the base
    #: currency on their day, per currency (signed: a cost left out of a margin is
    #: negative). Empty when everything was converted.
    unconverted: tuple[Money, ...] = ()


class _Run:
    """One computation of a metric: its kernel, and the record types it consulted."""

    def __init__(self, kernel: Accord) -> None:
        self.kernel = kernel
        self.consulted: set[str] = set()


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
    #: Whether the value grows through a period as things happen (a count, a sum of
    #: amounts), so a goal's pace expects a share of the target by now; a level (a
    #: rate, an average) is held against the whole target. None: the unit decides
    #: (``count`` and ``currency`` add up; see accord.goals).
    adds_up: bool | None = None
    #: For a broken-down metric: whether its smallest groups matter most (the emptiest
    #: fields of a completeness figure), so a dashboard card lists those first.
    smallest_first: bool = False


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
    """One metric's definition and its points over ``query`` (see ``compute``), counting
    only the records ``actor`` may read: a restricted actor becomes the query's reader.

    An ``owner_id`` or ``team_id`` filter must name a user or team whose records the
    reader's rule reaches; another (or one that does not exist) is refused with the
    same message, naming the filter."""
    from .services.authz import require

    require(actor, METRICS_READ)
    if actor.restricted:
        query = dataclasses.replace(query, reader=actor)
    _check_filter_ids(kernel, query)
    points = compute(kernel, name, query)
    return list_metrics(kernel)[name][1], points


def _no_owner(user_id: int) -> str:
    return f"there is no user {user_id} whose records you may read"


def _no_team(team_id: int) -> str:
    return f"there is no team {team_id} whose records you may read"


def _check_filter_ids(kernel: Accord, query: MetricQuery) -> None:
    """The owner and team filters name a user and a team that exist (one query each)."""
    from .models import Team, User

    problems: dict[str, list[str]] = {}
    with kernel.bound():
        if query.owner_id is not None and not User.select(User.id).where(
                User.id == query.owner_id).exists():
            problems["owner_id"] = [_no_owner(query.owner_id)]
        if query.team_id is not None and not Team.select(Team.id).where(
                Team.id == query.team_id).exists():
            problems["team_id"] = [_no_team(query.team_id)]
    if problems:
        raise ValidationError(problems)


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
    The range is checked first (``check_query``).

    With a restricted ``query.reader``, a metric that applied no record rule (it called
    none of ``scoped``, ``rule_condition``, ``reading``, ``reaches``) is refused unless
    the reader's rules reach every record: it could count records the reader may not
    read."""
    check_query(query)
    metrics = list_metrics(kernel)
    if name not in metrics:
        raise NotFound(f"unknown metric {name!r} (known: {', '.join(sorted(metrics))})")
    metric = metrics[name][1]
    run = _Run(kernel)
    with kernel.bound():
        found = metric.compute(kernel, dataclasses.replace(query, _run=run))
    _check_rules_applied(name, query.reader, run)
    points = {(p.group, p.period): p for p in found}
    periods = months_between(query.start, query.end) if query.by == "month" else ["total"]
    groups: list[str | None] = [None]
    if metric.group_by:
        groups = [*sorted({g for g, _ in points if g is not None})]
    # An empty period of an amount or a percentage reads like its others: 0.00.
    zero = Decimal("0.00") if metric.unit in ("currency", "percent") else Decimal(0)
    return [points.get((g, p)) or MetricPoint(p, zero, g) for g in groups for p in periods]


def _check_rules_applied(name: str, reader: Actor | None, run: _Run) -> None:
    if reader is None or not reader.restricted or run.consulted:
        return
    if all(scope == "all" for _, scope in reader.rules):
        return
    raise PermissionDenied(
        f"{reader.label} ({reader.role}) may not compute {name}: the metric does not say "
        "whose records it counts (accord.metrics.scoped), and their record rules reach "
        "only some records")


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
    # Not coerced: the text is the bucket; peewee would try to parse it as a date.
    if is_postgres(kernel.database):
        return peewee.fn.to_char(expr, "YYYY-MM").coerce(False)
    return peewee.fn.strftime("%Y-%m", expr).coerce(False)


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


# Record rules ----------------------------------------------------------------

def scoped(query: Any, model: Any, mq: MetricQuery, *, record_type: str | None = None,
           owner: Any = None, team: Any = None) -> Any:
    """``query`` limited to the owner and team ``mq`` asks for, and to the records the
    reader's rule for their record type reaches (see ``rule_condition``).

    ``model`` is the record type's model (``model.owner``, ``model.team``); a table
    that copies a record's owner and team (a snapshot) names the record type and its
    ``owner`` and ``team`` columns."""
    owner = owner if owner is not None else getattr(model, "owner", None)
    team = team if team is not None else getattr(model, "team", None)
    if mq.owner_id is not None and owner is not None:
        query = query.where(owner == mq.owner_id)
    if mq.team_id is not None and team is not None:
        query = query.where(team == mq.team_id)
    name = record_type if record_type is not None else _type_of(mq, model)
    if owner is None:  # records without owners: the permission is all there is to check
        _scope(mq, name)
        return query
    condition = rule_condition(mq, name, owner, team)
    return query if condition is None else query.where(condition)


def rule_condition(mq: MetricQuery, record_type: str | None, owner: Any,
                   team: Any = None, *, filtered: bool = True) -> Any:
    """The SQL condition keeping the records of ``record_type`` (``acme_dental.visit``)
    whose ``owner``/``team`` columns the reader's rule reaches; None when it reaches
    all (or there is no reader).

    Checks first that the reader holds the type's read permission and, unless the
    query's owner and team filters apply to other records (``filtered=False``), that
    they are within the rule (ValidationError naming the filter)."""
    from .services.authz import rule_condition as condition_of

    scope = _scope(mq, record_type, filtered=filtered)
    if scope == "all" or mq.reader is None:
        return None
    return condition_of(scope, mq.reader, owner, team)


def reading(mq: MetricQuery, *record_types: str) -> None:
    """Say that the metric reads records of these types without limiting them in SQL
    (products, competitors, or owned records it filters in Python with ``reaches``):
    the reader needs their read permission (PermissionDenied), and the query's owner
    and team filters must be within the reader's rule for each (ValidationError)."""
    for name in record_types:
        _scope(mq, name)


def reaches(mq: MetricQuery, record_type: str, owner_id: int | None,
            team_id: int | None) -> bool:
    """Whether the reader's rule for ``record_type`` reaches a record with this owner
    and team, for rows filtered in Python (checks as ``rule_condition`` does)."""
    scope = _scope(mq, record_type)
    reader = mq.reader
    if scope == "all" or reader is None:
        return True
    if scope == "own":
        return owner_id == reader.user_id
    return owner_id in reader.teammate_ids or team_id in reader.team_ids


def _type_of(mq: MetricQuery, model: Any) -> str | None:
    """The record type a model stores, when it is one the kernel knows."""
    if mq._run is None:
        return None
    found = mq._run.kernel.records.for_model(model)
    return found.name if found is not None else None


def _scope(mq: MetricQuery, record_type: str | None, *, filtered: bool = True) -> str:
    """The reader's rule for ``record_type`` (``all`` without a reader; the rule for
    every record, ``*``, for a table that is no record type), once its read permission
    and the query's filters are checked."""
    if mq._run is not None:
        mq._run.consulted.add(record_type or "*")
    reader = mq.reader
    if reader is None or not reader.restricted:
        return "all"
    if record_type is not None:
        from .services.authz import require

        plugin_type = record_type if "." in record_type else f"core.{record_type}"
        require(reader, f"{plugin_type}.read")
        records = mq._run.kernel.records if mq._run is not None else None
        if records is not None and record_type in records and \
                not records.get(record_type).owned:
            return "all"  # record rules limit owned records only (as lists do)
    scope = reader.scope(record_type if record_type is not None else "*")
    if scope == "all" or not filtered:
        return scope
    problems: dict[str, list[str]] = {}
    owner_id, team_id = mq.owner_id, mq.team_id
    if owner_id is not None and (owner_id != reader.user_id if scope == "own"
                                 else owner_id not in reader.teammate_ids):
        problems["owner_id"] = [_no_owner(owner_id)]
    if team_id is not None and team_id not in reader.team_ids:
        problems["team_id"] = [_no_team(team_id)]
    if problems:
        raise ValidationError(problems)
    return scope


# Money in the base currency ------------------------------------------------------

def conversion_day(kernel: Accord, currency: Any, day: Any) -> Any:
    """The day an amount is converted on, as SQL to select and group by beside its
    currency: NULL for amounts in the base currency, which need no rate (so they are
    not split by day)."""
    # Not coerced: peewee would parse each day with strptime; accord.rates.as_day
    # reads a date, a datetime or SQLite's ISO text alike.
    return peewee.Case(None, [(currency == base_currency(kernel), None)],
                       peewee.fn.DATE(day).coerce(False))


class MoneySum:
    """``SUM(column)`` (``exact_sum``, with its ``weight`` and ``when``) in the base
    currency: the amounts of each currency and day are added up exactly in SQL, then
    converted with the rate of their day (``accord.rates``).

    Select ``columns`` and group by ``keys`` beside your own; pass each row to ``add``
    with its key; ``result()`` then gives a ``Converted`` per key (one more query, for
    the rates, when there are amounts in other currencies). Sums of one metric share
    their rates with ``rates=first.rates``: add every row to each before the first
    ``result()``, and the rates are read once."""

    def __init__(self, kernel: Accord, column: Any, currency: Any, day: Any, *,
                 weight: Any = None, when: Any = None, rates: RateBook | None = None) -> None:
        self.total, self._to_decimal = exact_sum(kernel, column, weight=weight, when=when)
        self.day = conversion_day(kernel, currency, day)
        self.currency = currency
        self._totals = Totals(kernel, book=rates)
        self.rates = self._totals.book
        self.base = self._totals.base

    @property
    def columns(self) -> list[Any]:
        """What to select: the currency, its conversion day, the sum."""
        return [self.currency, self.day, self.total]

    @property
    def keys(self) -> list[Any]:
        """What to group by, beside the query's own keys."""
        return [self.currency, self.day]

    def add(self, key: Any, currency: str, day: Any, value: Any, count: int = 1) -> None:
        """One row's ``columns`` (and how many items it adds up, for averages)."""
        self._totals.add(key, self._to_decimal(value), currency, day, count)

    def result(self) -> dict[Any, Converted]:
        return self._totals.result()


def round_money(amount: Decimal, currency: str) -> Decimal:
    """An amount to its currency's minor unit (the cent without one), half up."""
    return round_amount(amount, currency)


def money_point(period: str, figure: Converted, currency: str,
                group: str | None = None) -> MetricPoint:
    """The point of an amount added up in ``currency`` (the base), rounded to its minor
    unit, with what had no rate."""
    return MetricPoint(period, round_money(figure.amount, currency), group, figure.left_out())


# The core's own metrics -------------------------------------------------------


def _new_customers(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    from .models import Organization as O

    bucket = month_of(kernel, O.customer_since, mq)
    # COUNT(*), not of the ids: PostgreSQL then counts from the index alone.
    query = (O.select(bucket.alias("period"), peewee.fn.COUNT(peewee.SQL("*")))
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
    # The owner and team filters are the organization's; the reader's rules are both
    # the organization's and the activity's (only activities the reader may read count).
    activities = rule_condition(mq, "activity", A.owner, A.team, filtered=False)
    if activities is not None:
        query = query.where(activities)
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


def _completeness(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    from .quality import completeness

    return completeness(kernel, mq)


def _stale_records(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    from .quality import stale_records

    return stale_records(kernel, mq)


CORE_METRICS = (
    Metric("core.new_customers", "Organizations that became customers in the period",
           "count", _new_customers),
    Metric("core.active_customers",
           "Customers with at least one activity (call, meeting, email, task, note) in the period",
           "count", _active_customers),
    Metric("core.contact_frequency",
           "Activities per customer per month, over all current customers",
           "activities per customer per month", _contact_frequency),
    Metric("core.completeness",
           "Data quality: the share of each record type's records whose field holds a "
           "value (custom fields included), as of today", "percent", _completeness,
           group_by="field", adds_up=False, smallest_first=True),
    Metric("core.stale_records",
           "Data quality: records no one has changed since the range's first day, per "
           "record type, as of today", "count", _stale_records, group_by="record_type",
           adds_up=False),
)
