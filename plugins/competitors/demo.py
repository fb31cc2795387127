"""Demo data: three competitors with products, prices, notes, and the deals they
contest, on top of the core's and the sales plugin's demo records."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from accord import services
from accord.query import find

from .rules import COMPETITOR, INVOLVEMENT, OPPORTUNITY, PRODUCT
from .services import observe_price

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

#: name, threat level, status, markets, regions, segments, strengths, weaknesses.
COMPETITORS = [
    ("Salesflow Cloud", "high", "active", "Mid-market CRM", "DACH, Nordics",
     "Manufacturing, logistics", "Strong brand; large partner network",
     "Expensive add-ons; slow support"),
    ("PipeCRM", "medium", "active", "Small business CRM", "DACH", "Retail, services",
     "Low entry price; quick to set up", "Weak reporting; no on-premises option"),
    ("OpenLedger Suite", "low", "watch", "ERP with a CRM module", "Europe", "Manufacturing",
     "Bundled with their ERP", "Dated interface"),
]

#: competitor, product, category, our SKUs it competes with, (days ago, price in EUR).
PRODUCTS = [
    ("Salesflow Cloud", "Salesflow Professional", "Licences", ["CRM-PRO"],
     [(200, "65.00"), (30, "69.00")]),
    ("Salesflow Cloud", "Salesflow Onboarding", "Services", ["ONB-PKG"], [(90, "1800.00")]),
    ("PipeCRM", "PipeCRM Team", "Licences", ["CRM-STD"], [(150, "25.00"), (10, "22.00")]),
]

#: sales demo opportunity, competitor, their quoted price (EUR) or None.
LINKS = [
    ("Professional seats for purchasing", "Salesflow Cloud", "38900.00"),
    ("Fleet CRM roll-out", "Salesflow Cloud", None),
    ("Fleet CRM roll-out", "OpenLedger Suite", None),
    ("200 seats for engineering", "PipeCRM", "118000.00"),
]

#: deal, organization, amount (EUR), competitor, stage, reason.
CLOSED = [
    ("Seats for the Hamburg office", "Northwind Traders", "14160.00", "Salesflow Cloud", "Lost",
     "Lower price per seat"),
    ("Support for the service desk", "Meridian Foods", "4800.00", "PipeCRM", "Won",
     "Better support response times"),
]


def competitors_demo(kernel: Accord, actor: Actor) -> None:
    """Competitors, their products and price history, a note, and contested deals."""
    today = dt.datetime.now(dt.timezone.utc).date()
    ids = {}
    for name, threat, status, markets, regions, segments, strengths, weaknesses in COMPETITORS:
        ids[name] = services.create(kernel, COMPETITOR, {
            "name": name, "website": f"https://www.{name.split()[0].lower()}.example",
            "threat_level": threat, "status": status, "markets": markets, "regions": regions,
            "segments": segments, "strengths": strengths, "weaknesses": weaknesses},
            actor=actor).id
    ours = {p.sku: p.id for p in find(kernel, "product")}
    for competitor, name, category, skus, prices in PRODUCTS:
        product = services.create(kernel, PRODUCT, {
            "competitor_id": ids[competitor], "name": name, "category": category,
            "competes_with": [ours[s] for s in skus if s in ours]}, actor=actor)
        for days, amount in prices:
            observe_price(kernel, product.id, {"amount": amount, "currency": "EUR"},
                          observed_on=today - dt.timedelta(days=days), source="website",
                          actor=actor)
    services.create(kernel, "activity", {
        "kind": "note", "subject": "Salesflow Cloud raised its seat prices by 6%",
        "record_type": COMPETITOR, "record_id": ids["Salesflow Cloud"],
        "done_at": (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)).isoformat()},
        actor=actor)
    deals = {d.name: d.id for d in find(kernel, OPPORTUNITY, {
        "name__in": sorted({deal for deal, _, _ in LINKS})})}
    services.bulk_create(kernel, INVOLVEMENT, [
        {"opportunity_id": deals[deal], "competitor_id": ids[competitor],
         "quoted_price": {"amount": quoted, "currency": "EUR"} if quoted else None}
        for deal, competitor, quoted in LINKS if deal in deals], actor=actor)
    _closed_deals(kernel, actor, ids)


def _closed_deals(kernel: Accord, actor: Actor, ids: dict[str, int]) -> None:
    # Closing goes through sales' own verb, its public Python API: the closing hooks
    # (this plugin's veto and outcome among them) run as for any user's move.
    from accord_sales.services import move_opportunity

    orgs = {o.name: o.id for o in find(kernel, "organization")}
    for name, org, amount, competitor, stage, reason in CLOSED:
        if org not in orgs:  # the core's demo was changed: leave this one out
            continue
        deal: Any = services.create(kernel, OPPORTUNITY, {
            "name": name, "organization_id": orgs[org], "stage": "Proposal",
            "amount": {"amount": amount, "currency": "EUR"}}, actor=actor)
        services.create(kernel, INVOLVEMENT, {"opportunity_id": deal.id,
                                              "competitor_id": ids[competitor]}, actor=actor)
        if stage == "Lost":
            move_opportunity(kernel, deal.id, stage, loss_reason=reason,
                             details={"lost_to": ids[competitor]}, actor=actor)
        else:
            move_opportunity(kernel, deal.id, stage, win_reason=reason, actor=actor)
