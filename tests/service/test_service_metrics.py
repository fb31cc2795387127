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
Stored business seconds: A 3600 / 32400, B 5400 / 57600, C 2400 / 10800, D 21600 / -.

The complaint rates, the backlog and the dashboard have their own stories below.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import accord_sales.hooks
import accord_service.hooks
from accord import services
from accord.metrics import MetricQuery, compute, report
from accord.services import Actor
from accord.services.authz import actor_for
from accord.services.roles import grant
from accord.services.teams import add_member
from accord_service import services as verbs
from accord_service.metrics import median, p90
from accord_service.models import Ticket

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


def test_the_tickets_keep_their_business_seconds(story, helpers):
    kernel, _ = story
    rows = [(t.subject, t.first_response_seconds, t.resolution_seconds)
            for t in helpers.rows(kernel, Ticket)]
    assert [r[1:] for r in rows] == [(3600, 32400), (5400, 57600), (2400, 10800),
                                     (21600, None), (None, None)]


def test_a_reopened_ticket_loses_its_resolution_time_until_resolved_again(story, helpers):
    kernel, _ = story
    a = helpers.rows(kernel, Ticket)[0]
    verbs.reopen_ticket(kernel, a.id, actor=SYSTEM, at=at(3, 11))
    assert helpers.rows(kernel, Ticket)[0].resolution_seconds is None
    # Resolved (Tue 3 10:00) to reopened (11:00): an hour the clock stood still, so
    # resolving at 13:00 counts Mon 480 + Tue 240 - 60 = 660 minutes.
    verbs.resolve_ticket(kernel, a.id, actor=SYSTEM, at=at(3, 13))
    assert helpers.rows(kernel, Ticket)[0].resolution_seconds == 660 * 60
    # Resolution: 180, 660, 960 -> median 660.
    assert figure(kernel, "service.resolution_median") == Decimal("660.0")


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


def test_the_sql_statistics_match_the_documented_ones_on_many_values(kernel, helpers):
    """Eleven tickets answered after 1, 4, 9 … 121 business minutes: nearest rank and
    the middle value, as ``median``/``p90`` compute them in Python."""
    minutes = [n * n for n in range(1, 12)]
    for n in minutes:
        t = helpers.ticket(kernel, received_at=at(2, 9).isoformat())
        verbs.comment_ticket(kernel, t.id, actor=SYSTEM, body="Hi", visibility="public",
                             at=at(2, 9) + dt.timedelta(minutes=n))
    assert figure(kernel, "service.first_response_median") == median(minutes) == 36
    assert figure(kernel, "service.first_response_p90") == p90(minutes) == 100  # rank 10


# Complaints ---------------------------------------------------------------------------

@pytest.fixture
def complaints(kernel, helpers):
    """Five customers, four of them with an activity in March (active), one only in
    February; complaints: three received in March, one in February; a question in
    March. March: 3 complaints per 4 active customers = 75.00 per 100; February: 1 per
    1 = 100.00."""
    orgs = [services.create(kernel, "organization", {"name": f"Customer {n}",
                                                     "relationship": "customer"},
                            actor=SYSTEM) for n in range(5)]
    for n, org in enumerate(orgs):
        day = dt.datetime(2026, 2 if n == 4 else 3, 10, 12, tzinfo=UTC)
        services.create(kernel, "activity", {"kind": "call", "subject": "Check-in",
                                             "organization_id": org.id,
                                             "done_at": day.isoformat()}, actor=SYSTEM)
    for day, category in ((at(3, 9), "complaint"), (at(16, 9), "complaint"),
                          (at(31, 22), "complaint"), (at(5, 9), "question")):
        helpers.ticket(kernel, organization_id=orgs[0].id, received_at=day.isoformat(),
                       category=category)
    helpers.ticket(kernel, organization_id=orgs[4].id, category="complaint",
                   received_at=dt.datetime(2026, 2, 20, 9, tzinfo=UTC).isoformat())
    return orgs


def test_the_complaint_rate_per_100_active_customers(kernel, complaints):
    assert figure(kernel, "service.complaint_rate") == Decimal("75.00")
    months = MetricQuery(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert [(p.period, p.value) for p in compute(kernel, "service.complaint_rate", months)] == [
        ("2026-01", 0), ("2026-02", Decimal("100.00")), ("2026-03", Decimal("75.00"))]
    # The whole quarter: 4 complaints, 5 customers active in it.
    quarter = MetricQuery(dt.date(2026, 1, 1), dt.date(2026, 3, 31), by="total")
    assert figure(kernel, "service.complaint_rate", quarter) == Decimal("80.00")


def test_without_sales_there_is_no_rate_per_order(kernel, complaints):
    assert figure(kernel, "service.complaints_per_100_orders") == 0


@pytest.mark.plugins(accord_service.hooks, accord_sales.hooks)
def test_the_complaints_per_100_orders_read_through_the_sales_orders(kernel, complaints):
    """March: six orders, one cancelled -> 5; 3 complaints -> 60.00 per 100 orders.
    February: one order, one complaint -> 100.00. An order of April does not count."""
    from accord_sales.services.orders import set_order_status

    line = [{"description": "Service day", "quantity": "1", "unit_price": "100.00"}]
    made = [services.create(kernel, "sales.order", {
        "organization_id": complaints[0].id, "lines": line, "order_date": day},
        actor=SYSTEM) for day in ("2026-03-01", "2026-03-02", "2026-03-15", "2026-03-20",
                                  "2026-03-31", "2026-03-31", "2026-02-27", "2026-04-01")]
    set_order_status(kernel, made[5].id, "cancelled", actor=SYSTEM)
    assert figure(kernel, "service.complaints_per_100_orders") == Decimal("60.00")
    months = MetricQuery(dt.date(2026, 2, 1), dt.date(2026, 4, 30))
    assert [(p.period, p.value) for p in compute(
        kernel, "service.complaints_per_100_orders", months)] == [
        ("2026-02", Decimal("100.00")), ("2026-03", Decimal("60.00")), ("2026-04", 0)]


# The backlog ------------------------------------------------------------------------------

def test_the_backlog_by_age_at_the_end_of_the_range(story):
    """At the end of March 9 (midnight after it): A and B were resolved before; C was
    resolved on the 9th (not open); D (received Tue 3, 6 days 15 h before) and E
    (Wed 4, 5 days 15 h) are open: both 3-7 days. At the end of March 3: A resolved
    on the 3rd; B (received Mon 2 16:00: 1 day 8 h) and D (15 h) are open; C is not
    received yet."""
    kernel, _ = story
    ninth = MetricQuery(dt.date(2026, 3, 1), dt.date(2026, 3, 9), by="total")
    assert [(p.group, p.value) for p in compute(kernel, "service.backlog_by_age", ninth)] == [
        ("3-7 days", 2)]
    third = MetricQuery(dt.date(2026, 2, 1), dt.date(2026, 3, 3))
    assert [(p.group, p.period, p.value)
            for p in compute(kernel, "service.backlog_by_age", third)] == [
        ("0-1 days", "2026-02", 0), ("0-1 days", "2026-03", 1),
        ("1-3 days", "2026-02", 0), ("1-3 days", "2026-03", 1)]
    # At the end of March 31: D and E, over a week old.
    assert [(p.group, p.value) for p in compute(kernel, "service.backlog_by_age", MARCH)] == [
        ("7+ days", 2)]


def test_a_manager_sees_the_backlog_of_their_teams(story):
    kernel, _ = story
    lead = services.create(kernel, "user", {"email": "lea@example.com", "name": "Lea",
                                            "role": "manager"}, actor=SYSTEM)
    add_member(kernel, "First line", lead.id, actor=SYSTEM)
    _, points = report(kernel, "service.backlog_by_age", MARCH, actor=actor_for(kernel, lead))
    assert [(p.group, p.value) for p in points] == [("7+ days", 1)]  # D; E is Billing's


# The migration's backfill ----------------------------------------------------------------

def test_the_migration_fills_the_tickets_answered_and_resolved_before(story, helpers):
    kernel, _ = story
    name = "0008_add_ticket_business_seconds"
    assert name in kernel.migrations.downgrade("service", 7)  # the columns are dropped
    with kernel.bound():
        columns = {c.name for c in kernel.database.get_columns("service_ticket")}
    assert "resolution_seconds" not in columns
    assert name in kernel.migrations.upgrade("service")
    rows = [(t.first_response_seconds, t.resolution_seconds)
            for t in helpers.rows(kernel, Ticket)]
    assert rows == [(3600, 32400), (5400, 57600), (2400, 10800), (21600, None), (None, None)]
    assert figure(kernel, "service.resolution_p90") == Decimal("960.0")


# The dashboard ---------------------------------------------------------------------------

def test_the_dashboard_shows_the_service_widgets_to_an_agent_only(kernel, helpers,
                                                                  make_page_client):
    first = services.create(kernel, "team", {"name": "First line"}, actor=SYSTEM)
    now = dt.datetime.now(UTC)
    for hours, queue in ((2, "general"), (30, "general"), (100, "general"), (200, "general")):
        helpers.ticket(kernel, team_id=first.id, queue=queue,
                       received_at=(now - dt.timedelta(hours=hours)).isoformat())
    other = services.create(kernel, "team", {"name": "Billing"}, actor=SYSTEM)
    helpers.ticket(kernel, team_id=other.id, received_at=now.isoformat())
    # The dashboard itself needs core.metrics.read, an explicit grant by the admin.
    for role in ("service", "sales"):
        grant(kernel, role, ["core.metrics.read"], actor=SYSTEM)
    agent = make_page_client("service", teams=["First line"])
    body = agent.get("/dashboard").get_data(as_text=True)
    assert "SLA attainment" in body
    backlog = body.split(">Backlog by age</h3>")[1].split("</section>")[0]
    for label in ("0-1 days", "1-3 days", "3-7 days", "7+ days"):
        assert label in backlog
    queues = body.split(">Open tickets per queue</h3>")[1].split("</section>")[0]
    # The agent's team: 4 open tickets in general (Billing's is not theirs).
    assert "general" in queues and ">4<" in queues.replace(" ", "")
    seller = make_page_client("sales")
    answer = seller.get("/dashboard")
    other_body = answer.get_data(as_text=True)
    assert answer.status_code == 200 and ">Dashboard<" in other_body
    assert "Backlog by age" not in other_body and "SLA attainment" not in other_body
    assert "Open tickets per queue" not in other_body


def test_hook_dashboard_widgets_of_the_service(kernel, helpers):
    from accord_service.widgets import service_widgets

    helpers.ticket(kernel)
    query = MetricQuery(dt.date(2026, 1, 1), dt.datetime.now(UTC).date())
    widgets = service_widgets(kernel, SYSTEM, query)
    assert [(w.title, w.kind) for w in widgets] == [
        ("SLA attainment", "figure"), ("Backlog by age", "bars"),
        ("Open tickets per queue", "table")]
    assert widgets[1].series[0].values == (1, 0, 0, 0)
    assert widgets[2].rows == (("general", 1, 0),)


def test_a_client_does_not_set_the_business_seconds(api_client, kernel, helpers):
    ticket = helpers.ticket(kernel)
    url = f"/api/v1/service/tickets/{ticket.id}"
    response = api_client.patch(url, json={"resolution_seconds": 60})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"resolution_seconds": [
        f"set by the resolve or reopen action only (POST {url}/resolve)"]}
    assert helpers.rows(kernel, Ticket)[0].resolution_seconds is None
    shown = api_client.get(url).get_json()
    assert (shown["first_response_seconds"], shown["resolution_seconds"]) == (None, None)
