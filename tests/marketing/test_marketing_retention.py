"""Retention on a fixed data set worked out by hand (orders on fixed days, ``today``
2026-06-30): the repeat rate, the cohort table, lifetime value, the purchase intervals
with "due" and "at risk" at their exact boundaries, the list's pages, "also bought",
the four metrics, the CLI, and empty figures with the reason when sales is off."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import accord_marketing.hooks
import accord_sales.hooks
from accord import services
from accord.errors import NotFound, PermissionDenied, ValidationError
from accord.metrics import MetricQuery, compute
from accord.services import Actor
from accord_marketing.retention import also_bought, due_customers, overview

SYSTEM = Actor.system("test")
TODAY = dt.date(2026, 6, 30)
NO_FACTS = "no purchase facts: the sales plugin is not enabled"


@pytest.fixture
def shop(make_kernel):
    return make_kernel(plugins=[accord_marketing.hooks, accord_sales.hooks],
                       enable=["sales", "marketing"])


def _product(kernel, sku, name):
    return services.create(kernel, "product", {"sku": sku, "name": name}, actor=SYSTEM).id


def _order(kernel, day, amount, product=None, **customer):
    line = {"description": "Goods", "quantity": "1", "unit_price": amount}
    if product is not None:
        line["product_id"] = product
    return services.create(kernel, "sales.order", {**customer, "order_date": day,
                                                   "lines": [line]}, actor=SYSTEM)


def _world(kernel, helpers, owner_id=None):
    """Alpha (Jan 10, Feb 10, Apr 10: every 45 days, 81 days since: at risk), Beta (Jan
    20, Jan 25, May 20 and Ann's Jun 5 for Beta: not due), Gamma (Feb 5, Mar 5: every 28
    days, 117 since: at risk), Delta (one order), Zeta (May 11, May 31: every 20 days,
    30 since: exactly 1.5 times, due), Eta (Jun 10, Jun 20: 10 days since, exactly its
    interval: due), Pros (never bought); the contact Solo (no organization: Dec 15)."""
    seats, support, training = (_product(kernel, "SEAT", "Seats"),
                                _product(kernel, "SUP", "Support"),
                                _product(kernel, "TRN", "Training"))
    unsold = _product(kernel, "NONE", "Unsold")
    owned = {"owner_id": owner_id} if owner_id else {}
    ids = {name: helpers.org(kernel, name, **(owned if name in ("Alpha", "Zeta") else {})).id
           for name in ("Alpha", "Beta", "Gamma", "Delta", "Zeta", "Eta", "Pros")}
    _order(kernel, "2026-01-10", "100.00", seats, organization_id=ids["Alpha"])
    _order(kernel, "2026-02-10", "200.00", support, organization_id=ids["Alpha"])
    _order(kernel, "2026-04-10", "300.00", organization_id=ids["Alpha"])
    _order(kernel, "2026-01-20", "50.00", seats, organization_id=ids["Beta"])
    _order(kernel, "2026-01-25", "50.00", training, organization_id=ids["Beta"])
    _order(kernel, "2026-05-20", "100.00", support, organization_id=ids["Beta"])
    _order(kernel, "2026-02-05", "1000.00", seats, organization_id=ids["Gamma"])
    _order(kernel, "2026-03-05", "1000.00", support, organization_id=ids["Gamma"])
    _order(kernel, "2026-03-01", "500.00", support, organization_id=ids["Delta"])
    _order(kernel, "2026-05-11", "20.00", organization_id=ids["Zeta"])
    _order(kernel, "2026-05-31", "20.00", organization_id=ids["Zeta"])
    _order(kernel, "2026-06-10", "5.00", organization_id=ids["Eta"])
    _order(kernel, "2026-06-20", "5.00", organization_id=ids["Eta"])
    solo = helpers.contact(kernel, "Solo")
    _order(kernel, "2025-12-15", "80.00", seats, contact_id=solo.id)
    ann = helpers.contact(kernel, "Ames", first_name="Ann", organization_id=ids["Beta"])
    _order(kernel, "2026-06-05", "70.00", training, contact_id=ann.id,
           organization_id=ids["Beta"])
    ids["Solo"] = solo.id
    return ids, {"seats": seats, "support": support, "training": training,
                 "unsold": unsold}


def _cells(cohort):
    return [None if c["retention"] is None else str(c["retention"]) for c in cohort["cells"]]


def test_repeat_rate_lifetime_value_and_the_cohort_table(shop, helpers):
    _world(shop, helpers)
    o = overview(shop, SYSTEM, months=12, today=TODAY)
    assert o["note"] == ""
    # Seven customers bought (Ann buys for Beta); five of them twice or more.
    assert (o["customers"], o["repeat_customers"], o["repeat_rate"]) == (
        7, 5, Decimal("71.43"))
    # 600 + 270 + 2000 + 500 + 40 + 10 + 80 = 3500 over 7.
    assert o["average_clv"] == Decimal("500.00")
    assert (o["at_risk"], o["due"]) == (2, 2)
    cohorts = {c["cohort"]: c for c in o["cohorts"]}
    assert list(cohorts) == [f"2025-{m:02d}" for m in range(7, 13)] + [
        f"2026-{m:02d}" for m in range(1, 7)]
    assert {k: (c["customers"], c["average_clv"]) for k, c in cohorts.items()
            if c["customers"]} == {
        "2025-12": (1, Decimal("80.00")), "2026-01": (2, Decimal("435.00")),
        "2026-02": (1, Decimal("2000.00")), "2026-03": (1, Decimal("500.00")),
        "2026-05": (1, Decimal("40.00")), "2026-06": (1, Decimal("10.00"))}
    future = [None] * 6
    assert _cells(cohorts["2025-12"]) == ["100.00"] + ["0.00"] * 6 + [None] * 5
    # Alpha: Jan, Feb, Apr; Beta: Jan, May, Jun.
    assert _cells(cohorts["2026-01"]) == ["100.00", "50.00", "0.00", "50.00", "50.00",
                                          "50.00"] + future
    assert _cells(cohorts["2026-02"]) == ["100.00", "100.00", "0.00", "0.00", "0.00"] + \
        [None] * 7
    assert _cells(cohorts["2026-05"]) == ["100.00", "0.00"] + [None] * 10
    assert _cells(cohorts["2026-06"]) == ["100.00"] + [None] * 11
    jan = cohorts["2026-01"]["cells"]
    assert (jan[1]["customers"], jan[1]["churn"], jan[2]["churn"]) == (
        1, Decimal("50.00"), Decimal("100.00"))
    # A month nobody started in: zeros, not a division by zero.
    assert cohorts["2026-04"]["cells"][0] == {"offset": 0, "customers": 0,
                                              "retention": Decimal("0.00"),
                                              "churn": Decimal("0.00")}
    assert [c["cohort"] for c in overview(shop, SYSTEM, months=3, today=TODAY)[
        "cohorts"]] == ["2026-04", "2026-05", "2026-06"]


def test_the_due_and_at_risk_list_most_overdue_first(shop, helpers):
    ids, _ = _world(shop, helpers)
    page = due_customers(shop, SYSTEM, today=TODAY)
    rows = [(i["name"], i["status"], str(i["interval_days"]), i["days_since"],
             i["expected"].isoformat(), i["last_order"].isoformat()) for i in page["items"]]
    # Days since / interval: Gamma 117/28, Alpha 81/45 = 1.8, Zeta 30/20 = 1.5 (exactly
    # the factor: still due), Eta 10/10 (exactly its interval: due). Beta (25 days of
    # 45.3) is not due; Delta and Solo ordered on one day only.
    assert rows == [
        ("Gamma", "at_risk", "28.0", 117, "2026-04-02", "2026-03-05"),
        ("Alpha", "at_risk", "45.0", 81, "2026-05-25", "2026-04-10"),
        ("Zeta", "due", "20.0", 30, "2026-06-20", "2026-05-31"),
        ("Eta", "due", "10.0", 10, "2026-06-30", "2026-06-20")]
    assert page["items"][0]["url"] == f"/records/organization/{ids['Gamma']}"
    assert page["next_cursor"] is None and page["factor"] == Decimal("1.5")
    assert [i["name"] for i in due_customers(shop, SYSTEM, status="due", today=TODAY)[
        "items"]] == ["Zeta", "Eta"]
    # A day later Eta is still due; Zeta (31 days: more than 1.5 x 20) is at risk.
    later = due_customers(shop, SYSTEM, status="at_risk", today=TODAY + dt.timedelta(days=1))
    assert [i["name"] for i in later["items"]] == ["Gamma", "Alpha", "Zeta"]


def test_the_list_in_pages(shop, helpers):
    _world(shop, helpers)
    seen, cursor = [], None
    for _ in range(5):
        page = due_customers(shop, SYSTEM, limit=1, cursor=cursor, today=TODAY)
        seen += [i["name"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["Gamma", "Alpha", "Zeta", "Eta"]
    two = due_customers(shop, SYSTEM, limit=2, today=TODAY)
    rest = due_customers(shop, SYSTEM, limit=2, cursor=two["next_cursor"], today=TODAY)
    assert [i["name"] for i in rest["items"]] == ["Zeta", "Eta"]


def test_the_at_risk_factor_comes_from_the_settings(make_kernel, helpers):
    kernel = make_kernel(plugins=[accord_marketing.hooks, accord_sales.hooks],
                         enable=["sales", "marketing"],
                         plugin_settings={"marketing": {"at_risk_factor": "3"}})
    _world(kernel, helpers)
    page = due_customers(kernel, SYSTEM, today=TODAY)
    # Gamma 4.18 times its interval; Alpha 1.8, Zeta 1.5 and Eta 1.0 are within 3.
    assert [(i["name"], i["status"]) for i in page["items"]] == [
        ("Gamma", "at_risk"), ("Alpha", "due"), ("Zeta", "due"), ("Eta", "due")]


def test_ties_are_ordered_by_customer_and_paged_exactly(shop, helpers):
    """Two customers exactly as overdue (60/30 and 40/20) come by id, page by page."""
    first, second = helpers.org(shop, "First"), helpers.org(shop, "Second")
    for org, days in ((second, ("2026-04-01", "2026-05-01")),
                      (first, ("2026-05-01", "2026-05-21"))):
        for day in days:
            _order(shop, day, "1.00", organization_id=org.id)
    today = dt.date(2026, 6, 30)  # Second: 60 days of 30; First: 40 of 20
    page = due_customers(shop, SYSTEM, limit=1, today=today)
    assert [i["name"] for i in page["items"]] == ["First"]
    rest = due_customers(shop, SYSTEM, limit=1, cursor=page["next_cursor"], today=today)
    assert [i["name"] for i in rest["items"]] == ["Second"]
    assert rest["next_cursor"] is None


def test_bad_cursors_and_statuses_name_the_field(shop, helpers):
    from accord.pagination import encode_cursor

    _world(shop, helpers)
    for cursor in ("nonsense", encode_cursor([1, 0, "organization", 1]),
                   encode_cursor([1, 2, "deal", 1]), encode_cursor(["1", 2, "contact", 1]),
                   encode_cursor([True, 2, "contact", 1]), encode_cursor([1, 2, "contact"])):
        with pytest.raises(ValidationError) as caught:
            due_customers(shop, SYSTEM, cursor=cursor, today=TODAY)
        assert list(caught.value.messages) == ["cursor"], cursor
    with pytest.raises(ValidationError) as caught:
        due_customers(shop, SYSTEM, status="lost", today=TODAY)
    assert caught.value.messages == {"status": ["use one of due, at_risk"]}
    with pytest.raises(ValidationError) as caught:
        overview(shop, SYSTEM, months=37, today=TODAY)
    assert caught.value.messages == {"months": ["give a number of months from 1 to 36"]}


def test_customers_who_bought_also_bought(shop, helpers):
    _, products = _world(shop, helpers)
    seats = also_bought(shop, SYSTEM, products["seats"])
    # Seats: Alpha, Beta, Gamma and Solo; Support: Alpha, Beta, Gamma; Training: Beta.
    assert (seats["product"], seats["customers"], seats["note"]) == ("Seats", 4, "")
    assert [(i["name"], i["customers"], str(i["share"])) for i in seats["items"]] == [
        ("Support", 3, "75.00"), ("Training", 1, "25.00")]
    assert seats["items"][0]["url"] == f"/records/product/{products['support']}"
    training = also_bought(shop, SYSTEM, products["training"])
    assert [(i["name"], i["customers"]) for i in training["items"]] == [
        ("Seats", 1), ("Support", 1)]
    unsold = also_bought(shop, SYSTEM, products["unsold"])
    assert (unsold["customers"], unsold["items"]) == (0, [])
    with pytest.raises(NotFound) as caught:
        also_bought(shop, SYSTEM, 987654)
    assert caught.value.message == "no product 987654"


def test_a_restricted_reader_counts_only_their_customers(shop, helpers):
    from accord.services.authz import actor_for
    from accord.services.roles import add_role

    add_role(shop, "reps", actor=SYSTEM, grants=["core.*.read", "marketing.retention.read"],
             rules={"*": "own"})
    rep = services.create(shop, "user", {"email": "rita@example.com", "name": "Rita Rep",
                                         "role": "reps"}, actor=SYSTEM)
    _, products = _world(shop, helpers, owner_id=rep.id)
    with shop.bound():
        reader = actor_for(shop, rep)
    page = due_customers(shop, reader, today=TODAY)
    assert [i["name"] for i in page["items"]] == ["Alpha", "Zeta"]
    o = overview(shop, reader, today=TODAY)
    assert (o["customers"], o["repeat_customers"], o["average_clv"], o["at_risk"],
            o["due"]) == (2, 2, Decimal("320.00"), 1, 1)
    assert also_bought(shop, reader, products["seats"])["customers"] == 1
    # The metrics count the reader's customers too: Alpha (3 orders) and Zeta (2).
    jan = dt.date(2026, 1, 1)
    points = compute(shop, "marketing.repeat_rate", MetricQuery(jan, TODAY, by="total",
                                                                reader=reader))
    assert [(p.period, str(p.value)) for p in points] == [("total", "100.00")]
    points = compute(shop, "marketing.average_clv", MetricQuery(jan, TODAY, by="total",
                                                                reader=reader))
    assert [str(p.value) for p in points] == ["320.00"]
    outsider = Actor(user_id=None, label="Sam", role="sales", grants=("sales.*",))
    with pytest.raises(PermissionDenied):
        overview(shop, outsider, today=TODAY)


def _points(kernel, name, start, end, by="month"):
    return [(p.period, str(p.value)) for p in
            compute(kernel, name, MetricQuery(start, end, by=by))]


def test_the_metrics_by_hand(shop, helpers):
    _world(shop, helpers)
    jan, jun = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
    assert _points(shop, "marketing.repeat_rate", jan, jun) == [
        ("2026-01", "50.00"), ("2026-02", "0.00"), ("2026-03", "0.00"),
        ("2026-04", "0.00"), ("2026-05", "50.00"), ("2026-06", "50.00")]
    assert _points(shop, "marketing.repeat_rate", jan, jun, "total") == [("total", "83.33")]
    # Customers of each month's first day (a first order before it), ordering again in
    # the month: Jan Solo 0/1, Feb Alpha of 3, Mar Gamma of 4, Apr Alpha of 5, May Beta
    # of 5, Jun Beta of 6.
    assert _points(shop, "marketing.retention_rate", jan, jun) == [
        ("2026-01", "0.00"), ("2026-02", "33.33"), ("2026-03", "25.00"),
        ("2026-04", "20.00"), ("2026-05", "20.00"), ("2026-06", "16.67")]
    assert _points(shop, "marketing.churn_rate", jan, jun) == [
        ("2026-01", "100.00"), ("2026-02", "66.67"), ("2026-03", "75.00"),
        ("2026-04", "80.00"), ("2026-05", "80.00"), ("2026-06", "83.33")]
    mar = dt.date(2026, 3, 1)
    assert _points(shop, "marketing.retention_rate", mar, jun, "total") == [
        ("total", "75.00")]
    assert _points(shop, "marketing.churn_rate", mar, jun, "total") == [("total", "25.00")]
    assert _points(shop, "marketing.average_clv", jan, jun) == [
        ("2026-01", "93.33"), ("2026-02", "370.00"), ("2026-03", "596.00"),
        ("2026-04", "656.00"), ("2026-05", "570.00"), ("2026-06", "500.00")]
    # Up to June 15: 3495.00 over 7 customers (Eta's first order of June 10 counts).
    assert _points(shop, "marketing.average_clv", jan, dt.date(2026, 6, 15), "total") == [
        ("total", "499.29")]
    # Before anyone bought: zeros.
    assert _points(shop, "marketing.repeat_rate", dt.date(2025, 1, 1),
                   dt.date(2025, 1, 31)) == [("2025-01", "0.00")]


def test_without_sales_every_figure_is_empty_and_says_why(make_kernel, helpers, cli_runner):
    kernel = make_kernel(plugins=[accord_marketing.hooks], enable=["marketing"])
    helpers.org(kernel, "Acme")
    product = _product(kernel, "SEAT", "Seats")
    o = overview(kernel, SYSTEM, months=2, today=TODAY)
    assert o["note"] == NO_FACTS
    assert (o["customers"], o["repeat_rate"], o["average_clv"], o["due"], o["at_risk"]) == (
        0, Decimal("0.00"), Decimal("0.00"), 0, 0)
    assert [(c["cohort"], c["customers"]) for c in o["cohorts"]] == [("2026-05", 0),
                                                                      ("2026-06", 0)]
    page = due_customers(kernel, SYSTEM, today=TODAY)
    assert (page["note"], page["items"], page["next_cursor"]) == (NO_FACTS, [], None)
    also = also_bought(kernel, SYSTEM, product)
    assert (also["note"], also["customers"], also["items"]) == (NO_FACTS, 0, [])
    for name in ("marketing.repeat_rate", "marketing.retention_rate",
                 "marketing.churn_rate", "marketing.average_clv"):
        assert _points(kernel, name, dt.date(2026, 5, 1), TODAY) == [
            ("2026-05", "0.00"), ("2026-06", "0.00")], name
    cli_runner.kernel = kernel
    out = cli_runner("marketing", "retention")
    assert out.exit_code == 0, out.output
    assert "No figures: no purchase facts: the sales plugin is not enabled." in out.output
    assert "Repeat customers: 0 of 0 (0.00%)" in out.output


def test_the_cli(shop, helpers, cli_runner):
    """The CLI counts up to the real today: orders placed relative to it."""
    today = dt.datetime.now(dt.timezone.utc).date()
    org = helpers.org(shop, "Northwind")
    for back, amount in ((100, "1500.00"), (50, "1000.00")):  # every 50 days, 50 since
        _order(shop, today - dt.timedelta(days=back), amount, organization_id=org.id)
    other = helpers.org(shop, "Contoso")
    _order(shop, today, "250.00", organization_id=other.id)
    cli_runner.kernel = shop
    out = cli_runner("marketing", "retention", "--months", "1")
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0] == "Repeat customers: 1 of 2 (50.00%)"
    assert lines[1] == "Average lifetime value: 1,375.00 EUR"
    assert lines[2].split() == ["cohort", "customers"] + [f"M{n}" for n in range(12)]
    assert lines[3].split() == [today.strftime("%Y-%m"), "1", "100%"]
    assert lines[4] == ("At risk: 0 customers; due to buy: 1 (past 1.5 times their usual "
                        "interval: at risk)")
    assert cli_runner("marketing", "retention", "--months", "0").exit_code == 2


def test_the_retention_curve_weighs_the_cohorts_that_reached_each_month():
    from accord_marketing.retention import retention_curve

    def cell(customers, retention="1"):
        return {"customers": customers, "retention": retention}

    cohorts = [  # 4 customers: 2 ordered in month 1, 1 in month 2
        {"customers": 4, "cells": [cell(4), cell(2), cell(1)]},
        # 1 customer, month 1 reached (ordered), month 2 not yet
        {"customers": 1, "cells": [cell(1), cell(1), cell(None, None)]},
        {"customers": 0, "cells": [cell(0), cell(0), cell(0)]},  # no customers: left out
    ]
    assert retention_curve(cohorts, 3) == [
        {"offset": 1, "customers": 5, "retention": Decimal("60.00")},
        {"offset": 2, "customers": 4, "retention": Decimal("25.00")}]
    assert retention_curve([{"customers": 1, "cells": [cell(1), cell(None, None)]}], 2) == []
