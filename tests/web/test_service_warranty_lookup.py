"""The warranty lookup in a real browser: an agent types a serial number, sees whether
the product is covered today and by whom it was bought; an unknown serial is named at
the field. Phone width, the keyboard, axe-core and screenshots."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from accord import services
from accord.services import Actor

from browsing import PHONE, log_in, no_horizontal_scroll, screenshot, serious_violations

SYSTEM = Actor.system("test")


@pytest.fixture
def web_kernel(make_kernel):
    return make_kernel(plugins=["service"], enable=["service"])


def test_an_agent_looks_a_serial_number_up(web_kernel, new_context, make_user):
    agent = make_user("service", email="ana@example.com", name="Ana Agent")
    org = services.create(web_kernel, "organization", {"name": "Harbour Print Shop"},
                          actor=SYSTEM)
    product = services.create(web_kernel, "product", {"sku": "LP-9", "name": "LaserPro 9"},
                              actor=SYSTEM)
    today = dt.date.today()
    services.create(web_kernel, "service.warranty", {
        "product_id": product.id, "serial_number": "LP9-2026-000417",
        "organization_id": org.id, "owner_id": agent.id, "covers": "parts_and_labour",
        "starts_on": today - dt.timedelta(days=100), "ends_on": today + dt.timedelta(days=265),
        "terms": "Parts and labour for 12 months; wear parts (rollers, toner) excluded.",
        "order_line_ref": "SO-1042 line 3"}, actor=SYSTEM)

    for viewport, name in ((None, "desktop"), (PHONE, "phone")):
        page = new_context(**({"viewport": viewport} if viewport else {})).new_page()
        log_in(page, "ana@example.com")
        page.goto("/service/warranties")
        expect(page.get_by_role("heading", name="Warranty lookup")).to_be_visible()
        # By keyboard: the field, the serial number, Enter.
        page.get_by_label("Serial number").focus()
        page.keyboard.type("LP9-2026-000417")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="LaserPro 9 · LP9-2026-000417")).to_be_visible()
        until = (today + dt.timedelta(days=265)).isoformat()
        expect(page.get_by_text(f"Covered today: covers parts and labour until {until}."))\
            .to_be_visible()
        expect(page.get_by_text("Harbour Print Shop")).to_be_visible()
        assert serious_violations(page) == []
        assert no_horizontal_scroll(page)
        screenshot(page, f"warranty-lookup-{name}")

        page.get_by_label("Serial number").fill("NO-SUCH-1")
        page.get_by_role("button", name="Look up").click()
        expect(page.get_by_role("alert")).to_have_text(
            "Serial number: No warranty with serial number 'NO-SUCH-1'.")
        assert serious_violations(page) == []
        assert no_horizontal_scroll(page)
        screenshot(page, f"warranty-lookup-unknown-{name}")
