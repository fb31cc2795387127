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
