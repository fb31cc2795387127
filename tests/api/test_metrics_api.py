"""GET /api/v1/metrics lists the enabled plugins' KPIs; /metrics/<name> computes one."""

from __future__ import annotations

import datetime as dt

import pytest

import accord_sales.hooks
from accord import services
from accord.services import Actor

SYSTEM = Actor.system("test")


def _customer(kernel, name, since):
    return services.create(kernel, "organization", {
        "name": name, "relationship": "customer", "customer_since": since}, actor=SYSTEM)


def test_the_list_names_each_metric_with_its_unit(api_client):
    body = api_client.get("/api/v1/metrics").get_json()
    found = {m["name"]: m for m in body["items"]}
    assert found["core.new_customers"] == {
        "name": "core.new_customers", "plugin": "core", "unit": "count", "group_by": None,
        "description": "Organizations that became customers in the period"}


def test_a_metric_has_every_month_of_the_range(kernel, api_client):
    _customer(kernel, "Acme", "2026-02-10")
    _customer(kernel, "Globex", "2026-02-20")
    _customer(kernel, "Initech", "2026-04-01")
    body = api_client.get("/api/v1/metrics/core.new_customers?from=2026-01-01&to=2026-04-30"
                          ).get_json()
    assert body == {"name": "core.new_customers", "unit": "count", "group_by": None,
                    "currency": None, "start": "2026-01-01", "end": "2026-04-30",
                    "by": "month", "points": [
                        {"period": "2026-01", "group": None, "value": "0", "unconverted": []},
                        {"period": "2026-02", "group": None, "value": "2", "unconverted": []},
                        {"period": "2026-03", "group": None, "value": "0", "unconverted": []},
                        {"period": "2026-04", "group": None, "value": "1", "unconverted": []}]}
    total = api_client.get("/api/v1/metrics/core.new_customers?from=2026-01-01&to=2026-04-30"
                           "&by=total").get_json()
    assert total["points"] == [{"period": "total", "group": None, "value": "3",
                                "unconverted": []}]


def test_the_default_range_is_a_year_of_whole_months(api_client):
    body = api_client.get("/api/v1/metrics/core.new_customers").get_json()
    today = dt.date.today()
    assert body["end"] == today.isoformat()
    assert len(body["points"]) == 12 and body["start"].endswith("-01")


@pytest.mark.plugins(accord_sales.hooks)
def test_a_broken_down_metric_names_its_groups(kernel, api_client):
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=SYSTEM)
    for stage, amount in (("Prospecting", "100"), ("Proposal", "250")):
        services.create(kernel, "sales.opportunity", {
            "name": stage, "organization_id": org.id, "stage": stage,
            "amount": {"amount": amount, "currency": "EUR"},
            "expected_close_date": "2026-05-15"}, actor=SYSTEM)
    body = api_client.get("/api/v1/metrics/sales.pipeline_value?from=2026-05-01&to=2026-05-31"
                          ).get_json()
    assert (body["group_by"], body["currency"], body["points"]) == ("stage", "EUR", [
        {"period": "2026-05", "group": "new_business/Proposal", "value": "250.00",
         "unconverted": []},
        {"period": "2026-05", "group": "new_business/Prospecting", "value": "100.00",
         "unconverted": []}])


def test_bad_parameters_are_named(api_client, helpers):
    problem = helpers.problem(api_client.get(
        "/api/v1/metrics/core.new_customers?from=2026-13-01&by=week&owner_id=x&colour=red"), 400)
    assert problem["errors"] == {
        "from": ["not a date: '2026-13-01'; give YYYY-MM-DD"], "by": ["use month or total"],
        "owner_id": ["not a record id: 'x'"],
        "colour": ["unknown parameter; use from, to, by, owner_id, team_id"]}
    problem = helpers.problem(api_client.get(
        "/api/v1/metrics/core.new_customers?from=2026-05-01&to=2026-04-01"), 400)
    assert problem["errors"] == {"from": ["2026-05-01 is after 2026-04-01"]}
    problem = helpers.problem(api_client.get("/api/v1/metrics/core.nope"), 404)
    assert problem["detail"].startswith("unknown metric 'core.nope' (known: ")


def test_reading_metrics_is_a_permission(make_api_client, kernel, helpers):
    from accord.services.roles import add_role

    add_role(kernel, "clerk", description="Enters contacts", grants=["core.contact.read"],
             actor=SYSTEM)
    clerk = make_api_client("clerk")
    assert "core.metrics.read" in helpers.problem(clerk.get("/api/v1/metrics"), 403)["detail"]
    helpers.problem(clerk.get("/api/v1/metrics/core.new_customers"), 403)
    # Only an explicit grant gives it: a family pattern (core.*.read, *.read) does not;
    # the admin's '*' and the explicit grants of the manager and sales roles do (each
    # then sees the figures of the records their record rules reach).
    helpers.problem(make_api_client("read-only").get("/api/v1/metrics"), 403)
    for role in ("admin", "manager", "sales"):
        assert make_api_client(role).get("/api/v1/metrics").status_code == 200


def test_ranges_are_checked_and_bounded(api_client, helpers):
    url = "/api/v1/metrics/core.new_customers"
    response = api_client.get(f"{url}?owner_id=%C2%B2&to=9999-12-31")
    assert helpers.problem(response, 400)["errors"] == {
        "owner_id": ["not a record id: '\u00b2'"],
        "to": ["give a date from 1900-01-01 to 9000-12-31"]}
    assert helpers.problem(api_client.get(f"{url}?from=1990-01-01&to=2026-12-31"), 400)[
        "errors"] == {"from": ["the range spans 444 months; ask for at most 240 at once"]}
    # Without a start, a year of whole months up to the end asked for.
    body = api_client.get(f"{url}?to=2020-06-30").get_json()
    assert (body["start"], body["end"], len(body["points"])) == ("2019-07-01", "2020-06-30", 12)
