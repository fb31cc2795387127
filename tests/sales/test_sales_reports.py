"""``accord sales pipeline`` against figures worked out by hand, and stage changes on
the timelines of organizations and contacts; both set-based."""

from __future__ import annotations

from decimal import Decimal

import pytest

import accord_sales.hooks
from accord import services
from accord.services import Actor
from accord.services.plugins import disable
from accord_sales.reports import pipeline_totals
from accord_sales.services import move_opportunity

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.plugins(accord_sales.hooks)


def _money(amount, currency="EUR"):
    return {"amount": amount, "currency": currency}


@pytest.fixture
def book(sales, helpers):
    """Seven opportunities whose totals are worked out by hand in the tests below."""
    org = helpers.org(sales)

    def deal(name, amount, currency="EUR", **fields):
        return services.create(sales, "sales.opportunity", {
            "name": name, "organization_id": org.id, "amount": _money(amount, currency),
            **fields}, actor=SYSTEM)

    deal("A", "1000.10")
    deal("B", "2000.25")
    deal("C", "500.00", stage="Proposal")
    deal("D", "300", "USD", stage="Proposal")
    won = deal("E", "7000", stage="Negotiation")
    move_opportunity(sales, won.id, "Won", actor=SYSTEM)
    lost = deal("F", "1234.56")
    move_opportunity(sales, lost.id, "Lost", loss_reason="Price", actor=SYSTEM)
    deal("G", "2400", pipeline="renewals")
    return sales


NEW_BUSINESS = """\
Pipeline new_business
STAGE          KIND  PROBABILITY  OPPORTUNITIES                     AMOUNT
-------------  ----  -----------  -------------  -------------------------
Prospecting    open          10%              2               3,000.35 EUR
Qualification  open          25%              0                   0.00 EUR
Proposal       open          50%              2    500.00 EUR + 300.00 USD
Negotiation    open          75%              0                   0.00 EUR
Won            won          100%              1               7,000.00 EUR
Lost           lost           0%              1               1,234.56 EUR
-------------  ----  -----------  -------------  -------------------------
Open                                          4  3,500.35 EUR + 300.00 USD
"""

RENEWALS = """\
Pipeline renewals
STAGE        KIND  PROBABILITY  OPPORTUNITIES        AMOUNT
-----------  ----  -----------  -------------  ------------
Upcoming     open          60%              1  2,400.00 EUR
Negotiation  open          80%              0      0.00 EUR
Renewed      won          100%              0      0.00 EUR
Churned      lost           0%              0      0.00 EUR
-----------  ----  -----------  -------------  ------------
Open                                        1  2,400.00 EUR
"""


def test_the_pipeline_table_shows_counts_and_amounts_per_stage(book, cli):
    result = cli("sales", "pipeline")
    assert result.exit_code == 0, result.output
    assert result.output == NEW_BUSINESS + "\n" + RENEWALS
    only = cli("sales", "pipeline", "--pipeline", "renewals")
    assert (only.exit_code, only.output) == (0, RENEWALS)


def test_the_pipeline_command_names_a_wrong_pipeline_and_a_disabled_plugin(book, cli):
    wrong = cli("sales", "pipeline", "--pipeline", "upsell")
    assert (wrong.exit_code, wrong.output) == (
        1, "Error: no pipeline 'upsell' (pipelines: new_business, renewals)\n")
    disable(book, "sales", actor=SYSTEM)
    off = cli("sales", "pipeline")
    assert off.exit_code == 1
    assert "the sales plugin is disabled; 'accord plugins enable sales' first" in off.output


def test_totals_are_exact_decimals_in_one_query(sales, helpers, count_queries):
    org = helpers.org(sales)
    # Ten amounts of 0.10 add up to 0.9999999999999999 in floating point.
    services.bulk_create(sales, "sales.opportunity", [
        {"name": f"Small {i}", "organization_id": org.id, "amount": _money("0.10")}
        for i in range(10)], actor=SYSTEM)
    with count_queries() as few:
        [first, _] = pipeline_totals(sales)
    assert first.stages[0].amounts == {"EUR": Decimal("1.00")}
    assert first.open_count == 10
    # The largest amount kept exactly, in a currency of four minor units (CLF).
    services.bulk_create(sales, "sales.opportunity", [
        {"name": f"More {i}", "organization_id": org.id,
         "amount": {"amount": "99999999999.9999", "currency": "CLF"},
         "stage": "Negotiation", "pipeline": "new_business"} for i in range(40)], actor=SYSTEM)
    with count_queries() as many:
        [again, _] = pipeline_totals(sales)
    assert again.stages[3].amounts == {"CLF": Decimal("3999999999999.9960")}
    assert many.count == few.count == 1  # the report (the face reads the state counters)


def test_hook_timeline_items_shows_stage_changes_on_organizations_and_contacts(sales, helpers,
                                                                               count_queries):
    org = helpers.org(sales, "Northwind")
    contact = services.create(sales, "contact", {"last_name": "Schulz",
                                                 "organization_id": org.id}, actor=SYSTEM)
    deal = helpers.opportunity(sales, "Seats", organization_id=org.id, contact_id=contact.id)
    other = helpers.opportunity(sales, "Other")
    move_opportunity(sales, deal.id, "Proposal", actor=SYSTEM)
    move_opportunity(sales, other.id, "Proposal", actor=SYSTEM)
    move_opportunity(sales, deal.id, "Lost", loss_reason="Price", actor=SYSTEM)

    items = services.timeline(sales, "organization", org.id)
    assert [(i.kind, i.title, i.record_id, i.source_type, i.source_id) for i in items] == [
        ("sales.stage_change", "Seats: Proposal \u2192 Lost", org.id, "sales.opportunity",
         deal.id),
        ("sales.stage_change", "Seats: Prospecting \u2192 Proposal", org.id,
         "sales.opportunity", deal.id)]
    assert items[0].details == {"pipeline": "new_business", "from_stage": "Proposal",
                                "to_stage": "Lost", "actor": "test"}
    assert [i.title for i in services.timeline(sales, "contact", contact.id)] == [
        "Seats: Proposal \u2192 Lost", "Seats: Prospecting \u2192 Proposal"]
    assert len(services.timeline(sales, "sales.opportunity", other.id)) == 1

    # One query for any number of records asked at once.
    from accord_sales.reports import stage_change_items

    with count_queries() as counter:
        both = stage_change_items("organization", [org.id, other.organization_id])
    assert counter.count == 1
    assert sorted(i.record_id for i in both) == sorted([org.id, org.id, other.organization_id])
    disable(sales, "sales", actor=SYSTEM)
    assert services.timeline(sales, "organization", org.id) == []
