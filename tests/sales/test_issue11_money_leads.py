"""Issue 11, items 17 and 18: one Money rule and one date rule for every record of
every plugin, and a lead conversion that takes the values of the records it creates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import accord_competitors.hooks
import accord_sales.hooks
from accord import services
from accord.dates import FIRST_DAY, LAST_DAY
from accord.errors import ValidationError
from accord.models import Activity, Contact, Organization
from accord.services import Actor
from accord.services.fields import add_field
from accord_competitors.models import PriceObservation
from accord_competitors.services import observe_price
from accord_sales.models import Invoice, Lead, Opportunity, Payment, Quote
from accord_sales.services import convert_lead
from accord_sales.services.invoices import issue_invoice, pay_invoice

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.plugins(accord_sales.hooks, accord_competitors.hooks)
OPPORTUNITIES = "/api/v1/sales/opportunities"
LEADS = "/api/v1/sales/leads"
CALENDAR = "Give a date from 1900-01-01 to 9899-12-31, not {}."


def _refused(call):
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.messages


def _money(amount, currency="EUR"):
    return {"amount": amount, "currency": currency}


# Item 17: one Money rule ---------------------------------------------------------------

@pytest.mark.parametrize(("amount", "message"), [
    (_money("10", "XYZ"), "Not an ISO 4217 currency code: 'XYZ'."),
    (_money("10", "XAU"), "XAU has no minor unit in ISO 4217 (a metal, a fund or a test "
                          "code); give the currency of the amount, such as EUR."),
    (_money("10.005"), "EUR has 2 decimal places; 10.005 has 3."),
    (_money("10.5", "JPY"), "JPY has no decimal places; 10.5 has 1."),
    (_money("1.0005", "BHD"), "BHD has 3 decimal places; 1.0005 has 4."),
    (_money("1e3"), "Not a valid amount: '1e3' (give digits with an optional point, such "
                    "as '12.50')."),
    (_money("NaN"), "Not a valid amount: 'NaN' (give digits with an optional point, such "
                    "as '12.50')."),
    (_money("Infinity"), "Not a valid amount: 'Infinity' (give digits with an optional "
                         "point, such as '12.50')."),
])
def test_item_17_opportunities_follow_the_one_money_rule(sales, helpers, make_api_client,
                                                         amount, message):
    org = helpers.org(sales)
    client = make_api_client("admin", kernel=sales)
    response = client.post(OPPORTUNITIES, json={"name": "Deal", "organization_id": org.id,
                                                "amount": amount})
    assert helpers.problem(response, 422)["errors"] == {"amount": [message]}
    assert helpers.count(sales, Opportunity) == 0


def test_item_17_amounts_keep_their_currencys_minor_units(sales, helpers, make_api_client):
    org = helpers.org(sales)
    client = make_api_client("admin", kernel=sales)
    shown = {}
    for amount in (_money("1000", "JPY"), _money("1.25", "BHD"), _money("10.500"),
                   _money("12", "eur")):
        response = client.post(OPPORTUNITIES, json={"name": "Deal", "organization_id": org.id,
                                                    "amount": amount})
        assert response.status_code == 201, response.get_json()
        shown[response.get_json()["id"]] = response.get_json()["amount"]
    assert list(shown.values()) == [_money("1000", "JPY"), _money("1.250", "BHD"),
                                    _money("10.50"), _money("12.00")]
    stored = [(d.amount, d.amount_currency) for d in helpers.rows(sales, Opportunity)]
    assert stored == [(Decimal("1000"), "JPY"), (Decimal("1.25"), "BHD"),
                      (Decimal("10.5"), "EUR"), (Decimal("12"), "EUR")]
    # A PATCH is checked by the same rule, and leaves the deal as it was.
    deal = next(iter(shown))
    response = client.patch(f"{OPPORTUNITIES}/{deal}", json={"amount": _money("999.5", "JPY")})
    assert helpers.problem(response, 422)["errors"] == {
        "amount": ["JPY has no decimal places; 999.5 has 1."]}
    assert client.get(f"{OPPORTUNITIES}/{deal}").get_json()["amount"] == _money("1000", "JPY")


def test_item_17_documents_and_opportunities_refuse_the_same_currency(sales, helpers):
    org = helpers.org(sales)
    quote = _refused(lambda: helpers.quote(sales, organization_id=org.id, currency="XYZ"))
    deal = _refused(lambda: helpers.opportunity(sales, organization_id=org.id,
                                                amount=_money("5", "XYZ")))
    contract = _refused(lambda: helpers.contract(sales, organization_id=org.id,
                                                 value="10.005"))
    assert quote == {"currency": ["Not an ISO 4217 currency code: 'XYZ'."]}
    assert deal == {"amount": ["Not an ISO 4217 currency code: 'XYZ'."]}
    assert contract == {"value": ["EUR has 2 decimal places; 10.005 has 3."]}
    assert (helpers.count(sales, Quote), helpers.count(sales, Opportunity)) == (0, 0)
    # A currency in small letters is the same code, kept in capitals.
    assert helpers.quote(sales, organization_id=org.id, currency="jpy").currency == "JPY"


def test_item_17_a_payment_has_no_more_decimals_than_the_invoice_currency(sales, helpers):
    invoice = helpers.invoice(sales, currency="JPY", lines=[
        {"description": "Consulting day", "quantity": "1", "unit_price": "1000"}])
    issue_invoice(sales, invoice.id, actor=SYSTEM)
    assert _refused(lambda: pay_invoice(sales, invoice.id, Decimal("10.50"),
                                        actor=SYSTEM)) == {
        "amount": ["JPY has no decimal places; 10.5 has 1."]}
    assert helpers.count(sales, Payment) == 0
    [stored] = helpers.rows(sales, Invoice)
    assert (stored.status, stored.amount_paid) == ("issued", Decimal("0"))


def test_item_17_competitor_prices_follow_the_same_rule(sales, helpers):
    competitor = services.create(sales, "competitors.competitor", {"name": "Rival Inc"},
                                 actor=SYSTEM)
    product = services.create(sales, "competitors.product", {
        "competitor_id": competitor.id, "name": "Throne"}, actor=SYSTEM)
    for price, message in ((_money("10", "XYZ"), "Not an ISO 4217 currency code: 'XYZ'."),
                           (_money("10.005"), "EUR has 2 decimal places; 10.005 has 3.")):
        assert _refused(lambda: observe_price(sales, product.id, price, actor=SYSTEM)) == {
            "price": [message]}
    assert _refused(lambda: observe_price(sales, product.id, _money("10"), actor=SYSTEM,
                                          observed_on=dt.date(1, 1, 1))) == {
        "observed_on": [CALENDAR.format("0001-01-01")]}
    assert helpers.count(sales, PriceObservation) == 0
    assert services.get(sales, "competitors.product", product.id).version == 1


def test_item_17_custom_decimals_are_plain_numbers_too(sales, helpers, actor):
    add_field(sales, "sales.opportunity", "x_margin", "decimal", actor=actor)
    org = helpers.org(sales)
    for odd in ("1e3", "NaN", "Infinity", "1_000"):
        assert _refused(lambda: helpers.opportunity(sales, organization_id=org.id,
                                                    x_margin=odd)) == {
            "x_margin": ["Not a valid number."]}
    assert helpers.count(sales, Opportunity) == 0
    deal = helpers.opportunity(sales, organization_id=org.id, x_margin="1000.50")
    assert services.dump(sales, "sales.opportunity", deal)["x_margin"] == "1000.50"


# Item 17: one date rule ----------------------------------------------------------------

@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "9900-01-01", "9999-12-31"])
def test_item_17_every_records_dates_share_one_calendar(sales, helpers, actor, day):
    add_field(sales, "contact", "x_first_met", "date", actor=actor)
    org = helpers.org(sales)
    message = [CALENDAR.format(day)]
    refusals = [
        (lambda: helpers.opportunity(sales, organization_id=org.id,
                                     expected_close_date=day), "expected_close_date"),
        (lambda: helpers.quote(sales, organization_id=org.id, valid_until=day),
         "valid_until"),
        (lambda: helpers.contract(sales, organization_id=org.id, start=day), "start_date"),
        (lambda: services.create(sales, "contact", {"last_name": "Ng", "birthday": day},
                                 actor=SYSTEM), "birthday"),
        (lambda: services.create(sales, "contact", {"last_name": "Ng", "x_first_met": day},
                                 actor=SYSTEM), "x_first_met"),
        (lambda: services.update(sales, "organization", org.id, {"customer_since": day},
                                 actor=SYSTEM), "customer_since"),
        (lambda: services.create(sales, "activity", {
            "kind": "call", "subject": "Call", "due_at": f"{day}T12:00:00+00:00"},
            actor=SYSTEM), "due_at"),
    ]
    for call, field in refusals:
        assert _refused(call) == {field: message}, field
    assert (helpers.count(sales, Opportunity), helpers.count(sales, Quote),
            helpers.count(sales, Contact), helpers.count(sales, Activity)) == (0, 0, 0, 0)
    assert services.get(sales, "organization", org.id).version == 1


def test_item_17_the_calendars_ends_are_accepted_everywhere(sales, helpers, cli):
    assert (FIRST_DAY, LAST_DAY) == (dt.date(1900, 1, 1), dt.date(9899, 12, 31))
    org = helpers.org(sales)
    early = helpers.opportunity(sales, organization_id=org.id, expected_close_date="1900-01-01")
    late = helpers.opportunity(sales, organization_id=org.id, expected_close_date="9899-12-31")
    quote = helpers.quote(sales, organization_id=org.id, valid_until="9899-12-31")
    assert (early.expected_close_date, late.expected_close_date, quote.valid_until) == (
        FIRST_DAY, LAST_DAY, LAST_DAY)
    # The commands take the same days as the records (one constant).
    assert cli("jobs", "run", "sales.invoices_overdue", "--date", "9899-12-31").exit_code == 0
    refused = cli("jobs", "run", "sales.invoices_overdue", "--date", "9900-01-01")
    assert refused.exit_code == 2 and "give a day from 1900-01-01 to 9899-12-31" in \
        refused.output


# Item 18: conversion takes the values of the records it creates --------------------------

def _lead(kernel, **fields):
    data = {"name": "Ada Lovelace", "company": "Analytical Engines", "email": "ada@ae.example",
            "source": "referral", **fields}
    return services.create(kernel, "sales.lead", data, actor=SYSTEM)


def _unchanged(kernel, helpers, lead):
    stored = services.get(kernel, "sales.lead", lead.id)
    assert (stored.version, stored.status, stored.converted_at, stored.contact_id,
            stored.organization_id, stored.opportunity_id) == (1, "new", None, None, None, None)
    assert (helpers.count(kernel, Organization), helpers.count(kernel, Contact),
            helpers.count(kernel, Opportunity)) == (0, 0, 0)


def test_item_18_a_required_contact_field_is_given_with_the_conversion(sales, helpers, actor,
                                                                      make_api_client):
    add_field(sales, "contact", "x_req", "text", required=True, actor=actor)
    add_field(sales, "organization", "x_region", "choice", choices=["north", "south"],
              required=True, actor=actor)
    lead = _lead(sales)
    client = make_api_client("admin", kernel=sales)

    missing = client.post(f"{LEADS}/{lead.id}/convert", json={})
    assert helpers.problem(missing, 422)["errors"] == {
        "organization.x_region": ["Missing data for required field."],
        "contact.x_req": ["Missing data for required field."]}
    _unchanged(sales, helpers, lead)

    done = client.post(f"{LEADS}/{lead.id}/convert", json={
        "contact": {"x_req": "a", "title": "Analyst"},
        "organization": {"x_region": "north", "industry": "Engines"},
        "create_opportunity": True,
        "opportunity": {"amount": _money("500"), "expected_close_date": "2027-01-31"}})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    contact = services.dump(sales, "contact", services.get(sales, "contact", body["contact_id"]))
    org = services.dump(sales, "organization",
                        services.get(sales, "organization", body["organization_id"]))
    assert (contact["x_req"], contact["title"], contact["last_name"], contact["email"],
            contact["organization_id"]) == ("a", "Analyst", "Lovelace", "ada@ae.example",
                                            org["id"])
    assert (org["name"], org["x_region"], org["industry"]) == ("Analytical Engines", "north",
                                                               "Engines")
    [deal] = helpers.rows(sales, Opportunity)
    assert (deal.amount, deal.contact_id, body["status"]) == (Decimal("500"), contact["id"],
                                                              "qualified")


def test_item_18_a_refused_conversion_names_each_record_and_writes_nothing(sales, helpers):
    lead = _lead(sales)
    assert _refused(lambda: convert_lead(
        sales, lead.id, actor=SYSTEM, create_opportunity=True,
        organization={"size": -1}, contact={"email": "not an email"},
        opportunity={"amount": _money("1", "XYZ")})) == {
        "organization.size": ["Must be greater than or equal to 0 and less than or equal to "
                              "2147483647."],
        "contact.email": ["Not a valid email address."],
        "opportunity.amount": ["Not an ISO 4217 currency code: 'XYZ'."]}
    _unchanged(sales, helpers, lead)
    assert _refused(lambda: convert_lead(sales, lead.id, actor=SYSTEM,
                                         contact={"organization_id": 1, "colour": "red"})) == {
        "contact.organization_id": ["set by the conversion from the lead"]}
    assert _refused(lambda: convert_lead(sales, lead.id, actor=SYSTEM,
                                         contact={"colour": "red"})) == {
        "contact.colour": ["unknown field 'colour'"]}
    _unchanged(sales, helpers, lead)


def test_item_18_values_for_a_record_the_conversion_links_are_refused(sales, helpers):
    known = services.create(sales, "contact", {"last_name": "Lovelace",
                                               "email": "ADA@ae.example"}, actor=SYSTEM)
    lead = _lead(sales, company=None)
    assert _refused(lambda: convert_lead(sales, lead.id, actor=SYSTEM,
                                         contact={"title": "Analyst"})) == {
        "contact": ["a contact with that email exists: the conversion links it instead of "
                    "creating one, so it takes no contact values (title); change that "
                    "contact itself"]}
    stored = services.get(sales, "contact", known.id)
    assert (stored.version, stored.title) == (1, None)
    assert services.get(sales, "sales.lead", lead.id).converted_at is None
    # Without values it is linked, as before.
    done = convert_lead(sales, lead.id, actor=SYSTEM)
    assert (done.contact_id, done.organization_id) == (known.id, None)


def test_item_18_a_lead_without_company_gets_the_organization_it_is_given(sales, helpers):
    lead = _lead(sales, company=None)
    assert _refused(lambda: convert_lead(sales, lead.id, actor=SYSTEM,
                                         organization={"industry": "Engines"})) == {
        "organization.name": ["Missing data for required field."]}
    _unchanged(sales, helpers, lead)
    done = convert_lead(sales, lead.id, actor=SYSTEM,
                        organization={"name": "Difference Engines", "industry": "Engines"})
    org = services.get(sales, "organization", done.organization_id)
    contact = services.get(sales, "contact", done.contact_id)
    assert (org.name, org.industry, contact.organization_id) == ("Difference Engines",
                                                                 "Engines", org.id)
    with sales.bound():
        assert Lead.get_by_id(lead.id).status == "qualified"
