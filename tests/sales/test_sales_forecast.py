"""The forecast (``accord_sales.forecast.forecast`` and ``accord sales forecast``) against
figures worked out by hand on a small fixed data set, inserted straight into the
tables: the read side does not care how rows got there."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import accord_sales.hooks
from accord import services
from accord.errors import ValidationError
from accord.services import Actor
from accord.services.plugins import set_settings
from accord_sales.forecast import forecast
from accord_sales.models import Opportunity, Order, OrderLine, Quote, QuoteLine

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.plugins(accord_sales.hooks)

MAY = dt.date(2026, 5, 1)
D = Decimal


def _at(text):
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


def _add(kernel, model, **values):
    with kernel.bound():
        return model.insert(**values).execute()


def _deal(kernel, name, amount, stage, probability, close=None, *, currency="EUR",
          pipeline="new_business", owner=None, team=None, closed_at=None,
          close_probability=None):
    return _add(kernel, Opportunity, name=name, amount=D(amount), amount_currency=currency,
                pipeline=pipeline, stage=stage, probability=probability,
                expected_close_date=close, owner=owner, team=team,
                closed_at=_at(closed_at) if closed_at else None,
                close_probability=close_probability, created_at=_at("2026-01-02T09:00:00"))


def _document(kernel, model, currency="EUR", **values):
    return _add(kernel, model, currency=currency, **values)


def _line(kernel, model, position, product, quantity, net, **parent):
    quantity, net = D(quantity), D(net)
    return _add(kernel, model, position=position, product=product,
                description="line", quantity=quantity, unit_price=net / quantity,
                net=net, tax=D(0), total=net, **parent)


@pytest.fixture
def book(sales, helpers):
    """Thirteen opportunities, eight quotes and six orders; the figures they make are
    worked out in the tests below. ann is in team North, bob in team South."""
    ann = services.create(sales, "user", {"email": "ann@example.com", "name": "Ann",
                                          "role": "sales"}, actor=SYSTEM).id
    bob = services.create(sales, "user", {"email": "bob@example.com", "name": "Bob",
                                          "role": "sales"}, actor=SYSTEM).id
    north = services.create(sales, "team", {"name": "North"}, actor=SYSTEM).id
    south = services.create(sales, "team", {"name": "South"}, actor=SYSTEM).id
    a = {"owner": ann, "team": north}
    b = {"owner": bob, "team": south}
    may, jun, jul = dt.date(2026, 5, 20), dt.date(2026, 6, 15), dt.date(2026, 7, 1)
    o1 = _deal(sales, "O1", "1000.00", "Proposal", 50, may, **a)
    o2 = _deal(sales, "O2 overdue", "2000.00", "Negotiation", 80, dt.date(2026, 4, 10), **a)
    o3 = _deal(sales, "O3", "333.33", "Qualification", 25, jun, **b)
    o4 = _deal(sales, "O4", "1500.00", "Negotiation", 80, dt.date(2026, 6, 30),
               pipeline="renewals", **b)
    o5 = _deal(sales, "O5", "400.00", "Proposal", 75, jul, currency="USD", **b)
    o6 = _deal(sales, "O6 undated", "250.00", "Prospecting", 10)
    _deal(sales, "O7 later", "999.99", "Proposal", 50, dt.date(2026, 11, 1), **a)
    o8 = _deal(sales, "O8", "5000.00", "Won", 100, dt.date(2026, 5, 5),
               closed_at="2026-05-06T10:00:00", close_probability=75, **a)
    _deal(sales, "O9", "1200.00", "Renewed", 100, jun, pipeline="renewals",
          closed_at="2026-06-30T23:30:00", close_probability=80, **b)
    _deal(sales, "O10", "800.00", "Lost", 0, may, closed_at="2026-05-10T08:00:00", **b)
    _deal(sales, "O11 won in April", "700.00", "Won", 100, may,
          closed_at="2026-04-30T23:59:59", **a)
    # A stage the settings no longer name: treated as open.
    _deal(sales, "O12", "100.00", "Archived", 20, dt.date(2026, 7, 15))
    _deal(sales, "O13", "300.00", "Won", 100, jul, currency="USD",
          closed_at="2026-07-02T00:00:00", **a)

    def product(sku, name, cost=None):
        data = {"sku": sku, "name": name}
        if cost:
            data["cost_price"] = {"amount": cost[0], "currency": cost[1]}
        return services.create(sales, "product", data, actor=SYSTEM).id

    chair = product("CHAIR", "Office chair", ("60.00", "EUR"))
    desk = product("DESK", "Standing desk", ("300.00", "EUR"))
    lamp = product("LAMP", "Desk lamp")

    def quote(opportunity, status, currency="EUR", revision_of=None, revision=1):
        return _document(sales, Quote, currency, name="Q", opportunity=opportunity,
                         status=status, revision_of=revision_of, revision=revision)

    # O1: the sent first revision is superseded by the draft second one.
    q1 = quote(o1, "sent")
    _line(sales, QuoteLine, 1, chair, "10", "1200.00", quote=q1)
    _line(sales, QuoteLine, 2, desk, "2", "1100.00", quote=q1)
    q1b = quote(o1, "draft", revision_of=q1, revision=2)
    _line(sales, QuoteLine, 1, chair, "4", "480.00", quote=q1b)
    # O2 (overdue, so May): a line without a product is no product's demand.
    q2 = quote(o2, "draft")
    _line(sales, QuoteLine, 1, desk, "3", "1650.00", quote=q2)
    _line(sales, QuoteLine, 2, None, "1", "200.00", quote=q2)
    q3 = quote(o3, "accepted")
    _line(sales, QuoteLine, 1, chair, "50", "6000.00", quote=q3)
    q4 = quote(o4, "sent")
    _line(sales, QuoteLine, 1, lamp, "5", "125.00", quote=q4)
    q5 = quote(o8, "sent")  # a won opportunity's quote is no longer pipeline
    _line(sales, QuoteLine, 1, chair, "70", "8400.00", quote=q5)
    q6 = quote(o5, "sent", "USD")
    _line(sales, QuoteLine, 1, chair, "3", "333.33", quote=q6)
    q7 = quote(o6, "draft")  # undated: no month
    _line(sales, QuoteLine, 1, chair, "100", "12000.00", quote=q7)
    # O3 again: the latest revision was rejected, so the sent first one is not counted.
    q8 = quote(o3, "sent")
    _line(sales, QuoteLine, 1, desk, "9", "4950.00", quote=q8)
    q8b = quote(o3, "rejected", revision_of=q8, revision=2)
    _line(sales, QuoteLine, 1, desk, "9", "4500.00", quote=q8b)

    def order(day, status, currency="EUR"):
        return _document(sales, Order, currency, order_date=day, status=status)

    first = order(dt.date(2025, 11, 1), "confirmed")
    _line(sales, OrderLine, 1, chair, "6", "720.00", order=first)
    last = order(dt.date(2026, 4, 30), "fulfilled")
    _line(sales, OrderLine, 1, chair, "7", "840.00", order=last)
    _line(sales, OrderLine, 2, desk, "1", "550.00", order=last)
    cancelled = order(dt.date(2026, 3, 15), "cancelled")
    _line(sales, OrderLine, 1, chair, "100", "12000.00", order=cancelled)
    before = order(dt.date(2025, 10, 31), "confirmed")
    _line(sales, OrderLine, 1, chair, "50", "6000.00", order=before)
    after = order(dt.date(2026, 5, 2), "confirmed")
    _line(sales, OrderLine, 1, chair, "50", "6000.00", order=after)
    dollars = order(dt.date(2026, 2, 10), "partially_fulfilled", "USD")
    _line(sales, OrderLine, 1, chair, "2", "260.00", order=dollars)
    return sales


def _figures(row):
    return (row.opportunities, row.weighted, row.committed, row.best_case, row.won)


def test_the_months_by_hand(book):
    result = forecast(book, months=4, start=dt.date(2026, 5, 17))
    assert (result.start, result.months, result.commit_probability) == (
        MAY, ["2026-05", "2026-06", "2026-07", "2026-08"], 75)
    assert [(r.month, r.group) for r in result.rows] == [
        ("2026-05", None), ("2026-06", None), ("2026-07", None), ("2026-08", None)]
    may, jun, jul, aug = map(_figures, result.rows)
    # May: O1 (1000.00 at 50%) and O2 (2000.00 at 80%, overdue since April).
    # weighted 500.00 + 1600.00; committed only O2 (80 >= 75); won O8 (5000.00, May 6th);
    # O10 was lost, O11 won on April 30th.
    assert may == (2, {"EUR": D("2100.00")}, {"EUR": D("2000.00")}, {"EUR": D("3000.00")},
                   {"EUR": D("5000.00")})
    # June: O3 333.33 at 25% = 83.3325 -> 83.33, O4 (renewals) 1500.00 at 80% = 1200.00;
    # committed O4; best 1833.33; won O9 (renewals, June 30th 23:30 UTC).
    assert jun == (2, {"EUR": D("1283.33")}, {"EUR": D("1500.00")}, {"EUR": D("1833.33")},
                   {"EUR": D("1200.00")})
    # July: O5 400.00 USD at 75% (committed: 75 >= 75) and O12 100.00 EUR at 20% in an
    # unknown stage (open); won O13 300.00 USD. Currencies are never added together.
    assert jul == (2, {"EUR": D("20.00"), "USD": D("300.00")}, {"USD": D("400.00")},
                   {"EUR": D("100.00"), "USD": D("400.00")}, {"USD": D("300.00")})
    # August: nothing (O7 closes in November, after the window).
    assert aug == (0, {}, {}, {}, {})
    # O6 has no expected close date: reported apart, 250.00 at 10%.
    assert [(r.month, r.group, *_figures(r)) for r in result.undated] == [
        ("undated", None, 1, {"EUR": D("25.00")}, {}, {"EUR": D("250.00")}, {})]
    total = result.total()
    # 2100.00 + 1283.33 + 20.00; 2000.00 + 1500.00; 3000.00 + 1833.33 + 100.00; 5000 + 1200
    assert _figures(total) == (6, {"EUR": D("3403.33"), "USD": D("300.00")},
                               {"EUR": D("3500.00"), "USD": D("400.00")},
                               {"EUR": D("4933.33"), "USD": D("400.00")},
                               {"EUR": D("6200.00"), "USD": D("300.00")})


def test_grouped_by_owner_team_and_pipeline(book):
    by_owner = forecast(book, months=4, start=MAY, by="owner")
    cells = {(r.group, r.month): _figures(r) for r in by_owner.rows}
    # Every group has every month; groups by name, "(none)" for no owner.
    assert [r.group for r in by_owner.rows] == (
        ["(none)"] * 4 + ["ann@example.com"] * 4 + ["bob@example.com"] * 4)
    empty = (0, {}, {}, {}, {})
    assert cells == {
        # O12 in July; O6 is undated.
        ("(none)", "2026-05"): empty, ("(none)", "2026-06"): empty,
        ("(none)", "2026-07"): (1, {"EUR": D("20.00")}, {}, {"EUR": D("100.00")}, {}),
        ("(none)", "2026-08"): empty,
        # O1 and O2, won O8 in May; won O13 (USD) in July.
        ("ann@example.com", "2026-05"): (2, {"EUR": D("2100.00")}, {"EUR": D("2000.00")},
                                         {"EUR": D("3000.00")}, {"EUR": D("5000.00")}),
        ("ann@example.com", "2026-06"): empty,
        ("ann@example.com", "2026-07"): (0, {}, {}, {}, {"USD": D("300.00")}),
        ("ann@example.com", "2026-08"): empty,
        # O3, O4 and won O9 in June; O5 (USD) in July.
        ("bob@example.com", "2026-05"): empty,
        ("bob@example.com", "2026-06"): (2, {"EUR": D("1283.33")}, {"EUR": D("1500.00")},
                                         {"EUR": D("1833.33")}, {"EUR": D("1200.00")}),
        ("bob@example.com", "2026-07"): (1, {"USD": D("300.00")}, {"USD": D("400.00")},
                                         {"USD": D("400.00")}, {}),
        ("bob@example.com", "2026-08"): empty,
    }
    assert [(r.group, r.opportunities) for r in by_owner.undated] == [("(none)", 1)]

    by_team = forecast(book, months=4, start=MAY, by="team")
    # Ann is the whole of North, Bob of South: the same figures under the team names.
    renamed = {"ann@example.com": "North", "bob@example.com": "South"}
    assert {(r.group, r.month): _figures(r) for r in by_team.rows} == {
        (renamed.get(g, g), m): f for (g, m), f in cells.items()}

    by_pipeline = forecast(book, months=4, start=MAY, by="pipeline")
    cells = {(r.group, r.month): _figures(r) for r in by_pipeline.rows}
    # renewals: O4 (1500.00 at 80%) and won O9, both June.
    assert cells[("renewals", "2026-06")] == (1, {"EUR": D("1200.00")}, {"EUR": D("1500.00")},
                                              {"EUR": D("1500.00")}, {"EUR": D("1200.00")})
    assert cells[("renewals", "2026-05")] == cells[("renewals", "2026-07")] == empty
    # new_business in June: O3 alone, 333.33 at 25%.
    assert cells[("new_business", "2026-06")] == (1, {"EUR": D("83.33")}, {},
                                                  {"EUR": D("333.33")}, {})
    assert cells[("new_business", "2026-05")] == _figures(forecast(book, 4, MAY).rows[0])
    assert [(r.group, r.opportunities) for r in by_pipeline.undated] == [("new_business", 1)]


def test_the_commit_probability_setting_moves_what_is_committed(book):
    with book.bound():  # a settings change is refused while O12 is in an unknown stage
        Opportunity.update(stage="Prospecting").where(Opportunity.stage == "Archived").execute()
    set_settings(book, "sales", {"commit_probability": 80}, actor=SYSTEM)
    jul = forecast(book, months=3, start=MAY).rows[2]
    # O5 is at 75%, no longer committed; O2 (80%) and O4 (80%) still are.
    assert (jul.committed, forecast(book, months=1, start=MAY).rows[0].committed) == (
        {}, {"EUR": D("2000.00")})


@pytest.mark.parametrize("value, message", [
    (-1, "Give a probability from 0 to 100."), (101, "Give a probability from 0 to 100."),
    ("80", "Not a valid integer."), (75.5, "Not a valid integer.")])
def test_the_commit_probability_is_a_whole_percentage(sales, value, message):
    with pytest.raises(ValidationError) as caught:
        set_settings(sales, "sales", {"commit_probability": value}, actor=SYSTEM)
    assert caught.value.messages == {
        "settings": [f"plugins.settings.sales.commit_probability: {message}"]}
    assert sales.settings("sales")["commit_probability"] == 75


def _demand(result):
    return [(d.month, d.sku, d.pipeline_units, d.pipeline_value, d.run_rate_units,
             d.run_rate_value, d.units, d.value) for d in result.demand]


def test_product_demand_by_hand(book):
    result = forecast(book, months=4, start=MAY)
    # The run-rate averages November 2025 to April 2026, orders not cancelled:
    # CHAIR 6 + 7 (EUR) + 2 (USD) = 15 units / 6 = 2.5; (720.00 + 840.00) / 6 = 260.00 EUR,
    # 260.00 / 6 = 43.33 USD. DESK 1 / 6 = 0.1667 units; 550.00 / 6 = 91.67 EUR.
    assert result.run_rate_months == ("2025-11", "2026-04")
    chair_rate = (D("2.5"), {"EUR": D("260.00"), "USD": D("43.33")})
    desk_rate = (D("0.1667"), {"EUR": D("91.67")})
    assert _demand(result) == [
        # May: O1's latest revision (4 chairs, 480.00) at 50% = 2 units, 240.00;
        # O2's 3 desks (1650.00) at 80% = 2.4 units, 1320.00.
        ("2026-05", "CHAIR", D("2"), {"EUR": D("240.00")}, *chair_rate, D("4.5"),
         {"EUR": D("500.00"), "USD": D("43.33")}),
        ("2026-05", "DESK", D("2.4"), {"EUR": D("1320.00")}, *desk_rate, D("2.5667"),
         {"EUR": D("1411.67")}),
        # June: O4's 5 lamps (125.00) at 80% = 4 units, 100.00; O3's quotes do not count.
        ("2026-06", "CHAIR", D(0), {}, *chair_rate, D("2.5"), chair_rate[1]),
        ("2026-06", "DESK", D(0), {}, *desk_rate, D("0.1667"), desk_rate[1]),
        ("2026-06", "LAMP", D("4"), {"EUR": D("100.00")}, D(0), {}, D("4"),
         {"EUR": D("100.00")}),
        # July: O5's 3 chairs (333.33 USD) at 75% = 2.25 units, 249.9975 -> 250.00 USD.
        ("2026-07", "CHAIR", D("2.25"), {"USD": D("250.00")}, *chair_rate, D("4.75"),
         {"EUR": D("260.00"), "USD": D("293.33")}),
        ("2026-07", "DESK", D(0), {}, *desk_rate, D("0.1667"), desk_rate[1]),
        ("2026-08", "CHAIR", D(0), {}, *chair_rate, D("2.5"), chair_rate[1]),
        ("2026-08", "DESK", D(0), {}, *desk_rate, D("0.1667"), desk_rate[1]),
    ]
    assert forecast(book, months=4, start=MAY, products=False).demand == []


def test_a_fixed_number_of_queries_whatever_the_rows(book, count_queries):
    with count_queries() as few:
        forecast(book, months=4, start=MAY, by="owner")
    more = [{"name": f"More {i}", "amount": D("10.00"), "amount_currency": "EUR",
             "pipeline": "new_business", "stage": "Proposal", "probability": 50,
             "expected_close_date": dt.date(2026, 5 + i % 4, 1)} for i in range(200)]
    with book.bound():
        Opportunity.insert_many(more).execute()
    with count_queries() as many:
        again = forecast(book, months=4, start=MAY, by="owner")
    # The open and the won opportunities, the quote lines, the orders; and the exchange
    # rates of the amounts in USD, read once for all of them.
    assert many.count == few.count == 5
    # 50 more per month at 10.00 x 50%, without an owner.
    assert again.rows[0].best_case == {"EUR": D("500.00")}


def test_bad_arguments_are_named(book):
    for kwargs, messages in (({"months": 0}, {"months": ["give 1 to 36 months, not 0"]}),
                             ({"months": 37}, {"months": ["give 1 to 36 months, not 37"]}),
                             ({"by": "region"}, {"by": [
                                 "group by owner, team, pipeline, not 'region'"]})):
        with pytest.raises(ValidationError) as caught:
            forecast(book, **kwargs)
        assert caught.value.messages == messages


# The CLI ------------------------------------------------------------------------------

FORECAST = """\
Forecast 2026-05 to 2026-08 (committed: probability 75% or more)
MONTH    OPEN                   WEIGHTED                  COMMITTED                  BEST CASE                        WON
-------  ----  -------------------------  -------------------------  -------------------------  -------------------------
2026-05     2               2,100.00 EUR               2,000.00 EUR               3,000.00 EUR               5,000.00 EUR
2026-06     2               1,283.33 EUR               1,500.00 EUR               1,833.33 EUR               1,200.00 EUR
2026-07     2     20.00 EUR + 300.00 USD                 400.00 USD    100.00 EUR + 400.00 USD                 300.00 USD
2026-08     0                   0.00 EUR                   0.00 EUR                   0.00 EUR                   0.00 EUR
-------  ----  -------------------------  -------------------------  -------------------------  -------------------------
Total       6  3,403.33 EUR + 300.00 USD  3,500.00 EUR + 400.00 USD  4,933.33 EUR + 400.00 USD  6,200.00 EUR + 300.00 USD
undated     1                  25.00 EUR                   0.00 EUR                 250.00 EUR                   0.00 EUR

Product demand: weighted pipeline (open quotes) + monthly order run-rate (average of 2025-11 to 2026-04)
MONTH    SKU    PRODUCT        PIPELINE UNITS  RUN-RATE UNITS  UNITS                    VALUE
-------  -----  -------------  --------------  --------------  -----  -----------------------
2026-05  CHAIR  Office chair             2.00            2.50   4.50   500.00 EUR + 43.33 USD
2026-05  DESK   Standing desk            2.40            0.17   2.57             1,411.67 EUR
2026-06  CHAIR  Office chair             0.00            2.50   2.50   260.00 EUR + 43.33 USD
2026-06  DESK   Standing desk            0.00            0.17   0.17                91.67 EUR
2026-06  LAMP   Desk lamp                4.00            0.00   4.00               100.00 EUR
2026-07  CHAIR  Office chair             2.25            2.50   4.75  260.00 EUR + 293.33 USD
2026-07  DESK   Standing desk            0.00            0.17   0.17                91.67 EUR
2026-08  CHAIR  Office chair             0.00            2.50   2.50   260.00 EUR + 43.33 USD
2026-08  DESK   Standing desk            0.00            0.17   0.17                91.67 EUR

Not converted to EUR (no exchange rate on or before their day): the amounts in USD, shown apart ('accord rates set USD EUR RATE --date DAY').
"""

# From June, O1 and O2 (May, April) are overdue: in June. The run-rate now averages
# December to May: CHAIR (7 + 50) EUR-priced + 2 USD-priced = 59 / 6 = 9.83 units.
BY_TEAM = """\
Forecast 2026-06 to 2026-07 (committed: probability 75% or more)
TEAM    MONTH    OPEN                   WEIGHTED                  COMMITTED                  BEST CASE                        WON
------  -------  ----  -------------------------  -------------------------  -------------------------  -------------------------
(none)  2026-06     0                   0.00 EUR                   0.00 EUR                   0.00 EUR                   0.00 EUR
(none)  2026-07     1                  20.00 EUR                   0.00 EUR                 100.00 EUR                   0.00 EUR
North   2026-06     2               2,100.00 EUR               2,000.00 EUR               3,000.00 EUR                   0.00 EUR
North   2026-07     0                   0.00 EUR                   0.00 EUR                   0.00 EUR                 300.00 USD
South   2026-06     2               1,283.33 EUR               1,500.00 EUR               1,833.33 EUR               1,200.00 EUR
South   2026-07     1                 300.00 USD                 400.00 USD                 400.00 USD                   0.00 EUR
------  -------  ----  -------------------------  -------------------------  -------------------------  -------------------------
Total               6  3,403.33 EUR + 300.00 USD  3,500.00 EUR + 400.00 USD  4,933.33 EUR + 400.00 USD  1,200.00 EUR + 300.00 USD
(none)  undated     1                  25.00 EUR                   0.00 EUR                 250.00 EUR                   0.00 EUR

Product demand: weighted pipeline (open quotes) + monthly order run-rate (average of 2025-12 to 2026-05)
MONTH    SKU    PRODUCT        PIPELINE UNITS  RUN-RATE UNITS  UNITS                      VALUE
-------  -----  -------------  --------------  --------------  -----  -------------------------
2026-06  CHAIR  Office chair             2.00            9.83  11.83   1,380.00 EUR + 43.33 USD
2026-06  DESK   Standing desk            2.40            0.17   2.57               1,411.67 EUR
2026-06  LAMP   Desk lamp                4.00            0.00   4.00                 100.00 EUR
2026-07  CHAIR  Office chair             2.25            9.83  12.08  1,140.00 EUR + 293.33 USD
2026-07  DESK   Standing desk            0.00            0.17   0.17                  91.67 EUR

Not converted to EUR (no exchange rate on or before their day): the amounts in USD, shown apart ('accord rates set USD EUR RATE --date DAY').
"""


def test_the_forecast_command_prints_months_and_demand(book, cli):
    result = cli("sales", "forecast", "--months", "4", "--from", "2026-05")
    assert (result.exit_code, result.output) == (0, FORECAST)
    by_team = cli("sales", "forecast", "--months", "2", "--from", "2026-06", "--by", "team")
    assert (by_team.exit_code, by_team.output) == (0, BY_TEAM)


def test_the_forecast_command_on_an_empty_database(sales, cli):
    result = cli("sales", "forecast", "--months", "1", "--from", "2031-02")
    assert (result.exit_code, result.output) == (0, """\
Forecast 2031-02 to 2031-02 (committed: probability 75% or more)
MONTH    OPEN  WEIGHTED  COMMITTED  BEST CASE       WON
-------  ----  --------  ---------  ---------  --------
2031-02     0  0.00 EUR   0.00 EUR   0.00 EUR  0.00 EUR
-------  ----  --------  ---------  ---------  --------
Total       0  0.00 EUR   0.00 EUR   0.00 EUR  0.00 EUR

Product demand: weighted pipeline (open quotes) + monthly order run-rate (average of 2030-08 to 2031-01)
No open quotes with products, no orders in those months.
""")


@pytest.mark.parametrize("args, message", [
    (["--months", "0"], "Invalid value for '--months': 0 is not in the range 1<=x<=36."),
    (["--months", "37"], "Invalid value for '--months': 37 is not in the range 1<=x<=36."),
    (["--months", "six"], "Invalid value for '--months': 'six' is not a valid integer"),
    (["--from", "2026-13"], "Invalid value for '--from': '2026-13' does not match the format"),
    (["--from", "May"], "Invalid value for '--from': 'May' does not match the format"),
    (["--by", "region"], "Invalid value for '--by': 'region' is not one of"),
])
def test_bad_input_is_one_clear_error(book, cli, args, message):
    result = cli("sales", "forecast", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
