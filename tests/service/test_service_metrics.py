"""The service metrics against figures worked out by hand.

Default settings: Monday to Friday 09:00-17:00 UTC; first response / resolution
targets normal 240 / 1440 business minutes, high 60 / 480. March 2026: Monday 2 …
Friday 6, Monday 9.

A  normal, received Mon 2 09:00, answered 10:00 (60), resolved Tue 3 10:00
   (Mon 480 + Tue 60 = 540). Both targets met.
B  high, received Mon 2 16:00, answered Tue 3 09:30 (60 + 30 = 90 > 60: late),
   resolved Wed 4 16:00 (Mon 60 + Tue 480 + Wed 420 = 960 > 480: late).
C  normal, received Fri 6 16:30, opened Mon 9 09:05, answered 09:10 (30 + 10 = 40),
   waits 10:00-11:00 (60 paused), resolved 12:30 (30 + 210 - 60 = 180). Met.
D  normal, received Tue 3 09:00, answered 15:00 (360 > 240: late); not resolved.
E  normal, received Wed 4 09:00; not answered. In another team: Billing.

Volume in March: 5 (an agent of First line, who reaches A-D: 4).
First response: 40, 60, 90, 360 -> median (60 + 90) / 2 = 75, p90 rank ceil(3.6) = 4
-> 360. Resolution: 180, 540, 960 -> median 540, p90 rank ceil(2.7) = 3 -> 960.
SLA attainment: A and C of A, B, C met both -> 2 / 3 = 66.67 %.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import accord_service.hooks
from accord import services
from accord.metrics import MetricQuery, compute, report
from accord.services import Actor
from accord.services.authz import actor_for
from accord.services.teams import add_member
from accord_service import services as verbs
from accord_service.metrics import median, p90

pytestmark = pytest.mark.plugins(accord_service.hooks)
SYSTEM = Actor.system("test")
UTC = dt.timezone.utc
MARCH = MetricQuery(dt.date(2026, 3, 1), dt.date(2026, 3, 31), by="total")


def at(day, hour, minute=0):
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def story(kernel, helpers):
    first = services.create(kernel, "team", {"name": "First line"}, actor=SYSTEM)
    billing = services.create(kernel, "team", {"name": "Billing"}, actor=SYSTEM)
    agent = services.create(kernel, "user", {"email": "ana@example.com", "name": "Ana",
                                             "role": "service"}, actor=SYSTEM)
    add_member(kernel, first.id, agent.id, actor=SYSTEM)

    def ticket(received, **extra):
        return helpers.ticket(kernel, received_at=received.isoformat(), owner_id=agent.id,
                              team_id=first.id, **extra)

    def reply(t, moment):
        verbs.comment_ticket(kernel, t.id, actor=SYSTEM, body="On it", visibility="public",
                             at=moment)

    a = ticket(at(2, 9))
    reply(a, at(2, 10))
    verbs.resolve_ticket(kernel, a.id, actor=SYSTEM, at=at(3, 10))
    b = ticket(at(2, 16), priority="high")
    reply(b, at(3, 9, 30))
    verbs.resolve_ticket(kernel, b.id, actor=SYSTEM, at=at(4, 16))
    c = ticket(at(6, 16, 30))
    verbs.open_ticket(kernel, c.id, actor=SYSTEM, at=at(9, 9, 5))
    reply(c, at(9, 9, 10))
    verbs.wait_for_customer(kernel, c.id, actor=SYSTEM, at=at(9, 10))
    verbs.open_ticket(kernel, c.id, actor=SYSTEM, at=at(9, 11))
    verbs.resolve_ticket(kernel, c.id, actor=SYSTEM, at=at(9, 12, 30))
    d = ticket(at(3, 9))
    reply(d, at(3, 15))
    helpers.ticket(kernel, received_at=at(4, 9).isoformat(), team_id=billing.id,
                   owner_id=None)
    return kernel, agent


def figure(kernel, name, query=MARCH):
    [point] = compute(kernel, name, query)
    return point.value


def test_every_metric_against_the_hand_computed_figures(story):
    kernel, _ = story
    assert figure(kernel, "service.ticket_volume") == 5
    assert figure(kernel, "service.first_response_median") == Decimal("75.0")
    assert figure(kernel, "service.first_response_p90") == Decimal("360.0")
    assert figure(kernel, "service.resolution_median") == Decimal("540.0")
    assert figure(kernel, "service.resolution_p90") == Decimal("960.0")
    assert figure(kernel, "service.sla_attainment") == Decimal("66.67")


def test_by_month_and_an_empty_month(story):
    kernel, _ = story
    months = MetricQuery(dt.date(2026, 2, 1), dt.date(2026, 3, 31))
    assert [(p.period, p.value) for p in compute(kernel, "service.ticket_volume", months)] == [
        ("2026-02", 0), ("2026-03", 5)]
    assert [(p.period, p.value) for p in compute(kernel, "service.sla_attainment", months)] == [
        ("2026-02", Decimal("0.00")), ("2026-03", Decimal("66.67"))]


def test_a_manager_counts_only_their_teams_tickets(story):
    kernel, _ = story
    lead = services.create(kernel, "user", {"email": "lea@example.com", "name": "Lea",
                                            "role": "manager"}, actor=SYSTEM)
    add_member(kernel, "First line", lead.id, actor=SYSTEM)
    reader = actor_for(kernel, lead)
    _, points = report(kernel, "service.ticket_volume", MARCH, actor=reader)
    assert [p.value for p in points] == [4]  # E is Billing's
    _, points = report(kernel, "service.resolution_median", MARCH, actor=reader)
    assert [p.value for p in points] == [Decimal("540.0")]


def test_the_statistics():
    assert median([40, 60, 90, 360]) == Decimal("75.0")
    assert median([3, 1, 2]) == Decimal("2.0")
    assert p90(list(range(1, 11))) == Decimal("9.0")  # rank ceil(9.0) = 9
    assert p90([5]) == Decimal("5.0")
