"""Demo data: leads in every state and a pipeline of opportunities on top of the core's
demo firm, written through the service layer and the plugin's own verbs."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from accord import services
from accord.models import Contact, Organization, Product, Team, User

from .models import Opportunity
from .rules import CONTRACT, LEAD, OPPORTUNITY, ORDER, QUOTE
from .services import convert_lead, move_opportunity
from .services.contracts import activate_contract, contract_renewals
from .services.invoices import (invoice_contract_period, invoice_order, issue_invoice,
                                mark_overdue, pay_invoice)
from .services.orders import set_order_status
from .services.quotes import accept_quote, reject_quote, revise_quote, send_quote

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

__all__ = ["sales_demo", "LEADS", "OPPORTUNITIES"]

MARIA, TOM = "maria.lopez@example.com", "tom.becker@example.com"

#: name, company, source, status, disqualify reason, owner.
LEADS = [
    ("Sofia Marino", "Verde Bistro Group", "web form", "new", None, MARIA),
    ("Daniel Kim", "Harborview Hotels", "referral", "contacted", None, TOM),
    ("Amira Haddad", "Atlas Freight", "trade show", "qualified", None, TOM),
    ("Oskar Lind", "Nordlys Energy", "cold call", "new", None, TOM),
    ("Emma Dubois", "Petit Pas Kindergartens", "campaign", "contacted", None, MARIA),
    ("Rafael Costa", "Costa Imports", "web form", "disqualified",
     "Student project, no budget", MARIA),
    ("Mia Novak", "Blue Ocean Surf School", "web form", "disqualified",
     "Outside our market: a one-person business", TOM),
    ("Noah Weber", None, "cold call", "new", None, TOM),
    ("Chloe Martin", "Lumen Clinics", "campaign", "contacted", None, MARIA),
    # Converted below: a new customer, a known organization, a known contact.
    ("Yuki Tanaka", "Sakura Dental", "referral", "qualified", None, MARIA),
    ("Liam O'Brien", "Kestrel Logistics", "trade show", "qualified", None, TOM),
    ("Hanna Schulz", "Northwind Traders", "referral", "contacted", None, MARIA),
]

#: name, organization, contact email (or None), amount (EUR), days to expected close,
#: pipeline, the stages it went through (created in the first), channel, loss reason,
#: owner.
OPPORTUNITIES = [
    ("Professional seats for purchasing", "Northwind Traders", "hanna.schulz@northwind.example",
     "35400.00", 20, "new_business", ["Qualification", "Proposal", "Negotiation"], "field",
     None, MARIA),
    ("Onboarding package", "Blue Harbor Dental", "claire.moreau@blue.example", "1500.00", 35,
     "new_business", ["Prospecting", "Proposal"], "telesales", None, MARIA),
    ("Fleet CRM roll-out", "Kestrel Logistics", "pieter.devries@kestrel.example", "96000.00",
     90, "new_business", ["Prospecting", "Qualification"], "field", None, TOM),
    ("Premium support", "Meridian Foods", "giulia.rossi@meridian.example", "2400.00", -10,
     "new_business", ["Proposal", "Negotiation", "Won"], "telesales", None, TOM),
    ("Reseller licences", "Orbit Office Supply", "lena.gruber@orbit.example", "18000.00", 120,
     "new_business", ["Prospecting"], "partner", None, MARIA),
    ("200 seats for engineering", "Cobalt Engineering", "felix.hoffmann@cobalt.example",
     "141600.00", 60, "new_business", ["Qualification", "Proposal"], "field", None, TOM),
    ("Training days for clinic staff", "Lumen Clinics", "lucia.fernandez@lumen.example",
     "4750.00", -20, "new_business", ["Proposal", "Lost"], "partner",
     "Chose an in-house training programme", MARIA),
    ("Supplier portal pilot", "Fjord Components", "ingrid.hansen@fjord.example", "7000.00", 75,
     "new_business", ["Prospecting"], "telesales", None, TOM),
    ("Training day", "Northwind Traders", "jonas.weber@northwind.example", "1900.00", -30,
     "new_business", ["Negotiation", "Won"], "field", None, MARIA),
    ("Onboarding for the Stuttgart plant", "Cobalt Engineering", None, "9000.00", -5,
     "new_business", ["Qualification", "Negotiation", "Lost"], "field",
     "Budget frozen until next year", TOM),
    ("Web shop integration", "Meridian Foods", "marco.bianchi@meridian.example", "12000.00", 15,
     "new_business", ["Proposal", "Negotiation"], "e-commerce", None, TOM),
    ("Second clinic", "Blue Harbor Dental", None, "6000.00", 50, "new_business",
     ["Qualification"], "telesales", None, MARIA),
    ("Support renewal", "Meridian Foods", None, "2400.00", 40, "renewals", ["Upcoming"],
     "telesales", None, TOM),
    ("Licence renewal", "Northwind Traders", "jonas.weber@northwind.example", "35400.00", 25,
     "renewals", ["Upcoming", "Negotiation"], "field", None, MARIA),
    ("Support renewal", "Blue Harbor Dental", None, "2400.00", -3, "renewals",
     ["Upcoming", "Renewed"], "telesales", None, MARIA),
]


def sales_demo(kernel: Accord, actor: Actor) -> None:
    """Leads, conversions and opportunities with their stage history."""
    with kernel.bound():
        users = {u.email: u.id for u in User.select(User.id, User.email)}
        orgs = {o.name: o.id for o in Organization.select(Organization.id, Organization.name)}
        contacts = {c.email: c.id for c in Contact.select(Contact.id, Contact.email)}
        team = Team.select(Team.id).order_by(Team.id).first()
    team_id = team.id if team is not None else None
    today = dt.datetime.now(dt.timezone.utc).date()
    leads = services.bulk_create(kernel, LEAD, [
        {"name": name, "company": company, "source": source, "status": status,
         "disqualify_reason": reason, "owner_id": users.get(owner), "team_id": team_id,
         "email": _email(name, company), "phone": "+49 40 555 01" + str(10 + i)}
        for i, (name, company, source, status, reason, owner) in enumerate(LEADS)], actor=actor)
    convert_lead(kernel, leads[-3], actor=actor, create_opportunity=True, opportunity={
        "name": "Practice software for three chairs", "channel": "telesales",
        "amount": {"amount": "8500.00", "currency": "EUR"},
        "expected_close_date": (today + dt.timedelta(days=45)).isoformat()})
    convert_lead(kernel, leads[-2], actor=actor, create_opportunity=True, opportunity={
        "name": "Warehouse team seats", "channel": "field", "stage": "Qualification",
        "amount": {"amount": "24000.00", "currency": "EUR"},
        "expected_close_date": (today + dt.timedelta(days=70)).isoformat()})
    convert_lead(kernel, leads[-1], actor=actor)
    for (name, org, contact, amount, days, pipeline, path, channel, reason,
         owner) in OPPORTUNITIES:
        if org not in orgs:  # the core's demo was changed: leave this one out
            continue
        created: Any = services.create(kernel, OPPORTUNITY, {
            "name": name, "organization_id": orgs[org], "contact_id": contacts.get(contact),
            "amount": {"amount": amount, "currency": "EUR"}, "pipeline": pipeline,
            "stage": path[0], "channel": channel, "owner_id": users.get(owner),
            "team_id": team_id,
            "expected_close_date": (today + dt.timedelta(days=days)).isoformat()}, actor=actor)
        for index, stage in enumerate(path[1:], start=2):
            move_opportunity(kernel, created.id, stage, actor=actor,
                             loss_reason=reason if index == len(path) else None)
    _documents(kernel, actor, today)


def _email(name: str, company: str | None) -> str:
    person = name.lower().replace("'", "").replace(" ", ".")
    if company is None:
        return f"{person}@mail.example"
    return f"{person}@{company.split()[0].lower()}.example"


def _documents(kernel: Accord, actor: Actor, today: dt.date) -> None:
    """Quotes in every state, the orders of the accepted ones, their invoices (paid, part
    paid and overdue), and support contracts: one invoiced, one up for renewal."""
    with kernel.bound():
        deals = {o.name: o for o in Opportunity.select()}
        skus = {p.sku: p.id for p in Product.select(Product.id, Product.sku)}
    needed = {"Professional seats for purchasing", "Premium support", "Training day",
              "Onboarding package", "Web shop integration"}
    if not needed <= deals.keys() or not {"CRM-PRO", "SUP-PRM", "TRN-DAY",
                                          "ONB-PKG"} <= skus.keys():
        return  # the core's demo was changed: no documents

    def quote(deal: str, lines: list[tuple[str, str]], **extra: Any) -> Any:
        return services.create(kernel, QUOTE, {
            "name": deal, "opportunity_id": deals[deal].id, "owner_id": deals[deal].owner_id,
            "team_id": deals[deal].team_id,
            "lines": [{"product_id": skus[sku], "quantity": qty, "tax_rate": "19"}
                      for sku, qty in lines], **extra}, actor=actor)

    def days(n: int) -> dt.date:
        return today + dt.timedelta(days=n)

    # Sent and waiting; a draft; rejected, then revised and sent again.
    send_quote(kernel, quote("Professional seats for purchasing", [("CRM-PRO", "600")]).id,
               actor=actor)
    quote("Onboarding package", [("ONB-PKG", "1")])
    shop = quote("Web shop integration", [("ONB-PKG", "4"), ("TRN-DAY", "6")],
                 notes="Integration with the customer's shop, four sprints")
    send_quote(kernel, shop.id, actor=actor)
    reject_quote(kernel, shop.id, reason="Wants a fixed price under 10,000", actor=actor)
    second = revise_quote(kernel, shop.id, actor=actor)
    services.update(kernel, QUOTE, second.id, {"lines": [
        {"product_id": skus["ONB-PKG"], "quantity": "4", "discount_percent": "15",
         "tax_rate": "19"},
        {"product_id": skus["TRN-DAY"], "quantity": "4", "tax_rate": "19"}]}, actor=actor)
    send_quote(kernel, second.id, actor=actor)

    # Won deals: accepted quotes, their orders and invoices.
    support = quote("Premium support", [("SUP-PRM", "1")])
    send_quote(kernel, support.id, actor=actor)
    order = accept_quote(kernel, support.id, order_date=days(-40), reference="PO-4471",
                         actor=actor)
    set_order_status(kernel, order.id, "fulfilled", note="Support started", actor=actor)
    invoice = invoice_order(kernel, order.id, actor=actor)
    issue_invoice(kernel, invoice.id, issue_date=days(-38), actor=actor)
    pay_invoice(kernel, invoice.id, invoice.total, paid_on=days(-20),
                method="bank transfer", reference="NW-99812", actor=actor)

    training = quote("Training day", [("TRN-DAY", "2")])
    send_quote(kernel, training.id, actor=actor)
    order = accept_quote(kernel, training.id, order_date=days(-50), actor=actor)
    set_order_status(kernel, order.id, "partially_fulfilled", note="First day held",
                     actor=actor)
    invoice = invoice_order(kernel, order.id, actor=actor)
    issue_invoice(kernel, invoice.id, issue_date=days(-45), actor=actor)
    pay_invoice(kernel, invoice.id, invoice.total / 2, paid_on=days(-30), method="card",
                actor=actor)
    mark_overdue(kernel, today)

    # Contracts: yearly support, its first year invoiced and paid; a monthly one ending
    # within its notice, so the renewal job reminds its owner.
    with kernel.bound():
        orgs = {o.name: o.id for o in Organization.select(Organization.id, Organization.name)}
    start = dt.date(today.year - 1, today.month, 1) + dt.timedelta(days=31)
    start = start.replace(day=1)
    yearly = services.create(kernel, CONTRACT, {
        "name": "Premium support", "organization_id": orgs["Meridian Foods"],
        "product_id": skus["SUP-PRM"], "start_date": start.isoformat(),
        "end_date": (dt.date(start.year + 1, start.month, 1) - dt.timedelta(days=1)).isoformat(),
        "value": {"amount": "2400.00", "currency": "EUR"}, "tax_rate": "19",
        "auto_renew": True, "renewal_terms": "Renews yearly; prices follow the list price",
        "owner_id": deals["Premium support"].owner_id}, actor=actor)
    activate_contract(kernel, yearly.id, actor=actor)
    first = invoice_contract_period(kernel, yearly.id, start, actor=actor)
    issue_invoice(kernel, first.id, issue_date=start, actor=actor)
    pay_invoice(kernel, first.id, first.total, paid_on=start + dt.timedelta(days=12),
                method="bank transfer", actor=actor)
    month = dt.date(today.year, today.month, 1)
    monthly_end = (dt.date(month.year + (month.month + 1) // 13, month.month % 12 + 1, 1)
                   - dt.timedelta(days=1))
    monthly = services.create(kernel, CONTRACT, {
        "name": "Hosting", "organization_id": orgs["Blue Harbor Dental"],
        "start_date": dt.date(month.year - 1 + (month.month == 12), month.month % 12 + 1,
                              1).isoformat(),
        "end_date": monthly_end.isoformat(), "billing_period": "monthly",
        "value": {"amount": "200.00", "currency": "EUR"}, "tax_rate": "19",
        "renewal_notice_days": 45}, actor=actor)
    activate_contract(kernel, monthly.id, actor=actor)
    contract_renewals(kernel, today)
    _purchase_history(kernel, actor, today, orgs, skus)


#: Earlier orders, so repeat buying, intervals, cohorts and value tiers have a history
#: (Blue Harbor Dental is past its usual interval, Lumen Clinics due to buy):
#: (customer, days ago, [(sku, quantity)]).
HISTORY = [
    ("Meridian Foods", 400, [("CRM-PRO", "40"), ("ONB-PKG", "1")]),
    ("Meridian Foods", 310, [("TRN-DAY", "2")]),
    ("Meridian Foods", 220, [("CRM-PRO", "80"), ("TRN-DAY", "1")]),
    ("Meridian Foods", 130, [("CRM-PRO", "15")]),
    ("Meridian Foods", 60, [("TRN-DAY", "1"), ("CRM-STD", "20")]),
    ("Northwind Traders", 330, [("CRM-STD", "60"), ("ONB-PKG", "1")]),
    ("Northwind Traders", 270, [("CRM-STD", "20")]),
    ("Northwind Traders", 210, [("CRM-STD", "15"), ("TRN-DAY", "1")]),
    ("Blue Harbor Dental", 330, [("CRM-STD", "8"), ("ONB-PKG", "1")]),
    ("Blue Harbor Dental", 250, [("CRM-STD", "4")]),
    ("Orbit Office Supply", 420, [("CRM-STD", "12"), ("TRN-DAY", "1")]),
    ("Lumen Clinics", 200, [("CRM-PRO", "120"), ("ONB-PKG", "1"), ("SUP-PRM", "1")]),
    ("Lumen Clinics", 110, [("CRM-PRO", "5")]),
]


def _purchase_history(kernel: Accord, actor: Actor, today: dt.date, orgs: dict[str, int],
                      skus: dict[str, int]) -> None:
    """Fulfilled orders of the last fourteen months (``HISTORY``)."""
    for name, days_ago, lines in HISTORY:
        if name not in orgs or not all(sku in skus for sku, _ in lines):
            continue
        order: Any = services.create(kernel, ORDER, {
            "organization_id": orgs[name],
            "order_date": (today - dt.timedelta(days=days_ago)).isoformat(),
            "lines": [{"product_id": skus[sku], "quantity": qty, "tax_rate": "19"}
                      for sku, qty in lines]}, actor=actor)
        set_order_status(kernel, order.id, "fulfilled", note="Delivered", actor=actor)
