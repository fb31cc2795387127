"""The service pages in a real browser: a stranger opens a ticket with the public
request form, an agent of the team it was routed to finds it in the queue with its
SLA countdown, answers it publicly from the ticket page, and the first-response
countdown stops ("Answered"). Phone width, the keyboard, axe-core and screenshots."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accord import services
from accord.models import utcnow
from accord.services import Actor
from accord.services.plugins import set_settings
from accord.services.teams import add_member

from browsing import PHONE, log_in, no_horizontal_scroll, screenshot, serious_violations

SYSTEM = Actor.system("test")
ALWAYS_OPEN = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                "sun")}


@pytest.fixture
def web_kernel(make_kernel):
    """The core and the service plugin; open all day every day, so the countdowns read
    the same whenever the test runs; questions go to the First line team."""
    kernel = make_kernel(plugins=["service"], enable=["service"])
    set_settings(kernel, "service", {"business_hours": ALWAYS_OPEN,
                                     "routing": {"question": {"team": "First line"}}},
                 actor=SYSTEM)
    services.create(kernel, "team", {"name": "First line"}, actor=SYSTEM)
    return kernel


def test_a_strangers_request_is_answered_and_its_countdown_stops(web_kernel, new_context,
                                                                 make_user):
    agent = make_user("service", email="ana@example.com", name="Ana Agent")
    add_member(web_kernel, "First line", agent.id, actor=SYSTEM)
    org = services.create(web_kernel, "organization", {"name": "Old Customer"}, actor=SYSTEM)
    overdue = services.create(web_kernel, "service.ticket", {
        "organization_id": org.id, "channel": "phone", "subject": "Invoice missing",
        "team_id": None, "owner_id": agent.id,
        "received_at": utcnow() - dt.timedelta(minutes=275)}, actor=SYSTEM)

    # A stranger fills in the form (no login).
    stranger = new_context().new_page()
    stranger.goto("/service/request")
    expect(stranger.get_by_role("heading", name="Contact support")).to_be_visible()
    assert serious_violations(stranger) == []
    stranger.get_by_label("Your name").fill("Jane Doe")
    stranger.get_by_label("Your email").fill("jane@example.com")
    stranger.get_by_label("Subject").fill("Printer jams on every page")
    stranger.get_by_label("What is it about?").select_option("question")
    stranger.get_by_label("Describe your request").fill("Tray 2 jams since Monday.")
    screenshot(stranger, "request-desktop")
    stranger.get_by_role("button", name="Send request").click()
    sent = stranger.locator("#request-sent")
    expect(sent).to_contain_text("Your request is T-")
    reference = re.search(r"T-\d+", sent.inner_text())[0]

    # The agent it was routed to sees it in the queue, with its countdown.
    page = new_context().new_page()
    log_in(page, "ana@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Queue").click()
    expect(page.get_by_role("heading", name="Ticket queue")).to_be_visible()
    ticket_id = int(reference[2:])
    row = page.locator(f"#ticket-{ticket_id}")
    expect(row).to_contain_text("Printer jams on every page")
    first = row.locator("td[data-label='First response']")
    expect(first).to_contain_text(re.compile(r"Due in 3 h 5\d min"))
    # The overdue one is first, marked in words and with a sign, not by colour alone.
    late = page.locator(f"#ticket-{overdue.id}")
    expect(late).to_have_class("sla-breached")
    expect(late.locator("td[data-label='First response']")).to_contain_text(
        "Breached 35 min ago")
    assert page.locator("tbody tr").first.get_attribute("id") == f"ticket-{overdue.id}"
    assert serious_violations(page) == []
    screenshot(page, "queue-desktop")

    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, "ana@example.com")
    phone.goto("/service/queue")
    expect(phone.locator(f"#ticket-{ticket_id}")).to_contain_text("Due in")
    assert no_horizontal_scroll(phone)
    screenshot(phone, "queue-phone")

    # Open it and answer publicly (keyboard: the reply box is a plain form).
    row.get_by_role("link", name=reference).click()
    expect(page.locator("#sla-first-response")).to_contain_text("Due in")
    reply = page.get_by_label("Reply", exact=True)
    reply.fill("Hello Jane, a new tray is on its way.")
    expect(page.get_by_label("The customer (public reply)")).to_be_checked()
    reply.press("Tab")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".service-comment-public")).to_contain_text("a new tray is on its way")
    expect(page.locator("#sla-first-response")).to_have_text("Answered")
    assert serious_violations(page) == []
    screenshot(page, "ticket-desktop")

    # The queue shows it answered: the first-response countdown has stopped.
    page.goto("/service/queue")
    expect(page.locator(f"#ticket-{ticket_id} td[data-label='First response']")
           ).to_contain_text("Answered")
    ticket = services.get(web_kernel, "service.ticket", ticket_id)
    assert ticket.first_responded_at is not None and ticket.owner_id == agent.id

    # At phone width, the ticket page does not scroll sideways either.
    phone.goto(f"/records/service.ticket/{ticket_id}")
    expect(phone.locator("#sla-first-response")).to_have_text("Answered")
    assert no_horizontal_scroll(phone)
    screenshot(phone, "ticket-phone")
