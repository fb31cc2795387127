"""Customer value in a real browser: a marketer opens it from the navigation, reads the
three figures and the Pareto curve, clicks a lifecycle stage and sees its customers,
opens one and finds the "Value and lifecycle" panel; at phone width too."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

import accord_marketing.hooks
import accord_sales.hooks
from accord import services
from accord.services import Actor

from browsing import PHONE, log_in, no_horizontal_scroll, screenshot, serious_violations

SYSTEM = Actor.system("test")


@pytest.fixture
def web_kernel(make_kernel):
    return make_kernel(plugins=[accord_marketing.hooks, accord_sales.hooks],
                       enable=["sales", "marketing"])


def _order(kernel, days_ago, amount, org_id):
    services.create(kernel, "sales.order", {
        "organization_id": org_id,
        "order_date": dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=days_ago),
        "lines": [{"description": "Goods", "quantity": "1", "unit_price": amount}]},
        actor=SYSTEM)


def test_a_marketer_reads_the_figures_a_stage_and_a_customers_panel(web_kernel,
                                                                    new_context,
                                                                    make_user):
    make_user("marketing", email="mia@example.com", name="Mia Marketer")
    orgs = {name: services.create(web_kernel, "organization", {"name": name},
                                  actor=SYSTEM).id
            for name in ("Northwind Traders", "Contoso Pharma", "Fabrikam Tools",
                         "Tailspin Toys", "Quiet Prospect Ltd")}
    for days in (90, 60, 30):
        _order(web_kernel, days, "12000.00", orgs["Northwind Traders"])
    _order(web_kernel, 20, "4500.00", orgs["Contoso Pharma"])
    _order(web_kernel, 400, "900.00", orgs["Fabrikam Tools"])
    _order(web_kernel, 10, "350.00", orgs["Tailspin Toys"])

    page = new_context().new_page()
    log_in(page, "mia@example.com")
    page.get_by_role("link", name="Customer value").click()
    expect(page.locator("h1")).to_have_text("Customer value")
    expect(page.locator("#value-total")).to_contain_text("Total profit of 5 customers")
    expect(page.locator("#value-total")).to_contain_text("40,850.00 EUR")
    expect(page.locator("#value-top20")).to_contain_text("88.13%")
    expect(page.locator("#value-bottom30")).to_contain_text("0.00 EUR")
    expect(page.locator("#value-curve")).to_be_visible()
    expect(page.locator("#top-table tbody tr").first).to_contain_text("Northwind Traders")
    expect(page.locator("#stage-lost")).to_have_text("Lost: 1")
    assert serious_violations(page) == []
    screenshot(page, "marketing-value")
    page.locator("#stage-repeat").click()
    customers = page.locator("#customers")
    expect(customers.get_by_role("heading")).to_have_text(
        "Repeat customer: the most profitable first")
    expect(customers.locator("td[data-label='Customer']")).to_have_text(
        "Northwind Traders (organization)")
    expect(page.locator("#stage-repeat")).to_have_attribute("aria-current", "true")
    customers.get_by_role("link", name="Northwind Traders").click()
    expect(page.locator("#value-stage")).to_contain_text("Repeat customer")
    expect(page.locator("#value-rank")).to_have_text("1 of 5 customers (top 20%)")
    screenshot(page, "marketing-value-panel")

    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, "mia@example.com")
    phone.goto("/marketing/value?stage=new#customers")
    expect(phone.locator("#customers")).to_contain_text("Contoso Pharma")
    assert no_horizontal_scroll(phone)
    screenshot(phone, "marketing-value-phone")
    phone.goto(f"/records/organization/{orgs['Fabrikam Tools']}")
    expect(phone.locator("#value-stage")).to_contain_text("Lost")
    assert no_horizontal_scroll(phone)
    screenshot(phone, "marketing-value-panel-phone")
