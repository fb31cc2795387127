"""Tickets and their comments on the customer's timeline (the core's ``timeline_items``
hook): the organization's and the contact's, newest first, each source one query."""

from __future__ import annotations

import pytest

import accord_service.hooks
from accord import services
from accord.services import Actor
from accord.services.authz import actor_for
from accord.services.teams import add_member
from accord_service import services as verbs
from accord_service.timeline import SOURCES, comment_items, items, ticket_items

pytestmark = pytest.mark.plugins(accord_service.hooks)
SYSTEM = Actor.system("test")


def _shown(timeline):
    return [(i.kind, i.title, i.record_id, i.source_type, i.source_id) for i in timeline]


def test_tickets_and_comments_on_the_customers_timeline(kernel, helpers, count_queries):
    utc = helpers.utc
    acme = helpers.customer(kernel, "Acme Ltd")
    other = helpers.customer(kernel, "Other Ltd")
    ann = services.create(kernel, "contact", {"last_name": "Ames",
                                              "organization_id": acme.id}, actor=SYSTEM)
    ticket = helpers.ticket(kernel, organization_id=acme.id, contact_id=ann.id,
                            subject="Printer jams", received_at="2026-03-02T09:00:00+00:00")
    verbs.comment_ticket(kernel, ticket.id, actor=SYSTEM, body="Which model?\nThanks.",
                         visibility="public", at=utc(2026, 3, 2, 10))
    verbs.comment_ticket(kernel, ticket.id, actor=SYSTEM, body="Same as last year " * 10,
                         at=utc(2026, 3, 2, 11))
    elsewhere = helpers.ticket(kernel, organization_id=other.id, subject="Not Acme's",
                               received_at="2026-03-02T12:00:00+00:00")
    t = f"T-{ticket.id}"
    long_note = ("Same as last year " * 10).strip()[:119] + "\u2026"
    assert _shown(services.timeline(kernel, "organization", acme.id)) == [
        ("service.comment.internal", f"{t} internal note by test: {long_note}", acme.id,
         "service.ticket", ticket.id),
        ("service.comment.public", f"{t} reply by test: Which model? Thanks.", acme.id,
         "service.ticket", ticket.id),
        ("service.ticket", f"{t}: Printer jams", acme.id, "service.ticket", ticket.id)]
    entries = services.timeline(kernel, "contact", ann.id)
    assert [(i.kind, i.record_id, i.at) for i in entries] == [
        ("service.comment.internal", ann.id, utc(2026, 3, 2, 11)),
        ("service.comment.public", ann.id, utc(2026, 3, 2, 10)),
        ("service.ticket", ann.id, utc(2026, 3, 2, 9))]
    assert entries[2].details == {"status": "new", "priority": "normal", "channel": "email",
                                  "category": None, "sla_policy": "default"}
    assert entries[1].details == {"ticket": t, "subject": "Printer jams",
                                  "visibility": "public", "author": "test"}
    assert _shown(services.timeline(kernel, "organization", other.id)) == [
        ("service.ticket", f"T-{elsewhere.id}: Not Acme's", other.id, "service.ticket",
         elsewhere.id)]
    # Other timelines get nothing from the service.
    assert items("team", [acme.id]) == [] and items("organization", []) == []
    # One query per source, whatever the number of customers asked for.
    assert SOURCES[:2] == [ticket_items, comment_items]
    with count_queries() as counter:
        both = ticket_items("organization", [acme.id, other.id]) + comment_items(
            "organization", [acme.id, other.id])
    assert counter.count == 2
    assert sorted(i.record_id for i in both) == sorted([acme.id] * 3 + [other.id])


def test_a_reader_who_may_not_read_the_ticket_does_not_see_it(kernel, helpers):
    acme = helpers.customer(kernel, "Acme Ltd")
    team = services.create(kernel, "team", {"name": "Billing"}, actor=SYSTEM)
    theirs = helpers.ticket(kernel, organization_id=acme.id, subject="Theirs", team_id=team.id,
                            owner_id=None)
    hidden = helpers.ticket(kernel, organization_id=acme.id, subject="Not theirs")
    verbs.comment_ticket(kernel, hidden.id, actor=SYSTEM, body="Noted")
    user = services.create(kernel, "user", {"email": "sam@example.com", "name": "Sam",
                                            "role": "service"}, actor=SYSTEM)
    add_member(kernel, team.id, user.id, actor=SYSTEM)
    # An agent reads the tickets of their teams' queues only (the rule "team").
    seen = services.timeline(kernel, "organization", acme.id, actor=actor_for(kernel, user))
    assert [(i.kind, i.source_id) for i in seen] == [("service.ticket", theirs.id)]
    assert len(services.timeline(kernel, "organization", acme.id)) == 3
