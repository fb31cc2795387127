"""The sales metrics (KPIs) of ``accord report``: revenue, pipeline, win rate,
conversion, deal size, sales cycle, margins, forecast against actual.

Each is one or two grouped queries over the whole range, on SQLite and PostgreSQL
alike, honouring the query's owner and team filters and the reader's record rules
(``scoped``). Money metrics are in the base currency (the core's ``base_currency``
setting): each amount is converted with the exchange rate of its day, and what has no
rate is listed on the point (``unconverted``), never dropped. One more query reads the
rates when there are amounts in other currencies. The exact definitions are in
docs/sales.md (Metrics).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import peewee

from accord.database import is_postgres
from accord.hooks import hookimpl
from accord.metrics import (Metric, MetricPoint, MetricQuery, MoneySum, money_point, month_expr,
                            month_of, months_between, reading, round_money, scoped)
from accord.models import Organization, Product
from accord.rates import Converted, RateBook, base_currency

from .forecast import open_condition, stage_condition
from .models import Invoice, InvoiceLine, Lead, Opportunity

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["register_metrics", "SALES_METRICS", "REVENUE_STATUSES", "NONE"]

#: Invoice statuses that count as revenue (never draft or void).
REVENUE_STATUSES = ("issued", "partially_paid", "paid", "overdue")
#: The group of what has no channel, customer or product.
NONE = "none"
_PERCENT = Decimal("0.01")
_DAY = 86_400


@hookimpl
def register_metrics() -> list[Metric]:
    return list(SALES_METRICS)


# Helpers ----------------------------------------------------------------------

def _percent(part: Any, whole: Any) -> Decimal:
    if not whole:
        return Decimal(0)
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(_PERCENT, rounding=ROUND_HALF_UP)


def _moment_in(column: Any, mq: MetricQuery) -> Any:
    """A datetime column within the range (UTC)."""
    return (column >= mq.start_at) & (column < mq.end_exclusive)


def _on_days(column: Any, start: dt.date, end: dt.date) -> Any:
    """A date column from ``start`` to ``end``, both included."""
    return (column >= start) & (column <= end)


def _points(sums: MoneySum, labels: Any = None) -> list[MetricPoint]:
    """The points of a MoneySum keyed by period (or by (period, group))."""
    out = []
    for key, figure in sums.result().items():
        period, group = key if isinstance(key, tuple) else (key, None)
        out.append(money_point(period, figure, sums.base, group))
    return out


# Revenue -------------------------------------------------------------------------

def _revenue_rows(kernel: Accord, mq: MetricQuery, bucket: Any, start: dt.date,
                  end: dt.date) -> MoneySum:
    """Counted invoices' net totals in the base currency, issued ``start``..``end``,
    by ``bucket`` (each invoice converted on its issue date)."""
    I = Invoice
    sums = MoneySum(kernel, I.net_total, I.currency, I.issue_date)
    query = (I.select(bucket, *sums.columns)
             .where(I.status.in_(REVENUE_STATUSES), _on_days(I.issue_date, start, end))
             .group_by(bucket, *sums.keys))
    for period, currency, day, value in scoped(query, I, mq).tuples():
        sums.add(period, currency, day, value)
    return sums


def _revenue(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    return _points(_revenue_rows(kernel, mq, month_of(kernel, Invoice.issue_date, mq),
                                 mq.start, mq.end))


def _growth(current: Decimal, previous: Decimal) -> Decimal | None:
    if not previous:
        return None  # growth from nothing is undefined: no point, so 0
    return ((current - previous) * 100 / previous).quantize(_PERCENT, rounding=ROUND_HALF_UP)


def _growth_point(period: str, current: Converted | None, previous: Converted | None,
                  base: str) -> MetricPoint | None:
    """Growth from ``previous`` to ``current`` (each rounded as revenue shows it), with
    what either left out for want of a rate."""
    now, before = current or Converted(), previous or Converted()
    growth = _growth(round_money(now.amount, base), round_money(before.amount, base))
    left = Converted()
    left.add(now)
    left.add(before)
    if growth is None and not left.left_out():
        return None
    return MetricPoint(period, growth if growth is not None else Decimal(0), None,
                       left.left_out())


def _revenue_growth(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    """By month: each calendar month against the one before; in total: the range
    against as many days just before it. One query either way."""
    I = Invoice
    out = []
    if mq.by == "total":
        days = (mq.end - mq.start).days + 1
        before = mq.start - dt.timedelta(days=days)
        bucket = peewee.Case(None, [(I.issue_date >= mq.start, "current")], "previous")
        sums = _revenue_rows(kernel, mq, bucket, before, mq.end)
        rows = sums.result()
        point = _growth_point("total", rows.get("current"), rows.get("previous"), sums.base)
        return [point] if point is not None else []
    first = mq.start.replace(day=1)
    before = (first - dt.timedelta(days=1)).replace(day=1)
    following = (mq.end.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    sums = _revenue_rows(kernel, mq, month_expr(kernel, I.issue_date), before,
                         following - dt.timedelta(days=1))
    rows = sums.result()
    labels = months_between(before, mq.end)
    for previous, month in zip(labels, labels[1:]):
        point = _growth_point(month, rows.get(month), rows.get(previous), sums.base)
        if point is not None:
            out.append(point)
    return out


# Opportunities ---------------------------------------------------------------------

def _pipeline_value(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    """Each open opportunity converted on its expected close date (the latest rate
    known for a date to come)."""
    O = Opportunity
    bucket = month_of(kernel, O.expected_close_date, mq)
    sums = MoneySum(kernel, O.amount, O.amount_currency, O.expected_close_date)
    query = (O.select(bucket, O.pipeline, O.stage, *sums.columns)
             .where(open_condition(kernel), _on_days(O.expected_close_date, mq.start, mq.end))
             .group_by(bucket, O.pipeline, O.stage, *sums.keys))
    for period, pipeline, stage, currency, day, value in scoped(query, O, mq).tuples():
        sums.add((period, f"{pipeline}/{stage}"), currency, day, value)
    return _points(sums)


def _closed_share(kernel: Accord, mq: MetricQuery, part: Any, among: Any,
                  column: Any) -> list[MetricPoint]:
    """The share (percent) of the opportunities ``among`` (by ``column`` in the range)
    that ``part`` holds for."""
    O = Opportunity
    bucket = month_of(kernel, column, mq)
    query = (O.select(bucket, peewee.fn.SUM(peewee.Case(None, [(part, 1)], 0)),
                      peewee.fn.COUNT(O.id))
             .where(among, _moment_in(column, mq))
             .group_by(bucket))
    return [MetricPoint(period, _percent(won, count))
            for period, won, count in scoped(query, O, mq).tuples()]


def _win_rate(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    return _closed_share(kernel, mq, stage_condition(kernel, "won"),
                         stage_condition(kernel, "won", "lost"), Opportunity.closed_at)


def _opportunity_conversion(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    return _closed_share(kernel, mq, stage_condition(kernel, "won"), peewee.SQL("1 = 1"),
                         Opportunity.created_at)


def _lead_conversion(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    L = Lead
    bucket = month_of(kernel, L.created_at, mq)
    query = (L.select(bucket, peewee.fn.SUM(peewee.Case(None, [(L.opportunity.is_null(False), 1)],
                                                        0)),
                      peewee.fn.COUNT(L.id))
             .where(_moment_in(L.created_at, mq))
             .group_by(bucket))
    return [MetricPoint(period, _percent(converted, count))
            for period, converted, count in scoped(query, L, mq).tuples()]


def _won(kernel: Accord, mq: MetricQuery, *columns: Any) -> Any:
    """Won opportunities closed in the range, whatever their currency."""
    O = Opportunity
    query = (O.select(*columns)
             .where(stage_condition(kernel, "won"), _moment_in(O.closed_at, mq)))
    return scoped(query, O, mq)


def _won_sum(kernel: Accord, rates: RateBook | None = None) -> MoneySum:
    """Won amounts, each converted on the day the deal was closed."""
    O = Opportunity
    return MoneySum(kernel, O.amount, O.amount_currency, O.closed_at, rates=rates)


def _average_deal_size(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    O = Opportunity
    bucket = month_of(kernel, O.closed_at, mq)
    sums = _won_sum(kernel)
    query = _won(kernel, mq, bucket, *sums.columns, peewee.fn.COUNT(O.id)).group_by(
        bucket, *sums.keys)
    for period, currency, day, value, count in query.tuples():
        sums.add(period, currency, day, value, count)
    # The mean of the deals converted; those without a rate are listed apart.
    return [MetricPoint(period, round_money(figure.amount / figure.count, sums.base)
                        if figure.count else Decimal("0.00"), None, figure.left_out())
            for period, figure in sums.result().items()]


def _seconds_open(kernel: Accord) -> Any:
    """Whole seconds from an opportunity's creation to its closing."""
    O = Opportunity
    if is_postgres(kernel.database):
        return peewee.fn.ROUND(peewee.fn.date_part("epoch", O.closed_at - O.created_at))
    return peewee.Cast(peewee.fn.ROUND(
        (peewee.fn.julianday(O.closed_at) - peewee.fn.julianday(O.created_at)) * _DAY),
        "INTEGER")


def _sales_cycle(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    O = Opportunity
    bucket = month_of(kernel, O.closed_at, mq)
    query = (O.select(bucket, peewee.fn.SUM(_seconds_open(kernel)), peewee.fn.COUNT(O.id))
             .where(stage_condition(kernel, "won"), _moment_in(O.closed_at, mq))
             .group_by(bucket))
    return [MetricPoint(period, (Decimal(int(seconds)) / _DAY / count).quantize(
                _PERCENT, rounding=ROUND_HALF_UP))
            for period, seconds, count in scoped(query, O, mq).tuples() if count]


def _revenue_by_channel(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    O = Opportunity
    bucket = month_of(kernel, O.closed_at, mq)
    channel = peewee.fn.COALESCE(O.channel, NONE)
    sums = _won_sum(kernel)
    query = _won(kernel, mq, bucket, channel, *sums.columns).group_by(bucket, channel,
                                                                       *sums.keys)
    for period, name, currency, day, value in query.tuples():
        sums.add((period, name), currency, day, value)
    return _points(sums)


# Margins ----------------------------------------------------------------------------

def _margin(kernel: Accord, mq: MetricQuery, *keys: Any) -> dict[Any, Converted]:
    """Σ (line net − quantity × cost price) over the lines of counted invoices issued in
    the range, in the base currency, by the period and ``keys``: the net in the
    invoice's currency and the cost in the cost price's, each converted on the issue
    date. A product without a cost price costs nothing. What has no rate is listed apart,
    signed (a cost left out is negative)."""
    I, L, P = Invoice, InvoiceLine, Product
    net = MoneySum(kernel, L.net, I.currency, I.issue_date)
    cost = MoneySum(kernel, L.quantity * P.cost_price, P.cost_price_currency, I.issue_date,
                    rates=net.rates)
    bucket = month_of(kernel, I.issue_date, mq)
    query = (L.select(bucket, *keys, *net.columns, *cost.columns)
             .join(I, on=(L.invoice == I.id))
             .join(P, peewee.JOIN.LEFT_OUTER, on=(L.product == P.id))
             .switch(I)
             .join(Organization, peewee.JOIN.LEFT_OUTER, on=(I.organization == Organization.id))
             .where(I.status.in_(REVENUE_STATUSES), _on_days(I.issue_date, mq.start, mq.end))
             .group_by(bucket, *keys, *net.keys, *cost.keys))
    width = 1 + len(keys)
    for row in scoped(query, I, mq).tuples():
        key = tuple(row[:width])
        net.add(key, *row[width:width + 3])
        if row[width + 3] is not None:  # lines of products with a cost price
            cost.add(key, *row[width + 3:])
    out = net.result()
    for key, spent in cost.result().items():
        figure = out.setdefault(key, Converted())
        figure.amount -= spent.amount
        for code, amount in spent.unconverted.items():
            figure.unconverted[code] = figure.unconverted.get(code, Decimal(0)) - amount
    return out


def _margin_by_customer(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    reading(mq, "organization", "product")
    rows = _margin(kernel, mq, Organization.id, Organization.name)
    names: dict[str, set[int]] = {}
    for _, org, name in rows:
        if org is not None:
            names.setdefault(name, set()).add(org)

    def label(org: int | None, name: str) -> str:
        if org is None:
            return NONE
        return name if len(names[name]) == 1 else f"{name} (#{org})"

    base = base_currency(kernel)
    return [money_point(period, figure, base, label(org, name))
            for (period, org, name), figure in rows.items()]


def _margin_by_product(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    reading(mq, "product")
    rows = _margin(kernel, mq, Product.id, Product.name, Product.sku)
    base = base_currency(kernel)
    return [money_point(period, figure, base, NONE if product is None else f"{name} ({sku})")
            for (period, product, name, sku), figure in rows.items()]


# Forecast against actual -------------------------------------------------------------

def _forecast_vs_actual(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    O = Opportunity
    closed = stage_condition(kernel, "won", "lost")
    weight = peewee.Case(None, [(closed, peewee.fn.COALESCE(O.close_probability, 0))],
                         O.probability)
    # The forecast of a deal is converted on its expected close date, the actual on
    # the day it was won.
    sums = MoneySum(kernel, O.amount, O.amount_currency, O.expected_close_date,
                    weight=weight)
    bucket = month_of(kernel, O.expected_close_date, mq)
    query = (O.select(bucket, *sums.columns)
             .where(_on_days(O.expected_close_date, mq.start, mq.end))
             .group_by(bucket, *sums.keys))
    for period, currency, day, value in scoped(query, O, mq).tuples():
        sums.add((period, "forecast"), currency, day, value)
    bucket = month_of(kernel, O.closed_at, mq)
    won = _won_sum(kernel, sums.rates)
    for period, currency, day, value in _won(kernel, mq, bucket, *won.columns).group_by(
            bucket, *won.keys).tuples():
        won.add((period, "actual"), currency, day, value)
    out = _points(sums) + _points(won)
    first = months_between(mq.start, mq.end)[0] if mq.by == "month" else "total"
    for series in ("actual", "forecast"):  # both series show, even when empty
        if not any(p.group == series for p in out):
            out.append(MetricPoint(first, Decimal(0), series))
    return out


SALES_METRICS = (
    Metric("sales.revenue",
           "Net total (before tax) of the invoices issued in the period: issued, partially "
           "paid, paid or overdue, in the base currency", "currency", _revenue),
    Metric("sales.revenue_growth",
           "Revenue against the previous period of the same length (by month: the month "
           "before); 0 when that had none", "percent", _revenue_growth),
    Metric("sales.pipeline_value",
           "Amounts of the open opportunities by month of expected close, per "
           "pipeline/stage, in the base currency", "currency", _pipeline_value,
           group_by="stage", adds_up=False),
    Metric("sales.win_rate",
           "Won among the opportunities won or lost in the period", "percent", _win_rate),
    Metric("sales.lead_conversion",
           "Leads created in the period whose conversion created an opportunity", "percent",
           _lead_conversion),
    Metric("sales.opportunity_conversion",
           "Opportunities created in the period that are won (so far)", "percent",
           _opportunity_conversion),
    Metric("sales.average_deal_size",
           "Mean amount of the opportunities won in the period, in the base currency",
           "currency", _average_deal_size, adds_up=False),
    Metric("sales.sales_cycle",
           "Mean days from creation to closing of the opportunities won in the period",
           "days", _sales_cycle),
    Metric("sales.revenue_by_channel",
           "Amounts of the opportunities won in the period per channel, in the base "
           "currency", "currency", _revenue_by_channel, group_by="channel"),
    Metric("sales.gross_margin_by_customer",
           "Net less cost (quantity × product cost price) of the invoice lines counted as "
           "revenue, per organization, in the base currency", "currency", _margin_by_customer,
           group_by="customer"),
    Metric("sales.gross_margin_by_product",
           "Net less cost (quantity × product cost price) of the invoice lines counted as "
           "revenue, per product, in the base currency", "currency", _margin_by_product,
           group_by="product"),
    Metric("sales.forecast_vs_actual",
           "Forecast (amount × probability of the opportunities expected to close in the "
           "month) against actual (won amounts closed in the month), in the base currency",
           "currency", _forecast_vs_actual, group_by="series"),
)
