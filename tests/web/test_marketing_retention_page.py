"""The retention page in a real browser: a marketer opens it from the navigation, reads
the repeat rate and lifetime value, the cohort heat map, the customers due to buy or
at risk (and follows one), and asks what the buyers of a product also bought; at phone
width too. With sales off, the page says why every figure is empty."""

from __future__ import annotations

import datetime as dt
import re

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


def _order(kernel, day, amount, org_id, product=None):
    line = {"description": "Goods", "quantity": "1", "unit_price": amount}
    if product is not None:
        line["product_id"] = product
    services.create(kernel, "sales.order", {"organization_id": org_id, "order_date": day,
                                            "lines": [line]}, actor=SYSTEM)


def _shop(kernel):
    today = dt.datetime.now(dt.timezone.utc).date()
    products = {name: services.create(kernel, "product", {"sku": sku, "name": name},
                                      actor=SYSTEM).id
                for sku, name in (("SEAT", "Seats"), ("SUP", "Premium support"),
                                  ("TRN", "Training day"))}
    orgs = {name: services.create(kernel, "organization", {"name": name}, actor=SYSTEM).id
            for name in ("Northwind Traders", "Contoso Pharma", "Fabrikam Tools",
                         "Tailspin Toys")}
    # Northwind every 30 days, 40 since (due); Contoso every 10 days, 45 since (at risk);
    # Fabrikam every 60 days, 5 since; Tailspin once.
    _order(kernel, today - dt.timedelta(days=70), "12500.00", orgs["Northwind Traders"],
           products["Seats"])
    _order(kernel, today - dt.timedelta(days=40), "2500.00", orgs["Northwind Traders"],
           products["Premium support"])
    _order(kernel, today - dt.timedelta(days=55), "800.00", orgs["Contoso Pharma"],
           products["Seats"])
    _order(kernel, today - dt.timedelta(days=45), "800.00", orgs["Contoso Pharma"],
           products["Training day"])
    _order(kernel, today - dt.timedelta(days=125), "3000.00", orgs["Fabrikam Tools"],
           products["Seats"])
    _order(kernel, today - dt.timedelta(days=65), "3000.00", orgs["Fabrikam Tools"],
           products["Premium support"])
    _order(kernel, today - dt.timedelta(days=5), "3000.00", orgs["Fabrikam Tools"])
    _order(kernel, today - dt.timedelta(days=3), "400.00", orgs["Tailspin Toys"])
    return orgs, products


def test_a_marketer_reads_retention_and_follows_a_customer(web_kernel, new_context,
                                                           make_user):
    make_user("marketing", email="mia@example.com", name="Mia Marketer")
    orgs, _ = _shop(web_kernel)
    page = new_context().new_page()
    log_in(page, "mia@example.com")
    page.get_by_role("link", name="Retention").click()
    expect(page.locator("h1")).to_have_text("Retention")
    expect(page.locator("#ret-repeat")).to_contain_text("75.00%")
    expect(page.locator("#ret-repeat")).to_contain_text("3 of 4 customers")
    # (15000 + 1600 + 9000 + 400) / 4
    expect(page.locator("#ret-clv")).to_contain_text("6,500.00 EUR")
    expect(page.locator("#ret-counts")).to_contain_text("1 at risk")
    expect(page.locator("#ret-counts")).to_contain_text("1 due to buy")
    expect(page.locator("#cohorts tbody tr")).to_have_count(12)
    expect(page.locator("#cohorts td[data-retention='100.00']").first).to_be_visible()
    expect(page.locator("#retention-curve")).to_be_visible()
    expect(page.locator("#retention-curve circle").first).to_be_visible()
    rows = page.locator("#due-list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td[data-label='Customer']")).to_have_text(
        "Contoso Pharma (organization)")
    expect(rows.nth(0).locator("td[data-label='Status']")).to_have_text("At risk")
    expect(rows.nth(1).locator("td[data-label='Usual interval']")).to_have_text("30.0 days")
    assert serious_violations(page) == []
    screenshot(page, "marketing-retention")

    page.get_by_label("Product").select_option(label="Seats")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#also-summary")).to_have_text("3 customers bought Seats.")
    also = page.locator("#also-list tbody tr")
    expect(also).to_have_count(2)
    expect(also.nth(0)).to_contain_text("Premium support")
    expect(also.nth(0).locator("td[data-label='Customers']")).to_have_text("2")
    expect(also.nth(1)).to_contain_text("Training day")
    screenshot(page, "marketing-retention-also-bought")

    page.get_by_label("Show", exact=True).select_option("due")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#due-list tbody tr")).to_have_count(1)
    page.locator("#due-list").get_by_role("link", name="Northwind Traders").click()
    expect(page).to_have_url(re.compile(
        rf"/records/organization/{orgs['Northwind Traders']}$"))
    expect(page.locator("main")).to_contain_text("Northwind Traders")

    phone = new_context(viewport=PHONE).new_page()
    log_in(phone, "mia@example.com")
    phone.goto("/marketing/retention")
    expect(phone.locator("#due-list")).to_contain_text("Contoso Pharma")
    screenshot(phone, "marketing-retention-phone")
    assert no_horizontal_scroll(phone)


def test_without_sales_the_page_says_why(web_kernel, new_context, make_user):
    from accord.services.plugins import disable

    disable(web_kernel, "sales", actor=SYSTEM)
    make_user("marketing", email="mia@example.com", name="Mia Marketer")
    page = new_context().new_page()
    log_in(page, "mia@example.com")
    page.goto("/marketing/retention")
    expect(page.locator("#ret-note")).to_have_text(
        "No figures: no purchase facts: the sales plugin is not enabled.")
    expect(page.locator("#ret-repeat")).to_contain_text("0.00%")
    expect(page.locator("#ret-clv")).to_contain_text("0.00 EUR")
    expect(page.locator("#due-empty")).to_be_visible()
    expect(page.locator("#also-none")).to_have_text("No products were bought yet.")
    screenshot(page, "marketing-retention-no-sales")
