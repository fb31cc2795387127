"""The value-tier matrix in a real browser: a marketer opens it from the navigation,
reads each cell's count and order value and the movements, clicks a cell and sees its
customers; at phone width too. With sales off, the page says why everyone is A."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

import accord_marketing.hooks
import accord_sales.hooks
from accord import services
from accord.services import Actor
from accord_marketing.services.tiers import compute_tiers

from browsing import PHONE, log_in, no_horizontal_scroll, screenshot, serious_violations

SYSTEM = Actor.system("test")


@pytest.fixture
def web_kernel(make_kernel):
    return make_kernel(plugins=[accord_marketing.hooks, accord_sales.hooks],
                       enable=["sales", "marketing"])


def _order(kernel, day, amount, org_id):
    services.create(kernel, "sales.order", {
        "organization_id": org_id, "order_date": day,
        "lines": [{"description": "Goods", "quantity": "1", "unit_price": amount}]},
        actor=SYSTEM)


def test_a_marketer_opens_the_matrix_and_a_cells_customers(web_kernel, new_context,
                                                            make_user):
    make_user("marketing", email="mia@example.com", name="Mia Marketer")
    today = dt.datetime.now(dt.timezone.utc).date()
    orgs = {name: services.create(web_kernel, "organization", {"name": name},
                                  actor=SYSTEM).id
            for name in ("Northwind Traders", "Contoso Pharma", "Fabrikam Tools",
                         "Tailspin Toys", "Quiet Prospect Ltd")}
    compute_tiers(web_kernel, actor=SYSTEM, day=today - dt.timedelta(days=30))
    for n in range(3):
        _order(web_kernel, today - dt.timedelta(days=2 + n), "6000.00",
               orgs["Northwind Traders"])
    _order(web_kernel, today - dt.timedelta(days=9), "12000.00", orgs["Contoso Pharma"])
    _order(web_kernel, today - dt.timedelta(days=20), "450.00", orgs["Fabrikam Tools"])
    for n in range(4):
        _order(web_kernel, today - dt.timedelta(days=5 + n), "100.00", orgs["Tailspin Toys"])
    compute_tiers(web_kernel, actor=SYSTEM, day=today)

    page = new_context().new_page()
    log_in(page, "mia@example.com")
    page.get_by_role("link", name="Value tiers").click()
    expect(page.locator("h1")).to_have_text("Value tiers")
    expect(page.locator("#tier-E")).to_contain_text("1 customer")
    expect(page.locator("#tier-E")).to_contain_text("Order value 18,000.00 EUR")
    expect(page.locator("#tier-A")).to_contain_text("1 customer")
    expect(page.locator("#movements")).to_contain_text("1 from A to E")
    assert serious_violations(page) == []
    screenshot(page, "marketing-tiers")
    page.locator("#tier-D").click()
    customers = page.locator("#customers")
    expect(customers.get_by_role("heading")).to_have_text("Tier D: Low value, many orders")
    expect(customers.locator("td[data-label='Customer']")).to_have_text(
        "Tailspin Toys (organization)")
    expect(customers.locator("td[data-label='Orders']")).to_have_text("4")
    expect(page.locator("#tier-D")).to_have_attribute("aria-current", "true")
    screenshot(page, "marketing-tiers-cell")
    customers.get_by_role("link", name="Tailspin Toys").click()
    expect(page.locator("main")).to_contain_text("Tailspin Toys")

    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, "mia@example.com")
    phone.goto("/marketing/tiers?tier=C#customers")
    expect(phone.locator("#customers")).to_contain_text("Contoso Pharma")
    assert no_horizontal_scroll(phone)
    screenshot(phone, "marketing-tiers-phone")


def test_without_sales_the_page_says_why_everyone_is_a(make_kernel, new_context, make_user,
                                                       web_kernel):
    from accord.services.plugins import disable

    disable(web_kernel, "sales", actor=SYSTEM)
    make_user("marketing", email="mia@example.com", name="Mia Marketer")
    services.create(web_kernel, "organization", {"name": "Acme"}, actor=SYSTEM)
    page = new_context().new_page()
    log_in(page, "mia@example.com")
    page.goto("/marketing/tiers")
    expect(page.locator("#tier-period")).to_have_text("The tiers were never computed.")
    page.get_by_role("button", name="Recompute now").click()
    expect(page.locator("#tier-note")).to_have_text(
        "Every customer is A: no purchase facts: the sales plugin is not enabled.")
    expect(page.locator("#tier-A")).to_contain_text("1 customer")
    screenshot(page, "marketing-tiers-no-sales")
