"""The sales document pages without a browser (Flask's test client): lead conversion,
the quote editor and its live preview, orders, invoices with payments, the forecast
page, and the forecast and win/loss API routes, each under the reader's record rules."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

import accord_sales.hooks
from accord import services
from accord.models import Contact, Organization
from accord.services import Actor
from accord_sales.models import Invoice, Lead, Opportunity, Payment, Quote
from accord_sales.services import move_opportunity
from accord_sales.services.quotes import send_quote

pytestmark = pytest.mark.plugins(accord_sales.hooks)

SYSTEM = Actor.system("test")
TODAY = dt.datetime.now(dt.timezone.utc).date()


def _user(kernel, email, role):
    return services.create(kernel, "user", {"email": email, "name": email.split("@")[0].title(),
                                            "role": role}, actor=SYSTEM)


def _get(client, url):
    answer = client.get(url)
    return answer.status_code, answer.get_data(as_text=True)


@pytest.fixture
def ada(make_page_client):
    return make_page_client("admin", email="ada@example.com")


def _text(html):
    """The page's text, tags and surplus spaces taken out."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _lines(*rows):
    """Form data of quote lines: each row (description, quantity, unit price, discount,
    tax rate) repeated under the line inputs' names."""
    data = {"product_id": [], "description": [], "quantity": [], "unit_price": [],
            "discount_percent": [], "tax_rate": []}
    for description, quantity, price, discount, tax in rows:
        for name, value in zip(("product_id", "description", "quantity", "unit_price",
                                "discount_percent", "tax_rate"),
                               ("", description, quantity, price, discount, tax)):
            data[name].append(value)
    return data


# Lead conversion ---------------------------------------------------------------------

def test_the_convert_page_is_prefilled_from_the_lead_and_lands_on_the_opportunity(kernel,
                                                                                  ada):
    lead = services.create(kernel, "sales.lead", {
        "name": "Grace Hopper", "company": "Navy Labs", "email": "grace@navy.example",
        "phone": "+1 555 0100"}, actor=SYSTEM)
    status, html = _get(ada, f"/records/sales.lead/{lead.id}")
    assert f'<a href="/sales/leads/{lead.id}/convert">Convert this lead</a>' in html
    status, html = _get(ada, f"/sales/leads/{lead.id}/convert")
    assert status == 200
    assert 'name="contact.first_name" value="Grace"' in html
    assert 'name="contact.last_name" value="Hopper"' in html
    assert 'name="contact.email" value="grace@navy.example"' in html
    assert 'name="org_name" value="Navy Labs"' in html
    assert 'name="opportunity.name" value="Navy Labs"' in html
    answer = ada.post(f"/sales/leads/{lead.id}/convert", {
        "version": lead.version, "contact.first_name": "Grace", "contact.last_name": "Hopper",
        "contact.email": "grace@navy.example", "contact.phone": "+1 555 0100",
        "org_mode": "new", "org_name": "Navy Labs", "create_opportunity": "on",
        "opportunity.name": "Navy Labs compilers", "opportunity.amount": "12500.00",
        "opportunity.currency": "EUR", "opportunity.expected_close_date": "2026-09-30",
        "opportunity.pipeline": "new_business"})
    assert answer.status_code == 302, _text(answer.get_data(as_text=True))
    with kernel.bound():
        stored = Lead.get_by_id(lead.id)
        deal = Opportunity.get_by_id(stored.opportunity_id)
        contact = Contact.get_by_id(stored.contact_id)
        organization = Organization.get_by_id(stored.organization_id)
    assert answer.location.endswith(f"/records/sales.opportunity/{deal.id}")
    assert (deal.name, deal.amount, deal.amount_currency) == ("Navy Labs compilers",
                                                              Decimal("12500.00"), "EUR")
    assert deal.expected_close_date == dt.date(2026, 9, 30)
    assert (contact.first_name, contact.last_name, organization.name) == (
        "Grace", "Hopper", "Navy Labs")
    status, html = _get(ada, f"/records/sales.lead/{lead.id}")
    assert "Converted" in html and f'href="/records/sales.opportunity/{deal.id}"' in html
    assert "Navy Labs compilers</a>" in html  # what it became, by its title


def test_a_refused_conversion_shows_the_message_beside_the_field_and_converts_nothing(
        kernel, ada):
    existing = services.create(kernel, "organization", {"name": "Initech"}, actor=SYSTEM)
    lead = services.create(kernel, "sales.lead", {"name": "Peter Gibbons",
                                                  "company": "Initech"}, actor=SYSTEM)
    status, html = _get(ada, f"/sales/leads/{lead.id}/convert")
    # The lead's company exists: the page offers to link it.
    assert 'value="existing" checked' in html
    assert f'<option value="{existing.id}" selected>Initech</option>' in html
    answer = ada.post(f"/sales/leads/{lead.id}/convert", {
        "version": lead.version, "contact.first_name": "Peter", "contact.last_name": "",
        "org_mode": "existing", "org_existing": str(existing.id),
        "create_opportunity": "on", "opportunity.name": "TPS reports",
        "opportunity.amount": "-5", "opportunity.currency": "EUR",
        "opportunity.pipeline": "new_business"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(r'id="opportunity-amount-err">The amount may not be negative\.', html)
    assert re.search(r'id="contact-last_name-err">[^<]+', html)
    assert 'name="opportunity.name" value="TPS reports"' in html  # what was typed stays
    with kernel.bound():
        assert Lead.get_by_id(lead.id).converted_at is None
        assert Opportunity.select().count() == 0
        assert Organization.select().count() == 1
    answer = ada.post(f"/sales/leads/{lead.id}/convert", {
        "version": lead.version, "contact.first_name": "Peter", "contact.last_name": "Gibbons",
        "org_mode": "existing", "org_existing": str(existing.id)})
    assert answer.status_code == 302
    with kernel.bound():
        stored = Lead.get_by_id(lead.id)
    assert stored.organization_id == existing.id and stored.opportunity_id is None
    assert answer.location.endswith(f"/records/contact/{stored.contact_id}")


def test_a_user_without_the_permission_gets_the_403_page_naming_it(kernel, make_page_client,
                                                                     helpers):
    rita = make_page_client("read-only", email="rita@example.com")
    lead = services.create(kernel, "sales.lead", {"name": "Grace Hopper"}, actor=SYSTEM)
    deal = helpers.opportunity(kernel, "Kestrel rollout")
    status, html = _get(rita, f"/sales/leads/{lead.id}/convert")
    assert status == 403
    assert "rita@example.com (read-only) lacks the permission sales.lead.convert." in html
    assert "Convert this lead" not in _get(rita, f"/records/sales.lead/{lead.id}")[1]
    status, html = _get(rita, f"/sales/quotes/new?opportunity={deal.id}")
    assert status == 403 and "lacks the permission sales.quote.write." in html


# The quote editor ----------------------------------------------------------------------

def test_the_preview_prices_lines_as_the_service_and_save_stores_the_same_totals(kernel, ada,
                                                                                 helpers):
    deal = helpers.opportunity(kernel, "Kestrel rollout")
    status, html = _get(ada, f"/sales/quotes/new?opportunity={deal.id}")
    assert status == 200 and 'value="Quote for Kestrel rollout"' in html
    lines = _lines(("Licences", "3", "99.99", "10", "19"), ("Onboarding day", "1", "850", "", ""))
    preview = ada.post("/sales/quotes/preview", {"currency": "EUR", **lines},
                       headers={"HX-Request": "true"})
    text = _text(preview.get_data(as_text=True))
    # 3 x 99.99 = 299.97 less 10% = 269.97 (half up), tax 19% = 51.29; 850 at the default 0%.
    assert "Subtotal 1,149.97 EUR" in text and "Discounts 30.00 EUR" in text
    assert "Net 1,119.97 EUR" in text and "Tax 51.29 EUR" in text
    assert "Total 1,171.26 EUR" in text
    assert 'id="line-0-amounts"' in preview.get_data(as_text=True)  # each line's, out of band
    assert "Net 269.97 EUR · Total 321.26 EUR" in text
    with kernel.bound():
        assert Quote.select().count() == 0  # a preview writes nothing
    created = ada.post(f"/sales/quotes/new?opportunity={deal.id}", {
        "name": "Kestrel offer", "currency": "EUR", "valid_until": "", **lines})
    assert created.status_code == 302
    with kernel.bound():
        quote = Quote.get()
    assert created.location.endswith(f"/sales/quotes/{quote.id}")
    assert (quote.subtotal, quote.discount_total, quote.net_total, quote.tax_total,
            quote.total) == (Decimal("1149.97"), Decimal("30.00"), Decimal("1119.97"),
                             Decimal("51.29"), Decimal("1171.26"))
    assert quote.opportunity_id == deal.id and quote.organization_id == deal.organization_id


def test_a_product_line_takes_the_products_name_and_price(kernel, ada, helpers):
    seat = helpers.product(kernel, "SEAT", price="49.00", name="CRM seat")
    quote = helpers.quote(kernel, "Offer")
    status, html = _get(ada, f"/sales/quotes/{quote.id}")
    assert f'<option value="{seat.id}">CRM seat (SEAT) · 49.00 EUR</option>' in html
    lines = _lines(("", "10", "", "", ""))
    lines["product_id"] = [str(seat.id)]
    preview = ada.post("/sales/quotes/preview", {"quote_id": quote.id, **lines})
    assert "Total 490.00 EUR" in _text(preview.get_data(as_text=True))
    saved = ada.post(f"/sales/quotes/{quote.id}", {"version": quote.version, "name": "Offer",
                                                   **lines})
    assert saved.status_code == 302
    status, html = _get(ada, f"/sales/quotes/{quote.id}")
    assert 'id="line-0-description" name="description" value="CRM seat"' in html
    assert 'id="line-0-unit_price" name="unit_price" value="49.00"' in html
    with kernel.bound():
        assert Quote.get_by_id(quote.id).total == Decimal("490.00")


def test_a_refused_line_is_shown_beside_it_and_nothing_is_saved(kernel, ada, helpers):
    quote = helpers.quote(kernel, "Offer")
    status, html = _get(ada, f"/sales/quotes/{quote.id}")
    assert 'name="description" value="Consulting day"' in html
    assert "Total 200.00 EUR" in _text(html)
    preview = ada.post("/sales/quotes/preview", {
        "quote_id": quote.id, **_lines(("Consulting day", "2", "100", "", ""),
                                       ("Travel", "1", "", "", ""))})
    text = _text(preview.get_data(as_text=True))
    assert "Unit price: Give the unit price of a line without a product." in text
    assert "The totals show once every line can be priced." in text
    answer = ada.post(f"/sales/quotes/{quote.id}", {
        "version": quote.version, "name": "Offer",
        **_lines(("Consulting day", "0", "100", "", ""))})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="line-0-quantity" name="quantity" value="0" inputmode="decimal" ' \
           'aria-invalid="true"' in html
    assert "Quantity: Must be more than 0 and at most 99999999." in _text(html)
    with kernel.bound():
        assert Quote.get_by_id(quote.id).version == quote.version
    # Adding a line without scripts draws the form again with an empty line, unsaved.
    added = ada.post(f"/sales/quotes/{quote.id}", {
        "version": quote.version, "name": "Offer", "op": "add",
        **_lines(("Consulting day", "2", "100", "", ""))})
    assert added.status_code == 200
    assert 'id="line-1-description"' in added.get_data(as_text=True)


def test_a_quote_changed_meanwhile_is_not_saved_and_a_form_needs_its_token(kernel, ada,
                                                                          helpers):
    quote = helpers.quote(kernel, "Offer")
    services.update(kernel, "sales.quote", quote.id, {"notes": "Changed elsewhere"},
                    actor=SYSTEM)
    answer = ada.post(f"/sales/quotes/{quote.id}", {
        "version": quote.version, "name": "Offer",
        **_lines(("Consulting day", "5", "100", "", ""))})
    assert answer.status_code == 412
    assert "This quote was changed by someone else meanwhile, so nothing was saved." in \
        answer.get_data(as_text=True)
    assert 'name="quantity" value="5"' in answer.get_data(as_text=True)  # kept to redo
    with kernel.bound():
        assert Quote.get_by_id(quote.id).total == Decimal("200.00")
    forged = ada.post(f"/sales/quotes/{quote.id}", {
        "version": quote.version + 1, "name": "Forged",
        **_lines(("Consulting day", "5", "100", "", ""))}, csrf=False)
    assert forged.status_code == 400
    assert "csrf_token" in forged.get_data(as_text=True)
    with kernel.bound():
        assert Quote.get_by_id(quote.id).name == "Offer"


def test_a_sent_quote_is_read_only_and_accepting_it_opens_its_order(kernel, ada, helpers):
    quote = helpers.quote(kernel, "Offer")
    send_quote(kernel, quote.id, actor=SYSTEM)
    status, html = _get(ada, f"/sales/quotes/{quote.id}")
    assert 'id="quote-form"' not in html and 'name="quantity"' not in html
    assert 'aria-label="Accept"' in html and 'aria-label="Reject"' in html
    assert 'aria-label="Send"' not in html
    with kernel.bound():
        version = Quote.get_by_id(quote.id).version
    answer = ada.post(f"/sales/quotes/{quote.id}/actions/accept",
                      {"version": version, "reference": "PO-4711"})
    assert answer.status_code == 302 and "/sales/orders/" in answer.location
    status, html = _get(ada, answer.location.split("localhost")[-1])
    text = _text(html)
    assert "Order PO-4711" in text and "Consulting day" in text and "Total 200.00 EUR" in text


# Orders and invoices --------------------------------------------------------------------

def test_an_invoice_is_issued_and_paid_from_its_page(kernel, ada, helpers):
    order = helpers.order(kernel)
    status, html = _get(ada, f"/sales/orders/{order.id}")
    assert status == 200 and 'aria-label="Draft the invoice"' in html
    answer = ada.post(f"/sales/orders/{order.id}/actions/invoice", {"version": order.version})
    assert answer.status_code == 302
    invoice_url = "/sales/invoices/" + answer.location.rsplit("/", 1)[-1]
    with kernel.bound():
        invoice = Invoice.get()
    status, html = _get(ada, invoice_url)
    assert "Issue the invoice before recording payments." in html
    answer = ada.post(f"{invoice_url}/actions/issue", {"version": invoice.version,
                                                       "issue_date": str(TODAY)})
    assert answer.status_code == 302
    status, html = _get(ada, invoice_url)
    assert re.search(r'id="balance-due">200.00 EUR<', html)
    assert 'id="invoice-status">issued<' in html
    with kernel.bound():
        invoice = Invoice.get()
    too_much = ada.post(f"{invoice_url}/actions/pay", {"version": invoice.version,
                                                       "amount": "250.00"})
    html = too_much.get_data(as_text=True)
    assert too_much.status_code == 422
    assert re.search(r'id="a-pay-amount-err">250.00 EUR is more than the 200.00 EUR due', html)
    paid = ada.post(f"{invoice_url}/actions/pay", {
        "version": invoice.version, "amount": "80.00", "paid_on": str(TODAY),
        "method": "bank transfer", "reference": "TX-1"})
    assert paid.status_code == 302 and paid.location.endswith("#payments")
    status, html = _get(ada, invoice_url)
    assert re.search(r'id="balance-due">120.00 EUR<', html)
    assert 'id="invoice-status">partially paid<' in html
    assert "bank transfer" in html and "80.00 EUR" in html
    with kernel.bound():
        assert [p.amount for p in Payment.select()] == [Decimal("80.00")]


def test_a_salesperson_cannot_open_anothers_documents(kernel, make_page_client, helpers):
    maria = _user(kernel, "maria@example.com", "sales")
    tom = _user(kernel, "tom@example.com", "sales")
    theirs = helpers.quote(kernel, "Tom's offer", owner_id=tom.id)
    invoice = helpers.invoice(kernel, owner_id=tom.id)
    order = helpers.order(kernel, owner_id=tom.id)
    mine = helpers.quote(kernel, "Maria's offer", owner_id=maria.id)
    browser = make_page_client(user=maria)
    status, html = _get(browser, f"/sales/quotes/{theirs.id}")
    assert status == 404 and f"sales.quote {theirs.id} does not exist." in html
    status, html = _get(browser, f"/sales/invoices/{invoice.id}")
    assert status == 404 and f"sales.invoice {invoice.id} does not exist." in html
    status, html = _get(browser, f"/sales/orders/{order.id}")
    assert status == 404 and f"sales.order {order.id} does not exist." in html
    refused = browser.post("/sales/quotes/preview", {"quote_id": theirs.id,
                                                     **_lines(("x", "1", "1", "", ""))})
    assert refused.status_code == 404
    assert _get(browser, f"/sales/quotes/{mine.id}")[0] == 200


# The forecast ----------------------------------------------------------------------------

def _deals(kernel, maria, tom):
    month = TODAY.replace(day=1)
    for name, owner, amount in (("Maria's deal", maria, "10000.00"),
                                ("Tom's deal", tom, "40000.00")):
        services.create(kernel, "sales.opportunity", {
            "name": name, "owner_id": owner.id, "probability": 50,
            "organization_id": _org(kernel, name).id,
            "amount": {"amount": amount, "currency": "EUR"},
            "expected_close_date": str(month + dt.timedelta(days=20))}, actor=SYSTEM)
    return month


def _org(kernel, name):
    return services.create(kernel, "organization", {"name": f"{name} GmbH"}, actor=SYSTEM)


def test_the_forecast_page_counts_what_the_reader_may_see(kernel, make_page_client, ada):
    maria = _user(kernel, "maria@example.com", "sales")
    tom = _user(kernel, "tom@example.com", "sales")
    month = _deals(kernel, maria, tom)
    status, html = _get(ada, "/sales/forecast?months=3")
    row = re.search(rf"<tr><th scope=\"row\" data-label=\"Month\">{month:%Y-%m}</th>(.*?)</tr>",
                    html, re.S)
    assert status == 200 and row
    assert _text(row[1]).split() == ["2", "25,000.00", "EUR", "0.00", "EUR", "50,000.00",
                                     "EUR", "0.00", "EUR"]
    status, html = _get(make_page_client(user=maria), "/sales/forecast?months=3&by=owner")
    assert status == 200
    assert "maria@example.com" in html and "tom@example.com" not in html
    assert "5,000.00 EUR" in html and "25,000.00 EUR" not in html
    status, html = _get(ada, "/sales/forecast?months=99&by=colour&from=May")
    assert status == 400
    assert re.search(r'id="f-months-err" role="alert">Months: Must be greater than or equal '
                     r'to 1 and less than or equal to 36\.', html)
    assert "Group by: Must be one of: owner, team, pipeline." in html
    assert "First month: Give a month as YYYY-MM, not &#39;May&#39;." in html


# The API ----------------------------------------------------------------------------------

def test_api_forecast_is_rule_filtered_and_names_a_bad_parameter(kernel, make_api_client):
    admin = make_api_client("admin")
    maria = make_api_client("sales", email="maria@example.com")
    maria_user = maria.user
    tom = _user(kernel, "tom@example.com", "sales")
    month = _deals(kernel, maria_user, tom)
    everything = admin.get("/api/v1/sales/forecast?months=2")
    assert everything.status_code == 200, everything.json
    first = everything.json["rows"][0]
    assert first["month"] == f"{month:%Y-%m}" and first["opportunities"] == 2
    assert first["weighted"] == {"EUR": "25000.00"}
    assert first["best_case"] == {"EUR": "50000.00"}
    assert everything.json["total"]["weighted"] == {"EUR": "25000.00"}
    own = maria.get("/api/v1/sales/forecast?months=2&by=owner")
    assert own.status_code == 200
    assert {r["group"] for r in own.json["rows"]} == {"maria@example.com"}
    assert own.json["rows"][0]["weighted"] == {"EUR": "5000.00"}
    bad = admin.get("/api/v1/sales/forecast?months=0&from=2026-13&colour=red")
    assert bad.status_code == 400
    assert bad.json["errors"] == {
        "months": ["Must be greater than or equal to 1 and less than or equal to 36."],
        "from": ["give a month as YYYY-MM, not '2026-13'"],
        "colour": ["unknown parameter"]}
    document = admin.get("/api/v1/openapi.json").json
    parameters = document["paths"]["/api/v1/sales/forecast"]["get"]["parameters"]
    assert {p["name"] for p in parameters} == {"months", "from", "by", "products"}


def test_api_win_loss_counts_and_values_by_owner_and_reason(kernel, make_api_client):
    admin = make_api_client("admin")
    maria = make_api_client("sales", email="maria@example.com")
    maria_user = maria.user
    tom = _user(kernel, "tom@example.com", "sales")
    for name, owner, amount, stage, reason in (
            ("A", maria_user, "1000.00", "Won", None), ("B", maria_user, "3000.00", "Lost", "Price"),
            ("C", tom, "5000.00", "Won", None), ("D", tom, "7000.00", "Lost", "Price")):
        deal = services.create(kernel, "sales.opportunity", {
            "name": name, "owner_id": owner.id, "organization_id": _org(kernel, name).id,
            "amount": {"amount": amount, "currency": "EUR"}}, actor=SYSTEM)
        move_opportunity(kernel, deal.id, stage, loss_reason=reason, actor=SYSTEM)
    by_owner = admin.get("/api/v1/sales/win-loss?by=owner")
    assert by_owner.status_code == 200, by_owner.json
    rows = {r["group"]: r for r in by_owner.json["rows"]}
    assert rows["maria@example.com"]["won"] == 1 and rows["maria@example.com"]["lost"] == 1
    assert rows["tom@example.com"]["won_value"] == "5000.00"
    assert rows["tom@example.com"]["win_rate"] == "50.00"
    assert by_owner.json["total"]["lost_value"] == "10000.00"
    by_reason = maria.get("/api/v1/sales/win-loss?by=reason")
    assert by_reason.status_code == 200
    assert [(r["group"], r["won"], r["lost"], r["lost_value"])
            for r in by_reason.json["rows"]] == [("(none)", 1, 0, "0.00"),
                                                 ("Price", 0, 1, "3000.00")]
    monthly = maria.get(f"/api/v1/sales/win-loss?from={TODAY.replace(day=1)}&to={TODAY}")
    assert monthly.json["rows"] == [{
        "group": f"{TODAY:%Y-%m}", "won": 1, "lost": 1, "won_value": "1000.00",
        "lost_value": "3000.00", "won_unconverted": [], "lost_unconverted": [],
        "win_rate": "50.00"}]
    outside = maria.get(f"/api/v1/sales/win-loss?owner_id={tom.id}")
    assert outside.status_code == 422
    assert outside.json["errors"] == {
        "owner_id": [f"there is no user {tom.id} whose records you may read"]}
    bad = admin.get("/api/v1/sales/win-loss?by=colour&from=yesterday")
    assert bad.status_code == 400
    assert set(bad.json["errors"]) == {"by", "from"}
