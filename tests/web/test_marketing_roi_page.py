"""Campaign ROI in a real browser: a marketer opens the ROI page from the navigation,
reads each campaign's cost, attributed revenue and ROI, switches the attribution model,
then a campaign's results (funnel rates, leads, revenue under each model); the
campaigns list's response rate and ROI columns; at phone width too."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

import accord_marketing.hooks
import accord_sales.hooks
from accord import services
from accord.services import Actor
from accord_marketing.models.campaigns import CampaignMember
from accord_marketing.services.campaigns import demo_campaign

from browsing import PHONE, log_in, nav_labels, no_horizontal_scroll, screenshot, \
    serious_violations

SYSTEM = Actor.system("test")


@pytest.fixture
def web_kernel(make_kernel):
    kernel = make_kernel(plugins=[accord_marketing.hooks, accord_sales.hooks],
                         enable=["sales", "marketing"])
    org = services.create(kernel, "organization", {"name": "Acme Ltd"}, actor=SYSTEM)
    for number in range(6):
        services.create(kernel, "contact", {
            "first_name": f"Person{number}", "last_name": "Buyer",
            "email": f"p{number}@example.com", "organization_id": org.id}, actor=SYSTEM)
    return kernel


def _later_campaign(kernel):
    """An event a week ago that touched the demo's buyer again: last touch wins it."""
    event = services.create(kernel, "marketing.campaign", {
        "name": "Autumn trade show", "type": "event",
        "actual_cost": {"amount": "2000", "currency": "EUR"}}, actor=SYSTEM)
    with kernel.bound():
        first = CampaignMember.select().order_by(CampaignMember.id).get()
        CampaignMember.insert(campaign=event.id, contact=first.contact_id,
                              created_at=first.created_at, status="responded",
                              responded_at=dt.datetime.now(dt.timezone.utc)
                              - dt.timedelta(days=7)).execute()
    return event


def test_a_marketer_reads_the_roi_of_the_campaigns(web_kernel, new_context, make_user):
    make_user("marketing", email="mia@example.com", name="Mia Marketer")
    spring = demo_campaign(web_kernel, SYSTEM)
    event = _later_campaign(web_kernel)
    webinar = services.create(web_kernel, "marketing.campaign", {
        "name": "Winter webinar", "type": "event"}, actor=SYSTEM)
    page = new_context().new_page()
    log_in(page, "mia@example.com")
    assert "Campaign ROI" in nav_labels(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaign ROI").click()
    expect(page.locator("h1")).to_have_text("Campaign ROI")
    # last_touch (the setting): the trade show a week ago wins the 4,800.00 deal.
    expect(page.locator("#model-last_touch")).to_have_attribute("aria-current", "page")
    show = page.locator(f"#roi-{event.id}")
    expect(show.locator("td[data-label='Attributed revenue']")).to_have_text("4,800.00 EUR")
    expect(show.locator("td[data-label='ROI']")).to_have_text("140.00%")
    newsletter = page.locator(f"#roi-{spring.id}")
    expect(newsletter.locator("td[data-label='Cost']")).to_have_text("1,240.50 EUR")
    expect(newsletter.locator("td[data-label='Leads']")).to_have_text("2")
    expect(newsletter.locator("td[data-label='Cost per lead']")).to_have_text("620.25 EUR")
    expect(newsletter.locator("td[data-label='ROI']")).to_have_text("-100.00%")
    expect(page.locator(f"#roi-{webinar.id} td[data-label='ROI']")).to_have_text(
        "— no actual cost is recorded")
    expect(page.locator("#total-cost")).to_have_text("3,240.50 EUR")
    expect(page.locator("#unattributed")).to_contain_text("0.00 EUR")
    assert serious_violations(page) == []
    screenshot(page, "marketing-roi")
    # Linear: the two touches share the deal.
    page.get_by_role("link", name="Linear").click()
    expect(page.locator("#model-linear")).to_have_attribute("aria-current", "page")
    expect(show.locator("td[data-label='Attributed revenue']")).to_have_text("2,400.00 EUR")
    expect(newsletter.locator("td[data-label='Attributed revenue']")).to_have_text(
        "2,400.00 EUR")
    expect(newsletter.locator("td[data-label='ROI']")).to_have_text("93.47%")
    screenshot(page, "marketing-roi-linear")
    page.goto("/marketing/roi?model=u_shaped")
    expect(page.get_by_role("alert")).to_have_text(
        "Model: 'u_shaped' is not an attribution model; use one of first_touch, "
        "last_touch, linear")

    page.goto("/marketing/campaigns")
    row = page.locator(f"#campaign-{spring.id}")
    expect(row.locator("td[data-label='Response rate']")).to_have_text("40.00%")
    expect(row.locator("td[data-label='ROI']")).to_have_text("-100.00%")
    screenshot(page, "marketing-campaigns-roi")
    row.get_by_role("link", name="Spring newsletter").click()
    results = page.get_by_role("region", name="Results")
    expect(results.locator("#rate-response")).to_have_text("40.00% (2 of 5 sent)")
    expect(results.locator("#rate-open")).to_have_text("80.00% (4 of 5)")
    expect(results.locator("#rate-conversion")).to_have_text("50.00% (1 of 2 responded)")
    expect(results.locator("#result-cost-per-lead")).to_have_text("620.25 EUR")
    expect(results.locator("#revenue-first_touch")).to_have_text("4,800.00 EUR")
    expect(results.locator("#revenue-last_touch")).to_have_text("0.00 EUR")
    expect(results.locator("#revenue-linear")).to_have_text("2,400.00 EUR")
    expect(results.locator("#result-roi")).to_have_text("-100.00%")
    assert serious_violations(page) == []
    screenshot(page, "marketing-campaign-results")

    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, "mia@example.com")
    phone.goto("/marketing/roi")
    expect(phone.locator(f"#roi-{event.id} td[data-label='ROI']")).to_have_text("140.00%")
    assert no_horizontal_scroll(phone)
    screenshot(phone, "marketing-roi-phone")
    phone.goto(f"/marketing/campaigns/{spring.id}")
    expect(phone.locator("#revenue-linear")).to_have_text("2,400.00 EUR")
    assert no_horizontal_scroll(phone)
    screenshot(phone, "marketing-campaign-results-phone")


def test_without_sales_the_page_says_why(web_kernel, new_context, make_user):
    from accord.services.plugins import disable

    disable(web_kernel, "sales", actor=SYSTEM)
    make_user("marketing", email="mia@example.com", name="Mia Marketer")
    services.create(web_kernel, "marketing.campaign", {"name": "Fair", "type": "event"},
                    actor=SYSTEM)
    page = new_context().new_page()
    log_in(page, "mia@example.com")
    page.goto("/marketing/roi")
    expect(page.locator("#roi-note")).to_have_text(
        "No revenue is attributed: no won deals to attribute: the sales plugin (which "
        "declares the sales.won_deals customer fact) is not enabled.")
    expect(page.locator("#total-revenue")).to_have_text("0.00 EUR")
    screenshot(page, "marketing-roi-no-sales")
