"""Demo data for a new database: a small, believable firm, written through the
service layer like any other change. Plugins add theirs through ``load_demo_data``."""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from typing import TYPE_CHECKING, Any

from . import services
from .errors import PluginError, ValidationError
from .plugins.manager import CORE
from .services.actors import Actor

if TYPE_CHECKING:
    from .kernel import Accord

__all__ = ["load_demo", "core_demo", "DEMO_PASSWORD", "DEMO_LOGINS"]

logger = logging.getLogger(__name__)

USERS = [
    {"email": "admin@example.com", "name": "Alex Admin", "role": "admin"},
    {"email": "maria.lopez@example.com", "name": "Maria Lopez", "role": "sales"},
    {"email": "tom.becker@example.com", "name": "Tom Becker", "role": "sales"},
    {"email": "priya.nair@example.com", "name": "Priya Nair", "role": "manager"},
    {"email": "sam.okafor@example.com", "name": "Sam Okafor", "role": "service"},
]

#: The web login of the demo users below who get one (an admin and a salesperson, to
#: see the pages with and without record rules). Demo data only: anyone who reads the
#: README knows it, so a demo database is never one to keep real data in.
DEMO_PASSWORD = "accord-demo"
DEMO_LOGINS = ["admin@example.com", "maria.lopez@example.com"]

ORGANIZATIONS = [
    ("Northwind Traders", "customer", "Wholesale", 120, "Hamburg", "DE", 1),
    ("Blue Harbor Dental", "customer", "Healthcare", 35, "Lyon", "FR", 1),
    ("Kestrel Logistics", "prospect", "Transport", 800, "Rotterdam", "NL", 2),
    ("Meridian Foods", "customer", "Food & beverage", 260, "Milan", "IT", 2),
    ("Orbit Office Supply", "reseller", "Retail", 45, "Vienna", "AT", 1),
    ("Cobalt Engineering", "prospect", "Manufacturing", 1500, "Stuttgart", "DE", 2),
    ("Lumen Clinics", "partner", "Healthcare", 90, "Madrid", "ES", 1),
    ("Fjord Components", "supplier", "Manufacturing", 210, "Bergen", "NO", 2),
]

CONTACTS = [
    ("Hanna", "Schulz", "Purchasing lead", 0), ("Jonas", "Weber", "CFO", 0),
    ("Claire", "Moreau", "Practice manager", 1), ("Pieter", "de Vries", "COO", 2),
    ("Giulia", "Rossi", "Head of operations", 3), ("Marco", "Bianchi", "Buyer", 3),
    ("Lena", "Gruber", "Owner", 4), ("Felix", "Hoffmann", "CTO", 5),
    ("Lucia", "Fernandez", "Clinic director", 6), ("Ingrid", "Hansen", "Sales manager", 7),
]

PRODUCTS = [
    ("CRM-STD", "Accord Standard seat", "Licences", "29.00", "4.00"),
    ("CRM-PRO", "Accord Professional seat", "Licences", "59.00", "7.50"),
    ("ONB-PKG", "Onboarding package", "Services", "1500.00", "900.00"),
    ("TRN-DAY", "Training day", "Services", "950.00", "520.00"),
    ("SUP-PRM", "Premium support (year)", "Support", "2400.00", "800.00"),
]

ACTIVITIES = [
    ("call", "Intro call about seat pricing", 0, 40), ("meeting", "Quarterly review", 0, 12),
    ("email", "Sent onboarding checklist", 1, 30), ("call", "Follow-up on chair booking module", 1, 5),
    ("meeting", "Discovery workshop", 2, 20), ("task", "Prepare logistics case study", 2, -3),
    ("call", "Renewal discussion", 3, 8), ("note", "Prefers invoices in Italian", 3, 60),
    ("email", "Reseller price list sent", 4, 15), ("meeting", "Plant visit", 5, 2),
    ("call", "Partner referral check-in", 6, 0), ("task", "Send supplier audit form", 7, -7),
]


def load_demo(kernel: Accord) -> dict[str, int]:
    """Load the demo through every active plugin's ``load_demo_data`` (the core's
    first) when the database has no organizations yet. Returns counts per type: by
    plural for the core's (``contacts``), ``<plugin>.<plural>`` for a plugin's
    (``acme_dental.appointments``), so two plugins' ``products`` stay apart.

    All plugins' demo data is one transaction: when one plugin's fails, a PluginError
    names it and nothing of any plugin's demo is kept, so a later run loads it whole."""
    from .models import Organization

    kernel.sync()
    with kernel.bound():
        if Organization.select().exists():
            return {}
    actor = Actor.system("demo")
    with kernel.transaction():
        for name in kernel.plugins.implementations("load_demo_data"):
            if name in kernel.plugins.active:
                _plugin_demo(kernel, name, actor)
    with kernel.bound():
        return {(rt.plural if rt.plugin == "core" else f"{rt.plugin}.{rt.plural}"):
                rt.model.select().count() for rt in kernel.records
                if rt.model.select().exists()}


def _plugin_demo(kernel: Accord, name: str, actor: Actor) -> None:
    try:
        kernel.plugins.call_one(name, "load_demo_data", kernel=kernel, actor=actor)
    except Exception as exc:  # a plugin's code: name it, keep nothing of the demo
        logger.debug("demo data of %s failed:\n%s", name, traceback.format_exc().rstrip())
        whose = "the core's demo data" if name == CORE else f"the demo data of {name}"
        raise PluginError(f"{whose} failed ({_reason(exc)}); no demo data was loaded",
                          plugin=name, hook="load_demo_data") from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{field}: {' '.join(messages)}"
                         for field, messages in exc.flat().items())
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def core_demo(kernel: Accord, actor: Actor) -> None:
    from .services.passwords import set_password

    users: list[Any] = [services.create(kernel, "user", u, actor=actor) for u in USERS]
    for user in users:
        if user.email in DEMO_LOGINS:
            set_password(kernel, user, DEMO_PASSWORD, actor=actor)
    # The two reps and their manager.
    team = services.create(kernel, "team", {
        "name": "Field sales", "manager_id": users[3].id,
        "members": [users[1].id, users[2].id, users[3].id]}, actor=actor)
    owners = {1: users[1].id, 2: users[2].id}
    orgs = services.bulk_create(kernel, "organization", [
        {"name": name, "relationship": rel, "industry": industry, "size": size, "city": city,
         "country": country, "owner_id": owners[owner], "team_id": team.id,
         "website": f"https://www.{name.split()[0].lower()}.example"}
        for name, rel, industry, size, city, country, owner in ORGANIZATIONS], actor=actor)
    services.bulk_create(kernel, "contact", [
        {"first_name": first, "last_name": last, "title": title, "organization_id": orgs[org],
         "email": f"{first.lower()}.{last.lower().replace(' ', '')}@"
                  f"{ORGANIZATIONS[org][0].split()[0].lower()}.example",
         "owner_id": owners[ORGANIZATIONS[org][6]]}
        for first, last, title, org in CONTACTS], actor=actor)
    services.bulk_create(kernel, "product", [
        {"sku": sku, "name": name, "category": category,
         "unit_price": {"amount": price, "currency": "EUR"},
         "cost_price": {"amount": cost, "currency": "EUR"}}
        for sku, name, category, price, cost in PRODUCTS], actor=actor)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    rows: list[dict[str, Any]] = []
    for kind, subject, org, days_ago in ACTIVITIES:
        when = now - dt.timedelta(days=days_ago)
        row = {"kind": kind, "subject": subject, "organization_id": orgs[org],
               "owner_id": owners[ORGANIZATIONS[org][6]]}
        row["done_at" if days_ago > 0 else "due_at"] = when.isoformat()
        rows.append(row)
    services.bulk_create(kernel, "activity", rows, actor=actor)
