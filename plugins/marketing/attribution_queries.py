"""The reads behind ROI and attribution: campaign touches, won deals joined with them
(set-based), the credit of each deal under the three models, and a campaign's funnel
counts, rates, leads, costs and ROI.

**Touches.** A campaign member whose message was sent (``sent_at``) or who responded
(``responded_at``) touched its contact at the earliest of those moments. The touch
belongs to the contact's customer: the contact's organization when it has one (a
contact at an organization buys for it), else the contact itself.

**Deals.** The won deals come from the customer fact ``sales.won_deals`` of both
customer types, each row with its deal's id (``ref``). A deal belongs to its
organization when it names one; a deal naming only a contact belongs to the contact's
customer (its organization when it has one, else the contact). A deal named under both
its organization and its contact is counted once: the contact's row of a deal already
seen under an organization is left out.

**Credit.** A deal is attributed to its customer's touches on or before the day it
closed and no more than ``attribution_window_days`` before: ``first_touch`` gives all
of it to the earliest touch, ``last_touch`` to the latest (ties: the member added
first), ``linear`` splits it equally among the campaigns that touched (a campaign
touching two of the customer's contacts has one part), in cents, the leftover cents to
the campaigns that touched first, so the parts add up to the deal exactly. A deal with
no touch is unattributed. Amounts are the facts': base currency; a deal in another
currency counts as an acquisition but adds no revenue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import peewee

from accord.database import is_postgres
from accord.facts import customer_facts
from accord.models import Contact
from accord.rates import base_currency

from .models.campaigns import CampaignMember, CampaignResponse
from .settings import ATTRIBUTION_MODELS
from .sqldays import day_value

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["WON_DEALS", "NO_SALES", "Attribution", "attribute", "split", "touches_query",
           "funnel_counts", "leads_of", "results_of", "rate", "roi_of", "percent",
           "campaign_cost", "COUNTED_STEPS"]

WON_DEALS = "sales.won_deals"
#: Why nothing is attributed when no plugin declares the won deals.
NO_SALES = ("no won deals to attribute: the sales plugin (which declares the "
            "sales.won_deals customer fact) is not enabled")
#: The member columns a campaign's results count, by the name the answer gives them.
COUNTED_STEPS = (("sent", "sent_at"), ("delivered", "delivered_at"), ("opened", "opened_at"),
                 ("clicked", "clicked_at"), ("responded", "responded_at"),
                 ("converted", "converted_at"), ("bounced", "bounced_at"),
                 ("unsubscribed", "unsubscribed_at"))
_CENT = Decimal("0.01")


def _money(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(_CENT, ROUND_HALF_UP)


def _moment(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return dt.datetime.fromisoformat(str(value).replace("T", " "))


# Touches and deals -------------------------------------------------------------------

def touches_query() -> Any:
    """One row per touching member: ``member``, ``campaign``, ``at`` (the earliest of
    sent and responded), ``customer_type`` and ``customer_id`` (the contact's
    organization, else the contact)."""
    M = CampaignMember
    at = peewee.Case(None, [(M.sent_at.is_null(), M.responded_at),
                            (M.responded_at.is_null(), M.sent_at),
                            (M.sent_at <= M.responded_at, M.sent_at)], M.responded_at)
    kind = peewee.Case(None, [(Contact.organization.is_null(), "contact")], "organization")
    return (M.select(M.id.alias("member"), M.campaign.alias("campaign"), at.alias("at"),
                     kind.alias("customer_type"),
                     peewee.fn.COALESCE(Contact.organization, Contact.id).alias("customer_id"))
            .join(Contact, on=(Contact.id == M.contact))
            .where(M.sent_at.is_null(False) | M.responded_at.is_null(False)))


def _joined(kernel: Accord, customer: str, fact: Any, window: int,
            start: dt.date | None, end: dt.date | None) -> list[tuple[Any, ...]]:
    """The won deals of one customer type, each with the touches of its customer
    within the window (LEFT JOIN: a deal without touch has one row of NULLs):
    ``(deal, day, amount, campaign, at, member)``; a contact's deal belongs to the
    contact's organization when it has one."""
    deals = fact.query(kernel, start).alias("won")
    touches = touches_query().alias("touches")
    touch_day = peewee.fn.DATE(touches.c.at)
    if is_postgres(kernel.database):
        earliest = deals.c.value - window
    else:
        earliest = peewee.fn.DATE(deals.c.value, f"-{int(window)} days")
    if customer == "contact":  # a contact at an organization buys for it
        kind: Any = peewee.Case(None, [(Contact.organization.is_null(), "contact")],
                                "organization")
        owner: Any = peewee.fn.COALESCE(Contact.organization, Contact.id)
    else:
        kind, owner = peewee.Value("organization"), deals.c.customer
    on = ((touches.c.customer_type == kind) & (touches.c.customer_id == owner)
          & (touch_day <= deals.c.value) & (touch_day >= earliest))
    query = peewee.Select([deals], [deals.c.ref, deals.c.value, deals.c.amount,
                                    touches.c.campaign, touches.c.at, touches.c.member])
    if customer == "contact":
        query = query.join(Contact, on=(Contact.id == deals.c.customer))
    query = query.join(touches, peewee.JOIN.LEFT_OUTER, on=on)
    if start is not None:
        query = query.where(deals.c.value >= day_value(kernel, start))
    if end is not None:
        query = query.where(deals.c.value <= day_value(kernel, end))
    with kernel.bound():
        return list(query.tuples().execute(kernel.database))


def split(amount: Decimal, parts: int) -> list[Decimal]:
    """``amount`` in ``parts`` equal shares to the cent, the leftover cents one each to
    the first shares (and any part of a cent to the first), adding up to ``amount``; a
    negative amount (a refund) is split as the mirror of the positive one."""
    whole = abs(amount)
    base = (whole / parts).quantize(_CENT, ROUND_DOWN)
    shares = [base] * parts
    left = whole - base * parts
    cents = int((left / _CENT).to_integral_value(ROUND_DOWN))
    for index in range(min(cents, parts)):
        shares[index] += _CENT
    shares[0] += whole - sum(shares)
    # Negated share by share; a zero share stays 0.00, never -0.00.
    return shares if amount >= 0 else [-share if share else share for share in shares]


@dataclass
class Credit:
    """What a campaign earned under one model: revenue and the deals it shares."""

    revenue: Decimal = Decimal("0.00")
    deals: int = 0


@dataclass
class Attribution:
    """The won deals of a range attributed under each model: per model, per campaign,
    the revenue and deals; the deals without a touch; a note when no deals are known."""

    credits: dict[str, dict[int, Credit]] = field(
        default_factory=lambda: {m: {} for m in ATTRIBUTION_MODELS})
    deals: int = 0
    won_revenue: Decimal = Decimal("0.00")
    unattributed_deals: int = 0
    unattributed_revenue: Decimal = Decimal("0.00")
    #: Deals whose amount is not in the base currency: counted, no revenue.
    not_converted: int = 0
    note: str = ""
    #: The revenue per model, campaign and month (``YYYY-MM``) the deals were won in.
    monthly: dict[tuple[str, int, str], Decimal] = field(default_factory=dict)

    def of(self, model: str, campaign_id: int) -> Credit:
        return self.credits[model].get(campaign_id) or Credit()

    def _add(self, model: str, campaign_id: int, amount: Decimal, month: str) -> None:
        credit = self.credits[model].setdefault(campaign_id, Credit())
        credit.revenue += amount
        credit.deals += 1
        key = (model, campaign_id, month)
        self.monthly[key] = self.monthly.get(key, Decimal("0.00")) + amount


def attribute(kernel: Accord, *, start: dt.date | None = None,
              end: dt.date | None = None) -> Attribution:
    """The deals won from ``start`` to ``end`` (days, inclusive; all without them)
    attributed to the campaigns under the three models (see the module)."""
    out = Attribution()
    window = int(kernel.settings("marketing")["attribution_window_days"])
    rows: list[tuple[str, tuple[Any, ...]]] = []
    found = False
    for customer in ("organization", "contact"):
        fact = customer_facts(kernel, customer).get(WON_DEALS)
        if fact is None:
            continue
        found = True
        rows += [(customer, row) for row in _joined(kernel, customer, fact, window, start, end)]
    if not found:
        out.note = NO_SALES
        return out
    Touches = list[tuple[dt.datetime, int, int]]
    deals: dict[int, tuple[Decimal | None, str, Touches]] = {}
    under_organization: set[int] = set()
    for customer, (deal, day, amount, campaign, at, member) in rows:
        key = int(deal)
        if customer == "organization":
            under_organization.add(key)
        elif key in under_organization:
            continue  # the deal names its organization too: counted there
        entry = deals.setdefault(key, (None if amount is None else _money(amount),
                                       str(day)[:7], []))
        if campaign is not None:
            entry[2].append((_moment(at), int(member), int(campaign)))
    for amount, month, touches in deals.values():
        out.deals += 1
        value = amount if amount is not None else Decimal("0.00")
        out.won_revenue += value
        if amount is None:
            out.not_converted += 1
        if not touches:
            out.unattributed_deals += 1
            out.unattributed_revenue += value
            continue
        touches.sort()
        out._add("first_touch", touches[0][2], value, month)
        out._add("last_touch", touches[-1][2], value, month)
        campaigns = list(dict.fromkeys(campaign for _, _, campaign in touches))
        for campaign, share in zip(campaigns, split(value, len(campaigns))):
            out._add("linear", campaign, share, month)
    return out


# A campaign's figures ---------------------------------------------------------------

def funnel_counts(campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per campaign: its members and how many reached each counted step."""
    if not campaign_ids:
        return {}
    M = CampaignMember
    columns = [peewee.fn.COUNT(getattr(M, column)) for _, column in COUNTED_STEPS]
    query: Any = (M.select(M.campaign, peewee.fn.COUNT(M.id), *columns)
                  .where(M.campaign.in_(campaign_ids)).group_by(M.campaign).tuples())
    out = {}
    for campaign, members, *counts in query:
        out[int(campaign)] = {"members": int(members), **{
            name: int(n or 0) for (name, _), n in zip(COUNTED_STEPS, counts)}}
    return out


def leads_of(campaign_ids: list[int]) -> dict[int, int]:
    """Per campaign: the leads its responses created."""
    if not campaign_ids:
        return {}
    R = CampaignResponse
    query: Any = (R.select(R.campaign, peewee.fn.COUNT(R.lead_id.distinct()))
                  .where(R.campaign.in_(campaign_ids), R.lead_id.is_null(False))
                  .group_by(R.campaign).tuples())
    return {int(c): int(n) for c, n in query}


def percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(_CENT, ROUND_HALF_UP)


def rate(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, None when ``whole`` is 0."""
    return percent(Decimal(part), Decimal(whole)) if whole else None


def campaign_cost(kernel: Accord, campaign: Any) -> tuple[Decimal | None, str]:
    """The campaign's actual cost in the base currency, or None and why not."""
    base = base_currency(kernel)
    if campaign.actual_cost is None:
        return None, "no actual cost is recorded"
    cost = _money(campaign.actual_cost)
    if campaign.actual_cost_currency and campaign.actual_cost_currency != base:
        return None, (f"the cost is in {campaign.actual_cost_currency}, not the base "
                      f"currency {base}")
    if cost == 0:
        return None, "the campaign cost nothing"
    return cost, ""


def roi_of(revenue: Decimal, cost: Decimal | None) -> Decimal | None:
    """(revenue - cost) / cost in percent; None without a cost."""
    return None if cost is None else percent(revenue - cost, cost)


def results_of(kernel: Accord, campaign: Any, model: str, credited: Attribution,
               counts: dict[str, int] | None = None, leads: int | None = None
               ) -> dict[str, Any]:
    """A campaign's results: funnel counts, rates, leads, costs, attributed revenue
    (``model`` and every model), acquisitions and ROI (or why there is none)."""
    if counts is None:
        counts = funnel_counts([campaign.id]).get(campaign.id, {})
    if leads is None:
        leads = leads_of([campaign.id]).get(campaign.id, 0)
    numbers = {"members": counts.get("members", 0),
               **{name: counts.get(name, 0) for name, _ in COUNTED_STEPS}}
    cost, why = campaign_cost(kernel, campaign)
    credit = credited.of(model, campaign.id)
    revenue = credit.revenue.quantize(_CENT)
    reason = credited.note or why
    roi = None if credited.note else roi_of(revenue, cost)
    return {
        "campaign_id": campaign.id, "name": campaign.name, "status": campaign.status,
        "model": model, "currency": base_currency(kernel), **numbers,
        "response_rate": rate(numbers["responded"], numbers["sent"]),
        "open_rate": rate(numbers["opened"], numbers["sent"]),
        "click_rate": rate(numbers["clicked"], numbers["sent"]),
        "conversion_rate": rate(numbers["converted"], numbers["responded"]),
        "leads": leads,
        "cost": cost if cost is not None else (
            None if campaign.actual_cost is None else _money(campaign.actual_cost)),
        "cost_currency": campaign.actual_cost_currency,
        "cost_per_lead": (cost / leads).quantize(_CENT, ROUND_HALF_UP)
        if cost is not None and leads else None,
        "acquisitions": credit.deals,
        "cost_per_acquisition": (cost / credit.deals).quantize(_CENT, ROUND_HALF_UP)
        if cost is not None and credit.deals else None,
        "attributed_revenue": revenue,
        "revenue_by_model": {m: credited.of(m, campaign.id).revenue.quantize(_CENT)
                             for m in ATTRIBUTION_MODELS},
        "roi": roi, "roi_note": "" if roi is not None else reason,
        "note": credited.note}

