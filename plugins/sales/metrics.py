"""The sales metrics (KPIs) of ``accord report``: revenue, pipeline, win rate,
conversion, deal size, sales cycle, margins, forecast against actual.

Each is one or two grouped queries over the whole range, on SQLite and PostgreSQL
alike, honouring the query's owner and team filters. Money metrics count amounts in
the sales ``currency`` setting only: other currencies are left out, never converted.
The exact definitions are in docs/sales.md (Metrics).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import peewee

from accord.database import is_postgres
from accord.hooks import hookimpl
from accord.metrics import (Metric, MetricPoint, MetricQuery, exact_sum, month_expr, month_of,
                            months_between, scoped)
from accord.models import Organization, Product

from .forecast import cents, open_condition, stage_condition
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

def _currency(kernel: Accord) -> str:
    return str(kernel.settings("sales")["currency"])


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


# Revenue -------------------------------------------------------------------------

def _revenue_rows(kernel: Accord, mq: MetricQuery, bucket: Any, start: dt.date,
                  end: dt.date) -> dict[str, Decimal]:
    """Counted invoices' net totals in the sales currency, issued ``start``..``end``."""
    I = Invoice
    total, to_decimal = exact_sum(kernel, I.net_total)
    query = (I.select(bucket, total)
             .where(I.status.in_(REVENUE_STATUSES), I.currency == _currency(kernel),
                    _on_days(I.issue_date, start, end))
             .group_by(bucket))
    return {period: cents(to_decimal(value))
            for period, value in scoped(query, I, mq).tuples()}


def _revenue(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    rows = _revenue_rows(kernel, mq, month_of(kernel, Invoice.issue_date, mq), mq.start, mq.end)
    return [MetricPoint(p, v) for p, v in rows.items()]


def _growth(current: Decimal, previous: Decimal) -> Decimal | None:
    if not previous:
        return None  # growth from nothing is undefined: no point, so 0
    return ((current - previous) * 100 / previous).quantize(_PERCENT, rounding=ROUND_HALF_UP)


def _revenue_growth(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    """By month: each calendar month against the one before; in total: the range
    against as many days just before it. One query either way."""
    I = Invoice
    out = []
    if mq.by == "total":
        days = (mq.end - mq.start).days + 1
        before = mq.start - dt.timedelta(days=days)
        bucket = peewee.Case(None, [(I.issue_date >= mq.start, "current")], "previous")
        rows = _revenue_rows(kernel, mq, bucket, before, mq.end)
        growth = _growth(rows.get("current", Decimal(0)), rows.get("previous", Decimal(0)))
        if growth is not None:
            out.append(MetricPoint("total", growth))
        return out
    first = mq.start.replace(day=1)
    before = (first - dt.timedelta(days=1)).replace(day=1)
    following = (mq.end.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    rows = _revenue_rows(kernel, mq, month_expr(kernel, I.issue_date), before,
                         following - dt.timedelta(days=1))
    labels = months_between(before, mq.end)
    for previous, month in zip(labels, labels[1:]):
        growth = _growth(rows.get(month, Decimal(0)), rows.get(previous, Decimal(0)))
        if growth is not None:
            out.append(MetricPoint(month, growth))
    return out


# Opportunities ---------------------------------------------------------------------

def _pipeline_value(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    O = Opportunity
    bucket = month_of(kernel, O.expected_close_date, mq)
    total, to_decimal = exact_sum(kernel, O.amount)
    query = (O.select(bucket, O.pipeline, O.stage, total)
             .where(open_condition(kernel), O.amount_currency == _currency(kernel),
                    _on_days(O.expected_close_date, mq.start, mq.end))
             .group_by(bucket, O.pipeline, O.stage))
    return [MetricPoint(period, cents(to_decimal(value)), f"{pipeline}/{stage}")
            for period, pipeline, stage, value in scoped(query, O, mq).tuples()]


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
    """Won opportunities closed in the range, in the sales currency."""
    O = Opportunity
    query = (O.select(*columns)
             .where(stage_condition(kernel, "won"), O.amount_currency == _currency(kernel),
                    _moment_in(O.closed_at, mq)))
    return scoped(query, O, mq)


def _average_deal_size(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    O = Opportunity
    bucket = month_of(kernel, O.closed_at, mq)
    total, to_decimal = exact_sum(kernel, O.amount)
    query = _won(kernel, mq, bucket, total, peewee.fn.COUNT(O.id)).group_by(bucket)
    return [MetricPoint(period, cents(to_decimal(value) / count))
            for period, value, count in query.tuples() if count]


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
    total, to_decimal = exact_sum(kernel, O.amount)
    query = _won(kernel, mq, bucket, channel, total).group_by(bucket, channel)
    return [MetricPoint(period, cents(to_decimal(value)), name)
            for period, name, value in query.tuples()]


# Margins ----------------------------------------------------------------------------

def _margin(kernel: Accord, mq: MetricQuery, *keys: Any) -> Any:
    """Σ (line net − quantity × cost price) over the lines of counted invoices in the
    sales currency issued in the range, grouped by the period and ``keys``. A product
    without a cost price costs nothing; a line whose product's cost price is in another
    currency is left out."""
    I, L, P = Invoice, InvoiceLine, Product
    cost = L.quantity * peewee.fn.COALESCE(P.cost_price, 0)
    margin, _ = exact_sum(kernel, L.net - cost)
    bucket = month_of(kernel, I.issue_date, mq)
    currency = _currency(kernel)
    query = (L.select(bucket, *keys, margin)
             .join(I, on=(L.invoice == I.id))
             .join(P, peewee.JOIN.LEFT_OUTER, on=(L.product == P.id))
             .switch(I)
             .join(Organization, peewee.JOIN.LEFT_OUTER, on=(I.organization == Organization.id))
             .where(I.status.in_(REVENUE_STATUSES), I.currency == currency,
                    _on_days(I.issue_date, mq.start, mq.end),
                    P.cost_price.is_null() | (P.cost_price_currency == currency))
             .group_by(bucket, *keys))
    return scoped(query, I, mq)


def _to_money(kernel: Accord, value: Any) -> Decimal:
    """A margin ``_margin`` summed, to the cent."""
    return cents(exact_sum(kernel, Invoice.net_total)[1](value))


def _margin_by_customer(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    rows = list(_margin(kernel, mq, Organization.id, Organization.name).tuples())
    names: dict[str, set[int]] = {}
    for _, org, name, _ in rows:
        if org is not None:
            names.setdefault(name, set()).add(org)

    def label(org: int | None, name: str) -> str:
        if org is None:
            return NONE
        return name if len(names[name]) == 1 else f"{name} (#{org})"

    return [MetricPoint(period, _to_money(kernel, value), label(org, name))
            for period, org, name, value in rows]


def _margin_by_product(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    rows = _margin(kernel, mq, Product.id, Product.name, Product.sku).tuples()
    return [MetricPoint(period, _to_money(kernel, value),
                        NONE if product is None else f"{name} ({sku})")
            for period, product, name, sku, value in rows]


# Forecast against actual -------------------------------------------------------------

def _forecast_vs_actual(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    O = Opportunity
    currency = _currency(kernel)
    closed = stage_condition(kernel, "won", "lost")
    weight = peewee.Case(None, [(closed, peewee.fn.COALESCE(O.close_probability, 0))],
                         O.probability)
    expected, from_expected = exact_sum(kernel, O.amount, weight=weight)
    bucket = month_of(kernel, O.expected_close_date, mq)
    query = (O.select(bucket, expected)
             .where(O.amount_currency == currency,
                    _on_days(O.expected_close_date, mq.start, mq.end))
             .group_by(bucket))
    out = [MetricPoint(period, cents(from_expected(value)), "forecast")
           for period, value in scoped(query, O, mq).tuples()]
    bucket = month_of(kernel, O.closed_at, mq)
    won, from_won = exact_sum(kernel, O.amount)
    out += [MetricPoint(period, cents(from_won(value)), "actual")
            for period, value in _won(kernel, mq, bucket, won).group_by(bucket).tuples()]
    first = months_between(mq.start, mq.end)[0] if mq.by == "month" else "total"
    for series in ("actual", "forecast"):  # both series show, even when empty
        if not any(p.group == series for p in out):
            out.append(MetricPoint(first, Decimal(0), series))
    return out


SALES_METRICS = (
    Metric("sales.revenue",
           "Net total (before tax) of the invoices issued in the period: issued, partially "
           "paid, paid or overdue, in the sales currency", "currency", _revenue),
    Metric("sales.revenue_growth",
           "Revenue against the previous period of the same length (by month: the month "
           "before); 0 when that had none", "percent", _revenue_growth),
    Metric("sales.pipeline_value",
           "Amounts of the open opportunities by month of expected close, per "
           "pipeline/stage, in the sales currency", "currency", _pipeline_value,
           group_by="stage"),
    Metric("sales.win_rate",
           "Won among the opportunities won or lost in the period", "percent", _win_rate),
    Metric("sales.lead_conversion",
           "Leads created in the period whose conversion created an opportunity", "percent",
           _lead_conversion),
    Metric("sales.opportunity_conversion",
           "Opportunities created in the period that are won (so far)", "percent",
           _opportunity_conversion),
    Metric("sales.average_deal_size",
           "Mean amount of the opportunities won in the period, in the sales currency",
           "currency", _average_deal_size),
    Metric("sales.sales_cycle",
           "Mean days from creation to closing of the opportunities won in the period",
           "days", _sales_cycle),
    Metric("sales.revenue_by_channel",
           "Amounts of the opportunities won in the period per channel, in the sales "
           "currency", "currency", _revenue_by_channel, group_by="channel"),
    Metric("sales.gross_margin_by_customer",
           "Net less cost (quantity × product cost price) of the invoice lines counted as "
           "revenue, per organization", "currency", _margin_by_customer, group_by="customer"),
    Metric("sales.gross_margin_by_product",
           "Net less cost (quantity × product cost price) of the invoice lines counted as "
           "revenue, per product", "currency", _margin_by_product, group_by="product"),
    Metric("sales.forecast_vs_actual",
           "Forecast (amount × probability of the opportunities expected to close in the "
           "month) against actual (won amounts closed in the month), in the sales currency",
           "currency", _forecast_vs_actual, group_by="series"),
)
