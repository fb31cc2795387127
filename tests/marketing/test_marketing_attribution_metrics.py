"""The campaign metrics (rates, cost per lead, ROI, attributed revenue per campaign)
under the reader's record rule, the demo campaign's attributed revenue, and ROI with
the sales plugin disabled: no revenue, and a note saying why."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import accord_marketing.hooks
import accord_sales.hooks
from accord import services
from accord.metrics import MetricQuery, compute, report
from accord.services import Actor
from accord.services.authz import actor_for
from accord.services.roles import add_role
from accord_marketing.attribution import campaign_results, overview
from accord_marketing.attribution_queries import NO_SALES
from accord_marketing.models.campaigns import Campaign, CampaignMember, CampaignResponse
from accord_marketing.services.campaigns import demo_campaign
from accord_sales.services import move_opportunity

SYSTEM = Actor.system("test")
NOW = dt.datetime.now(dt.timezone.utc)
TODAY = NOW.date()


def _campaign(kernel, name, cost=None, **extra):
    data = {"name": name, "type": "event", **extra}
    if cost is not None:
        data["actual_cost"] = {"amount": cost, "currency": "EUR"}
    return services.create(kernel, "marketing.campaign", data, actor=SYSTEM)


def _member(kernel, campaign, contact, **moments):
    values = {"campaign": campaign.id, "contact": contact.id, "created_at": NOW,
              **{k: NOW - dt.timedelta(days=v) for k, v in moments.items()}}
    with kernel.bound():
        return CampaignMember.insert(**values).execute()


def _lead(kernel, campaign, member, lead_id):
    with kernel.bound():
        CampaignResponse.insert(campaign=campaign.id, member=member, kind="api", at=NOW,
                                lead_id=lead_id).execute()


def _points(kernel, name, reader=None):
    query = MetricQuery(TODAY - dt.timedelta(days=60), TODAY, by="total")
    if reader is not None:
        _, found = report(kernel, name, query, actor=reader)
    else:
        found = compute(kernel, name, query)
    return {p.group: str(p.value) for p in found}


@pytest.mark.plugins(accord_marketing.hooks, accord_sales.hooks)
def test_the_campaign_metrics(kernel, helpers):
    acme = helpers.org(kernel, "Acme")
    people = [helpers.contact(kernel, f"P{n}", organization_id=acme.id) for n in range(4)]
    spring = _campaign(kernel, "Spring", "300")
    autumn = _campaign(kernel, "Autumn", "100")
    # Spring: 4 sent, 3 opened, 2 clicked, 2 responded, 1 converted; two leads.
    sent = [_member(kernel, spring, p, sent_at=10) for p in people]
    with kernel.bound():
        for index, member in enumerate(sent):
            values: dict = {}
            if index < 3:
                values["opened_at"] = NOW - dt.timedelta(days=9)
            if index < 2:
                values.update(clicked_at=NOW - dt.timedelta(days=9),
                              responded_at=NOW - dt.timedelta(days=8))
            if index == 0:
                values["converted_at"] = NOW - dt.timedelta(days=7)
            if values:
                CampaignMember.update(**values).where(CampaignMember.id == member).execute()
    _lead(kernel, spring, sent[0], 11)
    _lead(kernel, spring, sent[1], 12)
    # Autumn: 1 sent 2 days ago (the last touch of Acme), no response.
    _member(kernel, autumn, people[0], sent_at=2)
    with kernel.bound():
        Campaign.update(launched_at=NOW - dt.timedelta(days=10)).execute()
    deal = services.create(kernel, "sales.opportunity", {
        "name": "Deal", "organization_id": acme.id,
        "amount": {"amount": "1000.00", "currency": "EUR"}}, actor=SYSTEM)
    move_opportunity(kernel, deal.id, "Won", actor=SYSTEM)

    assert _points(kernel, "marketing.response_rate") == {"Autumn": "0.00", "Spring": "50.00"}
    assert _points(kernel, "marketing.open_rate") == {"Autumn": "0.00", "Spring": "75.00"}
    assert _points(kernel, "marketing.click_rate") == {"Autumn": "0.00", "Spring": "50.00"}
    assert _points(kernel, "marketing.conversion_rate") == {"Spring": "50.00"}
    assert _points(kernel, "marketing.cost_per_lead") == {"Spring": "150.00"}
    # last_touch (the setting): Autumn's touch 2 days ago wins the 1000.00.
    assert _points(kernel, "marketing.attributed_revenue") == {"Autumn": "1000.00"}
    assert _points(kernel, "marketing.campaign_roi") == {"Autumn": "900.00",
                                                         "Spring": "-100.00"}
    # By month: the revenue falls in the month the deal was won.
    found = compute(kernel, "marketing.attributed_revenue",
                    MetricQuery(TODAY.replace(day=1), TODAY))
    assert [(p.period, p.group, str(p.value)) for p in found] == [
        (f"{TODAY:%Y-%m}", "Autumn", "1000.00")]

    # A reader whose rule reaches their own campaigns sees only those.
    add_role(kernel, "own-campaigns", actor=SYSTEM,
             grants=["marketing.campaign.read", "core.metrics.read"],
             rules={"marketing.campaign": "own"})
    user = services.create(kernel, "user", {"email": "o@example.com", "name": "O",
                                            "role": "own-campaigns"}, actor=SYSTEM)
    services.update(kernel, "marketing.campaign", spring.id, {"owner_id": user.id},
                    actor=SYSTEM)
    with kernel.bound():
        reader = actor_for(kernel, user)
    assert _points(kernel, "marketing.response_rate", reader) == {"Spring": "50.00"}
    assert _points(kernel, "marketing.attributed_revenue", reader) == {}


@pytest.mark.plugins(accord_marketing.hooks, accord_sales.hooks)
def test_the_demo_campaign_earns_attributed_revenue(kernel, helpers):
    acme = helpers.org(kernel, "Acme Ltd")
    for n in range(6):
        helpers.contact(kernel, f"Buyer{n}", first_name=f"Person{n}",
                        email=f"p{n}@example.com", organization_id=acme.id)
    campaign = demo_campaign(kernel, SYSTEM)
    found = campaign_results(kernel, campaign.id, SYSTEM)
    # The converted member's organization won 4,800.00 today; the campaign touched it
    # 28 days before and cost 1,240.50.
    assert (found["attributed_revenue"], found["acquisitions"], found["leads"]) == (
        Decimal("4800.00"), 1, 2)
    assert found["revenue_by_model"] == {"first_touch": Decimal("4800.00"),
                                         "last_touch": Decimal("4800.00"),
                                         "linear": Decimal("4800.00")}
    assert found["cost_per_lead"] == Decimal("620.25")
    assert found["roi"] == Decimal("286.94")  # (4800 - 1240.50) / 1240.50


@pytest.mark.plugins(accord_marketing.hooks)
def test_without_sales_no_revenue_and_a_note(kernel, helpers, make_api_client, cli_runner):
    ann = helpers.contact(kernel, "Ames")
    campaign = _campaign(kernel, "Spring", "300")
    _member(kernel, campaign, ann, sent_at=3, responded_at=2)
    body = make_api_client("admin").get(
        f"/api/v1/marketing/campaigns/{campaign.id}/results").get_json()
    assert (body["attributed_revenue"], body["acquisitions"], body["roi"]) == (
        "0.00", 0, None)
    assert body["note"] == body["roi_note"] == NO_SALES == (
        "no won deals to attribute: the sales plugin (which declares the sales.won_deals "
        "customer fact) is not enabled")
    assert (body["sent"], body["responded"], body["response_rate"]) == (1, 1, "100.00")
    found = overview(kernel, SYSTEM)
    assert (found["deals"], found["unattributed_revenue"], found["note"]) == (
        0, Decimal("0.00"), NO_SALES)
    assert _points(kernel, "marketing.attributed_revenue") == {}
    assert _points(kernel, "marketing.campaign_roi") == {}
    cli_runner.kernel = kernel
    out = cli_runner("marketing", "roi")
    assert out.exit_code == 0, out.output
    assert f"Note: {NO_SALES}." in out.output
