"""The value tiers through the API: the matrix, a tier's customers under the reader's
record rules, recomputing (permission), the tier-distribution metric, bad input as a
4xx naming it, and schemathesis over the tier operations with no 5xx."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest

import accord_marketing.hooks
import accord_sales.hooks
from accord import services
from accord.metrics import MetricQuery, compute
from accord.services import Actor
from accord.services.roles import add_role
from accord_marketing.models.tiers import TierRun
from accord_marketing.services.tiers import compute_tiers
from accord_sdk.openapi_check import exercise_operations

pytestmark = pytest.mark.plugins(accord_marketing.hooks, accord_sales.hooks)
SYSTEM = Actor.system("test")


def _order(kernel, day, amount, **customer):
    return services.create(kernel, "sales.order", {
        **customer, "order_date": day,
        "lines": [{"description": "Goods", "quantity": "1", "unit_price": amount}]},
        actor=SYSTEM)


def _seed(kernel, helpers, owner_id=None):
    today = dt.datetime.now(dt.timezone.utc).date()
    mine = helpers.org(kernel, "Mine", owner_id=owner_id)
    other = helpers.org(kernel, "Other")
    helpers.contact(kernel, "Prospect")
    _order(kernel, today - dt.timedelta(days=3), "20000.00", organization_id=mine.id)
    _order(kernel, today - dt.timedelta(days=4), "50.00", organization_id=other.id)
    return mine, other


def test_the_matrix_and_a_tiers_customers(kernel, helpers, make_api_client):
    mine, other = _seed(kernel, helpers)
    admin = make_api_client("admin")
    answer = admin.get("/api/v1/marketing/tiers")
    assert answer.status_code == 200
    assert answer.get_json()["computed_on"] is None
    assert answer.get_json()["note"] == "the tiers were never computed"
    answer = admin.post("/api/v1/marketing/tiers/recompute")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    assert body["computed_on"] == today and body["note"] == ""
    assert body["tiers"] == [
        {"tier": "A", "label": "Prospects", "count": 1, "revenue": "0.00"},
        {"tier": "B", "label": "Low value, few orders", "count": 1, "revenue": "50.00"},
        {"tier": "C", "label": "High value, few orders", "count": 1, "revenue": "20000.00"},
        {"tier": "D", "label": "Low value, many orders", "count": 0, "revenue": "0.00"},
        {"tier": "E", "label": "High value, many orders (key accounts)", "count": 0,
         "revenue": "0.00"}]
    assert (body["months"], body["value_threshold"], body["purchases_threshold"]) == (
        12, "10000.00", 3)
    listed = admin.get("/api/v1/marketing/tiers/C/customers").get_json()
    assert [(i["name"], i["value"], i["purchases"], i["recency_days"]) for i in
            listed["items"]] == [("Mine", "20000.00", 1, 3)]
    assert listed["items"][0]["url"] == f"/records/organization/{mine.id}"


def test_bad_input_is_a_4xx_naming_it(kernel, helpers, make_api_client):
    _seed(kernel, helpers)
    compute_tiers(kernel, actor=SYSTEM)
    admin = make_api_client("admin")
    answer = admin.get("/api/v1/marketing/tiers/F/customers")
    assert answer.status_code == 404
    assert "no tier 'F' (tiers: A, B, C, D, E)" in answer.get_data(as_text=True)
    answer = admin.get("/api/v1/marketing/tiers/C/customers?limit=0")
    assert answer.status_code == 400 and "limit" in answer.get_data(as_text=True)
    answer = admin.get("/api/v1/marketing/tiers/C/customers?cursor=nonsense")
    assert answer.status_code in (400, 422) and "cursor" in answer.get_data(as_text=True)


def test_the_readers_record_rules_apply(kernel, helpers, make_api_client):
    add_role(kernel, "owners", actor=SYSTEM, grants=["core.*.read", "marketing.tier.read"],
             rules={"*": "own"})
    reader = make_api_client("owners")
    mine, _ = _seed(kernel, helpers, owner_id=reader.user.id)
    compute_tiers(kernel, actor=SYSTEM)
    body = reader.get("/api/v1/marketing/tiers").get_json()
    assert [c["count"] for c in body["tiers"]] == [0, 0, 1, 0, 0]
    assert [i["name"] for i in reader.get("/api/v1/marketing/tiers/C/customers")
            .get_json()["items"]] == ["Mine"]
    assert reader.get("/api/v1/marketing/tiers/B/customers").get_json()["items"] == []
    # Reading is not recomputing.
    answer = reader.post("/api/v1/marketing/tiers/recompute")
    assert answer.status_code == 403
    assert "marketing.tier.compute" in answer.get_data(as_text=True)
    with kernel.bound():
        assert TierRun.select().count() == 1
    salesperson = make_api_client("sales")
    assert salesperson.get("/api/v1/marketing/tiers").status_code == 403


def test_the_tier_distribution_metric(kernel, helpers):
    _seed(kernel, helpers)
    today = dt.datetime.now(dt.timezone.utc).date()
    compute_tiers(kernel, actor=SYSTEM, day=today - dt.timedelta(days=40))
    compute_tiers(kernel, actor=SYSTEM, day=today)
    points = compute(kernel, "marketing.tier_distribution",
                     MetricQuery(today - dt.timedelta(days=40), today, by="total"))
    assert {(p.group, int(p.value)) for p in points} == {("A", 1), ("B", 1), ("C", 1)}
    by_month = compute(kernel, "marketing.tier_distribution",
                       MetricQuery(today.replace(day=1), today))
    assert {(p.group, p.period, int(p.value)) for p in by_month} == {
        ("A", today.strftime("%Y-%m"), 1), ("B", today.strftime("%Y-%m"), 1),
        ("C", today.strftime("%Y-%m"), 1)}


def test_tier_operations_answer_as_the_document_says(kernel, helpers, make_api_client):
    _seed(kernel, helpers)
    compute_tiers(kernel, actor=SYSTEM)
    run = exercise_operations(make_api_client("admin"), "/api/v1/marketing/tiers", {},
                              max_examples=10, budget=60.0)
    assert len(run.operations) == 2, run.operations
    if run.cut_short:
        warnings.warn(f"time budget spent; not exercised: {', '.join(run.cut_short)}")
    assert not run.failures, "\n\n".join(run.failures)
    # The matrix itself (outside the prefix's operations) answers its schema too.
    assert make_api_client("admin").get("/api/v1/marketing/tiers").status_code == 200


def test_the_page_checks_permission_and_names_a_bad_tier(kernel, helpers, make_page_client):
    _seed(kernel, helpers)
    compute_tiers(kernel, actor=SYSTEM)
    assert make_page_client("sales").get("/marketing/tiers").status_code == 403
    marketer = make_page_client("marketing")
    page = marketer.get("/marketing/tiers?tier=C")
    assert page.status_code == 200 and "Mine" in page.get_data(as_text=True)
    page = marketer.get("/marketing/tiers?tier=Z")
    assert page.status_code == 404
    assert "no tier &#39;Z&#39; (tiers: A, B, C, D, E)" in page.get_data(as_text=True)
    page = marketer.get("/marketing/tiers?tier=C&cursor=bad")
    assert page.status_code == 400 and "cursor" in page.get_data(as_text=True)
    # Recomputing from the page writes today's computation again and shows the matrix.
    sent = marketer.post("/marketing/tiers/recompute")
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/marketing/tiers")


def test_a_forged_cursor_is_a_422_naming_it(kernel, helpers, make_api_client):
    from accord.pagination import encode_cursor

    _seed(kernel, helpers)
    compute_tiers(kernel, actor=SYSTEM)
    admin = make_api_client("admin")
    for values in (["abc", "organization", 1], ["NaN", "organization", 1],
                   ["1.00", 5, 1], ["1.00", "organization", "x"]):
        answer = admin.get(f"/api/v1/marketing/tiers/C/customers?cursor={encode_cursor(values)}")
        assert answer.status_code == 422, (values, answer.get_data(as_text=True))
        assert "cursor" in answer.get_data(as_text=True)
