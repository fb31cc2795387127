"""The sales metrics of ``accord report`` against figures worked out by hand on a small
fixed data set, inserted straight into the tables: the read side does not care how
rows got there. The range is January to April 2026; March is empty throughout."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import accord_sales.hooks
from accord import services
from accord.metrics import MetricQuery, compute, list_metrics
from accord.models import Organization, Team, User
from accord.services import Actor
from accord_sales.models import Invoice, InvoiceLine, Lead, Opportunity

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.plugins(accord_sales.hooks)

D = Decimal
JAN, APR_END = dt.date(2026, 1, 1), dt.date(2026, 4, 30)
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04"]


def _at(text):
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


def _add(kernel, model, **values):
    with kernel.bound():
        return model.insert(**values).execute()


@pytest.fixture
def book(sales):
    """Twelve opportunities, six leads, nine invoices with their lines, four products;
    ann is in team North, bob in team South."""
    ann = services.create(sales, "user", {"email": "ann@example.com", "name": "Ann",
                                          "role": "sales"}, actor=SYSTEM).id
    bob = services.create(sales, "user", {"email": "bob@example.com", "name": "Bob",
                                          "role": "sales"}, actor=SYSTEM).id
    north = services.create(sales, "team", {"name": "North"}, actor=SYSTEM).id
    south = services.create(sales, "team", {"name": "South"}, actor=SYSTEM).id
    people = {"ann": {"owner": ann, "team": north}, "bob": {"owner": bob, "team": south},
              None: {}}

    def deal(name, who, created, amount, stage, probability, close, *, closed=None,
             close_probability=None, channel=None, currency="EUR", pipeline="new_business"):
        return _add(sales, Opportunity, name=name, amount=D(amount), amount_currency=currency,
                    pipeline=pipeline, stage=stage, probability=probability,
                    expected_close_date=close, channel=channel, created_at=_at(created),
                    closed_at=_at(closed) if closed else None,
                    close_probability=close_probability, **people[who])

    day = dt.date
    a = deal("A", "ann", "2026-01-05T09:00", "1000.00", "Won", 100, day(2026, 1, 31),
             closed="2026-01-25T21:00", close_probability=50, channel="field")
    deal("B", "ann", "2026-01-10T00:00", "500.00", "Lost", 0, day(2026, 2, 15),
         closed="2026-02-10T00:00", close_probability=25, channel="telesales")
    c = deal("C", "bob", "2026-01-20T00:00", "2000.55", "Won", 100, day(2026, 1, 31),
             closed="2026-02-04T12:00", close_probability=75)
    deal("D", "bob", "2026-02-01T08:00", "300.00", "Won", 100, day(2026, 2, 28),
         closed="2026-02-11T00:00", close_probability=80, channel="telesales", currency="USD")
    deal("E", "bob", "2026-02-03T00:00", "1200.00", "Proposal", 50, day(2026, 2, 20),
         channel="partner")
    deal("F", "ann", "2026-01-15T00:00", "800.00", "Negotiation", 75, day(2026, 4, 10))
    deal("G", "ann", "2025-12-20T00:00", "400.00", "Won", 100, day(2026, 4, 5),
         closed="2026-04-02T00:00", close_probability=60, channel="field")
    deal("H", None, "2026-04-01T00:00", "100.00", "Prospecting", 10, day(2026, 4, 30))
    deal("I", "bob", "2026-01-25T00:00", "999.99", "Upcoming", 60, day(2026, 1, 28),
         pipeline="renewals")
    deal("J", "ann", "2026-02-14T00:00", "700.00", "Proposal", 50, day(2026, 2, 27),
         currency="USD")
    # Closed before the plugin recorded the probability at closing: it forecast nothing.
    deal("K", "bob", "2026-04-10T00:00", "250.00", "Lost", 0, day(2026, 4, 25),
         closed="2026-04-20T00:00")
    deal("L", "ann", "2026-05-02T00:00", "90.00", "Proposal", 50, day(2026, 5, 10))

    def lead(name, who, created, opportunity=None, converted=None):
        _add(sales, Lead, name=name, created_at=_at(created), opportunity=opportunity,
             converted_at=_at(converted) if converted else None, status="qualified"
             if converted else "new", **people[who])

    lead("L1", "ann", "2026-01-03T10:00", a, "2026-01-05T09:00")
    lead("L2", "ann", "2026-01-08T10:00", None, "2026-01-09T09:00")  # no opportunity made
    lead("L3", "bob", "2026-01-20T10:00")
    lead("L4", "bob", "2026-02-02T10:00", c, "2026-02-03T09:00")
    lead("L5", None, "2026-04-15T10:00")
    lead("L6", "ann", "2025-12-31T23:59", a, "2026-01-05T09:00")  # before the range

    def product(sku, name, cost=None):
        data = {"sku": sku, "name": name}
        if cost:
            data["cost_price"] = {"amount": cost[0], "currency": cost[1]}
        return services.create(sales, "product", data, actor=SYSTEM).id

    chair = product("CHAIR", "Office chair", ("60.00", "EUR"))
    desk = product("DESK", "Standing desk", ("300.00", "EUR"))
    lamp = product("LAMP", "Desk lamp")  # no cost price: costs nothing
    service = product("SVC", "Setup", ("10.00", "USD"))  # a cost in another currency
    acme = services.create(sales, "organization", {"name": "Acme"}, actor=SYSTEM).id
    birch = services.create(sales, "organization", {"name": "Birch"}, actor=SYSTEM).id
    acme2 = services.create(sales, "organization", {"name": "Acme"}, actor=SYSTEM).id

    def invoice(status, issued, org, who, lines, currency="EUR"):
        net = sum((D(n) for _, _, n in lines), D(0))
        number = _add(sales, Invoice, status=status, issue_date=issued, organization=org,
                      currency=currency, net_total=net, total=net, **people[who])
        for position, (item, quantity, line_net) in enumerate(lines, 1):
            _add(sales, InvoiceLine, invoice=number, position=position, product=item,
                 description="line", quantity=D(quantity), unit_price=D(line_net) / D(quantity),
                 net=D(line_net), tax=D(0), total=D(line_net))

    invoice("paid", day(2026, 1, 15), acme, "ann", [(chair, "10", "1000.00"),
                                                    (lamp, "2", "50.00")])
    invoice("issued", day(2026, 1, 31), birch, "bob", [(desk, "1", "450.00"),
                                                       (None, "1", "100.00"),
                                                       (service, "3", "90.00")])
    invoice("draft", day(2026, 2, 10), acme, "ann", [(chair, "5", "500.00")])
    invoice("void", day(2026, 2, 11), acme, "ann", [(chair, "7", "700.00")])
    invoice("overdue", day(2026, 2, 20), acme2, "ann", [(chair, "2.5", "187.50")])
    invoice("partially_paid", day(2026, 2, 25), birch, "bob", [(desk, "3", "999.00")],
            currency="USD")
    invoice("paid", day(2026, 4, 5), birch, "bob", [(desk, "2", "550.00")])
    invoice("issued", day(2025, 12, 31), acme, "ann", [(chair, "3", "300.00")])
    invoice("issued", day(2025, 9, 2), acme, "ann", [(chair, "1", "5000.00")])
    return sales


@pytest.fixture
def ids(book):
    """The ids of the book's users, teams and the two organizations called Acme."""
    with book.bound():
        users = dict(User.select(User.email, User.id).tuples())
        teams = dict(Team.select(Team.name, Team.id).tuples())
        acme, acme2 = [o.id for o in Organization.select().where(Organization.name == "Acme")
                       .order_by(Organization.id)]
    return {"ann": users["ann@example.com"], "bob": users["bob@example.com"],
            "north": teams["North"], "south": teams["South"], "acme": acme, "acme2": acme2}


def _values(kernel, name, start=JAN, end=APR_END, by="month", **scope):
    points = compute(kernel, name, MetricQuery(start, end, by=by, **scope))
    return [(p.group, p.period, p.value) if p.group is not None else (p.period, p.value)
            for p in points]


def _left_out(kernel, name, start=JAN, end=APR_END, by="month", **scope):
    """What each point leaves out for want of an exchange rate, where it leaves any."""
    points = compute(kernel, name, MetricQuery(start, end, by=by, **scope))
    return {(p.group, p.period): [str(m) for m in p.unconverted] for p in points
            if p.unconverted}


def _months(*values):
    return list(zip(MONTHS, map(D, values)))


def _grouped(group, *values):
    return [(group, m, D(v)) for m, v in zip(MONTHS, values)]


def test_the_plugin_declares_its_metrics(book):
    declared = {name: (plugin, m.unit, m.group_by)
                for name, (plugin, m) in list_metrics(book).items() if plugin == "sales"}
    assert declared == {
        "sales.revenue": ("sales", "currency", None),
        "sales.revenue_growth": ("sales", "percent", None),
        "sales.pipeline_value": ("sales", "currency", "stage"),
        "sales.win_rate": ("sales", "percent", None),
        "sales.lead_conversion": ("sales", "percent", None),
        "sales.opportunity_conversion": ("sales", "percent", None),
        "sales.average_deal_size": ("sales", "currency", None),
        "sales.sales_cycle": ("sales", "days", None),
        "sales.revenue_by_channel": ("sales", "currency", "channel"),
        "sales.gross_margin_by_customer": ("sales", "currency", "customer"),
        "sales.gross_margin_by_product": ("sales", "currency", "product"),
        "sales.forecast_vs_actual": ("sales", "currency", "series"),
    }


def test_revenue(book, ids):
    # Counted: issued, partially paid, paid, overdue; in EUR. January 1,050.00 (Acme) +
    # 640.00 (Birch: 450 + 100 + 90); February the overdue 187.50 (the draft and the
    # void are left out; the USD invoice has no rate to EUR: listed apart); March
    # nothing; April 550.00.
    assert _values(book, "sales.revenue") == _months("1690.00", "187.50", "0", "550.00")
    assert _left_out(book, "sales.revenue") == {(None, "2026-02"): ["999.00 USD"]}
    assert _values(book, "sales.revenue", by="total") == [("total", D("2427.50"))]
    assert _values(book, "sales.revenue", owner_id=ids["ann"]) == _months(
        "1050.00", "187.50", "0", "0")
    assert _values(book, "sales.revenue", team_id=ids["south"]) == _months(
        "640.00", "0", "0", "550.00")
    # The range is by day: January 16th to February 20th holds Birch's and the overdue one.
    assert _values(book, "sales.revenue", dt.date(2026, 1, 16), dt.date(2026, 2, 20),
                   by="total") == [("total", D("827.50"))]


def test_revenue_growth(book, ids):
    # January against December (300.00): (1690 - 300) / 300 = 463.33 %;
    # February against January: (187.50 - 1690) / 1690 = -88.905... = -88.91 %;
    # March against February: -100 %; April against an empty March: 0 (undefined).
    assert _values(book, "sales.revenue_growth") == _months("463.33", "-88.91", "-100.00",
                                                            "0")
    # In total: the 120 days from January 1st against the 120 days before (September 3rd
    # to December 31st: 300.00; the invoice of September 2nd is a day too early):
    # (2427.50 - 300) / 300 = 709.166... = 709.17 %.
    assert _values(book, "sales.revenue_growth", by="total") == [("total", D("709.17"))]
    # Ann: January 1050 against 300 = 250 %; February 187.50 against 1050 = -82.142...
    assert _values(book, "sales.revenue_growth", owner_id=ids["ann"]) == _months(
        "250.00", "-82.14", "-100.00", "0")
    # Team South had nothing in December: January is 0; April against March is 0 too.
    assert _values(book, "sales.revenue_growth", team_id=ids["south"]) == _months(
        "0", "-100.00", "0", "0")


def test_pipeline_value(book, ids):
    # Open, in EUR, by month of expected close: I (renewals, January 28th) 999.99;
    # E (February) 1200.00; F (April) 800.00 and H (April) 100.00. J is in USD (no rate:
    # listed apart), L in May.
    assert _values(book, "sales.pipeline_value") == [
        *_grouped("new_business/Negotiation", "0", "0", "0", "800.00"),
        *_grouped("new_business/Proposal", "0", "1200.00", "0", "0"),
        *_grouped("new_business/Prospecting", "0", "0", "0", "100.00"),
        *_grouped("renewals/Upcoming", "999.99", "0", "0", "0")]
    assert _left_out(book, "sales.pipeline_value") == {
        ("new_business/Proposal", "2026-02"): ["700.00 USD"]}
    assert _values(book, "sales.pipeline_value", owner_id=ids["ann"], by="total") == [
        ("new_business/Negotiation", "total", D("800.00")),
        ("new_business/Proposal", "total", D("0.00"))]
    assert _values(book, "sales.pipeline_value", team_id=ids["south"], by="total") == [
        ("new_business/Proposal", "total", D("1200.00")),
        ("renewals/Upcoming", "total", D("999.99"))]


def test_win_rate(book, ids):
    # By month of closing: January A won (1/1); February B lost, C and D won (2/3 =
    # 66.666...); April G won, K lost (1/2). Currencies do not matter here.
    assert _values(book, "sales.win_rate") == _months("100.00", "66.67", "0", "50.00")
    assert _values(book, "sales.win_rate", by="total") == [("total", D("66.67"))]  # 4/6
    assert _values(book, "sales.win_rate", owner_id=ids["ann"]) == _months(
        "100.00", "0", "0", "100.00")
    assert _values(book, "sales.win_rate", team_id=ids["south"]) == _months(
        "0", "100.00", "0", "0")


def test_lead_conversion(book, ids):
    # January: L1 (made A), L2 (converted, no opportunity), L3 -> 1/3; February L4 -> 1/1;
    # April L5 -> 0/1. L6 was created on December 31st.
    assert _values(book, "sales.lead_conversion") == _months("33.33", "100.00", "0", "0")
    assert _values(book, "sales.lead_conversion", by="total") == [("total", D("40.00"))]
    assert _values(book, "sales.lead_conversion", owner_id=ids["ann"]) == _months(
        "50.00", "0", "0", "0")
    assert _values(book, "sales.lead_conversion", team_id=ids["south"]) == _months(
        "0", "100.00", "0", "0")


def test_opportunity_conversion(book, ids):
    # Created in January: A (won), B, C (won), F, I -> 2/5; February: D (won), E, J ->
    # 1/3 = 33.333...; April: H, K -> 0/2. G was created in December, L in May.
    assert _values(book, "sales.opportunity_conversion") == _months("40.00", "33.33", "0",
                                                                    "0")
    assert _values(book, "sales.opportunity_conversion", by="total") == [
        ("total", D("30.00"))]  # 3 of 10
    # Ann: January A, B, F -> 1/3; February J -> 0/1.
    assert _values(book, "sales.opportunity_conversion", owner_id=ids["ann"]) == _months(
        "33.33", "0", "0", "0")


def test_average_deal_size(book, ids):
    # Won in EUR: January A 1000.00; February C 2000.55 (D is in USD); April G 400.00.
    assert _values(book, "sales.average_deal_size") == _months("1000.00", "2000.55", "0",
                                                               "400.00")
    # (1000.00 + 2000.55 + 400.00) / 3 = 1133.5166... = 1133.52
    assert _values(book, "sales.average_deal_size", by="total") == [("total", D("1133.52"))]
    assert _values(book, "sales.average_deal_size", owner_id=ids["ann"], by="total") == [
        ("total", D("700.00"))]  # (1000 + 400) / 2


def test_sales_cycle(book, ids):
    # A: January 5th 09:00 to 25th 21:00 = 20.5 days. C: January 20th to February 4th
    # 12:00 = 15.5 days; D: February 1st 08:00 to 11th = 9.666... days (USD counts here);
    # February (15.5 + 9.6667) / 2 = 12.583... = 12.58. G: December 20th to April 2nd =
    # 12 + 31 + 28 + 31 + 1 = 103 days.
    assert _values(book, "sales.sales_cycle") == _months("20.50", "12.58", "0", "103.00")
    # (20.5 + 15.5 + 9.6667 + 103) / 4 = 37.1666... = 37.17
    assert _values(book, "sales.sales_cycle", by="total") == [("total", D("37.17"))]
    assert _values(book, "sales.sales_cycle", team_id=ids["south"], by="total") == [
        ("total", D("12.58"))]


def test_revenue_by_channel(book, ids):
    # Won in EUR by channel: field A (January) and G (April); C has none (February);
    # telesales only D, in USD without a rate.
    assert _values(book, "sales.revenue_by_channel") == [
        *_grouped("field", "1000.00", "0", "0", "400.00"),
        *_grouped("none", "0", "2000.55", "0", "0"),
        *_grouped("telesales", "0", "0", "0", "0")]
    assert _left_out(book, "sales.revenue_by_channel") == {
        ("telesales", "2026-02"): ["300.00 USD"]}
    assert _values(book, "sales.revenue_by_channel", team_id=ids["south"], by="total") == [
        ("none", "total", D("2000.55")), ("telesales", "total", D("0.00"))]


def test_gross_margin_by_customer(book, ids):
    acme, acme2 = f"Acme (#{ids['acme']})", f"Acme (#{ids['acme2']})"
    # January: Acme 10 chairs 1000.00 - 10 x 60.00 = 400.00, plus 2 lamps without a cost
    # price 50.00 = 450.00; Birch a desk 450.00 - 300.00 = 150.00, plus a line without a
    # product 100.00, plus the setup line's 90.00 = 340.00; that line's cost, 3 x 10.00
    # USD, has no rate: -30.00 USD listed apart. February: the other Acme, 2.5 chairs
    # 187.50 - 150.00 = 37.50; Birch's USD invoice, 3 desks: its net 999.00 USD has no
    # rate (listed apart), its cost 900.00 EUR counts: -900.00. April: Birch 2 desks
    # 550.00 - 600.00 = -50.00. Two organizations called Acme are told apart by id.
    # (Groups come by name: "Acme (#9)" after "Acme (#10)".)
    assert _values(book, "sales.gross_margin_by_customer") == sorted([
        *_grouped(acme, "450.00", "0", "0", "0"),
        *_grouped(acme2, "0", "37.50", "0", "0"),
        *_grouped("Birch", "340.00", "-900.00", "0", "-50.00")])
    assert _left_out(book, "sales.gross_margin_by_customer") == {
        ("Birch", "2026-01"): ["-30.00 USD"], ("Birch", "2026-02"): ["999.00 USD"]}
    assert _values(book, "sales.gross_margin_by_customer", by="total") == sorted([
        (acme, "total", D("450.00")), (acme2, "total", D("37.50")),
        ("Birch", "total", D("-610.00"))])
    assert _values(book, "sales.gross_margin_by_customer", owner_id=ids["bob"],
                   by="total") == [("Birch", "total", D("-610.00"))]
    assert _left_out(book, "sales.gross_margin_by_customer", owner_id=ids["bob"],
                     by="total") == {("Birch", "total"): ["969.00 USD"]}


def test_gross_margin_by_product(book, ids):
    assert _values(book, "sales.gross_margin_by_product") == [
        *_grouped("Desk lamp (LAMP)", "50.00", "0", "0", "0"),
        *_grouped("Office chair (CHAIR)", "400.00", "37.50", "0", "0"),
        *_grouped("Setup (SVC)", "90.00", "0", "0", "0"),
        *_grouped("Standing desk (DESK)", "150.00", "-900.00", "0", "-50.00"),
        *_grouped("none", "100.00", "0", "0", "0")]
    assert _left_out(book, "sales.gross_margin_by_product") == {
        ("Setup (SVC)", "2026-01"): ["-30.00 USD"],
        ("Standing desk (DESK)", "2026-02"): ["999.00 USD"]}
    assert _values(book, "sales.gross_margin_by_product", team_id=ids["north"],
                   by="total") == [("Desk lamp (LAMP)", "total", D("50.00")),
                                   ("Office chair (CHAIR)", "total", D("437.50"))]


def test_forecast_vs_actual(book, ids):
    # Forecast, in EUR, by month of expected close: January A 1000.00 x 50 % (at closing)
    # + C 2000.55 x 75 % + I 999.99 x 60 % (open) = 500 + 1500.4125 + 599.994 =
    # 2600.4065 -> 2600.41; February B 500.00 x 25 % + E 1200.00 x 50 % = 725.00; April
    # F 800 x 75 % + G 400 x 60 % + H 100 x 10 % + K (no probability at closing) 0 =
    # 850.00. Actual: the won amounts by month of closing.
    assert _values(book, "sales.forecast_vs_actual") == [
        *_grouped("actual", "1000.00", "2000.55", "0", "400.00"),
        *_grouped("forecast", "2600.41", "725.00", "0", "850.00")]
    assert _values(book, "sales.forecast_vs_actual", by="total") == [
        ("actual", "total", D("3400.55")), ("forecast", "total", D("4175.41"))]
    # Ann: forecast A 500 (January), B 125 (February), F 600 + G 240 (April);
    # actual A and G.
    assert _values(book, "sales.forecast_vs_actual", owner_id=ids["ann"]) == [
        *_grouped("actual", "1000.00", "0", "0", "400.00"),
        *_grouped("forecast", "500.00", "125.00", "0", "840.00")]


def test_an_empty_range_gives_zeros_and_both_series(book):
    march = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    # March against February (187.50): all of it lost.
    assert _values(book, "sales.revenue_growth", *march) == [("2026-03", D("-100.00"))]
    for name in ("sales.revenue", "sales.win_rate",
                 "sales.lead_conversion", "sales.opportunity_conversion",
                 "sales.average_deal_size", "sales.sales_cycle"):
        assert _values(book, name, *march) == [("2026-03", D(0))], name
    for name in ("sales.pipeline_value", "sales.revenue_by_channel",
                 "sales.gross_margin_by_customer", "sales.gross_margin_by_product"):
        assert _values(book, name, *march) == [], name
    assert _values(book, "sales.forecast_vs_actual", *march) == [
        ("actual", "2026-03", D(0)), ("forecast", "2026-03", D(0))]


def test_other_currencies_without_a_rate_are_listed_apart_and_cents_are_exact(book):
    # Ten won deals of 0.10 EUR in April add up to 1.00 exactly (0.9999999999999999 in
    # floating point); a won deal in CHF, without a rate, changes no figure and is
    # listed apart.
    rows = [{"name": f"Small {i}", "amount": D("0.10"), "amount_currency": "EUR",
             "pipeline": "new_business", "stage": "Won", "probability": 100,
             "channel": "e-commerce", "closed_at": _at("2026-04-28T10:00"),
             "created_at": _at("2026-04-27T10:00")} for i in range(10)]
    rows.append({**rows[0], "name": "Swiss", "amount": D("5000"), "amount_currency": "CHF"})
    with book.bound():
        Opportunity.insert_many(rows).execute()
    april = (dt.date(2026, 4, 1), APR_END)
    assert _values(book, "sales.revenue_by_channel", *april) == [
        ("e-commerce", "2026-04", D("1.00")), ("field", "2026-04", D("400.00"))]
    assert _left_out(book, "sales.revenue_by_channel", *april) == {
        ("e-commerce", "2026-04"): ["5,000.00 CHF"]}
    # (400.00 + 10 x 0.10) / 11 = 36.4545... = 36.45
    assert _values(book, "sales.average_deal_size", *april) == [("2026-04", D("36.45"))]
    assert _left_out(book, "sales.average_deal_size", *april) == {
        (None, "2026-04"): ["5,000.00 CHF"]}


def test_each_metric_runs_the_same_queries_whatever_the_rows(book, count_queries):
    names = [n for n, (plugin, _) in list_metrics(book).items() if plugin == "sales"]
    query = MetricQuery(JAN, APR_END)

    def counts():
        out = {}
        for name in names:
            with count_queries() as counter:
                compute(book, name, query)
            out[name] = counter.count
        return out

    few = counts()
    more = [{"name": f"More {i}", "amount": D("10.00"), "amount_currency": "EUR",
             "pipeline": "new_business", "stage": ("Won", "Lost", "Proposal")[i % 3],
             "probability": 50, "expected_close_date": dt.date(2026, 1 + i % 4, 3),
             "closed_at": _at("2026-03-03T10:00") if i % 3 < 2 else None,
             "created_at": _at("2026-01-02T10:00")} for i in range(300)]
    with book.bound():
        Opportunity.insert_many(more).execute()
    assert counts() == few
    # One query (two for forecast against actual), and one reading the exchange rates
    # of the money metrics, which meet amounts in USD; the state counters are read by
    # the face (a request, a command, a job) before, not by each computation.
    assert few["sales.win_rate"] == 1
    assert few["sales.revenue"] == few["sales.gross_margin_by_product"] == 2
    assert few["sales.forecast_vs_actual"] == 3


def test_accord_report_shows_a_broken_down_metric(book, cli):
    result = cli("report", "sales.revenue_by_channel", "--from", "2026-01-01", "--to",
                 "2026-04-30", "--by", "total")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-5:] == [
        "field      total   1400.00",
        "none       total   2000.55",
        "telesales  total   0.00",
        "Left out of the values above, with no exchange rate to EUR on or before their "
        "day ('accord rates set CURRENCY EUR RATE --date DAY'):",
        "  telesales, total: 300.00 USD"]
