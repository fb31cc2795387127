"""Value tiers and RFM scores on a fixed data set worked out by hand: the boundaries
exactly at the thresholds, the period's first day, who is tiered, the history and the
movements, the job, the CLI, and everyone A with the reason when sales is off."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import accord_marketing.hooks
import accord_sales.hooks
from accord import services
from accord.errors import PermissionDenied
from accord.facts import customer_facts
from accord.jobs import run_job
from accord.services import Actor
from accord.services.plugins import disable, enable
from accord_marketing.models.tiers import TierAssignment, TierRun
from accord_marketing.services.tiers import NO_FACTS, compute_tiers, period_start
from accord_marketing.tiers import matrix, tier_customers

SYSTEM = Actor.system("test")
DAY = dt.date(2026, 6, 30)
SETTINGS = {"marketing": {"tier_months": 12, "tier_value_threshold": "1000",
                          "tier_purchases_threshold": 3}}


@pytest.fixture
def tiered(make_kernel):
    return make_kernel(plugins=[accord_marketing.hooks, accord_sales.hooks],
                       enable=["sales", "marketing"], plugin_settings=SETTINGS)


def _order(kernel, day, amount, **customer):
    return services.create(kernel, "sales.order", {
        **customer, "order_date": day,
        "lines": [{"description": "Goods", "quantity": "1", "unit_price": amount}]},
        actor=SYSTEM)


def _world(kernel, helpers):
    """Organizations Pros (never bought), Old (bought the day before the period), Bee,
    Cee, Dee, Eee (just under / exactly at the thresholds), Edge (bought on the
    period's first day); contacts Solo (no organization, bought), Nobody (no
    organization, never bought) and Ann (at Bee: not tiered herself)."""
    orgs = {name: helpers.org(kernel, name) for name in
            ("Pros", "Old", "Bee", "Cee", "Dee", "Eee", "Edge")}
    ids = {name: o.id for name, o in orgs.items()}
    _order(kernel, "2025-06-29", "5000.00", organization_id=ids["Old"])
    _order(kernel, "2026-01-15", "499.99", organization_id=ids["Bee"])
    _order(kernel, "2025-12-01", "400.00", organization_id=ids["Cee"])
    _order(kernel, "2026-05-01", "600.00", organization_id=ids["Cee"])
    for day in ("2026-02-01", "2026-03-01", "2026-06-20"):
        _order(kernel, day, "333.33", organization_id=ids["Dee"])
    for day, amount in (("2026-01-01", "300.00"), ("2026-03-01", "300.00"),
                        ("2026-06-29", "400.00")):
        _order(kernel, day, amount, organization_id=ids["Eee"])
    _order(kernel, "2025-06-30", "100.00", organization_id=ids["Edge"])
    solo = helpers.contact(kernel, "Solo")
    nobody = helpers.contact(kernel, "Nobody")
    ann = helpers.contact(kernel, "Ames", organization_id=ids["Bee"])
    _order(kernel, "2026-06-10", "50.00", contact_id=solo.id)
    _order(kernel, "2026-06-11", "500.00", contact_id=ann.id, organization_id=ids["Bee"])
    return ids, solo.id, nobody.id, ann.id


def _rows(kernel, day=DAY):
    with kernel.bound():
        return {(r.customer_type, r.customer_id): r for r in
                TierAssignment.select().where(TierAssignment.computed_on == day)}


def test_the_period_starts_the_same_day_months_back():
    assert period_start(dt.date(2026, 6, 30), 12) == dt.date(2025, 6, 30)
    assert period_start(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert period_start(dt.date(2026, 1, 15), 1) == dt.date(2025, 12, 15)


def test_tiers_at_the_thresholds_and_rfm_by_hand(tiered, helpers):
    ids, solo, nobody, ann = _world(tiered, helpers)
    done = compute_tiers(tiered, actor=SYSTEM, day=DAY)
    assert done.counts == {"A": 3, "B": 3, "C": 1, "D": 1, "E": 1}
    assert done.note == ""
    rows = _rows(tiered)
    org = {name: rows[("organization", i)] for name, i in ids.items()}
    # Ann works at Bee: Bee is the customer, Ann has no row.
    assert ("contact", ann) not in rows
    assert len(rows) == 9
    tiers = {name: r.tier for name, r in org.items()}
    assert tiers == {"Pros": "A", "Old": "A", "Bee": "B", "Cee": "C", "Dee": "D",
                     "Eee": "E", "Edge": "B"}
    assert (rows[("contact", solo)].tier, rows[("contact", nobody)].tier) == ("B", "A")
    # value, purchases and days since the last order (Bee's include Ann's order).
    figures = {name: (r.value, r.purchases, r.recency_days) for name, r in org.items()}
    assert figures == {
        "Pros": (Decimal("0"), 0, None), "Old": (Decimal("0"), 0, None),
        "Bee": (Decimal("999.99"), 2, 19), "Cee": (Decimal("1000"), 2, 60),
        "Dee": (Decimal("999.99"), 3, 10), "Eee": (Decimal("1000"), 3, 1),
        "Edge": (Decimal("100"), 1, 365)}
    # RFM among the five organizations that bought (NTILE(5): one each; ties by id):
    # R by days (365 Edge, 60 Cee, 19 Bee, 10 Dee, 1 Eee); F by orders (Edge 1, Bee 2,
    # Cee 2, Dee 3, Eee 3); M by value (Edge 100, Bee 999.99, Dee 999.99, Cee 1000,
    # Eee 1000).
    scores = {name: (r.r_score, r.f_score, r.m_score) for name, r in org.items()}
    assert scores == {"Pros": (None, None, None), "Old": (None, None, None),
                      "Edge": (1, 1, 1), "Cee": (2, 3, 4), "Bee": (3, 2, 2),
                      "Dee": (4, 4, 3), "Eee": (5, 5, 5)}
    # Solo is the only contact who bought: every score is 1 (one NTILE bucket).
    assert (rows[("contact", solo)].r_score, rows[("contact", solo)].m_score) == (1, 1)


def test_exactly_at_the_thresholds(tiered, helpers):
    """The boundaries alone: value 999.99 / 1000.00 and 2 / 3 orders."""
    cases = {"low-few": ("999.99", 2), "high-few": ("1000.00", 2),
             "low-many": ("999.99", 3), "high-many": ("1000.00", 3)}
    ids = {}
    for name, (total, count) in cases.items():
        org = helpers.org(tiered, name)
        ids[name] = org.id
        first = Decimal(total) - Decimal("0.01") * (count - 1)
        _order(tiered, "2026-06-01", str(first), organization_id=org.id)
        for n in range(count - 1):
            _order(tiered, f"2026-06-0{n + 2}", "0.01", organization_id=org.id)
    compute_tiers(tiered, actor=SYSTEM, day=DAY)
    rows = _rows(tiered)
    assert {name: rows[("organization", i)].tier for name, i in ids.items()} == {
        "low-few": "B", "high-few": "C", "low-many": "D", "high-many": "E"}


def test_the_matrix_history_and_movements(tiered, helpers):
    ids, *_ = _world(tiered, helpers)
    compute_tiers(tiered, actor=SYSTEM, day=DAY)
    # A month later Edge's order of the period's first day is out (A); Pros bought
    # big three times (E).
    for day in ("2026-07-01", "2026-07-02", "2026-07-03"):
        _order(tiered, day, "2000.00", organization_id=ids["Pros"])
    later = dt.date(2026, 7, 30)
    compute_tiers(tiered, actor=SYSTEM, day=later)
    compute_tiers(tiered, actor=SYSTEM, day=later)  # the same day again replaces it
    assert len(_rows(tiered, DAY)) == 9 and len(_rows(tiered, later)) == 9
    m = matrix(tiered, SYSTEM)
    assert (m["computed_on"], m["previous_on"]) == (later, DAY)
    assert m["movements"] == [{"from": "A", "to": "E", "count": 1},
                              {"from": "B", "to": "A", "count": 1}]
    cells = {c["tier"]: (c["count"], c["revenue"]) for c in m["tiers"]}
    # E: Eee 1000 + Pros 6000; A: Old, Edge, Nobody; Solo and Bee still B.
    assert cells == {"A": (3, Decimal("0.00")), "B": (2, Decimal("1049.99")),
                     "C": (1, Decimal("1000.00")), "D": (1, Decimal("999.99")),
                     "E": (2, Decimal("7000.00"))}
    page = tier_customers(tiered, SYSTEM, "E", limit=1)
    assert [i["name"] for i in page["items"]] == ["Pros"]
    rest = tier_customers(tiered, SYSTEM, "E", limit=1, cursor=page["next_cursor"])
    assert [i["name"] for i in rest["items"]] == ["Eee"] and rest["next_cursor"] is None
    with tiered.bound():
        assert [r.computed_on for r in TierRun.select().order_by(TierRun.computed_on)] == [
            DAY, later]


def test_tier_facts_for_segments(tiered, helpers):
    ids, solo, *_ = _world(tiered, helpers)
    compute_tiers(tiered, actor=SYSTEM, day=DAY)
    facts = customer_facts(tiered, "organization")
    assert facts["marketing.tier"].kind == "text"
    with tiered.bound():
        tier = {r["customer"]: r["value"] for r in
                facts["marketing.tier"].query(tiered, None).dicts()}
        monetary = {r["customer"]: r["value"] for r in
                    facts["marketing.rfm_monetary"].query(tiered, None).dicts()}
        contacts = {r["customer"]: r["value"] for r in customer_facts(tiered, "contact")[
            "marketing.rfm_recency"].query(tiered, None).dicts()}
    assert tier[ids["Eee"]] == "E" and tier[ids["Pros"]] == "A"
    assert monetary == {ids["Edge"]: 1, ids["Bee"]: 2, ids["Dee"]: 3, ids["Cee"]: 4,
                        ids["Eee"]: 5}
    assert contacts == {solo: 1}


def test_without_sales_everyone_is_a_and_says_why(make_kernel, helpers, cli_runner):
    kernel = make_kernel(plugins=[accord_marketing.hooks], enable=["marketing"])
    helpers.org(kernel, "Acme")
    helpers.contact(kernel, "Solo")
    done = compute_tiers(kernel, actor=SYSTEM, day=DAY)
    assert done.counts == {"A": 2}
    assert done.note == NO_FACTS == "no purchase facts: the sales plugin is not enabled"
    m = matrix(kernel, SYSTEM)
    assert m["note"] == NO_FACTS
    assert [c["count"] for c in m["tiers"]] == [2, 0, 0, 0, 0]
    cli_runner.kernel = kernel
    out = cli_runner("marketing", "tiers")
    assert out.exit_code == 0, out.output
    assert "Every customer is A: no purchase facts: the sales plugin is not enabled" in \
        out.output


def test_the_job_and_the_cli(tiered, helpers, cli_runner):
    ids, *_ = _world(tiered, helpers)
    run = run_job(tiered, "marketing.tiers", DAY)
    assert run.status == "ok", run.summary
    assert run.summary == ("value tiers of 9 customers computed for 2026-06-30 "
                           "(A 3, B 3, C 1, D 1, E 1)")
    cli_runner.kernel = tiered
    out = cli_runner("marketing", "tiers")
    assert out.exit_code == 0, out.output
    assert "Value tiers computed on 2026-06-30 (orders of the last 12 months; high " \
           "value from 1000.00, many from 3 orders)" in out.output
    assert "E: 1 · 1000.00" in out.output and "A: 3 · 0.00" in out.output
    assert "No earlier computation to count movements from." in out.output
    out = cli_runner("marketing", "tiers", "--recompute")
    assert out.exit_code == 0, out.output
    today = dt.datetime.now(dt.timezone.utc).date()
    assert f"value tiers of 9 customers computed for {today}" in out.output
    assert "Movements since 2026-06-30: " in out.output  # Edge's first-day order is out


def test_recomputing_needs_the_permission(tiered, helpers):
    reader = Actor(user_id=None, label="Rita", role="read-only", grants=("*.read",))
    with pytest.raises(PermissionDenied) as caught:
        compute_tiers(tiered, actor=reader, day=DAY)
    assert "lacks the permission marketing.tier.compute" in str(caught.value)
    with tiered.bound():
        assert TierRun.select().count() == 0


def test_disable_and_enable_keep_the_rows(tiered, helpers):
    _world(tiered, helpers)
    compute_tiers(tiered, actor=SYSTEM, day=DAY)
    disable(tiered, "marketing", actor=SYSTEM)
    assert "marketing.tier" not in customer_facts(tiered, "organization")
    enable(tiered, "marketing", actor=SYSTEM)
    assert len(_rows(tiered)) == 9
    assert matrix(tiered, SYSTEM)["computed_on"] == DAY


def test_the_tier_tables_match_their_migration(tiered, cli_runner):
    cli_runner.kernel = tiered
    result = cli_runner("db", "check")
    assert "marketing_tier" not in result.output, result.output


def test_the_demo_computes_the_tiers_after_the_sales_demo(tiered):
    from accord.demo import load_demo

    load_demo(tiered)
    m = matrix(tiered, SYSTEM)
    assert m["computed_on"] == dt.datetime.now(dt.timezone.utc).date()
    # The sales demo ran first: its customers with orders are not prospects.
    assert sum(c["count"] for c in m["tiers"] if c["tier"] != "A") > 0


def test_the_purchase_facts_are_read_in_one_pass_with_the_same_result(tiered, helpers,
                                                                      monkeypatch):
    import accord_marketing.services.tiers as writes

    _world(tiered, helpers)
    facts = writes.purchase_facts(tiered, "organization")
    since = period_start(DAY, 12)
    with tiered.bound():
        merged = writes.one_pass(*(facts[n].query(tiered, since) for n in writes.FACT_NAMES))
        assert merged is not None
        sql = merged.sql()[0]
    assert sql.count("sales_order") == 1 and "CASE WHEN" in sql
    compute_tiers(tiered, actor=SYSTEM, day=DAY)
    one = {k: (r.tier, r.value, r.purchases, r.recency_days, r.r_score, r.f_score, r.m_score)
           for k, r in _rows(tiered).items()}
    monkeypatch.setattr(writes, "one_pass", lambda *queries: None)
    compute_tiers(tiered, actor=SYSTEM, day=DAY)
    three = {k: (r.tier, r.value, r.purchases, r.recency_days, r.r_score, r.f_score,
                 r.m_score) for k, r in _rows(tiered).items()}
    assert one == three and len(one) == 9
