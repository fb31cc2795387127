"""The list pages without a browser: the CSV export (formula-safe cells, masking, the
record rules), permission refusals, bad filters and the bulk assignment's refusals."""

from __future__ import annotations

import re

import csv
import io
from decimal import Decimal

import pytest

from accord import services
from accord.pages.lists import csv_cell
from accord.services import Actor
from accord.services.fields import add_field
from accord.web import create_app

SYSTEM = Actor.system("test")


def _user(kernel, email, role):
    return services.create(kernel, "user", {"email": email, "name": email.split("@")[0].title(),
                                            "role": role}, actor=SYSTEM)


def _deal(kernel, name, owner, **extra):
    org = services.create(kernel, "organization", {"name": f"{name} GmbH"}, actor=SYSTEM)
    return services.create(kernel, "sales.opportunity", {
        "name": name, "owner_id": owner.id, "organization_id": org.id, **extra}, actor=SYSTEM)


def _rows(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def sales_kernel(make_kernel):
    return make_kernel(plugins=["sales", "competitors"], enable=["sales", "competitors"])

def test_csv_cell_quotes_what_a_spreadsheet_would_run():
    assert [csv_cell(v) for v in ("=1+2", "+49 30 1234", "-x", "@SUM(A1)", "\tx", "plain",
                                  "a=b")] == \
        ["'=1+2", "'+49 30 1234", "'-x", "'@SUM(A1)", "'\tx", "plain", "a=b"]


def test_csv_export_is_formula_safe_masked_and_follows_the_filter(kernel, make_page_client):
    admin = make_page_client("admin", email="ada@example.com")
    reader = make_page_client("read-only", email="rita@example.com")
    add_field(kernel, "contact", "x_tier", "text", actor=SYSTEM)
    services.create(kernel, "contact", {
        "first_name": "=HYPERLINK(\"http://evil.example\")", "last_name": "+Plus",
        "email": "mallory@example.com", "title": "@SUM(A1)", "x_tier": "gold"}, actor=SYSTEM)
    services.create(kernel, "contact", {"last_name": "Silverman", "x_tier": "silver",
                                        "email": "s@example.com"}, actor=SYSTEM)
    rows = _rows(admin.get("/records/contact.csv?x_tier=gold&fields=first_name,last_name,"
                           "email,title,x_tier"))
    assert rows[0] == ["id", "first_name", "last_name", "email", "title", "x_tier"]
    assert rows[1][1:] == ["'=HYPERLINK(\"http://evil.example\")", "'+Plus",
                           "mallory@example.com", "'@SUM(A1)", "gold"]
    assert len(rows) == 2  # the silver one is filtered out
    # A reader without core.personal_data.read gets the email masked, as from the API.
    rows = _rows(reader.get("/records/contact.csv?sort=last_name&fields=last_name,email"))
    assert [r[1:] for r in rows] == [["last_name", "email"], ["'+Plus", ""], ["Silverman", ""]]
    api = create_app(kernel).test_client()
    assert api.get("/records/contact.csv").status_code == 302  # no session: the login


def test_csv_and_list_refuse_without_the_permission(sales_kernel, make_page_client):
    client = make_page_client("service", email="sam@example.com",  # no sales.* grant
                              kernel=sales_kernel)
    for url in ("/records/sales.opportunity", "/records/sales.opportunity.csv"):
        response = client.get(url)
        assert response.status_code == 403
        assert "sam@example.com (service) lacks the permission sales.opportunity.read." \
            in response.get_data(as_text=True)
        assert "text/csv" not in response.content_type
    response = client.get("/records/nothing.csv")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


def test_csv_of_a_sales_user_holds_only_their_own_opportunities(sales_kernel,
                                                                 make_page_client):
    maria = _user(sales_kernel, "maria@example.com", "sales")
    tom = _user(sales_kernel, "tom@example.com", "sales")
    for name, owner in (("Mine", maria), ("=Tom's", tom), ("Mine too", maria)):
        _deal(sales_kernel, name, owner, amount={"amount": "1250.00", "currency": "EUR"})
    client = make_page_client(user=maria, kernel=sales_kernel)
    rows = _rows(client.get("/records/sales.opportunity.csv?sort=name&fields=name,amount,"
                            "owner_id"))
    assert rows[0] == ["id", "name", "amount", "amount_currency", "owner_id"]
    assert [r[1:] for r in rows[1:]] == [["Mine", "1250.00", "EUR", str(maria.id)],
                                         ["Mine too", "1250.00", "EUR", str(maria.id)]]


def test_a_bad_filter_shows_the_apis_message_above_the_list(page_client):
    response = page_client.get("/records/contact?nope=1")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The list's parameters were refused:" in body
    assert "nope: contact has no field &#39;nope&#39;" in body
    assert "Traceback" not in body
    response = page_client.get("/records/contact.csv?fields=last_name,colour")
    assert response.status_code == 400
    assert "fields: contact has no field &#39;colour&#39;" in response.get_data(as_text=True)


def test_the_filter_form_becomes_a_filter_of_the_url(page_client):
    response = page_client.get("/records/contact?q=x&cursor=abc&filter_field=last_name"
                          "&filter_op=contains&filter_value=lo")
    assert response.status_code == 302
    assert response.headers["Location"] == "/records/contact?q=x&last_name__contains=lo"


def test_bulk_assign_needs_the_csrf_token_and_explains_refused_rows(sales_kernel,
                                                                     make_page_client):
    maria = _user(sales_kernel, "maria@example.com", "sales")
    tom = _user(sales_kernel, "tom@example.com", "sales")
    mine = _deal(sales_kernel, "Mine", maria)
    toms = _deal(sales_kernel, "Tom's", tom)
    client = make_page_client(user=maria, kernel=sales_kernel)
    form = {"ids": [str(mine.id), str(toms.id)], "user": "tom@example.com",
            "back": "/records/sales.opportunity"}
    refused = client.post("/records/sales.opportunity/assign", form, csrf=False)
    assert refused.status_code == 400
    assert "without its security token" in refused.get_data(as_text=True)
    assert services.get(sales_kernel, "sales.opportunity", mine.id).owner_id == maria.id

    response = client.post("/records/sales.opportunity/assign", form)
    assert response.status_code == 302
    assert response.headers["Location"] == "/records/sales.opportunity"
    page = client.get("/records/sales.opportunity").get_data(as_text=True)
    assert (f"Not assigned (2): #{mine.id}: maria@example.com may only give "
            f"sales.opportunity records to themselves (rule: own); #{toms.id}: "
            f"sales.opportunity {toms.id} does not exist") in page
    assert "Assigned" not in page
    assert services.get(sales_kernel, "sales.opportunity", mine.id).owner_id == maria.id
    assert services.get(sales_kernel, "sales.opportunity", toms.id).owner_id == tom.id

    admin = make_page_client("admin", email="ada@example.com", kernel=sales_kernel)
    admin.post("/records/sales.opportunity/assign", form)
    page = admin.get("/records/sales.opportunity").get_data(as_text=True)
    assert "Assigned 2 opportunity records to Tom." in page
    assert "Not assigned" not in page
    assert services.get(sales_kernel, "sales.opportunity", mine.id).owner_id == tom.id

    services.update(sales_kernel, "user", tom.id, {"active": False}, actor=SYSTEM)
    other = _deal(sales_kernel, "Other", maria)
    response = admin.post("/records/sales.opportunity/assign", {
        "ids": [str(other.id)], "user": "tom@example.com", "back": "https://evil.example/"})
    assert response.headers["Location"] == "/records/sales.opportunity"
    page = admin.get("/records/sales.opportunity").get_data(as_text=True)
    assert ("Nothing was assigned: tom@example.com is deactivated; records would be lost "
            "to a user who cannot work them") in page
    assert services.get(sales_kernel, "sales.opportunity", other.id).owner_id == maria.id


def test_each_row_opens_its_record_page(sales_kernel, make_page_client):
    client = make_page_client("admin", email="ada@example.com", kernel=sales_kernel)
    deal = _deal(sales_kernel, "Seats", client.user)
    html = client.get("/records/sales.opportunity").get_data(as_text=True)
    assert f'<a href="/records/sales.opportunity/{deal.id}">Seats</a>' in html
    page = client.get(f"/records/sales.opportunity/{deal.id}")
    assert page.status_code == 200 and "Seats" in page.get_data(as_text=True)


# New-record pages ----------------------------------------------------------------------

def test_a_new_opportunity_from_its_form_is_owned_by_its_creator(sales_kernel,
                                                                  make_page_client):
    client = make_page_client("sales", email="rep@example.com", kernel=sales_kernel)
    rep = client.user
    org = services.create(sales_kernel, "organization", {"name": "Kestrel Ltd"}, actor=SYSTEM)
    form = client.get("/records/sales.opportunity/new").get_data(as_text=True)
    assert 'name="amount.amount"' in form and 'name="organization_id"' in form
    assert 'name="owner_id"' not in form  # ownership is the services' default
    bad = client.post("/records/sales.opportunity/new", {
        "name": "Fleet renewal", "organization_id": str(org.id),
        "amount.amount": "12x", "amount.currency": "EUR"})
    assert bad.status_code == 422
    assert 'id="f-amount-err"' in bad.get_data(as_text=True)
    with sales_kernel.bound():
        assert sales_kernel.records.get("sales.opportunity").model.select().count() == 0
    done = client.post("/records/sales.opportunity/new", {
        "name": "Fleet renewal", "organization_id": str(org.id),
        "amount.amount": "12500", "amount.currency": "EUR"})
    assert done.status_code == 302
    with sales_kernel.bound():
        deal = sales_kernel.records.get("sales.opportunity").model.get()
    assert done.location.endswith(f"/records/sales.opportunity/{deal.id}")
    assert (deal.name, deal.owner_id, deal.amount) == ("Fleet renewal", rep.id,
                                                       Decimal("12500"))


def test_the_query_string_fills_the_new_form(sales_kernel, make_page_client):
    client = make_page_client("sales", email="rep@example.com", kernel=sales_kernel)
    org = services.create(sales_kernel, "organization", {"name": "Kestrel Ltd"}, actor=SYSTEM)
    form = client.get(f"/records/sales.opportunity/new?organization_id={org.id}"
                      "&name=Fleet%20renewal&unknown=1").get_data(as_text=True)
    assert re.search(rf'name="organization_id"[^>]*value="{org.id}"', form)
    assert re.search(r'name="name"[^>]*value="Fleet renewal"', form)
    assert "unknown" not in form


def test_a_type_only_an_action_writes_has_no_new_page(sales_kernel, make_page_client):
    client = make_page_client("admin", email="ada@example.com", kernel=sales_kernel)
    page = client.get("/records/competitors.price/new")
    assert page.status_code == 400
    assert ("records are written by the observe_price action only, not by a form"
            in page.get_data(as_text=True))
    listing = client.get("/records/competitors.price").get_data(as_text=True)
    assert "/records/competitors.price/new" not in listing


def test_a_reference_input_offers_the_records_its_reader_may_read(sales_kernel,
                                                                   make_page_client):
    client = make_page_client("sales", email="rep@example.com", kernel=sales_kernel)
    rep = client.user
    other = _user(sales_kernel, "other@example.com", "sales")
    mine = _deal(sales_kernel, "Fleet renewal", rep)
    _deal(sales_kernel, "Fleet expansion", other)
    form = client.get("/records/sales.quote/new").get_data(as_text=True)
    assert ('hx-get="/records/sales.opportunity/options?field=opportunity_id"' in form)
    found = client.get("/records/sales.opportunity/options?field=opportunity_id"
                       "&opportunity_id=Fleet").get_data(as_text=True)
    assert found.strip() == f'<option value="{mine.id}">Fleet renewal</option>'
    assert client.get("/records/sales.opportunity/options?field=opportunity_id"
                      f"&opportunity_id={mine.id}").get_data(as_text=True).strip() == ""
    odd = client.get("/records/sales.opportunity/options?field=x&x=%25%5C_'")
    assert odd.status_code == 200 and odd.get_data(as_text=True).strip() == ""


def test_a_record_page_lists_the_records_that_refer_to_it_within_the_rule(sales_kernel,
                                                                         make_page_client):
    rep = _user(sales_kernel, "rep@example.com", "sales")
    other = _user(sales_kernel, "other@example.com", "sales")
    org = services.create(sales_kernel, "organization", {"name": "Kestrel Ltd"}, actor=SYSTEM)
    services.create(sales_kernel, "contact", {"first_name": "Hanna", "last_name": "Berg",
                                              "organization_id": org.id}, actor=SYSTEM)
    for name, owner in (("Fleet renewal", rep), ("Fleet expansion", other)):
        services.create(sales_kernel, "sales.opportunity", {
            "name": name, "owner_id": owner.id, "organization_id": org.id,
            "amount": {"amount": "1000", "currency": "EUR"}}, actor=SYSTEM)
    html = make_page_client(user=rep, kernel=sales_kernel).get(
        f"/records/organization/{org.id}").get_data(as_text=True)
    assert ">Contacts</h2>" in html and ">Hanna Berg</a>" in html
    assert ">Opportunities</h2>" in html
    assert ">Fleet renewal</a></td><td>Prospecting</td><td>1,000.00 EUR</td>" in html
    assert "Fleet expansion" not in html  # another rep's deal: outside the rule
    assert ">Quotes</h2>" not in html  # a type with nothing to show gets no box
