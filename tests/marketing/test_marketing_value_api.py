"""Customer value through the API, the CLI, the metrics, the segments and the customer's
page: the figures as JSON, paging most and least profitable first, one stage, the
reader's record rules, permissions, bad input as a 4xx naming it, the lifecycle stage
as a segment rule on organizations and on contacts, and schemathesis with no 5xx."""

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
from accord_sdk.openapi_check import exercise_operations

pytestmark = pytest.mark.plugins(accord_marketing.hooks, accord_sales.hooks)
SYSTEM = Actor.system("test")
API = "/api/v1/marketing/value"


def _today():
    return dt.datetime.now(dt.timezone.utc).date()


def _order(kernel, days_ago, amount, **customer):
    return services.create(kernel, "sales.order", {
        **customer, "order_date": _today() - dt.timedelta(days=days_ago),
        "lines": [{"description": "Goods", "quantity": "1", "unit_price": amount}]},
        actor=SYSTEM)


def _seed(kernel, helpers, owner_id=None):
    """Mine (repeat: 1000.00 40 days ago, 2000.00 10 days ago), Other (new: 50.00),
    Deal Ltd (an open opportunity), the contact Prospect (no organization: a target)
    and Ann at Mine (not a customer herself)."""
    mine = helpers.org(kernel, "Mine", owner_id=owner_id)
    other = helpers.org(kernel, "Other")
    deal = helpers.org(kernel, "Deal Ltd")
    prospect = helpers.contact(kernel, "Prospect")
    ann = helpers.contact(kernel, "Ames", organization_id=mine.id)
    _order(kernel, 40, "1000.00", organization_id=mine.id)
    _order(kernel, 10, "2000.00", organization_id=mine.id)
    _order(kernel, 4, "50.00", organization_id=other.id)
    services.create(kernel, "sales.opportunity", {"name": "Fleet",
                                                  "organization_id": deal.id}, actor=SYSTEM)
    return mine, other, deal, prospect, ann


NO_SERVICE = ("no cost-to-serve fact: the service plugin is not enabled (repairs are not "
              "counted)")


def test_the_figures_as_json(kernel, helpers, make_api_client):
    _seed(kernel, helpers)
    admin = make_api_client("admin")
    answer = admin.get(API)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    since = _today().replace(year=_today().year - 1)
    assert {k: v for k, v in body.items() if k not in ("curve", "since")} == {
        "months": 12, "currency": "EUR", "customers": 4,
        "totals": {"revenue": "3050.00", "cost_to_serve": "0.00", "campaign_cost": "0.00",
                   "profit": "3050.00"},
        "top20_share": "98.36", "top20": {"customers": 1, "profit": "3000.00"},
        "bottom30_drag": {"customers": 2, "profit": "0.00", "share": "0.00"},
        "stages": [{"stage": "target", "label": "Target", "count": 1},
                   {"stage": "prospect", "label": "Prospect", "count": 0},
                   {"stage": "open_opportunity", "label": "Open opportunity", "count": 1},
                   {"stage": "new", "label": "New customer", "count": 1},
                   {"stage": "repeat", "label": "Repeat customer", "count": 1},
                   {"stage": "at_risk", "label": "At risk", "count": 0},
                   {"stage": "lost", "label": "Lost", "count": 0}],
        "notes": [NO_SERVICE]}
    if (since.month, since.day) != (2, 29):
        assert body["since"] == since.isoformat()
    assert body["curve"][:2] == [{"customers": 0, "profit": "0.00"},
                                 {"customers": 5, "profit": "98.36"}]
    assert body["curve"][-1] == {"customers": 100, "profit": "100.00"}
    everything = admin.get(f"{API}?months=all").get_json()
    assert (everything["months"], everything["since"]) == (None, None)


@pytest.mark.parametrize("query, field", [
    ("months=0", "months"), ("months=601", "months"), ("months=lots", "months"),
    ("months=-3", "months")])
def test_a_bad_period_is_refused_naming_months(kernel, make_api_client, query, field):
    answer = make_api_client("admin").get(f"{API}?{query}")
    assert answer.status_code == 422
    assert answer.get_json()["errors"][field][0].startswith(
        "give a number of months from 1 to 600, or 'all' (not ")


@pytest.mark.parametrize("query, field", [
    ("order=best", "order"), ("stage=happy", "stage"), ("limit=0", "limit"),
    ("limit=501", "limit"), ("colour=red", "colour"), ("months=x", "months")])
def test_bad_list_arguments_are_refused_naming_them(kernel, make_api_client, query, field):
    answer = make_api_client("admin").get(f"{API}/customers?{query}")
    assert answer.status_code in (400, 422)
    assert field in answer.get_data(as_text=True)


def test_a_forged_cursor_is_refused_naming_it(kernel, helpers, make_api_client):
    from accord.pagination import encode_cursor

    _seed(kernel, helpers)
    admin = make_api_client("admin")
    for cursor in ("bad", encode_cursor(["NaN", "organization", 1]),
                   encode_cursor([1, "organization", 1]), encode_cursor(["x", "c", 1])):
        answer = admin.get(f"{API}/customers?cursor={cursor}")
        assert answer.status_code in (400, 422), cursor
        assert "cursor" in answer.get_data(as_text=True)


def test_the_customers_page_by_page_most_and_least_profitable_first(kernel, helpers,
                                                                    make_api_client):
    mine, other, deal, prospect, _ = _seed(kernel, helpers)
    admin = make_api_client("admin")
    seen, cursor = [], None
    while True:
        url = f"{API}/customers?limit=1" + (f"&cursor={cursor}" if cursor else "")
        page = admin.get(url).get_json()
        seen += [(i["name"], i["rank"], i["profit"]) for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [("Mine", 1, "3000.00"), ("Other", 2, "50.00"), ("Prospect", 3, "0.00"),
                    ("Deal Ltd", 4, "0.00")]
    first = admin.get(f"{API}/customers?limit=1").get_json()["items"][0]
    assert first == {"customer_type": "organization", "customer_id": mine.id, "name": "Mine",
                     "rank": 1, "revenue": "3000.00", "cost_to_serve": "0.00",
                     "campaign_cost": "0.00", "profit": "3000.00", "stage": "repeat",
                     "stage_label": "Repeat customer",
                     "url": f"/records/organization/{mine.id}"}
    least = admin.get(f"{API}/customers?order=least&limit=3").get_json()
    assert [(i["name"], i["rank"]) for i in least["items"]] == [
        ("Deal Ltd", 4), ("Prospect", 3), ("Other", 2)]
    cursor = least["next_cursor"]
    rest = admin.get(f"{API}/customers?order=least&limit=3&cursor={cursor}").get_json()
    assert ([i["name"] for i in rest["items"]], rest["next_cursor"]) == (["Mine"], None)
    staged = admin.get(f"{API}/customers?stage=open_opportunity").get_json()
    assert [(i["name"], i["rank"]) for i in staged["items"]] == [("Deal Ltd", 4)]


def test_the_readers_record_rules_apply(kernel, helpers, make_api_client):
    add_role(kernel, "owners", actor=SYSTEM, grants=["core.*.read", "marketing.value.read"],
             rules={"*": "own"})
    reader = make_api_client("owners")
    _seed(kernel, helpers, owner_id=reader.user.id)
    body = reader.get(API).get_json()
    assert (body["customers"], body["totals"]["profit"], body["top20_share"]) == (
        1, "3000.00", "100.00")
    items = reader.get(f"{API}/customers").get_json()["items"]
    assert [(i["name"], i["rank"]) for i in items] == [("Mine", 1)]
    assert make_api_client("sales").get(API).status_code == 403
    assert make_api_client("marketing").get(API).status_code == 200
    # The metrics count the reader's customers only: Mine.
    from accord.models import User
    from accord.services.authz import actor_for

    with kernel.bound():
        actor = actor_for(kernel, User.get_by_id(reader.user.id))
    today = _today()
    points = compute(kernel, "marketing.lifecycle_distribution",
                     MetricQuery(today, today, by="total", reader=actor))
    assert {(p.group, int(p.value)) for p in points if p.value} == {("repeat", 1)}
    points = compute(kernel, "marketing.top20_profit_share",
                     MetricQuery(today - dt.timedelta(days=60), today, by="total",
                                 reader=actor))
    assert [str(p.value) for p in points] == ["100.00"]


def test_the_lifecycle_stage_is_a_segment_rule_on_both_targets(kernel, helpers,
                                                              make_api_client):
    _seed(kernel, helpers)
    admin = make_api_client("admin")

    def count(target, value):
        answer = admin.post("/api/v1/marketing/segments/count", json={
            "target": target, "rules": [{"field": "marketing.lifecycle_stage", "op": "eq",
                                         "value": value}]})
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()["count"]

    assert count("organization", "repeat") == 1
    assert count("organization", "new") == 1
    assert count("organization", "lost") == 0
    # Contacts at an organization have no stage of their own: Prospect only.
    assert count("contact", "target") == 1
    answer = admin.post("/api/v1/marketing/segments/count", json={
        "target": "organization", "rules": [{"field": "marketing.lifecycle_stage",
                                             "op": "in", "value": ["new", "repeat"]}]})
    assert answer.get_json()["count"] == 2


def test_the_metrics(kernel, helpers):
    _seed(kernel, helpers)
    today = _today()
    points = compute(kernel, "marketing.lifecycle_distribution",
                     MetricQuery(today - dt.timedelta(days=60), today, by="total"))
    assert {(p.group, int(p.value)) for p in points if p.value} == {
        ("target", 1), ("open_opportunity", 1), ("new", 1), ("repeat", 1)}
    share = compute(kernel, "marketing.top20_profit_share",
                    MetricQuery(today - dt.timedelta(days=60), today, by="total"))
    assert [(p.period, str(p.value)) for p in share] == [("total", "98.36")]
    # From 20 days back, Mine's first order is out: 2000.00 of 2050.00.
    share = compute(kernel, "marketing.top20_profit_share",
                    MetricQuery(today - dt.timedelta(days=20), today, by="total"))
    assert [str(p.value) for p in share] == ["97.56"]


def test_the_cli_prints_the_figures(kernel, helpers, cli_runner):
    _seed(kernel, helpers)
    cli_runner.kernel = kernel
    out = cli_runner("marketing", "value")
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].startswith("Customer value over the last 12 months (from ")
    assert lines[0].endswith("): 4 customers")
    assert lines[1:5] == [
        "Revenue 3,050.00 EUR - cost to serve 0.00 EUR - campaign cost 0.00 EUR = profit "
        "3,050.00 EUR",
        "Top 20% (1 customers): 3,000.00 EUR, 98.36% of the profit",
        "Bottom 30% (2 customers): 0.00 EUR, 0.00% of the profit",
        "Pareto curve: 20%→98.36%, 40%→100.00%, 60%→100.00%, 80%→100.00%, 100%→100.00%"]
    assert lines[5] == ("Stages: Target 1, Prospect 0, Open opportunity 1, New customer 1, "
                        "Repeat customer 1, At risk 0, Lost 0")
    assert lines[6] == f"Note: {NO_SERVICE}"
    out = cli_runner("marketing", "value", "--months", "nope")
    assert out.exit_code == 2
    assert "'--months': give a number of months from 1 to 600, or 'all'" in out.output
    assert cli_runner("marketing", "value", "--months", "all").output.startswith(
        "Customer value over all time: 4 customers")


def test_the_customers_page_shows_value_and_lifecycle(kernel, helpers, make_page_client):
    mine, other, deal, prospect, ann = _seed(kernel, helpers)
    marketer = make_page_client("marketing")
    html = marketer.get(f"/records/organization/{mine.id}").get_data(as_text=True)
    assert "Value and lifecycle" in html
    assert ("<strong>Repeat customer</strong>: 2 orders, usually 30 days apart; the last "
            "was 10 days ago.") in html
    assert "<dd><strong>3,000.00 EUR</strong></dd>" in html
    assert "1 of 4 customers (top 25%)" in html
    html = marketer.get(f"/records/contact/{prospect.id}").get_data(as_text=True)
    assert "<strong>Target</strong>: No order, opportunity or campaign answer yet." in html
    # A contact at an organization buys for it: no panel of her own.
    assert "Value and lifecycle" not in marketer.get(
        f"/records/contact/{ann.id}").get_data(as_text=True)
    # A sales rep does not hold marketing.value.read.
    assert "Value and lifecycle" not in make_page_client("sales").get(
        f"/records/organization/{mine.id}").get_data(as_text=True)


def test_the_page_checks_permission_and_names_a_bad_period(kernel, helpers,
                                                          make_page_client):
    _seed(kernel, helpers)
    assert make_page_client("sales").get("/marketing/value").status_code == 403
    marketer = make_page_client("marketing")
    page = marketer.get("/marketing/value?stage=new")
    assert page.status_code == 200 and "Other" in page.get_data(as_text=True)
    page = marketer.get("/marketing/value?months=abc")
    assert page.status_code == 400
    assert "give a number of months from 1 to 600" in page.get_data(as_text=True)
    page = marketer.get("/marketing/value?stage=happy")
    assert page.status_code == 400
    assert "use one of target, prospect" in page.get_data(as_text=True)


def test_value_operations_answer_as_the_document_says(kernel, helpers, make_api_client):
    _seed(kernel, helpers)
    run = exercise_operations(make_api_client("admin"), API, {}, max_examples=10,
                              budget=60.0)
    assert run.operations == ["GET /api/v1/marketing/value/customers"]
    if run.cut_short:
        warnings.warn(f"time budget spent; not exercised: {', '.join(run.cut_short)}")
    assert not run.failures, "\n\n".join(run.failures)
    # The figures themselves (outside the prefix's operations) answer their schema too.
    assert make_api_client("admin").get(API).status_code == 200
