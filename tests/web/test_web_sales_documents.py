"""The sales document pages in a real browser: converting a lead, building a quote
with live totals, issuing and paying an invoice, the forecast, a salesperson kept
out of another's documents, phone width, axe-core and screenshots."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from playwright.sync_api import expect

from accord import services
from accord.services import Actor
from accord_sales.models import Invoice, Lead, Quote

from browsing import PHONE, log_in, no_horizontal_scroll, screenshot, serious_violations

SYSTEM = Actor.system("test")
TODAY = dt.datetime.now(dt.timezone.utc).date()


def _deal(kernel, name, owner, amount="24000.00", **extra):
    org = services.create(kernel, "organization", {"name": f"{name} GmbH"}, actor=SYSTEM)
    return services.create(kernel, "sales.opportunity", {
        "name": name, "owner_id": owner.id, "organization_id": org.id,
        "amount": {"amount": amount, "currency": "EUR"}, **extra}, actor=SYSTEM)


def _fill_line(page, index, description, quantity, price, discount="", tax=""):
    page.locator(f"#line-{index}-description").fill(description)
    page.locator(f"#line-{index}-quantity").fill(quantity)
    page.locator(f"#line-{index}-unit_price").fill(price)
    page.locator(f"#line-{index}-discount_percent").fill(discount)
    page.locator(f"#line-{index}-tax_rate").fill(tax)


def test_convert_a_lead_and_land_on_its_opportunity(page, make_user, web_kernel):
    maria = make_user("sales", email="maria@example.com", name="Maria Lopez")
    lead = services.create(web_kernel, "sales.lead", {
        "name": "Grace Hopper", "company": "Navy Labs", "email": "grace@navy.example",
        "owner_id": maria.id}, actor=SYSTEM)
    log_in(page, "maria@example.com")
    page.goto(f"/records/sales.lead/{lead.id}")
    page.get_by_role("link", name="Convert this lead").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Convert Grace Hopper")
    expect(page.get_by_label("First name")).to_have_value("Grace")
    expect(page.get_by_label("Name of the new organization")).to_have_value("Navy Labs")
    page.locator("#opportunity-amount").fill("-3")
    page.get_by_role("button", name="Convert the lead").click()
    expect(page.locator("#opportunity-amount-err")).to_have_text(
        "The amount may not be negative.")
    screenshot(page, "convert-desktop")
    assert serious_violations(page) == []
    page.locator("#opportunity-amount").fill("12500")
    page.locator("#opportunity-name").fill("Navy Labs compilers")
    page.get_by_role("button", name="Convert the lead").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Navy Labs compilers")
    with web_kernel.bound():
        stored = Lead.get_by_id(lead.id)
    assert stored.converted_at is not None
    expect(page).to_have_url(re.compile(rf"/records/sales.opportunity/{stored.opportunity_id}$"))
    expect(page.locator(".flash")).to_contain_text("Converted Grace Hopper.")


def test_build_a_quote_with_live_totals_and_save_it(page, make_user, web_kernel):
    maria = make_user("sales", email="maria@example.com", name="Maria Lopez")
    deal = _deal(web_kernel, "Kestrel rollout", maria)
    log_in(page, "maria@example.com")
    page.goto(f"/records/sales.opportunity/{deal.id}")
    quotes = page.locator("section.panel", has=page.get_by_role("heading", name="Quotes"))
    quotes.get_by_role("link", name="New quote").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New quote")
    page.get_by_label("Name").first.fill("Kestrel offer")
    _fill_line(page, 0, "Licences", "3", "99.99", "10", "19")
    totals = page.locator("#quote-totals")
    # Priced by the server as the service prices, before anything is saved.
    expect(totals.locator("[data-total=total]")).to_have_text("321.26 EUR")
    expect(page.locator("#line-0-amounts")).to_contain_text("Net 269.97 EUR")
    page.get_by_role("button", name="Add a line").click()
    expect(page.locator("#line-1-product_id")).to_be_focused()  # the new line
    _fill_line(page, 1, "Onboarding day", "1", "850")
    expect(totals.locator("[data-total=total]")).to_have_text("1,171.26 EUR")
    expect(totals.locator("[data-total=discount_total]")).to_have_text("30.00 EUR")
    with web_kernel.bound():
        assert Quote.select().count() == 0
    screenshot(page, "quote-desktop")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Create the quote").click()
    expect(page.locator(".flash")).to_contain_text("Quote created.")
    with web_kernel.bound():
        quote = Quote.get()
    assert (quote.net_total, quote.tax_total, quote.total) == (
        Decimal("1119.97"), Decimal("51.29"), Decimal("1171.26"))
    expect(page.locator("#quote-totals [data-total=total]")).to_have_text("1,171.26 EUR")
    # Remove the first line; the totals follow, and Save stores what they show.
    page.get_by_role("button", name="Remove line 1").click()
    expect(page.locator("#line-1-description")).to_have_count(0)
    expect(page.locator("#quote-totals [data-total=total]")).to_have_text("850.00 EUR")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Saved.")
    with web_kernel.bound():
        assert Quote.get_by_id(quote.id).total == Decimal("850.00")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#quote-status")).to_have_text("sent")
    expect(page.locator("#quote-form")).to_have_count(0)
    expect(page.get_by_role("button", name="Accept")).to_be_visible()


def test_the_quote_editor_at_phone_width(new_context, make_user, web_kernel):
    maria = make_user("sales", email="maria@example.com", name="Maria Lopez")
    deal = _deal(web_kernel, "Northwind renewal", maria)
    quote = services.create(web_kernel, "sales.quote", {
        "name": "Northwind offer", "opportunity_id": deal.id, "owner_id": maria.id,
        "lines": [{"description": "Seats", "quantity": "25", "unit_price": "49.00",
                   "tax_rate": "19"},
                  {"description": "Training", "quantity": "2", "unit_price": "900.00",
                   "discount_percent": "5"}]}, actor=SYSTEM)
    page = new_context(viewport=PHONE).new_page()
    log_in(page, "maria@example.com")
    page.goto(f"/sales/quotes/{quote.id}")
    expect(page.locator("#quote-totals [data-total=total]")).to_have_text("3,167.75 EUR")
    page.locator("#line-0-quantity").fill("30")
    expect(page.locator("#quote-totals [data-total=total]")).to_have_text("3,459.30 EUR")
    assert no_horizontal_scroll(page)
    screenshot(page, "quote-phone")
    assert serious_violations(page) == []


def test_issue_an_invoice_and_record_a_payment(page, make_user, web_kernel):
    maria = make_user("sales", email="maria@example.com", name="Maria Lopez")
    org = services.create(web_kernel, "organization", {"name": "Kestrel AG"}, actor=SYSTEM)
    order = services.create(web_kernel, "sales.order", {
        "organization_id": org.id, "owner_id": maria.id, "reference": "PO-4711",
        "lines": [{"description": "Seats", "quantity": "10", "unit_price": "100.00",
                   "tax_rate": "19"}]}, actor=SYSTEM)
    log_in(page, "maria@example.com")
    page.goto(f"/sales/orders/{order.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Order PO-4711")
    page.get_by_role("button", name="Draft the invoice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Draft invoice #\d+"))
    page.get_by_role("button", name="Issue").click()
    status = page.locator("#invoice-status")
    expect(status).to_have_text("issued")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Invoice INV-"))
    expect(page.locator("#balance-due")).to_have_text("1,190.00 EUR")
    payment = page.get_by_role("form", name="Record a payment")
    payment.get_by_label("Amount").fill("2000")
    payment.get_by_role("button", name="Record a payment").click()
    expect(page.locator("#a-pay-amount-err")).to_contain_text(
        "2000.00 EUR is more than the 1190.00 EUR due")
    payment = page.get_by_role("form", name="Record a payment")
    payment.get_by_label("Amount").fill("500")
    payment.get_by_label("Method").fill("bank transfer")
    payment.get_by_role("button", name="Record a payment").click()
    expect(page.locator("#balance-due")).to_have_text("690.00 EUR")
    expect(status).to_have_text("partially paid")
    expect(page.locator("table.payments tbody tr")).to_have_count(1)
    expect(page.locator("table.payments")).to_contain_text("bank transfer")
    screenshot(page, "invoice-desktop")
    assert serious_violations(page) == []
    payment = page.get_by_role("form", name="Record a payment")
    payment.get_by_label("Amount").fill("690")
    payment.get_by_role("button", name="Record a payment").click()
    expect(status).to_have_text("paid")
    expect(page.locator("#balance-due")).to_have_text("0.00 EUR")
    expect(page.get_by_role("form", name="Record a payment")).to_have_count(0)
    with web_kernel.bound():
        assert Invoice.get().status == "paid"


def test_a_salesperson_cannot_open_anothers_quote_or_invoice(page, make_user, web_kernel):
    make_user("sales", email="maria@example.com", name="Maria Lopez")
    tom = make_user("sales", email="tom@example.com", name="Tom Berg")
    deal = _deal(web_kernel, "Tom's deal", tom)
    quote = services.create(web_kernel, "sales.quote", {
        "name": "Tom's offer", "opportunity_id": deal.id, "owner_id": tom.id,
        "lines": [{"description": "Seats", "quantity": "1", "unit_price": "10"}]},
        actor=SYSTEM)
    invoice = services.create(web_kernel, "sales.invoice", {
        "organization_id": deal.organization_id, "owner_id": tom.id,
        "lines": [{"description": "Seats", "quantity": "1", "unit_price": "10"}]},
        actor=SYSTEM)
    log_in(page, "maria@example.com")
    answer = page.goto(f"/sales/quotes/{quote.id}")
    assert answer.status == 404
    expect(page.locator("main")).to_contain_text(f"sales.quote {quote.id} does not exist.")
    expect(page.locator("main")).not_to_contain_text("Tom's offer")
    answer = page.goto(f"/sales/invoices/{invoice.id}")
    assert answer.status == 404
    expect(page.locator("main")).to_contain_text(f"sales.invoice {invoice.id} does not exist.")


def test_the_forecast_page(page, make_user, web_kernel):
    make_user("admin", email="ada@example.com")
    maria = make_user("sales", name="Maria Lopez")
    tom = make_user("sales", name="Tom Berg")
    month = TODAY.replace(day=1)
    _deal(web_kernel, "Northwind renewal", maria, "24000.00", probability=60,
          expected_close_date=str(month + dt.timedelta(days=10)))
    _deal(web_kernel, "Kestrel rollout", tom, "56500.00", probability=80,
          expected_close_date=str(month + dt.timedelta(days=40)))
    log_in(page, "ada@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Forecast").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forecast")
    table = page.locator("table.forecast-table")
    expect(table.locator("tbody tr")).to_have_count(6)
    expect(table.locator("tfoot tr.forecast-total td[data-label=Weighted]")).to_have_text(
        "59,600.00 EUR")
    page.get_by_label("Group by").select_option("owner")
    page.get_by_role("button", name="Show").click()
    expect(table.locator("tbody tr")).to_have_count(12)
    screenshot(page, "forecast-desktop")
    assert serious_violations(page) == []
    page.goto("/sales/forecast?months=40")
    expect(page.locator("#f-months-err")).to_contain_text(
        "Months: Must be greater than or equal to 1 and less than or equal to 36.")


def test_the_document_pages_at_phone_width(new_context, make_user, web_kernel):
    maria = make_user("sales", email="maria@example.com", name="Maria Lopez")
    lead = services.create(web_kernel, "sales.lead", {
        "name": "Ada Lovelace", "company": "Analytical Engines Ltd", "owner_id": maria.id,
        "email": "ada@engines.example"}, actor=SYSTEM)
    org = services.create(web_kernel, "organization", {"name": "Kestrel AG"}, actor=SYSTEM)
    order = services.create(web_kernel, "sales.order", {
        "organization_id": org.id, "owner_id": maria.id, "reference": "PO-4711",
        "lines": [{"description": "Seats for the whole sales department", "quantity": "10",
                   "unit_price": "100.00", "tax_rate": "19", "discount_percent": "5"}]},
        actor=SYSTEM)
    invoice = services.create(web_kernel, "sales.invoice", {
        "organization_id": org.id, "owner_id": maria.id,
        "lines": [{"description": "Seats", "quantity": "10", "unit_price": "100.00"}]},
        actor=SYSTEM)
    _deal(web_kernel, "Northwind renewal", maria, "24000.00", probability=60,
          expected_close_date=str(TODAY))
    page = new_context(viewport=PHONE).new_page()
    log_in(page, "maria@example.com")
    for url, heading, name in (
            (f"/sales/leads/{lead.id}/convert", "Convert Ada Lovelace", "convert-phone"),
            (f"/sales/orders/{order.id}", "Order PO-4711", "order-phone"),
            (f"/sales/invoices/{invoice.id}", f"Draft invoice #{invoice.id}", "invoice-phone"),
            ("/sales/forecast", "Forecast", "forecast-phone")):
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert no_horizontal_scroll(page), url
        screenshot(page, name)
        assert serious_violations(page) == [], url
