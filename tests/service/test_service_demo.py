"""Demo data: tickets in every status on the core's demo firm, one breached; a repair
covered by its warranty and one billed."""

from __future__ import annotations

from decimal import Decimal

import pytest

import accord_service.hooks
from accord.demo import load_demo
from accord.models import OutboxMessage

from accord_service.models import (Comment, RepairOrder, Return, ServiceInvoice, Survey,
                                   Ticket, Warranty)

pytestmark = pytest.mark.plugins(accord_service.hooks)


def test_the_demo_has_tickets_in_every_status_and_a_breached_one(kernel, helpers):
    counts = load_demo(kernel)
    assert counts["service.tickets"] == 6
    tickets = helpers.rows(kernel, Ticket)
    assert sorted({t.status for t in tickets}) == ["closed", "new", "open",
                                                   "pending_customer", "resolved"]
    alarm = next(t for t in tickets if t.subject == "Server room cooling alarm")
    assert (alarm.first_response_breached, alarm.resolution_breached) == (True, True)
    assert all(t.contact_id and t.team_id for t in tickets)
    visibilities = {c.visibility for c in helpers.rows(kernel, Comment)}
    assert visibilities == {"public", "internal"}
    with kernel.bound():
        assert OutboxMessage.select().where(
            OutboxMessage.topic == "service.ticket.sla_breached").count() == 2

    repairs = helpers.rows(kernel, RepairOrder)
    assert [(r.status, r.covered) for r in repairs] == [("done", "parts_and_labour"),
                                                        ("done", "none")]
    assert repairs[0].invoice_number is None
    assert repairs[1].invoice_number.startswith("SRV-")
    assert [i.number for i in helpers.rows(kernel, ServiceInvoice)] == [
        repairs[1].invoice_number]
    assert len(helpers.rows(kernel, Warranty)) == 2
    returns = helpers.rows(kernel, Return)
    assert [(r.status, r.resolution, r.refund_amount) for r in returns] == [
        ("approved", "refund", Decimal("45.0000"))]
    answered = [s for s in helpers.rows(kernel, Survey) if s.answered_at is not None]
    assert [(s.kind, s.score) for s in answered] == [("csat", 5)]
