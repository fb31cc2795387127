"""The sales widgets of the dashboard (``dashboard_widgets``): the open pipeline by
stage, revenue by month (won and invoiced), the win rate and the forecast.

Each counts only what the reader's record rules reach and honours the dashboard's owner
and team filter: the figures are the sales metrics' (``accord.metrics.compute`` with the
dashboard's query, whose reader is the actor), and the pipeline's own query is limited
with ``accord.metrics.scoped``. Money is in the base currency; what has no exchange
rate is named in the widget's note, never dropped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Sequence

import peewee

from accord.metrics import (MetricPoint, MetricQuery, MoneySum, compute, months_between,
                            round_money, scoped)
from accord.money import Money
from accord.pages import Series, Widget
from accord.rates import base_currency

from .forecast import open_condition
from .models import Opportunity
from .rules import OPPORTUNITY
from .settings import pipelines

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

__all__ = ["sales_widgets", "FORECAST_MONTHS"]

#: Months the forecast widget looks ahead, the current one first (as ``forecast``).
FORECAST_MONTHS = 6
_INVOICE = "sales.invoice"


def sales_widgets(kernel: Accord, actor: Actor, query: MetricQuery) -> list[Widget]:
    """The widgets of what ``actor`` may read: opportunities, and invoices for revenue."""
    if not actor.can(f"{OPPORTUNITY}.read"):
        return []
    base = base_currency(kernel)
    out = pipeline_widgets(kernel, query, base)
    out.append(revenue_widget(kernel, query, base, invoices=actor.can(f"{_INVOICE}.read")))
    out.append(win_rate_widget(kernel, query))
    out.append(forecast_widget(kernel, query, base))
    return out


def _note(text: str, points: Sequence[MetricPoint] | Sequence[Money]) -> str:
    """``text``, and what it leaves out for want of an exchange rate."""
    left: dict[str, Decimal] = {}
    monies = [m for p in points for m in (p.unconverted if isinstance(p, MetricPoint) else (p,))]
    for money in monies:
        left[money.currency] = left.get(money.currency, Decimal(0)) + money.amount
    missing = [f"{amount:,.2f} {code}" for code, amount in sorted(left.items()) if amount]
    if missing:
        text += f" Not included, for want of an exchange rate: {', '.join(missing)}."
    return text


# The pipeline by stage -----------------------------------------------------------------

def pipeline_widgets(kernel: Accord, query: MetricQuery, base: str) -> list[Widget]:
    """The amounts of the open opportunities by stage, one widget per pipeline (whatever
    their expected close date: the pipeline as it stands)."""
    O = Opportunity
    today = dt.datetime.now(dt.timezone.utc).date()
    # An open deal is converted on its expected close date (today without one), as the
    # forecast does.
    sums = MoneySum(kernel, O.amount, O.amount_currency,
                    peewee.fn.COALESCE(O.expected_close_date, today))
    with kernel.bound():
        rows = (O.select(O.pipeline, O.stage, *sums.columns)
                .where(open_condition(kernel), O.amount.is_null(False))
                .group_by(O.pipeline, O.stage, *sums.keys))
        for pipeline, stage, currency, day, value in scoped(
                rows, O, query, record_type=OPPORTUNITY).tuples():
            sums.add((pipeline, stage), currency, day, value)
        figures = sums.result()
    configured = pipelines(kernel)
    names = list(configured) + sorted({p for p, _ in figures} - set(configured))
    out = []
    for order, name in enumerate(names):
        known = configured.get(name)
        stages = [s.name for s in known.stages if not s.closed] if known else []
        stages += sorted({s for p, s in figures if p == name} - set(stages))
        values = [round_money(figures[(name, s)].amount, base)
                  if (name, s) in figures else Decimal("0.00") for s in stages]
        left = [Money(amount, code) for s in stages if (name, s) in figures
                for code, amount in figures[(name, s)].unconverted.items()]
        title = "Pipeline by stage" if len(names) == 1 else f"Pipeline by stage: {name}"
        out.append(Widget(title, "bars", labels=tuple(stages),
                          series=(Series(f"Open amount ({base})", tuple(values)),),
                          currency=base, order=10 + order,
                          link=f"/records/{OPPORTUNITY}",
                          note=_note(f"Open opportunities of the {name} pipeline, whatever "
                                     "their expected close date.", left)))
    return out


# Revenue, win rate, forecast -----------------------------------------------------------

def _by_month(points: list[MetricPoint], labels: list[str],
              group: str | None) -> tuple[Decimal, ...]:
    found = {p.period: p.value for p in points if p.group == group}
    return tuple(found.get(label, Decimal("0.00")) for label in labels)


def revenue_widget(kernel: Accord, query: MetricQuery, base: str, *,
                   invoices: bool) -> Widget:
    """Won amounts (``sales.forecast_vs_actual``'s actual) and, for a reader of invoices,
    invoiced revenue (``sales.revenue``), by month of the range."""
    by_month = dataclasses.replace(query, by="month")
    labels = months_between(query.start, query.end)
    won = compute(kernel, "sales.forecast_vs_actual", by_month)
    series = [Series("Won", _by_month(won, labels, "actual"))]
    counted: list[MetricPoint] = [p for p in won if p.group == "actual"]
    text = "Won: amounts of the deals won, by closing month."
    if invoices:
        invoiced = compute(kernel, "sales.revenue", by_month)
        series.append(Series("Invoiced", _by_month(invoiced, labels, None)))
        counted += invoiced
        text += " Invoiced: net totals of the invoices issued, by issue month."
    return Widget(f"Revenue by month ({base})", "bars", labels=tuple(labels),
                  series=tuple(series), currency=base, order=20, note=_note(text, counted))


def win_rate_widget(kernel: Accord, query: MetricQuery) -> Widget:
    points = compute(kernel, "sales.win_rate", dataclasses.replace(query, by="total"))
    value = points[0].value if points else Decimal("0.00")
    shown = format(value.normalize(), "f") if value else "0"  # 50 %, 33.33 %
    return Widget("Win rate", "figure", value=f"{shown} %", order=30,
                  note="Won among the opportunities won or lost in the range.")


def forecast_widget(kernel: Accord, query: MetricQuery, base: str) -> Widget:
    """The forecast of the months ahead: amount × probability of the deals expected to
    close in each (``sales.forecast_vs_actual``), beside what is already won in it."""
    first = dt.datetime.now(dt.timezone.utc).date().replace(day=1)
    index = first.year * 12 + first.month - 1 + FORECAST_MONTHS
    last = dt.date(index // 12, index % 12 + 1, 1) - dt.timedelta(days=1)
    ahead = dataclasses.replace(query, start=first, end=last, by="month")
    labels = months_between(first, last)
    points = compute(kernel, "sales.forecast_vs_actual", ahead)
    return Widget(f"Forecast, next {FORECAST_MONTHS} months ({base})", "bars",
                  labels=tuple(labels),
                  series=(Series("Forecast", _by_month(points, labels, "forecast")),
                          Series("Won", _by_month(points, labels, "actual"))),
                  currency=base, order=40,
                  note=_note("Forecast: amount × probability of the deals expected to close "
                             "in the month. Won: what closed as won in it.", points))
