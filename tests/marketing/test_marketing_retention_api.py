"""Retention through the API and the page's server side: the figures as JSON, the
reader's record rules (a restricted sales user sees only their own customers), bad
input as a 4xx naming the field, the permission, and schemathesis over the operations
with no 5xx."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest

import accord_marketing.hooks
import accord_sales.hooks
from accord import services
from accord.pagination import encode_cursor
from accord.services import Actor
from accord.services.roles import add_role
from accord_sdk.assertions import problem
from accord_sdk.openapi_check import exercise_operations

pytestmark = pytest.mark.plugins(accord_marketing.hooks, accord_sales.hooks)
SYSTEM = Actor.system("test")


def _order(kernel, day, amount, product=None, **customer):
    line = {"description": "Goods", "quantity": "1", "unit_price": amount}
    if product is not None:
        line["product_id"] = product
    return services.create(kernel, "sales.order", {**customer, "order_date": day,
                                                   "lines": [line]}, actor=SYSTEM)


def _seed(kernel, helpers, owner_id=None):
    """Mine (every 30 days, 40 since: due), Other (every 10 days, 40 since: at risk),
    New (one order today); Mine and Other bought Seats, Other Support too."""
    today = dt.datetime.now(dt.timezone.utc).date()
    seats = services.create(kernel, "product", {"sku": "SEAT", "name": "Seats"},
                            actor=SYSTEM).id
    support = services.create(kernel, "product", {"sku": "SUP", "name": "Support"},
                              actor=SYSTEM).id
    mine = helpers.org(kernel, "Mine", owner_id=owner_id)
    other = helpers.org(kernel, "Other")
    new = helpers.org(kernel, "New")
    _order(kernel, today - dt.timedelta(days=70), "1000.00", seats, organization_id=mine.id)
    _order(kernel, today - dt.timedelta(days=40), "1000.00", organization_id=mine.id)
    _order(kernel, today - dt.timedelta(days=50), "100.00", seats, organization_id=other.id)
    _order(kernel, today - dt.timedelta(days=40), "100.00", support,
           organization_id=other.id)
    _order(kernel, today, "1.00", organization_id=new.id)
    return {"mine": mine.id, "other": other.id, "new": new.id, "seats": seats,
            "support": support, "today": today}


def test_the_figures_as_json(kernel, helpers, make_api_client):
    ids = _seed(kernel, helpers)
    admin = make_api_client("admin")
    answer = admin.get("/api/v1/marketing/retention?months=1")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    this_month = ids["today"].strftime("%Y-%m")
    assert {k: body[k] for k in ("today", "note", "currency", "months", "customers",
                                 "repeat_customers", "repeat_rate", "average_clv", "due",
                                 "at_risk")} == {
        "today": ids["today"].isoformat(), "note": "", "currency": "EUR", "months": 1,
        "customers": 3, "repeat_customers": 2, "repeat_rate": "66.67",
        "average_clv": "733.67", "due": 1, "at_risk": 1}
    assert body["cohorts"][0]["cohort"] == this_month
    assert body["cohorts"][0]["customers"] == 1  # New's first order is this month
    assert body["cohorts"][0]["cells"][0] == {"offset": 0, "customers": 1,
                                              "retention": "100.00", "churn": "0.00"}
    assert body["cohorts"][0]["cells"][1] == {"offset": 1, "customers": None,
                                              "retention": None, "churn": None}
    listed = admin.get("/api/v1/marketing/retention/at-risk").get_json()
    assert [(i["name"], i["status"], i["interval_days"], i["days_since"]) for i in
            listed["items"]] == [("Other", "at_risk", "10.0", 40), ("Mine", "due", "30.0", 40)]
    assert listed["items"][1]["url"] == f"/records/organization/{ids['mine']}"
    assert listed["items"][1]["expected"] == (ids["today"] - dt.timedelta(days=10)).isoformat()
    only = admin.get("/api/v1/marketing/retention/at-risk?status=due&limit=1").get_json()
    assert [i["name"] for i in only["items"]] == ["Mine"] and only["next_cursor"] is None
    first = admin.get("/api/v1/marketing/retention/at-risk?limit=1").get_json()
    rest = admin.get("/api/v1/marketing/retention/at-risk?limit=1&cursor="
                     + first["next_cursor"]).get_json()
    assert [i["name"] for i in first["items"] + rest["items"]] == ["Other", "Mine"]
    also = admin.get(f"/api/v1/marketing/retention/also-bought?product_id={ids['seats']}")
    assert also.get_json() == {
        "product_id": ids["seats"], "product": "Seats", "customers": 2, "note": "",
        "items": [{"product_id": ids["support"], "name": "Support", "customers": 1,
                   "share": "50.00", "url": f"/records/product/{ids['support']}"}]}


def test_bad_input_is_a_4xx_naming_the_field(kernel, helpers, make_api_client):
    _seed(kernel, helpers)
    admin = make_api_client("admin")
    for url, field in (("/api/v1/marketing/retention?months=0", "months"),
                       ("/api/v1/marketing/retention?months=37", "months"),
                       ("/api/v1/marketing/retention?colour=red", "colour"),
                       ("/api/v1/marketing/retention/at-risk?status=lost", "status"),
                       ("/api/v1/marketing/retention/at-risk?limit=0", "limit"),
                       ("/api/v1/marketing/retention/at-risk?sort=name", "sort"),
                       ("/api/v1/marketing/retention/also-bought", "product_id"),
                       ("/api/v1/marketing/retention/also-bought?product_id=x",
                        "product_id")):
        body = problem(admin.get(url), 400)
        assert field in body["errors"], (url, body)
    body = problem(admin.get("/api/v1/marketing/retention/at-risk?cursor=nonsense"),
                           422)
    assert "cursor" in body["errors"]
    for values in ([1, 0, "organization", 1], ["1", 1, "organization", 1],
                   [1, 1, "deal", 1], [1, 1, "organization", "x"]):
        answer = admin.get("/api/v1/marketing/retention/at-risk?cursor="
                           + encode_cursor(values))
        assert "cursor" in problem(answer, 422)["errors"], values
    body = problem(admin.get("/api/v1/marketing/retention/also-bought?"
                                     "product_id=987654"), 404)
    assert body["detail"] == "no product 987654"


def test_a_restricted_sales_user_sees_only_own_customers(kernel, helpers, make_api_client):
    add_role(kernel, "reps", actor=SYSTEM, grants=["core.*.read", "sales.*",
                                                   "marketing.retention.read"],
             rules={"*": "own"})
    rep = make_api_client("reps")
    ids = _seed(kernel, helpers, owner_id=rep.user.id)
    listed = rep.get("/api/v1/marketing/retention/at-risk").get_json()
    assert [i["name"] for i in listed["items"]] == ["Mine"]
    body = rep.get("/api/v1/marketing/retention").get_json()
    assert (body["customers"], body["repeat_customers"], body["average_clv"], body["due"],
            body["at_risk"]) == (1, 1, "2000.00", 1, 0)
    also = rep.get(f"/api/v1/marketing/retention/also-bought?product_id={ids['seats']}")
    assert (also.get_json()["customers"], also.get_json()["items"]) == (1, [])
    # The built-in sales role has no retention permission; the marketing role has it.
    answer = make_api_client("sales").get("/api/v1/marketing/retention")
    assert answer.status_code == 403
    assert "marketing.retention.read" in answer.get_data(as_text=True)
    assert make_api_client("marketing").get(
        "/api/v1/marketing/retention/at-risk").status_code == 200


def test_without_sales_the_api_says_why(make_kernel, helpers, make_api_client):
    kernel = make_kernel(plugins=[accord_marketing.hooks], enable=["marketing"])
    helpers.org(kernel, "Acme")
    admin = make_api_client("admin", kernel=kernel)
    body = admin.get("/api/v1/marketing/retention?months=2").get_json()
    assert (body["note"], body["customers"], body["repeat_rate"], body["average_clv"]) == (
        "no purchase facts: the sales plugin is not enabled", 0, "0.00", "0.00")
    listed = admin.get("/api/v1/marketing/retention/at-risk").get_json()
    assert (listed["note"], listed["items"]) == (
        "no purchase facts: the sales plugin is not enabled", [])


def test_retention_operations_answer_as_the_document_says(kernel, helpers, make_api_client):
    _seed(kernel, helpers)
    run = exercise_operations(make_api_client("admin"), "/api/v1/marketing/retention", {},
                              max_examples=10, budget=60.0)
    assert len(run.operations) == 2, run.operations
    if run.cut_short:
        warnings.warn(f"time budget spent; not exercised: {', '.join(run.cut_short)}")
    assert not run.failures, "\n\n".join(run.failures)
    assert make_api_client("admin").get("/api/v1/marketing/retention").status_code == 200


def test_the_page_checks_permission_and_names_bad_input(kernel, helpers, make_page_client):
    ids = _seed(kernel, helpers)
    assert make_page_client("sales").get("/marketing/retention").status_code == 403
    marketer = make_page_client("marketing")
    page = marketer.get(f"/marketing/retention?product_id={ids['seats']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "66.67%" in text and "733.67 EUR" in text and "Mine" in text
    assert "2 customers bought Seats." in text
    page = marketer.get("/marketing/retention?product_id=987654")
    assert page.status_code == 404 and "no product 987654" in page.get_data(as_text=True)
    page = marketer.get("/marketing/retention?cursor=bad")
    assert page.status_code == 400 and "cursor" in page.get_data(as_text=True)
    page = marketer.get("/marketing/retention?months=99&status=lost")
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "months: give a number of months from 1 to 36" in text
    assert "status: use one of due, at_risk" in text
