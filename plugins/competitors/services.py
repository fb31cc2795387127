"""The competitors plugin's domain verbs: record an observed price, record and clear
the outcome of contested deals.

Records (competitors, products, prices, deal links) are written through the core's
write path (``accord.services``). The one table written here directly is the
plugin's own record of contested deals' outcomes, inside the sales move's
transaction (sales' ``opportunity_moved`` hook) or when the plugin is enabled again.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import peewee

from accord import services
from accord.errors import StaleVersion
from accord.money import Money
from accord.services import Actor
from accord.services.authz import require

from .models import CompetingProduct, Involvement, Outcome
from .rules import PRICE, PRODUCT, involved, lost_to, opportunities

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["observe_price", "compare_prices", "record_outcome", "sync_outcomes", "OBSERVE", "COMPARE"]

#: The permissions of the two product actions (declared in hooks.py).
OBSERVE = "competitors.product.observe_price"
COMPARE = "competitors.product.compare_prices"


# Prices ------------------------------------------------------------------------------

def observe_price(kernel: Accord, product_id: int, price: Money | dict[str, Any], *,
                  actor: Actor, observed_on: dt.date | None = None,
                  source: str | None = None, version: int | None = None) -> CompetingProduct:
    """Record a competing product's list price seen on a day (today by default) in its
    price history; the product's current price becomes it unless a later observation
    is already its current one. One transaction; returns the product as stored."""
    require(actor, OBSERVE)
    day = observed_on or dt.datetime.now(dt.timezone.utc).date()
    with kernel.transaction():
        product: Any = services.get(kernel, PRODUCT, product_id, actor=actor)
        if version is not None and product.version != version:
            raise StaleVersion(f"{PRODUCT} {product.id} is at version {product.version}, "
                               f"not {version}; reload it and try again")
        seen: Any = services.create(kernel, PRICE, {
            "product_id": product.id, "price": price, "observed_on": day,
            "source": source}, actor=actor, verb="observe_price")
        if product.price_observed_on is None or day >= product.price_observed_on:
            services.update(kernel, PRODUCT, product.id, {
                "list_price": Money(Decimal(seen.price), seen.price_currency),
                "price_observed_on": day}, actor=actor, version=product.version,
                verb="observe_price")
    return services.get(kernel, PRODUCT, product_id)  # type: ignore[return-value]


def compare_prices(kernel: Accord, product_id: int, *, actor: Actor,
                   version: int | None = None) -> dict[str, Any]:
    """A competing product's current list price against each of our products it
    competes with (the compare_prices action), as JSON-ready data."""
    from .reports import price_comparison

    require(actor, COMPARE)
    services.get(kernel, PRODUCT, product_id, actor=actor)
    return price_comparison(kernel, [product_id])[0].as_json()


# Outcomes of contested deals ----------------------------------------------------------

def record_outcome(opportunity: Any, kind: str, data: dict[str, Any]) -> None:
    """Keep how a contested opportunity was closed (``kind`` won or lost), or forget it
    when the opportunity moves back to an open stage. Runs inside the move's
    transaction; an opportunity no competitor contests has no outcome."""
    Outcome.delete().where(Outcome.opportunity_id == opportunity.id).execute()
    if kind not in ("won", "lost") or not involved(opportunity.id):
        return
    details = data.get("details") or {}
    Outcome.insert(_outcome(opportunity, kind, lost_to(details) if kind == "lost" else None,
                            data.get("loss_reason") if kind == "lost"
                            else data.get("win_reason"))).execute()


def _outcome(deal: Any, kind: str, competitor_id: int | None,
             reason: str | None) -> dict[str, Any]:
    return {"opportunity_id": deal.id, "result": kind, "amount": deal.amount,
            "currency": deal.amount_currency, "closed_at": deal.closed_at,
            "lost_to": competitor_id, "reason": reason, "owner_id": deal.owner_id,
            "team_id": deal.team_id}


def _moment(value: Any) -> Any:
    """MIN() of a datetime column as the column gives it back: aware UTC."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def sync_outcomes(kernel: Accord) -> int:
    """Bring the outcomes up to date with the contested opportunities after the plugin
    was off (its hooks did not see the moves then): a deal closed meanwhile gets an
    outcome naming no competitor it was lost to, a deal reopened loses its outcome,
    and the links of a deal deleted meanwhile go. Returns the deals changed."""
    system = Actor.system("competitors")
    changed = 0
    with kernel.transaction():
        query: Any = (Involvement.select(Involvement.opportunity_id,
                                         peewee.fn.MIN(Involvement.created_at))
                      .group_by(Involvement.opportunity_id).tuples())
        oldest = dict(query)
        ids: list[int] = sorted(oldest)
        deals = opportunities(kernel, ids)
        for opportunity_id, deal in list(deals.items()):
            # A link older than its deal was made for another one, deleted while the
            # plugin was off, whose id the new deal took (SQLite reuses the last id).
            if _moment(oldest[opportunity_id]) < deal.created_at:
                del deals[opportunity_id]
        contested = Involvement.select(Involvement.opportunity_id)
        kept = {o.opportunity_id: o for o in Outcome.select().where(
            Outcome.opportunity_id.in_(contested))}
        for opportunity_id in ids:
            deal, outcome = deals.get(opportunity_id), kept.get(opportunity_id)
            if deal is None:
                # Deleted while the plugin was off: its links name nothing any more. A
                # handful of rows at most, hence one delete each, audited as usual (its
                # outcome first: a closed deal's links are otherwise kept).
                Outcome.delete().where(Outcome.opportunity_id == opportunity_id).execute()
                for link in Involvement.select(Involvement.id).where(
                        Involvement.opportunity_id == opportunity_id):
                    services.delete(kernel, "competitors.involvement", link.id, actor=system)
            elif deal.closed_at is None and outcome is None:
                continue
            elif deal.closed_at is None:
                Outcome.delete().where(Outcome.opportunity_id == opportunity_id).execute()
            elif outcome is not None and outcome.closed_at == deal.closed_at:
                continue
            else:
                kind = "lost" if deal.loss_reason else "won"
                Outcome.delete().where(Outcome.opportunity_id == opportunity_id).execute()
                Outcome.insert(_outcome(deal, kind, None, deal.loss_reason if kind == "lost"
                                        else deal.win_reason)).execute()
            if deal is None and outcome is not None:
                Outcome.delete().where(Outcome.opportunity_id == opportunity_id).execute()
            changed += 1
    return changed

