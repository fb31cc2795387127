"""Demo data: leads in every state and a pipeline of opportunities on top of the core's
demo firm, written through the service layer and the plugin's own verbs."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from accord import services
from accord.models import Contact, Organization, Team, User

from .rules import LEAD, OPPORTUNITY
from .services import convert_lead, move_opportunity

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


def _email(name: str, company: str | None) -> str:
    person = name.lower().replace("'", "").replace(" ", ".")
    if company is None:
        return f"{person}@mail.example"
    return f"{person}@{company.split()[0].lower()}.example"
