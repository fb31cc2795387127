"""The competitors plugin's metrics, broken down per competitor (or per loss reason,
or per product category): one grouped query over the whole range each.

Closed deals count on the day they were closed (``MetricQuery`` ranges and months
are on the close date) and are limited to an owner or a team by the deal's owner and
team when it was closed; the reader's record rule for opportunities applies to the same
owner and team. Amounts are in the base currency, converted on the close date (prices
on the day they were observed); what has no exchange rate is listed on the point.
docs/competitors.md gives each exact definition.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import peewee

from accord.metrics import (Metric, MetricPoint, MetricQuery, MoneySum, money_point, month_of,
                            months_between, reaches, reading, rule_condition)
from accord.models import Product
from accord.rates import Converted, RateBook, as_day

from .models import CompetingProduct, Competitor, Involvement, Outcome, PriceObservation, Rivalry
from .reports import percent
from .rules import COMPETITOR, OPPORTUNITY, PRICE, PRODUCT, opportunities

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["METRICS", "UNCATEGORISED"]

#: The group of competing products without a category.
UNCATEGORISED = "uncategorised"
_CENT = Decimal("0.01")


def _closed(query: Any, mq: MetricQuery) -> Any:
    """Outcomes closed in the range, of the owner and team asked for, that the reader's
    rule for opportunities reaches."""
    reading(mq, COMPETITOR)
    query = query.where(Outcome.closed_at >= mq.start_at, Outcome.closed_at < mq.end_exclusive)
    if mq.owner_id is not None:
        query = query.where(Outcome.owner_id == mq.owner_id)
    if mq.team_id is not None:
        query = query.where(Outcome.team_id == mq.team_id)
    condition = rule_condition(mq, OPPORTUNITY, Outcome.owner_id, Outcome.team_id)
    return query if condition is None else query.where(condition)


def _win_rate(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    bucket = month_of(kernel, Outcome.closed_at, mq)
    won = peewee.fn.SUM(peewee.Case(None, [(Outcome.result == "won", 1)], 0))
    query = (Involvement.select(Competitor.name, bucket.alias("period"), won,
                                peewee.fn.COUNT(Outcome.opportunity_id))
             .join(Outcome, on=(Outcome.opportunity_id == Involvement.opportunity_id))
             .join(Competitor, on=(Competitor.id == Involvement.competitor))
             .group_by(Competitor.id, Competitor.name, bucket))
    return [MetricPoint(period, percent(int(wins), total) or Decimal(0), name)
            for name, period, wins, total in _closed(query, mq).tuples()]


def _revenue_lost(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    bucket = month_of(kernel, Outcome.closed_at, mq)
    sums = MoneySum(kernel, Outcome.amount, Outcome.currency, Outcome.closed_at)
    query = (Outcome.select(Competitor.name, bucket.alias("period"), *sums.columns)
             .join(Involvement, on=((Involvement.opportunity_id == Outcome.opportunity_id)
                                    & (Involvement.competitor == Outcome.lost_to)))
             .join(Competitor, on=(Competitor.id == Outcome.lost_to))
             .where(Outcome.result == "lost")
             .group_by(Competitor.id, Competitor.name, bucket, *sums.keys))
    for name, period, currency, day, amount in _closed(query, mq).tuples():
        sums.add((period, name), currency, day, amount)
    return [money_point(period, figure, sums.base, name)
            for (period, name), figure in sums.result().items()]


def _loss_reasons(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    bucket = month_of(kernel, Outcome.closed_at, mq)
    contested = Involvement.select(Involvement.id).where(
        Involvement.opportunity_id == Outcome.opportunity_id)
    query = (Outcome.select(Outcome.reason, bucket.alias("period"),
                            peewee.fn.COUNT(Outcome.opportunity_id))
             .where(Outcome.result == "lost", peewee.fn.EXISTS(contested))
             .group_by(Outcome.reason, bucket))
    return [MetricPoint(period, Decimal(n), reason)
            for reason, period, n in _closed(query, mq).tuples()]


def _period_ends(mq: MetricQuery) -> list[tuple[str, dt.datetime]]:
    """Each period of the query and the moment it ends (midnight UTC after it)."""
    if mq.by == "total":
        return [("total", mq.end_exclusive)]
    out = []
    for period in months_between(mq.start, mq.end):
        year, month = map(int, period.split("-"))
        after = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=dt.timezone.utc)
        out.append((period, min(after, mq.end_exclusive)))
    return out


def _contested_pipeline(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    # Permissions, and the filters against the rule for opportunities, checked first.
    reading(mq, COMPETITOR, OPPORTUNITY)
    ends = _period_ends(mq)
    query: Any = (Involvement.select(Competitor.name, Involvement.opportunity_id,
                                     Involvement.created_at, Outcome.closed_at)
                  .join(Competitor, on=(Competitor.id == Involvement.competitor))
                  .join(Outcome, peewee.JOIN.LEFT_OUTER,
                        on=(Outcome.opportunity_id == Involvement.opportunity_id))
                  .where(Involvement.created_at < mq.end_exclusive,
                         Outcome.closed_at.is_null() | (Outcome.closed_at >= ends[0][1])))
    rows = list(query.tuples())
    if mq.owner_id is not None or mq.team_id is not None or mq.reader is not None:
        # Open deals have no outcome yet: their owner and team are the opportunity's,
        # read through the core's record services (one query per 500 deals).
        deals = opportunities(kernel, [r[1] for r in rows])
        rows = [r for r in rows if r[1] in deals
                and mq.owner_id in (None, deals[r[1]].owner_id)
                and mq.team_id in (None, deals[r[1]].team_id)
                and reaches(mq, OPPORTUNITY, deals[r[1]].owner_id, deals[r[1]].team_id)]
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for name, _, linked_at, closed_at in rows:
        for period, end in ends:
            counts[(name, period)] += linked_at < end and (closed_at is None or closed_at >= end)
    return [MetricPoint(period, Decimal(n), name) for (name, period), n in counts.items()]


def _price_position(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    """Prices in the same currency compare as they are; in two currencies, each is
    converted into the base currency on the day of the observation, and an observation
    without a rate is left out, its price listed apart."""
    reading(mq, PRICE, PRODUCT, "product")
    bucket = month_of(kernel, PriceObservation.observed_on, mq)
    query: Any = (PriceObservation.select(CompetingProduct.category, bucket.alias("period"),
                                          Product.unit_price, Product.unit_price_currency,
                                          PriceObservation.price,
                                          PriceObservation.price_currency,
                                          PriceObservation.observed_on)
                  .join(CompetingProduct)
                  .join(Rivalry, on=(Rivalry.product == CompetingProduct.id))
                  .join(Product, on=(Product.id == Rivalry.ours))
                  .where(PriceObservation.observed_on >= mq.start,
                         PriceObservation.observed_on <= mq.end,
                         Product.unit_price.is_null(False)))
    rows = list(query.tuples())
    book = RateBook(kernel)
    for *_, ours_in, _, theirs_in, day in rows:
        if ours_in != theirs_in:
            book.need(ours_in, as_day(day))  # type: ignore[arg-type]
            book.need(theirs_in, as_day(day))  # type: ignore[arg-type]
    ratios: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    left: dict[tuple[str, str], Converted] = defaultdict(Converted)
    for category, period, ours, ours_in, theirs, theirs_in, day in rows:
        key = (category or UNCATEGORISED, period)
        ours, theirs = Decimal(ours), Decimal(theirs)
        if ours_in != theirs_in:
            to_ours = book.rate(theirs_in, as_day(day))  # type: ignore[arg-type]
            from_ours = book.rate(ours_in, as_day(day))  # type: ignore[arg-type]
            if to_ours is None or from_ours is None:
                missing = theirs_in if to_ours is None else ours_in
                amount = theirs if to_ours is None else ours
                left[key].unconverted[missing] = left[key].unconverted.get(
                    missing, Decimal(0)) + amount
                continue
            theirs = theirs * to_ours / from_ours
        ratios[key].append(ours / theirs)
    out = []
    for key in sorted({*ratios, *left}):
        values = ratios.get(key, [])
        value = (sum(values, Decimal(0)) / len(values)).quantize(
            _CENT, rounding=ROUND_HALF_UP) if values else Decimal("0.00")
        out.append(MetricPoint(key[1], value, key[0], left[key].left_out() if key in left
                               else ()))
    return out


METRICS = (
    Metric("competitors.win_rate",
           "Contested deals won, in percent of the contested deals closed, per competitor",
           "percent", _win_rate, group_by="competitor"),
    Metric("competitors.revenue_lost",
           "Amounts of the deals lost to each competitor, in the base currency",
           "currency", _revenue_lost, group_by="competitor"),
    Metric("competitors.contested_pipeline",
           "Open deals each competitor contests at the end of the period", "count",
           _contested_pipeline, group_by="competitor"),
    Metric("competitors.loss_reasons",
           "Contested deals lost, per loss reason", "count", _loss_reasons,
           group_by="reason"),
    Metric("competitors.price_position",
           "Our price divided by the competitor's, averaged per category of competing "
           "product and month of observation", "ratio", _price_position,
           group_by="category"),
)
