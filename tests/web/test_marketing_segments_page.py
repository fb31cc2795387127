"""The segment builder in a real browser: a marketer builds a segment of contacts, sees
the live count change as rules are typed and added, a bad rule named beside its row,
saves it and finds it in the list with its count. Phone width too."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

import accord_marketing.hooks
from accord import services
from accord.services import Actor
from accord.services.tags import tag

from browsing import PHONE, log_in, no_horizontal_scroll, screenshot, serious_violations

SYSTEM = Actor.system("test")


@pytest.fixture
def web_kernel(make_kernel):
    kernel = make_kernel(plugins=[accord_marketing.hooks], enable=["marketing"])
    acme = services.create(kernel, "organization", {"name": "Acme", "country": "DE"},
                           actor=SYSTEM)
    for last, country in (("Ames", "DE"), ("Berg", "DE"), ("Cole", "FR")):
        contact = services.create(kernel, "contact", {
            "last_name": last, "country": country, "organization_id": acme.id},
            actor=SYSTEM)
        if last == "Berg":
            tag(kernel, "contact", contact.id, ["vip"], actor=SYSTEM)
    return kernel


def _count(page):
    return page.locator("#segment-count-figure")


def test_build_a_segment_and_see_the_count_change(web_kernel, new_context, make_user):
    make_user("marketing", email="mia@example.com", name="Mia Marketer")
    page = new_context().new_page()
    log_in(page, "mia@example.com")
    page.get_by_role("link", name="Segments").click()
    page.get_by_role("link", name="New segment").click()
    expect(page.get_by_role("heading", name="New segment")).to_be_visible()
    # No rule yet: every contact.
    expect(_count(page)).to_have_text("3 contacts")
    page.get_by_label("Name").fill("German VIPs")
    page.locator("#rule-0-field").select_option("country")
    page.locator("#rule-0-op").select_option("eq")
    page.locator("#rule-0-value").fill("DE")
    expect(_count(page)).to_have_text("2 contacts")

    page.get_by_role("button", name="Add rule").click()
    expect(page.locator("#rule-1-field")).to_be_visible()
    page.locator("#rule-1-field").select_option("tags")
    page.locator("#rule-1-op").select_option("eq")
    # A condition that does not fit the field is named beside its rule.
    expect(page.locator("#count-rule-1-err")).to_have_text(
        "Rule 2: op: 'eq' does not fit tags (tags); use one of includes, excludes")
    page.locator("#rule-1-op").select_option("includes")
    page.locator("#rule-1-value").fill("vip")
    expect(_count(page)).to_have_text("1 contact")
    expect(page.locator("#count-rule-1-err")).to_have_count(0)
    assert serious_violations(page) == []
    screenshot(page, "marketing-segment-builder")

    page.get_by_role("button", name="Create the segment").click()
    expect(page.get_by_role("heading", name="German VIPs")).to_be_visible()
    expect(page.locator("#preview-h")).to_have_text("Members now (1)")
    expect(page.locator(".segment-members")).to_have_text("Berg")
    expect(page.locator("#rule-1-value")).to_have_value("vip")
    page.get_by_role("link", name="Segments", exact=True).first.click()
    row = page.locator("table.segments-table tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td[data-label='Members']")).to_have_text("1")
    screenshot(page, "marketing-segments-list")


def test_the_builder_at_phone_width(web_kernel, new_context, make_user):
    make_user("marketing", email="mia@example.com")
    page = new_context(viewport=PHONE).new_page()
    log_in(page, "mia@example.com")
    page.goto("/marketing/segments/new")
    page.locator("#rule-0-field").select_option("organization.country")
    page.locator("#rule-0-value").fill("FR")
    expect(_count(page)).to_have_text("0 contacts")
    page.get_by_role("button", name="Add rule").click()
    expect(page.locator("#rule-1-field")).to_be_visible()
    assert no_horizontal_scroll(page)
    assert serious_violations(page) == []
    screenshot(page, "marketing-segment-builder-phone")


def test_a_static_segment_is_frozen_from_its_page(web_kernel, new_context, make_user):
    from accord_marketing.segments import SEGMENT

    segment = services.create(web_kernel, SEGMENT, {
        "name": "Germany snapshot", "kind": "static",
        "rules": [{"field": "country", "op": "eq", "value": "DE"}]}, actor=SYSTEM)
    make_user("marketing", email="mia@example.com")
    page = new_context(viewport=PHONE).new_page()
    log_in(page, "mia@example.com")
    page.goto(f"/marketing/segments/{segment.id}")
    expect(page.locator(".docmeta")).to_have_text("Static, not frozen yet: no members stored")
    expect(page.locator("#preview-h")).to_have_text("Stored members (0)")
    page.get_by_role("button", name="Freeze the members now").click()
    expect(page.locator(".flash")).to_have_text("Members stored.")
    expect(page.locator("#preview-h")).to_have_text("Stored members (2)")
    expect(page.locator(".segment-members li")).to_have_text(["Ames", "Berg"])
    assert no_horizontal_scroll(page)
    screenshot(page, "marketing-segment-static-phone")

