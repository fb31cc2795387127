"""The sales forecast: per month of expected close, the weighted pipeline, what is
committed, the best case and what was won, and the product demand the pipeline and
the order run-rate point to.

Set-based: ``forecast`` runs the same few grouped queries whatever the number of
opportunities, quotes and orders (and one reading the exchange rates). Amounts are in
the base currency (the core's ``base_currency`` setting): an amount in another currency
is converted with the latest rate on or before its day (an open deal's expected close
date, or today without one; a won deal's closing day; an order's date), and one without
a rate stays under its own currency, never added to the others nor dropped.
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

from accord.dates import FIRST_DAY, LAST_DAY
from accord.errors import ValidationError
from accord.metrics import conversion_day, exact_sum, month_expr
from accord.money import round_amount
from accord.rates import RateBook, Totals
from accord.services.authz import require, scoped
from accord.models import Product, Team, User

from .models import Opportunity, Order, OrderLine, Quote, QuoteLine
from .rules import OPPORTUNITY, ORDER, QUOTE
from .settings import pipelines

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

__all__ = ["Forecast", "ForecastRow", "ProductDemand", "forecast", "FORECAST_GROUPS",
           "MAX_MONTHS", "RUN_RATE_MONTHS", "UNDATED", "NONE", "OPEN_QUOTE_STATUSES",
           # SQL pieces the sales metrics use too:
           "stage_condition", "open_condition"]

#: What ``forecast(by=...)`` groups by, besides nothing.
FORECAST_GROUPS = ("owner", "team", "pipeline")
MAX_MONTHS = 36
#: Full months before the forecast's first month whose orders make the run-rate.
RUN_RATE_MONTHS = 6
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
    by currency, to the currency's minor unit (weighted amounts are rounded half up per
    row): the base
    currency holds what was converted, another currency what had no rate; a currency
    with nothing is left out."""

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
    plus the monthly order run-rate. Units to 4 places, values to the cent, by currency
    (the base currency, and those without a rate)."""

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
    #: The currency amounts are converted into; any other in the figures had no rate.
    base_currency: str = "EUR"

    def total(self) -> ForecastRow:
        """The months of the window added up, over every group (undated left out)."""
        out = ForecastRow("total")
        for row in self.rows:
            out.add(row)
        return out


def forecast(kernel: Accord, months: int = 6, start: dt.date | None = None,
             by: str | None = None, products: bool = True, *,
             reader: Actor | None = None) -> Forecast:
    """The forecast of ``months`` months from the month of ``start`` (default: the
    current month, UTC), grouped ``by`` owner (email), team (name) or pipeline.

    Open opportunities expected to close before the first month count in it (overdue
    deals); those with no expected close date are in ``undated``. ``products=False``
    leaves the product demand out (two queries fewer).

    With a ``reader`` (a restricted actor: a user of the pages or the API), only the
    opportunities, quotes and orders its record rules reach count; it needs
    ``sales.opportunity.read``, and the product demand is left out unless it may read
    quotes and orders too."""
    if reader is not None:
        require(reader, f"{OPPORTUNITY}.read")
        products = products and reader.can(f"{QUOTE}.read") and reader.can(f"{ORDER}.read")
    if not 1 <= months <= MAX_MONTHS:
        raise ValidationError({"months": [f"give 1 to {MAX_MONTHS} months, not {months}"]})
    if by is not None and by not in FORECAST_GROUPS:
        raise ValidationError({"by": [f"group by {', '.join(FORECAST_GROUPS)}, not {by!r}"]})
    first = (start or dt.datetime.now(dt.timezone.utc).date()).replace(day=1)
    _check_window(first, months)
    end = _add_months(first, months)
    labels = [f"{d:%Y-%m}" for d in (_add_months(first, i) for i in range(months))]
    commit = int(kernel.settings("sales")["commit_probability"])
    rates = RateBook(kernel)
    with kernel.bound():
        money = _Money(kernel, rates)
        cells = _money_rows(kernel, money, first, end, by, commit, reader)
        run_from = _add_months(first, -RUN_RATE_MONTHS)
        demand = _demand(kernel, money, first, end, run_from, labels,
                         reader) if products else []
        money.settle()
    for item in demand:  # each month its own copy of the run-rate, now it is settled
        item.run_rate_value = dict(item.run_rate_value)
    groups: list[str | None] = [None]
    if by is not None:
        groups = [*sorted({g for g, _ in cells if g is not None})]
    rows = [cells.get((g, m)) or ForecastRow(m, g) for g in groups for m in labels]
    undated = [cells[(g, UNDATED)] for g in groups if (g, UNDATED) in cells]
    return Forecast(first, labels, by, commit, rows, undated, demand,
                    (f"{run_from:%Y-%m}", f"{_add_months(first, -1):%Y-%m}"), rates.base)


def _check_window(first: dt.date, months: int) -> None:
    # The months of the calendar every record's dates are in (accord.dates).
    lowest = FIRST_DAY.replace(day=1)
    highest = _add_months(LAST_DAY.replace(day=1), 1 - months)
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


def _cell(cells: _Cells, key: tuple[Any, ...]) -> tuple[ForecastRow, str, Any]:
    """The row of a (month, [group,] currency, conversion day) key, the currency and
    the day."""
    month, *rest = key
    group = rest[0] if len(rest) == 3 else None
    return cells.setdefault((group, month), ForecastRow(month, group)), rest[-2], rest[-1]


class _Money:
    """Amounts of many figures (each an ``_Amounts`` dict) in the base currency: ``add``
    the exact sums of each currency and day to a figure, then ``settle()`` fills every
    figure in, the rates read once for all."""

    def __init__(self, kernel: Accord, rates: RateBook) -> None:
        self._totals = Totals(kernel, book=rates)
        self._figures: dict[int, _Amounts] = {}
        self._divisors: dict[int, int] = {}

    def add(self, amounts: _Amounts, value: Decimal, currency: str, day: Any,
            divisor: int = 1) -> None:
        """Add ``value`` (in ``currency`` on ``day``) to the figure ``amounts``, which
        ``settle`` sets to its total divided by ``divisor`` (a monthly average)."""
        self._figures[id(amounts)] = amounts
        self._divisors[id(amounts)] = divisor
        self._totals.add(id(amounts), value, currency, day)

    def settle(self) -> None:
        base = self._totals.base
        for key, figure in self._totals.result().items():
            amounts, divisor = self._figures[key], self._divisors[key]
            amounts.clear()
            _put(amounts, base, figure.amount / divisor)
            for code, amount in sorted(figure.unconverted.items()):
                _put(amounts, code, amount / divisor)


def _money_rows(kernel: Accord, money: _Money, first: dt.date, end: dt.date,
                by: str | None, commit: int, reader: Actor | None) -> _Cells:
    """Two grouped queries: the open opportunities by month of expected close (and
    undated), the won ones by month of closing."""
    cells: _Cells = {}
    _open_rows(kernel, money, cells, first, end, by, commit, reader)
    _won_rows(kernel, money, cells, first, end, by, reader)
    return cells


def _reach(kernel: Accord, reader: Actor | None, query: Any, *type_names: str) -> Any:
    """``query`` limited to the records of these types the reader's record rules reach
    (every record without a reader)."""
    if reader is not None:
        for name in type_names:
            query = scoped(query, kernel.records.get(name), reader)
    return query


def _open_rows(kernel: Accord, money: _Money, cells: _Cells, first: dt.date, end: dt.date,
               by: str | None, commit: int, reader: Actor | None) -> None:
    O = Opportunity
    expected = O.expected_close_date
    bucket = peewee.Case(None, [(expected.is_null(), UNDATED),
                                (expected < first, f"{first:%Y-%m}")],
                         month_expr(kernel, expected))
    today = dt.datetime.now(dt.timezone.utc).date()
    # An open deal is converted on its expected close date (today without one).
    day = conversion_day(kernel, O.amount_currency, peewee.fn.COALESCE(expected, today))
    weighted, from_weighted = exact_sum(kernel, O.amount, weight=O.probability)
    committed, from_committed = exact_sum(kernel, O.amount, when=O.probability >= commit)
    best, from_best = exact_sum(kernel, O.amount)
    query, group = _grouped(O.select(), by)
    keys = [bucket, *group, O.amount_currency, day]
    query = (query.select(*keys, peewee.fn.COUNT(O.id), weighted, committed, best)
             .where(open_condition(kernel), expected.is_null() | (expected < end))
             .group_by(*keys))
    query = _reach(kernel, reader, query, OPPORTUNITY)
    for values in query.tuples():
        row, currency, when = _cell(cells, values[:len(keys)])
        count, w, c, b = values[len(keys):]
        row.opportunities += count
        money.add(row.weighted, from_weighted(w), currency, when)
        money.add(row.committed, from_committed(c), currency, when)
        money.add(row.best_case, from_best(b), currency, when)


def _won_rows(kernel: Accord, money: _Money, cells: _Cells, first: dt.date, end: dt.date,
              by: str | None, reader: Actor | None) -> None:
    O = Opportunity
    start_at = dt.datetime(first.year, first.month, 1, tzinfo=dt.timezone.utc)
    end_at = dt.datetime(end.year, end.month, 1, tzinfo=dt.timezone.utc)
    won, from_won = exact_sum(kernel, O.amount)
    query, group = _grouped(O.select(), by)
    keys = [month_expr(kernel, O.closed_at), *group, O.amount_currency,
            conversion_day(kernel, O.amount_currency, O.closed_at)]
    query = (query.select(*keys, won)
             .where(stage_condition(kernel, "won"), O.closed_at >= start_at,
                    O.closed_at < end_at)
             .group_by(*keys))
    query = _reach(kernel, reader, query, OPPORTUNITY)
    for values in query.tuples():
        row, currency, when = _cell(cells, values[:len(keys)])
        money.add(row.won, from_won(values[len(keys)]), currency, when)


def _put(amounts: _Amounts, currency: str, value: Decimal) -> None:
    """An amount to its currency's minor unit, half up; a currency that adds up to
    nothing is left out."""
    rounded = round_amount(value, currency)
    if rounded:
        amounts[currency] = rounded


def _demand(kernel: Accord, money: _Money, first: dt.date, end: dt.date, run_from: dt.date,
            labels: list[str], reader: Actor | None) -> list[ProductDemand]:
    """Two grouped queries: the weighted quote lines by month, the order run-rate. The
    values are filled in by ``money.settle()``; the run-rate's dict is shared by the
    months of a product until then."""
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
    keys = [month, Product.id, Product.sku, Product.name, Q.currency,
            conversion_day(kernel, Q.currency, expected)]
    pipeline: Any = (L.select(*keys, units, value)
                     .join(Q, on=(L.quote == Q.id))
                     .join(O, on=(Q.opportunity == O.id))
                     .join(Product, on=(L.product == Product.id))
                     .where(open_condition(kernel), Q.status.in_(OPEN_QUOTE_STATUSES),
                            ~superseded, expected < end)
                     .group_by(*keys))
    pipeline = _reach(kernel, reader, pipeline, OPPORTUNITY, QUOTE)
    found: dict[tuple[str, int], ProductDemand] = {}
    exact: dict[tuple[str, int], Decimal] = {}
    for label, product, sku, name, currency, day, u, v in pipeline.tuples():
        item = found.setdefault((label, product), ProductDemand(label, product, sku, name))
        exact[(label, product)] = exact.get((label, product), Decimal(0)) + from_units(u)
        money.add(item.pipeline_value, from_value(v), currency, day)
    for key, total in exact.items():
        found[key].pipeline_units = total.quantize(_UNIT, rounding=ROUND_HALF_UP)
    qty, from_qty = exact_sum(kernel, OrderLine.quantity)
    net, from_net = exact_sum(kernel, OrderLine.net)
    keys = [Product.id, Product.sku, Product.name, Order.currency,
            conversion_day(kernel, Order.currency, Order.order_date)]
    orders: Any = (OrderLine.select(*keys, qty, net)
                   .join(Order, on=(OrderLine.order == Order.id))
                   .join(Product, on=(OrderLine.product == Product.id))
                   .where(Order.status != "cancelled", Order.order_date >= run_from,
                          Order.order_date < first)
                   .group_by(*keys))
    orders = _reach(kernel, reader, orders, ORDER)
    rates: dict[int, ProductDemand] = {}
    for product, sku, name, currency, day, q, n in orders.tuples():
        rate = rates.setdefault(product, ProductDemand("", product, sku, name))
        rate.run_rate_units += from_qty(q)  # units add up whatever the currency
        # Each order converted on its date; the monthly average of the total.
        money.add(rate.run_rate_value, from_net(n), currency, day, divisor=RUN_RATE_MONTHS)
    for product, rate in rates.items():
        units = (rate.run_rate_units / RUN_RATE_MONTHS).quantize(_UNIT, rounding=ROUND_HALF_UP)
        for label in labels:
            item = found.setdefault((label, product),
                                    ProductDemand(label, product, rate.sku, rate.name))
            item.run_rate_units = units
            item.run_rate_value = rate.run_rate_value
    return sorted(found.values(), key=lambda d: (d.month, d.sku))
