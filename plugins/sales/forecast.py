"""The sales forecast: per month of expected close, the weighted pipeline, what is
committed, the best case and what was won, and the product demand the pipeline and
the order run-rate point to.

Set-based: ``forecast`` runs the same few grouped queries whatever the number of
opportunities, quotes and orders. Amounts stay per currency, never added together.
The SQL pieces (which stages are open, won or lost; exact money sums on both engines)
are shared with the sales metrics (metrics.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import peewee

from accord.errors import ValidationError
from accord.metrics import exact_sum, month_expr
from accord.models import Product, Team, User

from .models import Opportunity, Order, OrderLine, Quote, QuoteLine
from .services.documents import cents
from .settings import pipelines

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["Forecast", "ForecastRow", "ProductDemand", "forecast", "FORECAST_GROUPS",
           "MAX_MONTHS", "RUN_RATE_MONTHS", "UNDATED", "NONE", "OPEN_QUOTE_STATUSES",
           # SQL pieces the sales metrics use too:
           "stage_condition", "open_condition", "cents"]

#: What ``forecast(by=...)`` groups by, besides nothing.
FORECAST_GROUPS = ("owner", "team", "pipeline")
MAX_MONTHS = 36
#: Full months before the forecast's first month whose orders make the run-rate.
RUN_RATE_MONTHS = 6
#: The years a forecast's months (and its run-rate months) may fall in: far enough
#: from the calendar's ends that month arithmetic never leaves it.
FIRST_YEAR, LAST_YEAR = 1900, 9899
#: The month of open opportunities without an expected close date.
UNDATED = "undated"
#: The group of opportunities without an owner (or a team).
NONE = "(none)"
#: Quote statuses still in play: their lines are expected demand.
OPEN_QUOTE_STATUSES = ("draft", "sent")

_UNIT = Decimal("0.0001")
_Amounts = dict[str, Decimal]


# SQL pieces shared with metrics.py ---------------------------------------------

def stage_condition(kernel: Accord, *kinds: str) -> Any:
    """Opportunities whose stage is of one of ``kinds`` (``won``, ``lost``) in their
    pipeline, from the settings: one condition, no query."""
    parts = [(Opportunity.pipeline == name) & Opportunity.stage.in_(stages)
             for name, stages in _stages(kernel, kinds)]
    if not parts:
        return peewee.SQL("1 = 0")
    return functools.reduce(operator.or_, parts)


def open_condition(kernel: Accord) -> Any:
    """Open opportunities: any stage that is not won or lost, a stage the settings no
    longer name included (as ``accord sales pipeline`` treats it)."""
    return ~stage_condition(kernel, "won", "lost")


def _stages(kernel: Accord, kinds: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    out = []
    for name, pipeline in pipelines(kernel).items():
        stages = [s.name for s in pipeline.stages if s.kind in kinds]
        if stages:
            out.append((name, stages))
    return out


# The forecast ------------------------------------------------------------------

@dataclass
class ForecastRow:
    """The figures of one month (or of the undated opportunities) for one group, each
    per currency (a currency with nothing is left out), to the cent: weighted amounts
    are rounded half up per row."""

    month: str  # "2026-05", or UNDATED
    group: str | None = None
    #: Open opportunities counted (expected to close in the month).
    opportunities: int = 0
    #: Σ amount × probability / 100 of the open opportunities.
    weighted: _Amounts = field(default_factory=dict)
    #: Σ amount of the open opportunities whose probability is at least the
    #: ``commit_probability`` setting.
    committed: _Amounts = field(default_factory=dict)
    #: Σ amount of all the open opportunities.
    best_case: _Amounts = field(default_factory=dict)
    #: Σ amount of the opportunities won in the month (by ``closed_at``).
    won: _Amounts = field(default_factory=dict)

    def add(self, other: ForecastRow) -> None:
        self.opportunities += other.opportunities
        for mine, theirs in ((self.weighted, other.weighted), (self.committed, other.committed),
                             (self.best_case, other.best_case), (self.won, other.won)):
            for currency, amount in theirs.items():
                mine[currency] = mine.get(currency, Decimal(0)) + amount


@dataclass
class ProductDemand:
    """What one product is expected to sell in one month: the weighted pipeline (lines
    of the open quotes of open opportunities expected to close then, × probability)
    plus the monthly order run-rate. Units to 4 places, values to the cent, per
    currency."""

    month: str
    product_id: int
    sku: str
    name: str
    pipeline_units: Decimal = Decimal(0)
    pipeline_value: _Amounts = field(default_factory=dict)
    run_rate_units: Decimal = Decimal(0)
    run_rate_value: _Amounts = field(default_factory=dict)

    @property
    def units(self) -> Decimal:
        return self.pipeline_units + self.run_rate_units

    @property
    def value(self) -> _Amounts:
        out = dict(self.pipeline_value)
        for currency, amount in self.run_rate_value.items():
            out[currency] = out.get(currency, Decimal(0)) + amount
        return out


@dataclass
class Forecast:
    """``rows``: one per group and month (every month, zero when empty), groups by name;
    ``undated``: per group, the open opportunities without an expected close date;
    ``demand``: per month and product, by sku."""

    start: dt.date
    months: list[str]
    by: str | None
    commit_probability: int
    rows: list[ForecastRow]
    undated: list[ForecastRow]
    demand: list[ProductDemand]
    #: The first and last months averaged into the order run-rate.
    run_rate_months: tuple[str, str]

    def total(self) -> ForecastRow:
        """The months of the window added up, over every group (undated left out)."""
        out = ForecastRow("total")
        for row in self.rows:
            out.add(row)
        return out


def forecast(kernel: Accord, months: int = 6, start: dt.date | None = None,
             by: str | None = None, products: bool = True) -> Forecast:
    """The forecast of ``months`` months from the month of ``start`` (default: the
    current month, UTC), grouped ``by`` owner (email), team (name) or pipeline.

    Open opportunities expected to close before the first month count in it (overdue
    deals); those with no expected close date are in ``undated``. ``products=False``
    leaves the product demand out (two queries fewer)."""
    if not 1 <= months <= MAX_MONTHS:
        raise ValidationError({"months": [f"give 1 to {MAX_MONTHS} months, not {months}"]})
    if by is not None and by not in FORECAST_GROUPS:
        raise ValidationError({"by": [f"group by {', '.join(FORECAST_GROUPS)}, not {by!r}"]})
    first = (start or dt.datetime.now(dt.timezone.utc).date()).replace(day=1)
    _check_window(first, months)
    end = _add_months(first, months)
    labels = [f"{d:%Y-%m}" for d in (_add_months(first, i) for i in range(months))]
    commit = int(kernel.settings("sales")["commit_probability"])
    with kernel.bound():
        cells = _money_rows(kernel, first, end, by, commit)
        run_from = _add_months(first, -RUN_RATE_MONTHS)
        demand = _demand(kernel, first, end, run_from, labels) if products else []
    groups: list[str | None] = [None]
    if by is not None:
        groups = [*sorted({g for g, _ in cells if g is not None})]
    rows = [cells.get((g, m)) or ForecastRow(m, g) for g in groups for m in labels]
    undated = [cells[(g, UNDATED)] for g in groups if (g, UNDATED) in cells]
    return Forecast(first, labels, by, commit, rows, undated, demand,
                    (f"{run_from:%Y-%m}", f"{_add_months(first, -1):%Y-%m}"))


def _check_window(first: dt.date, months: int) -> None:
    lowest = dt.date(FIRST_YEAR, 1, 1)
    highest = _add_months(dt.date(LAST_YEAR, 12, 1), 1 - months)
    if not lowest <= first <= highest:
        raise ValidationError({"from": [
            f"give a month from {_month(lowest)} to {_month(highest)} for {months} "
            f"month{'s' if months != 1 else ''}, not {_month(first)}"]})


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _add_months(day: dt.date, count: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def _grouped(query: Any, by: str | None) -> tuple[Any, list[Any]]:
    """The query joined to what ``by`` needs, and the group column (none without ``by``)."""
    if by == "owner":
        query = query.join(User, peewee.JOIN.LEFT_OUTER, on=(Opportunity.owner == User.id))
        return query, [peewee.fn.COALESCE(User.email, NONE)]
    if by == "team":
        query = query.join(Team, peewee.JOIN.LEFT_OUTER, on=(Opportunity.team == Team.id))
        return query, [peewee.fn.COALESCE(Team.name, NONE)]
    if by == "pipeline":
        return query, [Opportunity.pipeline]
    return query, []


_Cells = dict[tuple[str | None, str], ForecastRow]


def _cell(cells: _Cells, key: tuple[Any, ...]) -> tuple[ForecastRow, str]:
    """The row of a (month, [group,] currency) key, and the currency."""
    month, *rest = key
    group = rest[0] if len(rest) == 2 else None
    return cells.setdefault((group, month), ForecastRow(month, group)), rest[-1]


def _money_rows(kernel: Accord, first: dt.date, end: dt.date, by: str | None,
                commit: int) -> _Cells:
    """Two grouped queries: the open opportunities by month of expected close (and
    undated), the won ones by month of closing."""
    cells: _Cells = {}
    _open_rows(kernel, cells, first, end, by, commit)
    _won_rows(kernel, cells, first, end, by)
    return cells


def _open_rows(kernel: Accord, cells: _Cells, first: dt.date, end: dt.date, by: str | None,
               commit: int) -> None:
    O = Opportunity
    expected = O.expected_close_date
    bucket = peewee.Case(None, [(expected.is_null(), UNDATED),
                                (expected < first, f"{first:%Y-%m}")],
                         month_expr(kernel, expected))
    weighted, from_weighted = exact_sum(kernel, O.amount, weight=O.probability)
    committed, from_committed = exact_sum(kernel, O.amount, when=O.probability >= commit)
    best, from_best = exact_sum(kernel, O.amount)
    query, group = _grouped(O.select(), by)
    keys = [bucket, *group, O.amount_currency]
    query = (query.select(*keys, peewee.fn.COUNT(O.id), weighted, committed, best)
             .where(open_condition(kernel), expected.is_null() | (expected < end))
             .group_by(*keys))
    for values in query.tuples():
        row, currency = _cell(cells, values[:len(keys)])
        count, w, c, b = values[len(keys):]
        row.opportunities += count
        _put(row.weighted, currency, from_weighted(w))
        _put(row.committed, currency, from_committed(c))
        _put(row.best_case, currency, from_best(b))


def _won_rows(kernel: Accord, cells: _Cells, first: dt.date, end: dt.date,
              by: str | None) -> None:
    O = Opportunity
    start_at = dt.datetime(first.year, first.month, 1, tzinfo=dt.timezone.utc)
    end_at = dt.datetime(end.year, end.month, 1, tzinfo=dt.timezone.utc)
    won, from_won = exact_sum(kernel, O.amount)
    query, group = _grouped(O.select(), by)
    keys = [month_expr(kernel, O.closed_at), *group, O.amount_currency]
    query = (query.select(*keys, won)
             .where(stage_condition(kernel, "won"), O.closed_at >= start_at,
                    O.closed_at < end_at)
             .group_by(*keys))
    for values in query.tuples():
        row, currency = _cell(cells, values[:len(keys)])
        _put(row.won, currency, from_won(values[len(keys)]))


def _put(amounts: _Amounts, currency: str, value: Decimal) -> None:
    """An amount to the cent; a currency that adds up to nothing is left out."""
    if value:
        amounts[currency] = cents(value)


def _demand(kernel: Accord, first: dt.date, end: dt.date, run_from: dt.date,
            labels: list[str]) -> list[ProductDemand]:
    """Two grouped queries: the weighted quote lines by month, the order run-rate."""
    O, Q, L = Opportunity, Quote, QuoteLine
    expected = O.expected_close_date
    month = peewee.Case(None, [(expected < first, f"{first:%Y-%m}")],
                        month_expr(kernel, expected))
    units, from_units = exact_sum(kernel, L.quantity, weight=O.probability)
    value, from_value = exact_sum(kernel, L.net, weight=O.probability)
    later = Quote.alias("later")
    superseded = peewee.fn.EXISTS(later.select(peewee.SQL("1")).where(
        later.revision_of == peewee.fn.COALESCE(Q.revision_of, Q.id),
        (later.revision > Q.revision) | ((later.revision == Q.revision) & (later.id > Q.id))))
    keys = [month, Product.id, Product.sku, Product.name, Q.currency]
    pipeline: Any = (L.select(*keys, units, value)
                     .join(Q, on=(L.quote == Q.id))
                     .join(O, on=(Q.opportunity == O.id))
                     .join(Product, on=(L.product == Product.id))
                     .where(open_condition(kernel), Q.status.in_(OPEN_QUOTE_STATUSES),
                            ~superseded, expected < end)
                     .group_by(*keys))
    found: dict[tuple[str, int], ProductDemand] = {}
    exact: dict[tuple[str, int], Decimal] = {}
    for label, product, sku, name, currency, u, v in pipeline.tuples():
        item = found.setdefault((label, product), ProductDemand(label, product, sku, name))
        exact[(label, product)] = exact.get((label, product), Decimal(0)) + from_units(u)
        item.pipeline_value[currency] = cents(from_value(v))
    for key, total in exact.items():
        found[key].pipeline_units = total.quantize(_UNIT, rounding=ROUND_HALF_UP)
    qty, from_qty = exact_sum(kernel, OrderLine.quantity)
    net, from_net = exact_sum(kernel, OrderLine.net)
    keys = [Product.id, Product.sku, Product.name, Order.currency]
    orders: Any = (OrderLine.select(*keys, qty, net)
                   .join(Order, on=(OrderLine.order == Order.id))
                   .join(Product, on=(OrderLine.product == Product.id))
                   .where(Order.status != "cancelled", Order.order_date >= run_from,
                          Order.order_date < first)
                   .group_by(*keys))
    rates: dict[int, ProductDemand] = {}
    for product, sku, name, currency, q, n in orders.tuples():
        rate = rates.setdefault(product, ProductDemand("", product, sku, name))
        rate.run_rate_units += from_qty(q)  # units add up whatever the currency
        rate.run_rate_value[currency] = cents(from_net(n) / RUN_RATE_MONTHS)
    for product, rate in rates.items():
        units = (rate.run_rate_units / RUN_RATE_MONTHS).quantize(_UNIT, rounding=ROUND_HALF_UP)
        for label in labels:
            item = found.setdefault((label, product),
                                    ProductDemand(label, product, rate.sku, rate.name))
            item.run_rate_units = units
            item.run_rate_value = dict(rate.run_rate_value)
    return sorted(found.values(), key=lambda d: (d.month, d.sku))
