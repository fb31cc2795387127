"""A campaign in a real browser: the list of campaigns, and a completed campaign's page
with its member funnel and its cost against the budget, at desktop and phone width."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accord import services
from accord.services import Actor
from accord_marketing.services.campaigns import demo_campaign

from browsing import PHONE, log_in, nav_labels, no_horizontal_scroll, screenshot, \
    serious_violations

SYSTEM = Actor.system("test")


@pytest.fixture
def web_kernel(make_kernel):
    kernel = make_kernel(plugins=["marketing"], enable=["marketing"])
    org = services.create(kernel, "organization", {"name": "Acme Ltd"}, actor=SYSTEM)
    for number in range(6):
        services.create(kernel, "contact", {
            "first_name": f"Person{number}", "last_name": "Buyer",
            "email": f"p{number}@example.com", "organization_id": org.id}, actor=SYSTEM)
    return kernel


def test_a_marketer_reads_the_funnel_of_a_campaign(web_kernel, new_context, make_user):
    make_user("marketing", email="mia@example.com", name="Mia Marketer")
    campaign = demo_campaign(web_kernel, SYSTEM)
    page = new_context().new_page()
    log_in(page, "mia@example.com")
    assert "Campaigns" in nav_labels(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
    row = page.locator(f"#campaign-{campaign.id}")
    expect(row.locator("td[data-label='Status']")).to_have_text("completed")
    expect(row.locator("td[data-label='Members']")).to_have_text("6")
    expect(row.locator("td[data-label='Budget']")).to_have_text("1,500.00 EUR")
    assert serious_violations(page) == []
    screenshot(page, "marketing-campaigns")
    row.get_by_role("link", name="Spring newsletter").click()
    expect(page.locator("h1")).to_have_text("Spring newsletter")
    counts = {step: page.locator(f"#funnel-{step} .count").inner_text()
              for step in ("targeted", "sent", "opened", "clicked", "responded",
                           "converted")}
    assert counts == {"targeted": "6", "sent": "5", "opened": "4", "clicked": "2",
                      "responded": "2", "converted": "1"}
    expect(page.locator("main")).to_contain_text("1,240.50 EUR (83% of the budget)")
    expect(page.locator("main")).to_contain_text("1 bounced, 0 unsubscribed.")
    responses = page.get_by_role("region", name="Latest responses", exact=True)
    expect(responses).to_contain_text("Please call me about the offer.")
    expect(responses).to_contain_text("Person0 Buyer")
    assert serious_violations(page) == []
    screenshot(page, "marketing-campaign")
    # Its record page edits it and holds the actions.
    page.get_by_role("link", name="Edit the campaign, launch, complete or cancel it").click()
    expect(page.locator("main")).to_contain_text("Spring newsletter")
    screenshot(page, "marketing-campaign-record")

    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, "mia@example.com")
    phone.goto(f"/marketing/campaigns/{campaign.id}")
    expect(phone.locator("#funnel-converted .count")).to_have_text("1")
    assert no_horizontal_scroll(phone)
    screenshot(phone, "marketing-campaign-phone")
    phone.goto("/marketing/campaigns")
    assert no_horizontal_scroll(phone)
    screenshot(phone, "marketing-campaigns-phone")
