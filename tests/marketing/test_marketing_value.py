"""Customer value and lifecycle on a data set worked out by hand: each customer's
revenue, cost to serve (repairs, service enabled) and share of the campaigns' cost, the
top 20%'s share, the bottom 30%'s drag and the Pareto curve, the lifecycle stages in
their order, all time against 12 months; with service off, and with sales off."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import accord_marketing.hooks
import accord_sales.hooks
import accord_service.hooks
from accord import services
from accord.services import Actor
from accord.services.plugins import disable
from accord_marketing.services.campaigns import launch_campaign, record_response
from accord_marketing.value import customer_value, value_customers, value_summary
from accord_marketing.value_queries import since_of, stage_counts, top20_share
from accord_service.services.repairs import complete_repair, start_repair

SYSTEM = Actor.system("test")
TODAY = dt.date(2026, 6, 30)
D = Decimal


@pytest.fixture
def world_kernel(make_kernel):
    return make_kernel(plugins=[accord_marketing.hooks, accord_sales.hooks,
                                accord_service.hooks],
                       enable=["sales", "service", "marketing"])


def _order(kernel, day, amount, **customer):
    return services.create(kernel, "sales.order", {
        **customer, "order_date": day,
        "lines": [{"description": "Goods", "quantity": "1", "unit_price": amount}]},
        actor=SYSTEM)


def _repair(kernel, org_id, day, n):
    """A repair done on ``day``: 2 parts at 40.00, 90 minutes at 60.00, a fee of 25.00:
    parts 80.00 + labour 90.00 = a cost to serve of 170.00 (the fee is not a cost)."""
    ticket = services.create(kernel, "service.ticket", {
        "channel": "email", "subject": "Broken", "organization_id": org_id}, actor=SYSTEM)
    part = services.create(kernel, "product", {
        "sku": f"PT-{n}", "name": "Fuser", "unit_price": {"amount": "40.00",
                                                          "currency": "EUR"}}, actor=SYSTEM)
    repair = services.create(kernel, "service.repair", {
        "ticket_id": ticket.id, "labour_minutes": 90, "labour_rate": "60.00",
        "service_fee": "25.00", "parts": [{"product_id": part.id, "quantity": "2"}]},
        actor=SYSTEM)
    start_repair(kernel, repair.id, actor=SYSTEM)
    complete_repair(kernel, repair.id, actor=SYSTEM, repaired_on=day)


def _campaign(kernel, name, people, cost=None, currency="EUR", start="2026-03-01"):
    segment = services.create(kernel, "marketing.segment", {
        "name": name, "target": "contact",
        "rules": [{"field": "last_name", "op": "in", "value": [p.last_name for p in people]}]},
        actor=SYSTEM)
    data = {"name": name, "type": "event", "segment_id": segment.id, "start_date": start}
    if cost is not None:
        data["actual_cost"] = {"amount": cost, "currency": currency}
    campaign = services.create(kernel, "marketing.campaign", data, actor=SYSTEM)
    launch_campaign(kernel, campaign.id, actor=SYSTEM)
    return campaign


def world(kernel, helpers, *, service=True):
    """Organizations Alpha (repeat: 1000.00 + 3000.00, a repair of 170.00), Beta (at
    risk: two orders a month apart, 333 days ago; a member of campaign X), Gamma (lost:
    one order 366 days ago, before the period; a repair; a member of X), Delta (an open
    opportunity), Epsilon (a member answered campaign Y), Zeta (nothing); contacts
    without an organization Solo (new: one order of 50.00; a member of X, of W (400.00,
    before the period, alone) and of Z (cost in USD: left out)) and Nobody.
    Campaign X cost 300.00 for 3 members: 100.00 each."""
    orgs = {n: helpers.org(kernel, n).id for n in
            ("Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta")}
    _order(kernel, "2026-01-10", "1000.00", organization_id=orgs["Alpha"])
    _order(kernel, "2026-06-01", "3000.00", organization_id=orgs["Alpha"])
    _order(kernel, "2025-07-01", "500.00", organization_id=orgs["Beta"])
    _order(kernel, "2025-08-01", "500.00", organization_id=orgs["Beta"])
    _order(kernel, "2025-06-29", "1200.00", organization_id=orgs["Gamma"])
    services.create(kernel, "sales.opportunity", {
        "name": "Fleet", "organization_id": orgs["Delta"]}, actor=SYSTEM)
    solo = helpers.contact(kernel, "Solo")
    helpers.contact(kernel, "Nobody")
    bea = helpers.contact(kernel, "Bea", organization_id=orgs["Beta"])
    cee = helpers.contact(kernel, "Cee", organization_id=orgs["Gamma"])
    eve = helpers.contact(kernel, "Eve", organization_id=orgs["Epsilon"])
    _order(kernel, "2026-06-10", "50.00", contact_id=solo.id)
    if service:
        _repair(kernel, orgs["Alpha"], dt.date(2026, 2, 1), 1)
        _repair(kernel, orgs["Gamma"], dt.date(2026, 3, 1), 2)
    _campaign(kernel, "X", [bea, solo, cee], "300.00")
    answered = _campaign(kernel, "Y", [eve])
    record_response(kernel, answered.id, eve.id, actor=SYSTEM, create_lead=False)
    _campaign(kernel, "W", [solo], "400.00", start="2025-01-01")
    _campaign(kernel, "Z", [solo], "999.00", currency="USD")
    return orgs, solo.id


def _figures(items):
    return [(i["name"], i["stage"], str(i["revenue"]), str(i["cost_to_serve"]),
             str(i["campaign_cost"]), str(i["profit"])) for i in items]


def test_each_customers_profit_and_stage_over_twelve_months(world_kernel, helpers):
    world(world_kernel, helpers)
    page = value_customers(world_kernel, SYSTEM, 12, today=TODAY)
    assert _figures(page["items"]) == [
        ("Alpha", "repeat", "4000.00", "170.00", "0.00", "3830.00"),
        ("Beta", "at_risk", "1000.00", "0.00", "100.00", "900.00"),
        # Equal profits: contacts before organizations, then by id.
        ("Nobody", "target", "0.00", "0.00", "0.00", "0.00"),
        ("Delta", "open_opportunity", "0.00", "0.00", "0.00", "0.00"),
        ("Epsilon", "prospect", "0.00", "0.00", "0.00", "0.00"),
        ("Zeta", "target", "0.00", "0.00", "0.00", "0.00"),
        ("Solo", "new", "50.00", "0.00", "100.00", "-50.00"),
        ("Gamma", "lost", "0.00", "170.00", "100.00", "-270.00")]
    assert [i["rank"] for i in page["items"]] == list(range(1, 9))
    least = value_customers(world_kernel, SYSTEM, 12, order="least", limit=2, today=TODAY)
    assert [i["name"] for i in least["items"]] == ["Gamma", "Solo"]
    assert [i["rank"] for i in least["items"]] == [8, 7]


def test_the_top_twenty_percent_the_bottom_thirty_and_the_curve(world_kernel, helpers):
    world(world_kernel, helpers)
    s = value_summary(world_kernel, SYSTEM, 12, today=TODAY)
    assert (s["months"], s["since"], s["customers"], s["notes"]) == (
        12, dt.date(2025, 6, 30), 8, [])
    assert s["totals"] == {"revenue": D("5050.00"), "cost_to_serve": D("340.00"),
                           "campaign_cost": D("300.00"), "profit": D("4410.00")}
    # The top 20% of 8 customers: 2 (Alpha, Beta), 4730.00 of 4410.00.
    assert s["top20_share"] == D("107.26")
    assert s["top20"] == {"customers": 2, "profit": D("4730.00")}
    # The bottom 30%: 3 (Zeta, Solo, Gamma), -320.00.
    assert s["bottom30_drag"] == {"customers": 3, "profit": D("-320.00"),
                                  "share": D("-7.26")}
    shares = [str(p["profit"]) for p in s["curve"]]
    assert [p["customers"] for p in s["curve"]] == list(range(0, 101, 5))
    assert shares == ["0.00", "86.85", "86.85", "107.26", "107.26", "107.26", "107.26",
                      "107.26", "107.26", "107.26", "107.26", "107.26", "107.26",
                      "107.26", "107.26", "107.26", "106.12", "106.12", "100.00", "100.00",
                      "100.00"]
    assert {x["stage"]: x["count"] for x in s["stages"]} == {
        "target": 2, "prospect": 1, "open_opportunity": 1, "new": 1, "repeat": 1,
        "at_risk": 1, "lost": 1}


def test_all_time_counts_the_older_orders_and_campaigns(world_kernel, helpers):
    world(world_kernel, helpers)
    s = value_summary(world_kernel, SYSTEM, None, today=TODAY)
    assert (s["months"], s["since"]) == (None, None)
    assert s["totals"] == {"revenue": D("6250.00"), "cost_to_serve": D("340.00"),
                           "campaign_cost": D("700.00"), "profit": D("5210.00")}
    page = value_customers(world_kernel, SYSTEM, None, today=TODAY)
    got = {i["name"]: (str(i["profit"]), i["stage"]) for i in page["items"]}
    assert got["Gamma"] == ("930.00", "lost")
    assert got["Solo"] == ("-450.00", "new")


def test_a_customers_own_figures_rank_and_stage_line(world_kernel, helpers):
    orgs, solo = world(world_kernel, helpers)
    beta = customer_value(world_kernel, SYSTEM, "organization", orgs["Beta"], today=TODAY)
    assert (beta["rank"], beta["of"], beta["top_percent"]) == (2, 8, 25)
    assert beta["stage_text"] == ("2 orders, usually 31 days apart; the last was 333 days "
                                  "ago (more than 1.5 × the usual interval).")
    gamma = customer_value(world_kernel, SYSTEM, "organization", orgs["Gamma"], today=TODAY)
    assert (gamma["rank"], gamma["top_percent"]) == (8, 100)
    assert gamma["stage_text"] == ("Last ordered 366 days ago: lost after 365 days without "
                                   "an order.")
    assert customer_value(world_kernel, SYSTEM, "contact", solo, today=TODAY)[
        "stage_text"] == "One order so far, 20 days ago."
    bea = helpers.contact(world_kernel, "Other", organization_id=orgs["Beta"])
    assert customer_value(world_kernel, SYSTEM, "contact", bea.id, today=TODAY) is None


def test_the_stage_boundaries_follow_the_settings(world_kernel, helpers):
    """Exactly lost_after_days is not lost yet; at_risk needs more than factor x the
    usual interval: Beta's 333 days against 31 x 1.5 = 46.5, and with a factor of 11
    (341 days) Beta repeats."""
    orgs, _ = world(world_kernel, helpers)
    from accord.services.plugins import patch_settings

    def stage(name, today):
        row = customer_value(world_kernel, SYSTEM, "organization", orgs[name], today=today)
        return row["stage"]

    assert stage("Gamma", dt.date(2026, 6, 29)) == "new"  # 365 days: not lost yet
    assert stage("Gamma", TODAY) == "lost"
    patch_settings(world_kernel, "marketing", {"at_risk_factor": 11}, actor=SYSTEM)
    assert stage("Beta", TODAY) == "repeat"
    patch_settings(world_kernel, "marketing", {"at_risk_factor": 10.7}, actor=SYSTEM)
    assert stage("Beta", TODAY) == "at_risk"  # 333 > 331.7


def test_without_service_nothing_costs_to_serve_and_a_note_says_why(world_kernel, helpers):
    world(world_kernel, helpers)
    disable(world_kernel, "service", actor=SYSTEM)
    s = value_summary(world_kernel, SYSTEM, 12, today=TODAY)
    assert s["notes"] == ["no cost-to-serve fact: the service plugin is not enabled "
                          "(repairs are not counted)"]
    assert s["totals"]["cost_to_serve"] == D("0.00")
    assert s["totals"]["profit"] == D("4750.00")


def test_without_sales_revenue_is_zero_and_stages_are_target_or_prospect(world_kernel,
                                                                         helpers):
    world(world_kernel, helpers)
    disable(world_kernel, "sales", actor=SYSTEM)
    s = value_summary(world_kernel, SYSTEM, 12, today=TODAY)
    assert s["notes"] == ["no purchase facts: the sales plugin is not enabled (revenue is "
                          "0 and every customer is a target or a prospect)",
                          "the total profit is not positive: shares of it are not given"]
    assert s["totals"] == {"revenue": D("0.00"), "cost_to_serve": D("340.00"),
                           "campaign_cost": D("300.00"), "profit": D("-640.00")}
    assert (s["top20_share"], s["bottom30_drag"]["share"]) == (None, None)
    assert s["curve"][1]["profit"] is None
    assert {x["stage"]: x["count"] for x in s["stages"] if x["count"]} == {
        "target": 7, "prospect": 1}


def test_with_no_customers_the_figures_are_empty(world_kernel):
    s = value_summary(world_kernel, SYSTEM, 12, today=TODAY)
    assert (s["customers"], s["top20_share"], s["curve"]) == (0, None, [])
    assert s["totals"]["profit"] == D("0.00")
    assert s["bottom30_drag"] == {"customers": 0, "profit": D("0.00"), "share": None}


def test_a_lost_opportunity_makes_a_prospect_an_open_one_on_a_contact_too(world_kernel,
                                                                         helpers):
    from accord_sales.services import move_opportunity

    eta = helpers.org(world_kernel, "Eta")
    deal = services.create(world_kernel, "sales.opportunity", {
        "name": "Lost deal", "organization_id": eta.id}, actor=SYSTEM)
    move_opportunity(world_kernel, deal.id, "Lost", loss_reason="Price", actor=SYSTEM)
    solo = helpers.contact(world_kernel, "Solo")
    services.create(world_kernel, "sales.opportunity", {
        "name": "Open deal", "contact_id": solo.id}, actor=SYSTEM)
    eta_row = customer_value(world_kernel, SYSTEM, "organization", eta.id, today=TODAY)
    assert (eta_row["stage"], eta_row["stage_text"]) == (
        "prospect", "No order yet; had an opportunity or answered a campaign.")
    solo_row = customer_value(world_kernel, SYSTEM, "contact", solo.id, today=TODAY)
    assert (solo_row["stage"], solo_row["stage_text"]) == (
        "open_opportunity", "No order yet, an opportunity is open.")


def _metric_figures(kernel, months):
    """What the metrics compute (their own queries) beside what the summary shows."""
    rules = {"organization": True, "contact": True}
    s = value_summary(kernel, SYSTEM, months, today=TODAY)
    return ((stage_counts(kernel, rules, today=TODAY),
             top20_share(kernel, rules, since=since_of(months, TODAY), today=TODAY)),
            ({x["stage"]: x["count"] for x in s["stages"]}, s["top20_share"]))


def test_the_metrics_own_queries_give_the_summarys_figures(world_kernel, helpers):
    mine, summary = _metric_figures(world_kernel, 12)
    assert mine == summary and mine[1] is None  # no customers: no share
    orgs, _ = world(world_kernel, helpers)
    for months in (12, 1, None):
        mine, summary = _metric_figures(world_kernel, months)
        assert mine == summary, months
    assert mine[1] == D("91.36")  # all time: 4760.00 of 5210.00 (Alpha and Gamma)
    # Ten customers: the top 20% are exactly 2 (ceil(10 / 5)); eleven: 3.
    helpers.org(world_kernel, "Eta")
    helpers.org(world_kernel, "Theta")
    mine, summary = _metric_figures(world_kernel, 12)
    assert mine == summary and summary[1] == D("107.26")  # 4730.00 of 4410.00
    helpers.org(world_kernel, "Iota")
    _order(world_kernel, "2026-06-01", "100.00", organization_id=orgs["Delta"])
    mine, summary = _metric_figures(world_kernel, 12)
    assert mine == summary and summary[1] == D("107.10")  # 4830.00 of 4510.00
    disable(world_kernel, "sales", actor=SYSTEM)  # the total is not positive
    mine, summary = _metric_figures(world_kernel, 12)
    assert mine == summary and mine[1] is None
