"""Read-only views over the competitors tables: win/loss against each competitor, a
product's price history and its price against ours, and timeline entries.

Set-based: each function runs a fixed number of queries whatever the number of
competitors, products or deals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import peewee

from accord import services
from accord.metrics import exact_sum
from accord.models import Product
from accord.money import Money, format_amount
from accord.records import TimelineItem

from .models import CompetingProduct, Competitor, Involvement, Outcome, PriceObservation, Rivalry
from .rules import COMPETITOR, OPPORTUNITY, PRODUCT, opportunities

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

__all__ = ["percent", "WinLoss", "winloss", "price_history", "OurPrice",
           "PriceComparison", "price_comparison", "competitor_items", "opportunity_items"]

_CENT = Decimal("0.01")


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, to two places (half up); None for nothing."""
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(_CENT, rounding=ROUND_HALF_UP)


def ratio(ours: Decimal, theirs: Decimal) -> Decimal:
    """Our price divided by theirs, to two places (half up)."""
    return (Decimal(ours) / Decimal(theirs)).quantize(_CENT, rounding=ROUND_HALF_UP)


# Win/loss -----------------------------------------------------------------------

@dataclass
class WinLoss:
    """The contested deals closed against one competitor."""

    competitor_id: int
    name: str
    won: int = 0
    lost: int = 0
    #: Amounts of the deals lost to this competitor, by currency.
    revenue_lost: dict[str, Decimal] = field(default_factory=dict)

    @property
    def deals(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> Decimal | None:
        return percent(self.won, self.deals)


def winloss(kernel: Accord, since: dt.date | None = None) -> list[WinLoss]:
    """Each competitor that contested deals closed on or after ``since`` (all time when
    None): how many, won and lost, and the revenue lost to it; by name. Two queries."""
    count = peewee.fn.COUNT(Outcome.opportunity_id)
    results: Any = (Involvement.select(Competitor.id, Competitor.name, Outcome.result, count)
                    .join(Outcome, on=(Outcome.opportunity_id == Involvement.opportunity_id))
                    .join(Competitor, on=(Competitor.id == Involvement.competitor))
                    .group_by(Competitor.id, Competitor.name, Outcome.result))
    total, to_decimal = exact_sum(kernel, Outcome.amount)
    lost: Any = (Outcome.select(Outcome.lost_to, Outcome.currency, total)
                 .join(Involvement, on=((Involvement.opportunity_id == Outcome.opportunity_id)
                                        & (Involvement.competitor == Outcome.lost_to)))
                 .where(Outcome.result == "lost")
                 .group_by(Outcome.lost_to, Outcome.currency))
    if since is not None:
        start = dt.datetime(since.year, since.month, since.day, tzinfo=dt.timezone.utc)
        results = results.where(Outcome.closed_at >= start)
        lost = lost.where(Outcome.closed_at >= start)
    out: dict[int, WinLoss] = {}
    with kernel.bound():
        for competitor_id, name, result, n in results.tuples():
            row = out.setdefault(competitor_id, WinLoss(competitor_id, name))
            setattr(row, result, n)
        for competitor_id, currency, amount in lost.tuples():
            out[competitor_id].revenue_lost[currency] = to_decimal(amount)
    return sorted(out.values(), key=lambda r: r.name)


# Prices -------------------------------------------------------------------------

def price_history(kernel: Accord, product_id: int,
                  actor: Actor | None = None) -> list[PriceObservation]:
    """A competing product's observed prices, oldest observation first."""
    services.get(kernel, PRODUCT, product_id, actor=actor)
    with kernel.bound():
        return list(PriceObservation.select()
                    .where(PriceObservation.product == product_id)
                    .order_by(PriceObservation.observed_on, PriceObservation.id))


@dataclass(frozen=True)
class OurPrice:
    """One of our products a competing product competes with, and how the prices
    compare: ``ratio`` is our price divided by theirs (None when they cannot be
    compared, and ``note`` says why)."""

    product_id: int
    sku: str
    name: str
    price: Money | None
    ratio: Decimal | None
    note: str | None


@dataclass(frozen=True)
class PriceComparison:
    """A competing product's current list price against our products' prices."""

    product_id: int
    name: str
    competitor: str
    category: str | None
    price: Money | None
    observed_on: dt.date | None
    ours: list[OurPrice]

    def as_json(self) -> dict[str, Any]:
        def money(value: Money | None) -> Any:
            return None if value is None else {"amount": format_amount(value.amount),
                                               "currency": value.currency}

        return {"product_id": self.product_id, "name": self.name,
                "competitor": self.competitor, "category": self.category,
                "list_price": money(self.price),
                "price_observed_on": self.observed_on.isoformat() if self.observed_on else None,
                "ours": [{"product_id": o.product_id, "sku": o.sku, "name": o.name,
                          "unit_price": money(o.price),
                          "ratio": None if o.ratio is None else str(o.ratio), "note": o.note}
                         for o in self.ours]}


def _money(amount: Any, currency: str | None) -> Money | None:
    return None if amount is None or currency is None else Money(Decimal(amount), currency)


def _compare(theirs: Money | None, ours: Money | None) -> tuple[Decimal | None, str | None]:
    if theirs is None:
        return None, "no list price observed for the competing product"
    if ours is None:
        return None, "our product has no unit price"
    if theirs.currency != ours.currency:
        return None, (f"the currencies differ ({ours.currency} against {theirs.currency}); "
                      "prices in different currencies are not compared")
    return ratio(ours.amount, theirs.amount), None


def price_comparison(kernel: Accord, product_ids: list[int] | None = None) -> list[
        PriceComparison]:
    """Each competing product (or those of ``product_ids``) with its current list price
    against each of our products it competes with; by competitor and name. Prices
    are compared in the same currency only. Two queries."""
    query: Any = (CompetingProduct.select(CompetingProduct, Competitor.name.alias("rival"))
                  .join(Competitor).order_by(Competitor.name, CompetingProduct.name))
    if product_ids is not None:
        query = query.where(CompetingProduct.id.in_(product_ids))
    with kernel.bound():
        products = list(query.objects())
        links: Any = (Rivalry.select(Rivalry.product, Product.id, Product.sku, Product.name,
                                     Product.unit_price, Product.unit_price_currency)
                      .join(Product, on=(Product.id == Rivalry.ours))
                      .where(Rivalry.product.in_([p.id for p in products]))
                      .order_by(Product.name, Product.id).tuples())
        ours: dict[int, list[OurPrice]] = {}
        theirs = {p.id: _money(p.list_price, p.list_price_currency) for p in products}
        for product_id, our_id, sku, name, amount, currency in links:
            price = _money(amount, currency)
            value, note = _compare(theirs[product_id], price)
            ours.setdefault(product_id, []).append(OurPrice(our_id, sku, name, price, value,
                                                            note))
    return [PriceComparison(p.id, p.name, p.rival, p.category, theirs[p.id],
                            p.price_observed_on, ours.get(p.id, [])) for p in products]


# Timeline -------------------------------------------------------------------------

def competitor_items(kernel: Accord, record_ids: list[int]) -> list[TimelineItem]:
    """The prices observed for competitors' products and the contested deals closed,
    as entries of the competitors' timelines; three queries for all the ids."""
    items = []
    prices: Any = (PriceObservation.select(PriceObservation, CompetingProduct.name.alias("product_name"),
                                           CompetingProduct.competitor.alias("rival"))
                   .join(CompetingProduct)
                   .where(CompetingProduct.competitor.in_(record_ids)))
    seen: Any
    for seen in prices.objects():
        items.append(TimelineItem(
            record_type=COMPETITOR, record_id=seen.rival, at=seen.created_at,
            kind="competitors.price",
            title=f"{seen.product_name}: {Money(Decimal(seen.price), seen.price_currency)} "
                  f"on {seen.observed_on}",
            source_type="competitors.price", source_id=seen.id,
            details={"product_id": seen.product_id, "observed_on": seen.observed_on.isoformat(),
                     "source": seen.source}))
    closed: Any = (Outcome.select(Outcome, Involvement.competitor.alias("rival"))
                   .join(Involvement, on=(Involvement.opportunity_id == Outcome.opportunity_id))
                   .where(Involvement.competitor.in_(record_ids)))
    outcomes = list(closed.objects())
    deals = opportunities(kernel, [o.opportunity_id for o in outcomes])
    for outcome in outcomes:
        deal = deals.get(outcome.opportunity_id)
        name = deal.name if deal is not None else f"opportunity {outcome.opportunity_id}"
        title = f"Won {name}" if outcome.result == "won" else (
            f"Lost {name} to this competitor" if outcome.lost_to_id == outcome.rival
            else f"Lost {name}")
        items.append(TimelineItem(
            record_type=COMPETITOR, record_id=outcome.rival, at=outcome.closed_at,
            kind="competitors.outcome", title=title, source_type=OPPORTUNITY,
            source_id=outcome.opportunity_id,
            details={"result": outcome.result, "reason": outcome.reason,
                     "lost_to": outcome.lost_to_id,
                     "amount": str(Money(Decimal(outcome.amount), outcome.currency))}))
    return items


def opportunity_items(record_ids: list[int]) -> list[TimelineItem]:
    """The competitors linked to opportunities, as entries of their timelines."""
    query: Any = (Involvement.select(Involvement, Competitor.name.alias("rival"))
                  .join(Competitor).where(Involvement.opportunity_id.in_(record_ids)))
    items = []
    link: Any
    for link in query.objects():
        quoted = _money(link.quoted_price, link.quoted_price_currency)
        items.append(TimelineItem(
            record_type=OPPORTUNITY, record_id=link.opportunity_id, at=link.created_at,
            kind="competitors.involvement",
            title=f"Competitor: {link.rival}" + (f", quoted {quoted}" if quoted else ""),
            source_type="competitors.involvement", source_id=link.id,
            details={"competitor_id": link.competitor_id}))
    return items
