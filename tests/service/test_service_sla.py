"""A ticket's due times, worked out by hand: its priority's targets in business hours
from when it was received, the settings' time zone and holidays, the clock standing
still while the ticket waits for the customer, and a priority change.

Default settings: Monday to Friday 09:00-17:00 UTC; normal priority 240 minutes to the
first response and 1440 (three business days) to the resolution; urgent 30 and 240.
March 2026: Monday 2 … Friday 6, Monday 9.
"""

from __future__ import annotations

import pytest

from accord import services
from accord_sdk.assertions import refused

import accord_service.hooks
from accord_service import services as verbs

pytestmark = pytest.mark.plugins(accord_service.hooks)
TICKET = "service.ticket"


def due(ticket):
    return ticket.first_response_due_at, ticket.resolution_due_at


def test_due_times_from_the_priority_targets(kernel, helpers):
    # Monday 10:00, normal: first response +4h -> 14:00; resolution 24 business hours:
    # Monday 7h, Tuesday 8h, Wednesday 8h, Thursday 1h -> Thursday 10:00.
    ticket = helpers.ticket(kernel, received_at="2026-03-02T10:00:00+00:00")
    assert due(ticket) == (helpers.utc(2026, 3, 2, 14), helpers.utc(2026, 3, 5, 10))
    # Friday 15:30, urgent: 30 minutes -> 16:00; 240: 90 on Friday, 150 on Monday -> 11:30.
    urgent = helpers.ticket(kernel, priority="urgent", received_at="2026-03-06T15:30:00+00:00")
    assert due(urgent) == (helpers.utc(2026, 3, 6, 16), helpers.utc(2026, 3, 9, 11, 30))


def test_a_time_zone_and_a_holiday_from_the_settings(make_kernel, helpers):
    kernel = make_kernel(plugins=[accord_service.hooks], enable=["service"], plugin_settings={
        "service": {"time_zone": "Europe/Berlin", "holidays": ["2026-03-30"]}})
    # Friday 27 March 16:00 CET = 15:00 UTC, urgent (240 minutes): 60 on Friday; Monday 30
    # is a holiday; Tuesday 31 opens at 09:00 CEST = 07:00 UTC, 180 more -> 12:00 CEST.
    ticket = helpers.ticket(kernel, priority="urgent", received_at="2026-03-27T15:00:00+00:00")
    assert due(ticket) == (helpers.utc(2026, 3, 27, 15, 30), helpers.utc(2026, 3, 31, 10))


def test_the_clock_stands_still_while_pending_on_the_customer(kernel, actor, helpers):
    utc = helpers.utc
    ticket = helpers.ticket(kernel, received_at="2026-03-02T09:00:00+00:00")
    # Normal, received Monday 09:00: first response Monday 13:00, resolution Wednesday 17:00.
    assert due(ticket) == (utc(2026, 3, 2, 13), utc(2026, 3, 4, 17))
    verbs.open_ticket(kernel, ticket.id, actor=actor, at=utc(2026, 3, 2, 10))
    waiting = verbs.wait_for_customer(kernel, ticket.id, actor=actor, at=utc(2026, 3, 2, 11))
    # Stopped: the due times stay as they were until the clock goes on.
    assert (waiting.sla_paused_at, due(waiting)) == (utc(2026, 3, 2, 11), due(ticket))
    # The customer answers Tuesday 11:00: stood still Monday 11-17 and Tuesday 9-11, 8h.
    going = verbs.open_ticket(kernel, ticket.id, actor=actor, at=utc(2026, 3, 3, 11))
    assert (going.sla_paused_at, going.sla_paused_seconds) == (None, 8 * 3600)
    # First response 4h + 8h = 12h from Monday 09:00 -> Tuesday 13:00; resolution 24h + 8h
    # = four business days -> Thursday 17:00.
    assert due(going) == (utc(2026, 3, 3, 13), utc(2026, 3, 5, 17))


def test_a_second_pause_adds_up_and_a_weekend_is_not_counted(kernel, actor, helpers):
    utc = helpers.utc
    ticket = helpers.ticket(kernel, received_at="2026-03-02T09:00:00+00:00")
    verbs.open_ticket(kernel, ticket.id, actor=actor, at=utc(2026, 3, 2, 9))
    verbs.wait_for_customer(kernel, ticket.id, actor=actor, at=utc(2026, 3, 2, 16))
    verbs.open_ticket(kernel, ticket.id, actor=actor, at=utc(2026, 3, 2, 17))  # 1h
    # Friday 16:30 to Monday 09:30: 30 minutes on Friday, 30 on Monday.
    verbs.wait_for_customer(kernel, ticket.id, actor=actor, at=utc(2026, 3, 6, 16, 30))
    going = verbs.open_ticket(kernel, ticket.id, actor=actor, at=utc(2026, 3, 9, 9, 30))
    assert going.sla_paused_seconds == 2 * 3600
    # Resolution: 24h + 2h from Monday 2 09:00 -> Thursday 5, 11:00.
    assert going.resolution_due_at == utc(2026, 3, 5, 11)


def test_resolved_stops_the_clock_and_a_reopen_goes_on(kernel, actor, helpers):
    utc = helpers.utc
    ticket = helpers.ticket(kernel, received_at="2026-03-02T09:00:00+00:00")
    # Waiting, then resolved while waiting: the clock stood still since the wait.
    verbs.open_ticket(kernel, ticket.id, actor=actor, at=utc(2026, 3, 2, 9))
    verbs.wait_for_customer(kernel, ticket.id, actor=actor, at=utc(2026, 3, 2, 12))
    resolved = verbs.resolve_ticket(kernel, ticket.id, actor=actor, at=utc(2026, 3, 2, 14))
    assert (resolved.sla_paused_at, resolved.resolved_at) == (utc(2026, 3, 2, 12),
                                                              utc(2026, 3, 2, 14))
    # Reopened Tuesday 10:00: stood still Monday 12-17 and Tuesday 9-10, 6h.
    reopened = verbs.reopen_ticket(kernel, ticket.id, actor=actor, at=utc(2026, 3, 3, 10))
    assert reopened.sla_paused_seconds == 6 * 3600
    assert reopened.resolution_due_at == utc(2026, 3, 5, 15)  # Wednesday 17:00 + 6h


def test_the_first_response_due_time_stays_once_answered(kernel, actor, helpers):
    utc = helpers.utc
    ticket = helpers.ticket(kernel, received_at="2026-03-02T09:00:00+00:00")
    verbs.comment_ticket(kernel, ticket.id, actor=actor, body="On it", visibility="public",
                         at=utc(2026, 3, 2, 9, 30))
    # Made urgent afterwards: the resolution is due within 240 minutes, Monday 13:00;
    # the first response (answered) keeps the due time it had.
    urgent = services.update(kernel, TICKET, ticket.id, {"priority": "urgent"}, actor=actor)
    assert (urgent.first_responded_at, due(urgent)) == (
        utc(2026, 3, 2, 9, 30), (utc(2026, 3, 2, 13), utc(2026, 3, 2, 13)))
    # A ticket not yet answered gets the new first response target too.
    other = helpers.ticket(kernel, received_at="2026-03-02T09:00:00+00:00")
    other = services.update(kernel, TICKET, other.id, {"priority": "urgent"}, actor=actor)
    assert due(other) == (utc(2026, 3, 2, 9, 30), utc(2026, 3, 2, 13))


def test_clients_do_not_stop_the_clock(kernel, actor, helpers):
    ticket = helpers.ticket(kernel)
    assert refused(lambda: services.update(kernel, TICKET, ticket.id, {
        "sla_paused_seconds": 3600}, actor=actor)) == {"sla_paused_seconds": [
        f"set by the open or reopen action only (POST /api/v1/service/tickets/{ticket.id}"
        "/open)"]}
