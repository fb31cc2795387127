"""A repair order in a real browser: an agent sees its parts and totals and what the
warranty would cover if it were completed today, completes it from the page's actions,
and reads the coverage decision with the invoice it issued. Phone width too."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from accord import services
from accord.services import Actor
from accord.services.teams import add_member

from browsing import PHONE, log_in, no_horizontal_scroll, screenshot, serious_violations

SYSTEM = Actor.system("test")


@pytest.fixture
def web_kernel(make_kernel):
    kernel = make_kernel(plugins=["service"], enable=["service"])
    services.create(kernel, "team", {"name": "Workshop"}, actor=SYSTEM)
    return kernel


def test_an_agent_completes_a_repair_and_reads_the_coverage_decision(web_kernel, new_context,
                                                                     make_user):
    agent = make_user("service", email="tom@example.com", name="Tom Technician")
    add_member(web_kernel, "Workshop", agent.id, actor=SYSTEM)
    org = services.create(web_kernel, "organization", {"name": "Copy Shop"}, actor=SYSTEM)
    printer = services.create(web_kernel, "product", {"sku": "PR-1", "name": "Printer 1"},
                              actor=SYSTEM)
    fuser = services.create(web_kernel, "product", {
        "sku": "PT-1", "name": "Fuser unit", "unit_price": {"amount": "40.00",
                                                            "currency": "EUR"}},
        actor=SYSTEM)
    today = dt.date.today()
    services.create(web_kernel, "service.warranty", {
        "product_id": printer.id, "serial_number": "SN-77", "organization_id": org.id,
        "starts_on": today - dt.timedelta(days=100), "ends_on": today + dt.timedelta(days=265),
        "covers": "parts"}, actor=SYSTEM)
    ticket = services.create(web_kernel, "service.ticket", {
        "organization_id": org.id, "channel": "phone", "subject": "Printer smears",
        "owner_id": agent.id}, actor=SYSTEM)
    repair = services.create(web_kernel, "service.repair", {
        "ticket_id": ticket.id, "product_id": printer.id, "serial_number": "SN-77",
        "diagnosis": "Worn fuser", "labour_minutes": 90, "labour_rate": "60.00",
        "service_fee": "25.00", "owner_id": agent.id,
        "parts": [{"product_id": fuser.id, "quantity": "2"}]}, actor=SYSTEM)

    page = new_context().new_page()
    log_in(page, "tom@example.com")
    # From the ticket, a repair is taken on with the ticket filled in.
    page.goto(f"/records/service.ticket/{ticket.id}")
    page.locator("#new-repair").click()
    expect(page.get_by_label("Ticket (required)")).to_have_value(str(ticket.id))
    page.goto(f"/records/service.repair/{repair.id}")
    panel = page.get_by_role("region", name="Parts and coverage")
    expect(panel.locator("td[data-label='Part']")).to_have_text("Fuser unit")
    expect(panel).to_contain_text("195.00 EUR")
    expect(panel).to_contain_text("90 min at 60.00/h")
    expect(panel.locator("#coverage-preview")).to_contain_text(
        f"covers parts until {(today + dt.timedelta(days=265)).isoformat()}: the customer "
        "would pay 115.00 EUR before tax")
    assert serious_violations(page) == []
    screenshot(page, "repair-in-progress")

    page.get_by_role("form", name="Start").get_by_role("button").click()
    complete = page.get_by_role("form", name="Complete")
    complete.locator("summary").click()
    complete.get_by_role("button", name="Complete").click()
    decision = page.locator("#coverage")
    expect(decision).to_contain_text("Parts covered")
    expect(page.locator("#billed")).to_have_text("115.00 EUR")
    link = page.locator("#invoice-link")
    expect(link).to_have_text(f"SRV-{today.year}-00001")
    screenshot(page, "repair-done")
    link.click()
    expect(page.locator("main")).to_contain_text(f"SRV-{today.year}-00001")

    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, "tom@example.com")
    phone.goto(f"/records/service.repair/{repair.id}")
    expect(phone.locator("#coverage")).to_be_visible()
    assert no_horizontal_scroll(phone)
    screenshot(phone, "repair-phone")
