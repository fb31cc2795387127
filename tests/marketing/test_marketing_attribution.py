"""ROI and attribution with hand-worked figures: two campaigns touching one customer
before a deal, a touch outside the window, an organization's deal attributed through
its contact's touch (and counted once), linear parts adding up to the cent; the three
models, the campaign results and the overview through the API, the campaign record
rule, a bad model, and the command."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import accord_marketing.hooks
import accord_sales.hooks
from accord import services
from accord.services import Actor
from accord.services.plugins import patch_settings
from accord.services.roles import add_role
from accord_marketing.attribution_queries import attribute, split
from accord_marketing.models.campaigns import CampaignMember, CampaignResponse
from accord_sales.services import move_opportunity

pytestmark = pytest.mark.plugins(accord_marketing.hooks, accord_sales.hooks)
SYSTEM = Actor.system("test")
NOW = dt.datetime.now(dt.timezone.utc)


def _campaign(kernel, name, cost=None, currency="EUR", **extra):
    data = {"name": name, "type": "event", **extra}
    if cost is not None:
        data["actual_cost"] = {"amount": cost, "currency": currency}
    return services.create(kernel, "marketing.campaign", data, actor=SYSTEM)


def _touch(kernel, campaign, contact, days_ago=None, responded_days_ago=None, **extra):
    """A member of ``campaign`` sent a message (and/or responding) days ago."""
    values = {"campaign": campaign.id, "contact": contact.id, "created_at": NOW,
              "status": "sent", **extra}
    if days_ago is not None:
        values["sent_at"] = NOW - dt.timedelta(days=days_ago)
    if responded_days_ago is not None:
        values["responded_at"] = NOW - dt.timedelta(days=responded_days_ago)
    with kernel.bound():
        return CampaignMember.insert(**values).execute()


def _won(kernel, amount, **customer):
    deal = services.create(kernel, "sales.opportunity", {
        "name": "Deal", "amount": {"amount": amount, "currency": "EUR"}, **customer},
        actor=SYSTEM)
    move_opportunity(kernel, deal.id, "Won", actor=SYSTEM)
    return deal


@pytest.fixture
def world(kernel, helpers):
    """Campaigns A (cost 1000), B (cost 500), C (cost 200 USD) and touches:

    - Acme (organization): Ann (at Acme) sent A 20 days ago, responded to B 5 days
      ago (a lead); Bob (at Acme) sent C 40 days ago: outside the 30-day window. A deal
      of 900.00 naming Acme and Ann, won today.
    - Cid (no organization): sent A 10, B 3 and C 1 day ago; a deal of 100.00.
    - Globex: a deal of 250.00 no campaign touched.
    """
    patch_settings(kernel, "marketing", {"attribution_window_days": 30}, actor=SYSTEM)
    acme, globex = helpers.org(kernel, "Acme"), helpers.org(kernel, "Globex")
    ann = helpers.contact(kernel, "Ames", organization_id=acme.id)
    bob = helpers.contact(kernel, "Baker", organization_id=acme.id)
    cid = helpers.contact(kernel, "Cole")
    a = _campaign(kernel, "A", "1000")
    b = _campaign(kernel, "B", "500")
    c = _campaign(kernel, "C", "200", currency="USD")
    _touch(kernel, a, ann, 20, opened_at=NOW - dt.timedelta(days=19))
    member = _touch(kernel, b, ann, None, 5, status="responded", lead_id=77)
    with kernel.bound():
        CampaignResponse.insert(campaign=b.id, member=member, contact=ann.id, kind="api",
                                at=NOW - dt.timedelta(days=5), lead_id=77).execute()
    _touch(kernel, c, bob, 40)
    _touch(kernel, a, cid, 10)
    _touch(kernel, b, cid, 3)
    _touch(kernel, c, cid, 1)
    _won(kernel, "900.00", organization_id=acme.id, contact_id=ann.id)
    _won(kernel, "100.00", contact_id=cid.id)
    _won(kernel, "250.00", organization_id=globex.id)
    return {"A": a, "B": b, "C": c}


def _revenue(found, model, world):
    return {name: str(found.of(model, campaign.id).revenue)
            for name, campaign in world.items()}


def test_the_three_models_with_hand_worked_figures(kernel, world):
    found = attribute(kernel)
    # Each deal once: the 900.00 deal names Acme and Ann, Ann's row is left out.
    assert (found.deals, found.won_revenue) == (3, Decimal("1250.00"))
    assert (found.unattributed_deals, found.unattributed_revenue) == (1, Decimal("250.00"))
    # Acme's touches: A (Ann, 20 days) then B (Ann, 5 days); Bob's C 40 days ago is out.
    # Cid's: A (10), B (3), C (1).
    assert _revenue(found, "first_touch", world) == {"A": "1000.00", "B": "0.00",
                                                      "C": "0.00"}
    assert _revenue(found, "last_touch", world) == {"A": "0.00", "B": "900.00",
                                                     "C": "100.00"}
    # Linear: 900 / 2 = 450 each; 100 / 3 = 33.34 (the earliest, A) + 33.33 + 33.33.
    assert _revenue(found, "linear", world) == {"A": "483.34", "B": "483.33", "C": "33.33"}
    assert sum(found.of("linear", c.id).revenue for c in world.values()) == Decimal("1000.00")
    assert [found.of("linear", c.id).deals for c in world.values()] == [2, 2, 1]
    assert [found.of("first_touch", c.id).deals for c in world.values()] == [2, 0, 0]


def test_a_deal_naming_only_a_contact_at_an_organization_counts_for_the_organization(
        kernel, world, helpers):
    # Eve works at Acme; her deal names her alone. Acme's touches (A by Ann 20 days
    # ago, B by Ann 5 days ago) count for it, once.
    eve = helpers.contact(kernel, "Evans", organization_id=_org_of(kernel, world))
    _won(kernel, "300.00", contact_id=eve.id)
    found = attribute(kernel)
    assert (found.deals, found.won_revenue) == (4, Decimal("1550.00"))
    assert _revenue(found, "first_touch", world) == {"A": "1300.00", "B": "0.00",
                                                      "C": "0.00"}
    assert _revenue(found, "last_touch", world) == {"A": "0.00", "B": "1200.00",
                                                     "C": "100.00"}


def test_a_wider_window_reaches_the_older_touch(kernel, world):
    patch_settings(kernel, "marketing", {"attribution_window_days": 45}, actor=SYSTEM)
    found = attribute(kernel)
    # Bob's C touch (40 days) now counts: Acme's touches are C, A, B.
    assert _revenue(found, "first_touch", world) == {"A": "100.00", "B": "0.00",
                                                      "C": "900.00"}
    assert _revenue(found, "last_touch", world) == {"A": "0.00", "B": "900.00",
                                                     "C": "100.00"}
    # Linear: 900 / 3 = 300 each; Cid's 100 as before.
    assert _revenue(found, "linear", world) == {"A": "333.34", "B": "333.33", "C": "333.33"}


def test_two_touches_of_one_campaign_share_one_part(kernel, world, helpers):
    # Dan, a new contact of Acme, sent A 2 days ago: Acme's touches are A, B, A.
    dan = helpers.contact(kernel, "Dunn", organization_id=_org_of(kernel, world))
    _touch(kernel, world["A"], dan, 2)
    found = attribute(kernel)
    assert _revenue(found, "linear", world) == {"A": "483.34", "B": "483.33", "C": "33.33"}
    assert _revenue(found, "last_touch", world) == {"A": "900.00", "B": "0.00",
                                                     "C": "100.00"}
    assert found.of("linear", world["A"].id).deals == 2


def _org_of(kernel, world):
    from accord.models import Organization

    with kernel.bound():
        return Organization.get(Organization.name == "Acme").id


@pytest.mark.parametrize("amount, parts, shares", [
    ("100.00", 3, ["33.34", "33.33", "33.33"]),
    ("0.05", 3, ["0.02", "0.02", "0.01"]),
    ("10.00", 4, ["2.50", "2.50", "2.50", "2.50"]),
    ("0.01", 2, ["0.01", "0.00"]),
])
def test_linear_parts_add_up_exactly(amount, parts, shares):
    assert [str(s) for s in split(Decimal(amount), parts)] == shares
    assert sum(split(Decimal(amount), parts)) == Decimal(amount)


def test_a_campaigns_results_through_the_api(kernel, world, make_api_client):
    admin = make_api_client("admin")
    a, b = world["A"], world["B"]
    answer = admin.get(f"/api/v1/marketing/campaigns/{b.id}/results")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {
        "campaign_id": b.id, "name": "B", "status": "planned", "model": "last_touch",
        "currency": "EUR", "members": 2, "sent": 1, "delivered": 0, "opened": 0,
        "clicked": 0, "responded": 1, "converted": 0, "bounced": 0, "unsubscribed": 0,
        "response_rate": "100.00", "open_rate": "0.00", "click_rate": "0.00",
        "conversion_rate": "0.00", "leads": 1, "cost": "500.00", "cost_currency": "EUR",
        "cost_per_lead": "500.00", "acquisitions": 1, "cost_per_acquisition": "500.00",
        "attributed_revenue": "900.00",
        "revenue_by_model": {"first_touch": "0.00", "last_touch": "900.00",
                             "linear": "483.33"},
        "roi": "80.00", "roi_note": "", "note": ""}
    body = admin.get(f"/api/v1/marketing/campaigns/{a.id}/results?model=linear").get_json()
    assert (body["model"], body["attributed_revenue"], body["roi"]) == (
        "linear", "483.34", "-51.67")
    assert (body["sent"], body["opened"], body["open_rate"], body["response_rate"],
            body["conversion_rate"], body["cost_per_lead"]) == (
        2, 1, "50.00", "0.00", None, None)
    assert (body["acquisitions"], body["cost_per_acquisition"]) == (2, "500.00")
    body = admin.get(f"/api/v1/marketing/campaigns/{a.id}/results?model=first_touch"
                     ).get_json()
    assert (body["attributed_revenue"], body["roi"]) == ("1000.00", "0.00")
    body = admin.get(f"/api/v1/marketing/campaigns/{world['C'].id}/results").get_json()
    assert (body["attributed_revenue"], body["roi"], body["roi_note"]) == (
        "100.00", None, "the cost is in USD, not the base currency EUR")


def test_the_overview_of_every_campaign(kernel, world, make_api_client):
    admin = make_api_client("admin")
    body = admin.get("/api/v1/marketing/attribution?model=linear").get_json()
    assert [(r["name"], r["attributed_revenue"], r["roi"]) for r in body["campaigns"]] == [
        ("C", "33.33", None), ("B", "483.33", "-3.33"), ("A", "483.34", "-51.67")]
    # Cost of A and B (C's is in USD); revenue of the three.
    assert (body["cost"], body["attributed_revenue"], body["roi"]) == (
        "1500.00", "1000.00", "-33.33")
    assert (body["deals"], body["won_revenue"], body["unattributed_deals"],
            body["unattributed_revenue"], body["window_days"]) == (
        3, "1250.00", 1, "250.00", 30)
    today = NOW.date()
    body = admin.get(f"/api/v1/marketing/attribution?start={today + dt.timedelta(days=1)}"
                     ).get_json()
    assert (body["deals"], body["attributed_revenue"], body["model"]) == (
        0, "0.00", "last_touch")
    answer = admin.get(f"/api/v1/marketing/attribution?start={today}"
                       f"&end={today - dt.timedelta(days=1)}")
    assert answer.status_code == 422
    assert "start" in answer.get_json()["errors"]


def test_a_bad_model_is_a_422_naming_it(kernel, world, make_api_client):
    admin = make_api_client("admin")
    for path in (f"/api/v1/marketing/campaigns/{world['A'].id}/results?model=u_shaped",
                 "/api/v1/marketing/attribution?model=u_shaped"):
        answer = admin.get(path)
        assert answer.status_code == 422
        assert answer.get_json()["errors"] == {"model": [
            "'u_shaped' is not an attribution model; use one of first_touch, last_touch, "
            "linear"]}


def test_the_campaign_record_rule_applies(kernel, world, make_api_client):
    add_role(kernel, "own-campaigns", actor=SYSTEM, grants=["marketing.campaign.read"],
             rules={"marketing.campaign": "own"})
    reader = make_api_client("own-campaigns")
    services.update(kernel, "marketing.campaign", world["B"].id,
                    {"owner_id": reader.user.id}, actor=SYSTEM)
    body = reader.get("/api/v1/marketing/attribution").get_json()
    assert [(r["name"], r["attributed_revenue"]) for r in body["campaigns"]] == [
        ("B", "900.00")]
    assert reader.get(f"/api/v1/marketing/campaigns/{world['B'].id}/results"
                      ).status_code == 200
    assert reader.get(f"/api/v1/marketing/campaigns/{world['A'].id}/results"
                      ).status_code == 404
    outsider = make_api_client("sales")
    assert outsider.get("/api/v1/marketing/attribution").status_code == 403


def test_the_command_prints_the_table(kernel, world, cli_runner):
    cli_runner.kernel = kernel
    result = cli_runner("marketing", "roi", "--model", "linear")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Campaign ROI (linear attribution, 30-day window, amounts in EUR)"
    assert lines[1].split() == ["Campaign", "Cost", "Leads", "Per", "lead", "Deals", "Per",
                                "deal", "Revenue", "ROI"]
    assert lines[2].split() == ["C", "200.00", "USD", "0", "—", "1", "—", "33.33", "—"]
    assert lines[3].split() == ["B", "500.00", "1", "500.00", "2", "250.00", "483.33",
                                "-3.33%"]
    assert lines[4].split() == ["A", "1,000.00", "0", "—", "2", "500.00", "483.34",
                                "-51.67%"]
    assert lines[5] == "Unattributed: 1 deals, 250.00"
    result = cli_runner("marketing", "roi", "--model", "u_shaped")
    assert result.exit_code == 2 and "u_shaped" in result.output
