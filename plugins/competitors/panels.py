"""What the competitor pages show, read with the reader's permissions and record rules:
a competitor's products with their latest observed price, its price history, and the
contested deals won and lost against it.

Competitors, products and prices have no owner: the read permission is all a reader
needs. The deals are sales opportunities, read through the core's record services
(``rules.opportunities`` with the reader), so a salesperson whose rule is ``own``
counts and sees only their own deals. Every function runs a fixed number of queries
(one per 500 deals for the opportunities) whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from accord.metrics import round_money
from accord.money import Money
from accord.pages import Panel
from accord.query import find
from accord.rates import Converted, Totals, base_currency

from .models import Involvement, Outcome
from .reports import percent
from .rules import OPPORTUNITY, PRICE, PRODUCT, opportunities

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

__all__ = ["Deal", "Figures", "products", "price_history", "winloss", "competitor_panels",
           "PRICES_SHOWN"]

#: Observations the price history panel shows, newest first (the list page has all).
PRICES_SHOWN = 20


@dataclass(frozen=True)
class Deal:
    """A contested deal closed against a competitor, as its reader may see it."""

    opportunity_id: int
    name: str
    result: str  # won or lost
    amount: Money
    closed_at: dt.datetime
    reason: str | None
    #: Lost to this competitor (rather than to another one, or to none).
    lost_to_it: bool

    @property
    def url(self) -> str:
        return f"/records/{OPPORTUNITY}/{self.opportunity_id}"

    @property
    def outcome(self) -> str:
        if self.result == "won":
            return "Won"
        return "Lost to it" if self.lost_to_it else "Lost"


@dataclass
class Figures:
    """Win/loss against one competitor: the deals the reader may read, newest first,
    and the revenue lost to it in the base currency (converted on each close date)."""

    competitor_id: int
    base: str
    deals: list[Deal] = field(default_factory=list)
    revenue: Converted = field(default_factory=Converted)

    @property
    def won(self) -> int:
        return sum(deal.result == "won" for deal in self.deals)

    @property
    def lost(self) -> int:
        return sum(deal.result == "lost" for deal in self.deals)

    @property
    def win_rate(self) -> Decimal | None:
        """Won deals in percent of those closed, to two places; None without any."""
        return percent(self.won, len(self.deals))

    @property
    def revenue_lost(self) -> Money:
        return Money(round_money(self.revenue.amount, self.base), self.base)

    @property
    def without_rate(self) -> tuple[Money, ...]:
        """Amounts lost in currencies without an exchange rate on their close date."""
        return self.revenue.left_out()


def products(kernel: Accord, actor: Actor, competitor_id: int) -> list[Any] | None:
    """The competitor's products by name (their ``list_price`` is the latest observed
    one); None when the reader may not read competing products."""
    if not actor.can(f"{PRODUCT}.read"):
        return None
    return find(kernel, PRODUCT, {"competitor_id": competitor_id}, sort=("name",),
                actor=actor)


def price_history(kernel: Accord, actor: Actor, product_ids: list[int],
                  limit: int | None = None) -> list[Any] | None:
    """The prices observed for these products, newest first (at most ``limit``); None
    when the reader may not read observed prices."""
    if not actor.can(f"{PRICE}.read"):
        return None
    seen: list[Any] = []
    for start in range(0, len(product_ids), 500):  # an __in filter takes 500 values
        seen += find(kernel, PRICE, {"product_id__in": product_ids[start:start + 500]},
                     sort=("-observed_on", "-id"), limit=limit, actor=actor)
    seen.sort(key=lambda p: (p.observed_on, p.id), reverse=True)
    return seen if limit is None else seen[:limit]


def winloss(kernel: Accord, actor: Actor, competitor_ids: list[int] | None = None,
            since: dt.date | None = None) -> dict[int, Figures] | None:
    """Per competitor (those of ``competitor_ids``, or all), the contested deals closed
    on or after ``since`` that the reader may read, with the revenue lost to it. None
    when the reader may not read sales opportunities; a competitor without a deal the
    reader sees is left out."""
    if not actor.can(f"{OPPORTUNITY}.read"):
        return None
    query: Any = (Outcome.select(Outcome, Involvement.competitor.alias("rival"))
                  .join(Involvement, on=(Involvement.opportunity_id == Outcome.opportunity_id))
                  .order_by(Outcome.closed_at.desc(), Outcome.opportunity_id.desc()))
    if competitor_ids is not None:
        query = query.where(Involvement.competitor.in_(competitor_ids))
    if since is not None:
        query = query.where(Outcome.closed_at >= dt.datetime(
            since.year, since.month, since.day, tzinfo=dt.timezone.utc))
    with kernel.bound():
        rows = list(query.objects())
    deals = opportunities(kernel, [row.opportunity_id for row in rows], actor)
    totals = Totals(kernel)
    out: dict[int, Figures] = {}
    for row in rows:
        deal = deals.get(row.opportunity_id)
        if deal is None:  # beyond the reader's record rule
            continue
        figures = out.setdefault(row.rival, Figures(row.rival, totals.base))
        amount = Money(Decimal(row.amount), row.currency)
        lost_to_it = row.result == "lost" and row.lost_to_id == row.rival
        figures.deals.append(Deal(row.opportunity_id, deal.name, row.result, amount,
                                  row.closed_at, row.reason, lost_to_it))
        if lost_to_it:
            totals.add(row.rival, amount.amount, amount.currency, row.closed_at)
    for competitor_id, revenue in totals.result().items():
        out[competitor_id].revenue = revenue
    return out


def competitor_panels(kernel: Accord, actor: Actor, competitor_id: int) -> list[Panel]:
    """The Products, Price history and Win/loss panels of a competitor's page; a panel
    whose records the reader may not read is left out (win/loss says why)."""
    panels = []
    items = products(kernel, actor, competitor_id)
    if items is not None:
        panels.append(Panel("Products", template="competitors/_products.html",
                            context={"products": items}, order=40))
        names = {p.id: p.name for p in items}
        seen = price_history(kernel, actor, sorted(names), PRICES_SHOWN + 1)
        if seen is not None:
            panels.append(Panel("Price history", template="competitors/_prices.html",
                                context={"prices": seen[:PRICES_SHOWN], "names": names,
                                         "more": len(seen) > PRICES_SHOWN,
                                         "all_url": _prices_url(sorted(names))},
                                order=41))
    figures = winloss(kernel, actor, [competitor_id])
    panels.append(Panel("Win/loss", template="competitors/_winloss.html", order=42,
                        context={"figures": None if figures is None else figures.get(
                            competitor_id, Figures(competitor_id, base_currency(kernel))),
                                 "permission": f"{OPPORTUNITY}.read"}))
    return panels


def _prices_url(product_ids: list[int]) -> str:
    """The list page of every observation of these products, newest first."""
    ids = ",".join(str(i) for i in product_ids[:500])
    return f"/records/{PRICE}?product_id__in={ids}&sort=-observed_on"
