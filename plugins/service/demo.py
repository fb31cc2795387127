"""Demo data: a customer-care team and tickets in every status, one of them breached,
on top of the core's demo firm, written through the service layer and the plugin's own
verbs (so the SLA fields, comments and audit trail are those of real work)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from accord import services
from accord.models import Contact, User, utcnow

from . import services as verbs
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
        for verb, before, *comment in steps:
            at = now - dt.timedelta(hours=before)
            if verb == "comment":
                verbs.comment_ticket(kernel, ticket.id, actor=actor, visibility=comment[0],
                                     body=comment[1], at=at)
            else:
                getattr(verbs, _VERBS[verb])(kernel, ticket.id, actor=actor, at=at)
    # The urgent alarm went unanswered: the breach job marks and escalates it.
    verbs.mark_breaches(kernel, now=now, actor=actor)


_VERBS = {"open": "open_ticket", "wait": "wait_for_customer", "resolve": "resolve_ticket",
          "close": "close_ticket"}
