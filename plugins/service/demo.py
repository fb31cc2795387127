"""Demo data: a customer-care team and tickets in every status, one of them breached,
repairs under warranty and billed, a return and a survey answer,
on top of the core's demo firm, written through the service layer and the plugin's own
verbs (so the SLA fields, comments and audit trail are those of real work)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from accord import services
from accord.models import Contact, User, utcnow

from . import services as verbs
from .services import repairs as repair_verbs
from .services import returns as return_verbs
from .services import surveys as survey_verbs
from .rules import TICKET

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

__all__ = ["service_demo", "TICKETS"]

AGENT = "sam.okafor@example.com"

#: subject, category, priority, channel, hours before now it came in, what was done
#: (verb, hours before now[, comment]).
TICKETS: list[tuple[str, str, str, str, float, list[tuple[Any, ...]]]] = [
    ("Cannot log in to the customer portal", "incident", "normal", "web", 0.5, []),
    ("Invoice shows the wrong VAT rate", "complaint", "normal", "email", 2, [
        ("open", 1.5), ("comment", 1.4, "public",
                        "Thank you, we are checking the VAT rate on invoice 2041."),
        ("comment", 1.2, "internal", "Tax code of the product was set to 7 %.")]),
    ("Scanner driver for macOS", "question", "low", "phone", 26, [
        ("open", 25), ("comment", 24.5, "public", "Which macOS version do you run?"),
        ("wait", 24.5)]),
    ("Delivery arrived damaged", "complaint", "high", "email", 72, [
        ("open", 71.5), ("comment", 71, "public",
                         "We are sorry: a replacement is on its way."),
        ("resolve", 24)]),
    ("Change of billing address", "request", "normal", "chat", 240, [
        ("comment", 239, "public", "Done: invoices now go to the new address."),
        ("resolve", 238), ("close", 60)]),
    # A week ago: past both targets whatever day of the week the demo is loaded.
    ("Server room cooling alarm", "incident", "urgent", "phone", 168, [("open", 167.5)]),
]


def service_demo(kernel: Accord, actor: Actor) -> None:
    now = utcnow().replace(microsecond=0)
    with kernel.bound():
        agent = User.get_or_none(User.email == AGENT)
        contacts = list(Contact.select().where(Contact.organization.is_null(False))
                        .order_by(Contact.id).limit(len(TICKETS)))
    team = services.create(kernel, "team", {
        "name": "Customer care", "members": [agent.id] if agent else []}, actor=actor)
    tickets = []
    for index, (subject, category, priority, channel, hours, steps) in enumerate(TICKETS):
        customer = contacts[index % len(contacts)] if contacts else None
        received = now - dt.timedelta(hours=hours)
        ticket = services.create(kernel, TICKET, {
            "subject": subject, "category": category, "priority": priority,
            "channel": channel, "received_at": received, "team_id": team.id,
            "owner_id": agent.id if agent else None,
            "contact_id": customer.id if customer else None,
            "organization_id": customer.organization_id if customer else None,
            "description": f"{subject}. Reported by {customer.first_name if customer else 'a customer'}."
        }, actor=actor)
        tickets.append(ticket)
        for verb, before, *comment in steps:
            at = now - dt.timedelta(hours=before)
            if verb == "comment":
                verbs.comment_ticket(kernel, ticket.id, actor=actor, visibility=comment[0],
                                     body=comment[1], at=at)
            else:
                getattr(verbs, _VERBS[verb])(kernel, ticket.id, actor=actor, at=at)
    # The urgent alarm went unanswered: the breach job marks and escalates it.
    verbs.mark_breaches(kernel, now=now, actor=actor)
    repairs_demo(kernel, actor, tickets, agent)
    satisfaction_demo(kernel, actor, tickets, now)


#: sku, name, category, unit price (EUR): a device the firm services and its spare parts.
DEVICES = [("SCN-200", "Scanner S200", "Devices", "890.00"),
           ("SCN-LMP", "Scanner lamp", "Spare parts", "45.00"),
           ("SCN-ROL", "Feed roller kit", "Spare parts", "28.50")]


def repairs_demo(kernel: Accord, actor: Actor, tickets: list[Any], agent: Any) -> None:
    """Two scanners with warranties (one in force, one expired) and a repair of each
    from a ticket, done: one covered by its warranty, one billed on an invoice."""
    today = dt.date.today()
    scanner, lamp, rollers = (services.create(kernel, "product", {
        "sku": sku, "name": name, "category": category,
        "unit_price": {"amount": price, "currency": "EUR"}}, actor=actor)
        for sku, name, category, price in DEVICES)
    owner = {"owner_id": agent.id} if agent else {}
    for serial, (first, last), ticket in (
            ("S200-10431", (today - dt.timedelta(days=200), today + dt.timedelta(days=530)),
             tickets[1]),
            ("S200-08812", (today - dt.timedelta(days=900), today - dt.timedelta(days=170)),
             tickets[3])):
        services.create(kernel, "service.warranty", {
            "product_id": scanner.id, "serial_number": serial,
            "organization_id": ticket.organization_id, "contact_id": ticket.contact_id,
            "starts_on": first, "ends_on": last, "covers": "parts_and_labour",
            "terms": "24 months, parts and labour", **owner}, actor=actor)
        repair = services.create(kernel, "service.repair", {
            "ticket_id": ticket.id, "product_id": scanner.id, "serial_number": serial,
            "diagnosis": "Lamp burnt out; feed rollers worn", "labour_minutes": 45,
            "labour_rate": "72.00", "service_fee": "19.00", "tax_rate": "19",
            "team_id": ticket.team_id, **owner,
            "parts": [{"product_id": lamp.id, "quantity": "1"},
                      {"product_id": rollers.id, "quantity": "1"}]}, actor=actor)
        repair_verbs.start_repair(kernel, repair.id, actor=actor)
        repair_verbs.complete_repair(kernel, repair.id, actor=actor,
                                     repaired_on=today - dt.timedelta(days=1))
    # The damaged delivery: a return, approved with a refund of the lamp.
    damaged = tickets[3]
    rma = services.create(kernel, "service.return", {
        "organization_id": damaged.organization_id, "contact_id": damaged.contact_id,
        "ticket_id": damaged.id, "reason": "Lamp cracked on delivery",
        "team_id": damaged.team_id, **owner,
        "items": [{"product_id": lamp.id, "quantity": "1", "unit_paid": "45.00"}]},
        actor=actor)
    return_verbs.approve_return(kernel, rma.id, actor=actor, resolution="refund",
                                refund_amount=Decimal("45.00"),
                                reason="Damage in transit, photo on file")


def satisfaction_demo(kernel: Accord, actor: Actor, tickets: list[Any],
                      now: dt.datetime) -> None:
    """The resolved tickets' CSAT surveys: one answered, one still open."""
    from .models import Survey

    with kernel.bound():
        sent = list(Survey.select().where(Survey.kind == "csat").order_by(Survey.id))
    if sent:
        survey_verbs.answer_survey(kernel, sent[0].id, actor=actor, score=5,
                                   comment="Quick and friendly, thank you.",
                                   at=now - dt.timedelta(hours=2))


_VERBS = {"open": "open_ticket", "wait": "wait_for_customer", "resolve": "resolve_ticket",
          "close": "close_ticket"}
