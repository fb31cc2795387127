"""The competitor pages in a real browser: ``/competitors/`` from the navigation, a
competitor's record page with its Products, Price history and Win/loss panels, the
record rules of a salesperson, the keyboard, phone width, axe-core and screenshots."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from accord import services
from accord.services import Actor
from accord_competitors.services import observe_price
from accord_sales.services import move_opportunity

from browsing import (DESKTOP, PHONE, log_in, no_horizontal_scroll, screenshot,
                      serious_violations)

SYSTEM = Actor.system("test")
TODAY = dt.datetime.now(dt.timezone.utc).date()


def _deal(kernel, name, owner, amount):
    org = services.create(kernel, "organization", {"name": f"{name} GmbH"}, actor=SYSTEM)
    return services.create(kernel, "sales.opportunity", {
        "name": name, "owner_id": owner.id, "organization_id": org.id,
        "amount": {"amount": amount, "currency": "EUR"}}, actor=SYSTEM)


def _story(kernel, maria, tom):
    """Salesflow Cloud with two products and a price history; Maria lost Northwind to
    it, Tom won Kestrel against it and PipeCRM."""
    rival = services.create(kernel, "competitors.competitor", {
        "name": "Salesflow Cloud", "website": "https://salesflow.example",
        "threat_level": "high", "markets": "Mid-market SaaS", "regions": "DACH, Nordics",
        "strengths": "Aggressive pricing", "weaknesses": "Thin support"}, actor=SYSTEM)
    other = services.create(kernel, "competitors.competitor", {
        "name": "PipeCRM", "threat_level": "low", "status": "watch"}, actor=SYSTEM)
    suite = services.create(kernel, "competitors.product", {
        "competitor_id": rival.id, "name": "Salesflow Enterprise", "category": "CRM suite",
        "main_use": "Pipeline management for teams of 50+"}, actor=SYSTEM)
    starter = services.create(kernel, "competitors.product", {
        "competitor_id": rival.id, "name": "Salesflow Starter", "category": "CRM"},
        actor=SYSTEM)
    for product, amount, days, source in (
            (suite, "79.00", 90, "salesflow.example/pricing"),
            (suite, "84.00", 30, "salesflow.example/pricing"),
            (starter, "19.00", 20, "A customer's quote"),
            (suite, "89.00", 3, "Trade fair brochure")):
        observe_price(kernel, product.id, {"amount": amount, "currency": "EUR"},
                      actor=SYSTEM, observed_on=TODAY - dt.timedelta(days=days), source=source)
    lost = _deal(kernel, "Northwind renewal", maria, "24000.00")
    won = _deal(kernel, "Kestrel rollout", tom, "56500.00")
    for deal, competitors in ((lost, (rival,)), (won, (rival, other))):
        for competitor in competitors:
            services.create(kernel, "competitors.involvement", {
                "opportunity_id": deal.id, "competitor_id": competitor.id}, actor=SYSTEM)
    move_opportunity(kernel, lost.id, "Lost", loss_reason="Price: 20% cheaper",
                     details={"lost_to": rival.id}, actor=SYSTEM)
    move_opportunity(kernel, won.id, "Won", win_reason="Better support and onboarding",
                     actor=SYSTEM)
    return rival, other, suite, lost, won


def test_from_the_navigation_to_a_competitor_its_panels_and_a_deal(page, make_user,
                                                                    web_kernel):
    make_user("admin", email="ada@example.com")
    maria, tom = make_user("sales", name="Maria Lopez"), make_user("sales", name="Tom Berg")
    rival, other, suite, lost, won = _story(web_kernel, maria, tom)
    log_in(page, "ada@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Competitors").click()
    expect(page).to_have_url(f"{page.url.split('/competitors')[0]}/competitors/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Competitors")
    rows = page.locator("table.competitors-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("PipeCRM")
    expect(rows.nth(0).locator("td[data-label='Win rate']")).to_have_text("100.00%")
    expect(rows.nth(1).locator("td[data-label='Won']")).to_have_text("1")
    expect(rows.nth(1).locator("td[data-label='Lost']")).to_have_text("1")
    expect(rows.nth(1).locator("td[data-label='Win rate']")).to_have_text("50.00%")
    expect(rows.nth(1).locator("td[data-label='Revenue lost']")).to_have_text("24,000.00 EUR")

    page.get_by_role("link", name="Salesflow Cloud").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Salesflow Cloud")
    products = page.locator("section.panel", has=page.get_by_role("heading", name="Products"))
    expect(products.locator("li")).to_have_count(2)
    expect(products.locator("li").first).to_contain_text("Salesflow Enterprise")
    expect(products.locator("li").first.locator(".competitor-figure")).to_have_text(
        "89.00 EUR")  # the latest
    prices = page.locator("section.panel",
                          has=page.get_by_role("heading", name="Price history"))
    expect(prices.locator(".competitor-figure")).to_have_text(
        ["89.00 EUR", "19.00 EUR", "84.00 EUR", "79.00 EUR"])  # newest first
    winloss = page.locator("section.panel", has=page.get_by_role("heading", name="Win/loss"))
    expect(winloss.locator(".winloss-figures")).to_contain_text("Win rate50.00%")
    expect(winloss.locator("li")).to_have_count(2)

    winloss.get_by_role("link", name="Northwind renewal").click()
    expect(page).to_have_url(f"{page.url.split('/records')[0]}/records/sales.opportunity/"
                             f"{lost.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Northwind renewal")
    page.go_back()
    products = page.locator("section.panel", has=page.get_by_role("heading", name="Products"))
    products.get_by_role("link", name="Salesflow Enterprise").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Salesflow Enterprise")


def test_a_salesperson_sees_the_winloss_of_their_own_deals_only(page, make_user, web_kernel):
    maria = make_user("sales", email="maria@example.com", name="Maria Lopez")
    tom = make_user("sales", name="Tom Berg")
    rival, other, suite, lost, won = _story(web_kernel, maria, tom)
    log_in(page, "maria@example.com")
    page.goto("/competitors/")
    rows = page.locator("table.competitors-table tbody tr")
    expect(rows.nth(0).locator("td[data-label='Deals']")).to_have_text("0")  # Tom's
    expect(rows.nth(1).locator("td[data-label='Win rate']")).to_have_text("0.00%")
    page.goto(f"/records/competitors.competitor/{rival.id}")
    winloss = page.locator("section.panel", has=page.get_by_role("heading", name="Win/loss"))
    expect(winloss.locator("li")).to_have_count(1)
    expect(winloss).to_contain_text("Northwind renewal")
    expect(page.locator("main")).not_to_contain_text("Kestrel rollout")


def test_the_since_date_by_keyboard_and_a_bad_one_beside_the_field(page, make_user,
                                                                   web_kernel):
    make_user("admin", email="ada@example.com")
    maria, tom = make_user("sales"), make_user("sales")
    _story(web_kernel, maria, tom)
    log_in(page, "ada@example.com")
    page.goto("/competitors/")
    page.get_by_label("Deals closed since").focus()
    tomorrow = TODAY + dt.timedelta(days=1)
    page.keyboard.type(f"{tomorrow:%m%d%Y}")  # Chromium's date input: month, day, year
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{page.url.split('?')[0]}?since={tomorrow.isoformat()}")
    rows = page.locator("table.competitors-table tbody tr")
    expect(rows.locator("td[data-label='Deals']")).to_have_text(["0", "0"])
    response = page.goto("/competitors/?since=yesterday")
    assert response.status == 400
    expect(page.locator("#since-err")).to_have_text(
        "Since: Give a date as YYYY-MM-DD, not 'yesterday'.")
    expect(page.get_by_label("Deals closed since")).to_have_attribute("aria-invalid", "true")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_competitor_pages_fit_the_screen_and_pass_axe(new_context, make_user, web_kernel,
                                                          viewport):
    make_user("admin", email="ada@example.com", name="Ada Admin")
    maria, tom = make_user("sales", name="Maria Lopez"), make_user("sales", name="Tom Berg")
    rival, *_ = _story(web_kernel, maria, tom)
    width = "desktop" if viewport == DESKTOP else "phone"
    page = new_context(viewport).new_page()
    log_in(page, "ada@example.com")
    page.goto(f"/records/competitors.competitor/{rival.id}")
    expect(page.get_by_role("heading", level=2, name="Win/loss")).to_be_visible()
    assert no_horizontal_scroll(page), f"the competitor page scrolls sideways at {viewport}"
    assert serious_violations(page) == []
    screenshot(page, f"competitor-{width}")
    page.goto("/competitors/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Competitors")
    assert no_horizontal_scroll(page), f"/competitors/ scrolls sideways at {viewport}"
    assert serious_violations(page) == []
    screenshot(page, f"competitors-{width}")
