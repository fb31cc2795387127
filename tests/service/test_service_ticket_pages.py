"""Tickets on the generic pages (the plugin has no pages of its own yet): the list of
the reader's team queue, and a ticket's page with its comments and action buttons."""

from __future__ import annotations

import re

import pytest

from accord import services
from accord.services import Actor
from accord.services.passwords import set_password
from accord.web import create_app

import accord_service.hooks
from accord_service.services import comment_ticket

pytestmark = pytest.mark.plugins(accord_service.hooks)
SYSTEM = Actor.system("test")
PASSWORD = "correct horse battery"


def _agent(kernel, email, team):
    user = services.create(kernel, "user", {"email": email, "name": email.split("@")[0],
                                            "role": "service"}, actor=SYSTEM)
    services.teams.add_member(kernel, team, user.id, actor=SYSTEM)
    set_password(kernel, user, PASSWORD, actor=SYSTEM)
    client = create_app(kernel, SECRET_KEY="service-pages").test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True))[1]
    response = client.post("/login", data={"email": email, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return user, client


def test_an_agent_sees_their_queue_and_a_ticket_with_its_comments(kernel, helpers):
    for name in ("First line", "Billing"):
        services.create(kernel, "team", {"name": name}, actor=SYSTEM)
    ana, page = _agent(kernel, "ana@example.com", "First line")
    bob, _ = _agent(kernel, "bob@example.com", "Billing")
    mine = helpers.ticket(kernel, subject="Printer jams", owner_id=ana.id)
    helpers.ticket(kernel, subject="Invoice twice", owner_id=bob.id)
    comment_ticket(kernel, mine.id, actor=SYSTEM, body="Tray 2 is worn", visibility="internal")
    listed = page.get("/records/service.ticket")
    assert listed.status_code == 200
    text = listed.get_data(as_text=True)
    assert "Printer jams" in text and "Invoice twice" not in text
    shown = page.get(f"/records/service.ticket/{mine.id}")
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200, html
    assert "Tray 2 is worn" in html
    for verb in ("open", "wait", "resolve", "close", "reopen", "comment"):
        assert f'action="/records/service.ticket/{mine.id}/actions/{verb}"' in html, verb
    assert page.get(f"/records/service.ticket/{mine.id + 1}").status_code == 404
    # The reply box is the comment action's form: a public reply is the first response.
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
    replied = page.post(f"/records/service.ticket/{mine.id}/actions/comment", data={
        "body": "We send a new tray", "visibility": "public", "csrf_token": token})
    assert (replied.status_code, replied.location) == (302, f"/records/service.ticket/{mine.id}")
    ticket = services.get(kernel, "service.ticket", mine.id)
    assert ticket.first_responded_at is not None
    assert [c["body"] for c in services.dump(kernel, "service.ticket", ticket)["comments"]] == [
        "Tray 2 is worn", "We send a new tray"]


def test_the_queue_shows_the_teams_tickets_by_due_time_with_countdowns(kernel, helpers):
    import datetime as dt

    from accord.models import utcnow
    from accord.services.plugins import set_settings

    # Open every day, all day: the countdowns are plain hours whatever the test's clock.
    set_settings(kernel, "service", {"business_hours": {d: ["00:00-24:00"] for d in (
        "mon", "tue", "wed", "thu", "fri", "sat", "sun")}}, actor=SYSTEM)
    for name in ("First line", "Billing"):
        services.create(kernel, "team", {"name": name}, actor=SYSTEM)
    ana, page = _agent(kernel, "ana@example.com", "First line")
    bob, other = _agent(kernel, "bob@example.com", "Billing")
    now = utcnow()
    # Normal: first response due 240 min after it came in.
    late = helpers.ticket(kernel, subject="Late one", owner_id=ana.id,
                          received_at=now - dt.timedelta(minutes=275))
    fresh = helpers.ticket(kernel, subject="Fresh one", owner_id=ana.id,
                           received_at=now - dt.timedelta(minutes=110))
    helpers.ticket(kernel, subject="Billing's", owner_id=bob.id)
    shown = page.get("/service/queue")
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200, html
    assert "Billing's" not in html  # another team's ticket
    assert html.index("Late one") < html.index("Fresh one")  # the most pressing first
    row = html[html.index('id="ticket-%d"' % late.id):html.index('id="ticket-%d"' % fresh.id)]
    assert f'<tr class="sla-breached" id="ticket-{late.id}">' in html
    assert f'<tr class="" id="ticket-{fresh.id}">' in html
    assert "Breached 35 min ago" in row
    # 130 business minutes left (less the seconds the test took).
    assert re.search(r"Due in 2 h (9|10) min", html)
    assert "2 tickets, 1 breached." in html
    assert "business time" in html
    # Filters: status and queue; a bad one is named.
    assert "Late one" not in page.get("/service/queue?status=resolved").get_data(as_text=True)
    bad = page.get("/service/queue?team=999&status=lost")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "Team: Choose one of your teams" in text
    assert "Status: Choose one of new, open, pending_customer, resolved, closed" in text
    # The navigation offers the queue.
    assert 'href="/service/queue"' in html
    # Bob (Billing) sees only Billing's.
    assert "Late one" not in other.get("/service/queue").get_data(as_text=True)


def test_the_ticket_page_shows_the_conversation_and_the_reply_box(kernel, helpers):
    services.create(kernel, "team", {"name": "First line"}, actor=SYSTEM)
    ana, page = _agent(kernel, "ana@example.com", "First line")
    ticket = helpers.ticket(kernel, subject="Printer jams", owner_id=ana.id)
    comment_ticket(kernel, ticket.id, actor=SYSTEM, body="Tray 2 is worn",
                   visibility="internal")
    comment_ticket(kernel, ticket.id, actor=SYSTEM, body="A new tray is on its way",
                   visibility="public")
    html = page.get(f"/records/service.ticket/{ticket.id}").get_data(as_text=True)
    assert ">Conversation</h2>" in html
    panel = html[html.index(">Conversation</h2>"):]
    assert panel.index("Tray 2 is worn") < panel.index("A new tray is on its way")
    assert "Internal note" in panel and "Public reply" in panel
    assert '<dd id="sla-first-response">Answered' in panel
    # The reply box posts through the comment action.
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
    posted = page.post(f"/records/service.ticket/{ticket.id}/actions/comment", data={
        "body": "Fitted it", "visibility": "internal", "csrf_token": token})
    assert posted.status_code == 302
    after = page.get(f"/records/service.ticket/{ticket.id}").get_data(as_text=True)
    assert after.index("A new tray is on its way") < after.index("Fitted it")
