"""The core's metrics against figures worked out by hand on a small fixed data set.

Range: 2024-01-01 to 2024-03-31.  Organizations (relationship, customer since, owner):

    Alpha  customer  2024-01-15  maria        Delta  prospect  -           maria
    Beta   customer  2024-03-31  tom          Eps    customer  2024-04-01  tom
    Gamma  customer  2023-12-31  maria

Activities counted (on done_at, else created_at; UTC months):
    Jan: Alpha (Jan 10)
    Feb: Alpha (Jan 31 23:30 at -02:00 is Feb 1 in UTC), Beta (linked by record_type/id),
         Gamma twice
    Mar: Alpha (not done; created Mar 15)
Not counted: Delta (a prospect), Beta on Dec 31 23:59:59, Eps on Apr 1 00:00, an activity
about no organization.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accord import services
from accord.errors import NotFound, ValidationError
from accord.metrics import MetricQuery, compute
from accord.models import Activity

UTC = dt.timezone.utc
START, END = dt.date(2024, 1, 1), dt.date(2024, 3, 31)


@pytest.fixture
def data(kernel, actor):
    maria, tom = (services.create(kernel, "user", {"email": f"{n}@example.com", "name": n,
                                                   "role": "sales"}, actor=actor).id
                  for n in ("maria", "tom"))
    orgs = dict(zip(["Alpha", "Beta", "Gamma", "Delta", "Eps"], services.bulk_create(
        kernel, "organization", [
            {"name": "Alpha", "relationship": "customer", "customer_since": "2024-01-15",
             "owner_id": maria},
            {"name": "Beta", "relationship": "customer", "customer_since": "2024-03-31",
             "owner_id": tom},
            {"name": "Gamma", "relationship": "customer", "customer_since": "2023-12-31",
             "owner_id": maria},
            {"name": "Delta", "relationship": "prospect", "owner_id": maria},
            {"name": "Eps", "relationship": "customer", "customer_since": "2024-04-01",
             "owner_id": tom},
        ], actor=actor)))

    def act(org=None, done=None, **link):
        row = {"kind": "call", "subject": "s", "done_at": done}
        if org:
            row["organization_id"] = orgs[org]
        return services.create(kernel, "activity", {**row, **link}, actor=actor)

    act("Alpha", "2024-01-10T10:00:00+00:00")
    act("Alpha", "2024-01-31T23:30:00-02:00")
    act(record_type="organization", record_id=orgs["Beta"], done="2024-02-05T10:00:00+00:00")
    act("Gamma", "2024-02-20T10:00:00+00:00")
    act("Gamma", "2024-02-21T10:00:00+00:00")
    act("Delta", "2024-02-05T10:00:00+00:00")
    act("Beta", "2023-12-31T23:59:59+00:00")
    act("Eps", "2024-04-01T00:00:00+00:00")
    act(None, "2024-02-10T10:00:00+00:00")
    undone = act("Alpha")
    with kernel.bound():
        Activity.update(created_at=dt.datetime(2024, 3, 15, 12, tzinfo=UTC)).where(
            Activity.id == undone.id).execute()
    return {"maria": maria, "tom": tom}


def figures(kernel, name, by="month", **filters):
    return {p.period: p.value for p in compute(kernel, name, MetricQuery(START, END, by=by,
                                                                         **filters))}


def d(*values):
    return [Decimal(v) for v in values]


MONTHS = ["2024-01", "2024-02", "2024-03"]


def by_month(*values):
    return dict(zip(MONTHS, d(*values)))


def test_new_customers(kernel, data):
    assert figures(kernel, "core.new_customers") == by_month("1", "0", "1")
    assert figures(kernel, "core.new_customers", by="total") == {"total": Decimal(2)}
    assert figures(kernel, "core.new_customers", owner_id=data["maria"]) == by_month(1, 0, 0)
    assert figures(kernel, "core.new_customers", by="total", owner_id=data["tom"]) == {
        "total": Decimal(1)}


def test_new_customers_across_a_year_end(kernel, data):
    points = compute(kernel, "core.new_customers",
                     MetricQuery(dt.date(2023, 12, 1), dt.date(2024, 2, 29)))
    assert [(p.period, p.value) for p in points] == [
        ("2023-12", Decimal(1)), ("2024-01", Decimal(1)), ("2024-02", Decimal(0))]


def test_active_customers(kernel, data):
    assert figures(kernel, "core.active_customers") == by_month(1, 3, 1)
    # Over the whole range each customer counts once: Alpha, Beta, Gamma.
    assert figures(kernel, "core.active_customers", by="total") == {"total": Decimal(3)}
    assert figures(kernel, "core.active_customers", owner_id=data["maria"]) == by_month(1, 2, 1)
    assert figures(kernel, "core.active_customers", owner_id=data["tom"]) == by_month(0, 1, 0)
    assert figures(kernel, "core.active_customers", by="total", owner_id=data["maria"]) == {
        "total": Decimal(2)}


def test_contact_frequency(kernel, data):
    # 4 current customers (Alpha, Beta, Gamma, Eps): Jan 1, Feb 4, Mar 1 activities.
    assert figures(kernel, "core.contact_frequency") == by_month("0.25", "1.00", "0.25")
    # 6 activities / 4 customers / 3 months.
    assert figures(kernel, "core.contact_frequency", by="total") == {"total": Decimal("0.50")}
    # maria's 2 customers (Alpha, Gamma): Jan 1, Feb 3, Mar 1; 5 / 2 / 3 = 0.833...
    assert figures(kernel, "core.contact_frequency", owner_id=data["maria"]) == by_month(
        "0.50", "1.50", "0.50")
    assert figures(kernel, "core.contact_frequency", by="total", owner_id=data["maria"]) == {
        "total": Decimal("0.83")}


def test_a_month_without_data_is_zero_and_every_month_is_listed(kernel):
    for name in ("core.new_customers", "core.active_customers", "core.contact_frequency"):
        assert figures(kernel, name) == by_month(0, 0, 0)
        assert figures(kernel, name, by="total") == {"total": Decimal(0)}


def test_unknown_metric_is_not_found(kernel):
    with pytest.raises(NotFound) as exc:
        compute(kernel, "sales.win_rate", MetricQuery(START, END))
    assert str(exc.value) == ("unknown metric 'sales.win_rate' (known: core.active_customers, "
                              "core.completeness, core.contact_frequency, core.new_customers, "
                              "core.stale_records)")


@pytest.mark.parametrize("query, messages", [
    (MetricQuery(dt.date(2024, 3, 1), dt.date(2024, 1, 1)),
     {"from": ["2024-03-01 is after 2024-01-01"]}),
    (MetricQuery(START, END, by="week"), {"by": ["use month or total"]}),
    (MetricQuery(dt.date(1990, 1, 1), dt.date(2026, 12, 31)),
     {"from": ["the range spans 444 months; ask for at most 240 at once"]}),
    (MetricQuery(dt.date(1, 1, 1), END), {"from": ["give a date from 1900-01-01 to 9000-12-31"]}),
])
def test_bad_ranges_are_refused(kernel, query, messages):
    with pytest.raises(ValidationError) as exc:
        compute(kernel, "core.new_customers", query)
    assert exc.value.messages == messages


@pytest.mark.parametrize("args, query, message", [
    (("--from", "1990-01-01", "--to", "2026-12-31"), "from=1990-01-01&to=2026-12-31",
     ("from", "the range spans 444 months; ask for at most 240 at once")),
    # Without --from the range is a year back from --to: no crash on year 1.
    (("--to", "0001-01-01"), "to=0001-01-01",
     ("to", "give a date from 1900-01-01 to 9000-12-31")),
])
def test_the_cli_refuses_the_ranges_the_api_refuses_with_the_same_message(
        cli, api_client, args, query, message):
    result = cli("report", "core.new_customers", *args)
    assert (result.exit_code, result.output) == (
        1, f"Error: invalid input:\n  {message[0]}: {message[1]}\n")
    response = api_client.get(f"/api/v1/metrics/core.new_customers?{query}")
    assert response.status_code == 400
    assert response.get_json()["errors"] == {message[0]: [message[1]]}
