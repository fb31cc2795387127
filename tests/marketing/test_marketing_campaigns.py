"""Campaigns: the record and its rules, the launch (members from a segment, consent
respected, each contact once), the complete/cancel actions, the signed links and the
responses (with a sales lead when sales is enabled), the command, the demo and
disable/enable. The segments part's ``member_ids`` is replaced by a fake here."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

import accord_marketing.hooks
from accord import services
from accord.errors import ValidationError
from accord.models import Contact
from accord.services import Actor
from accord.services.plugins import disable, enable, patch_settings
from accord.web import create_app
from accord_marketing.campaigns import member_of, merge_problem, render, token_of
from accord_marketing.models.campaigns import Campaign, CampaignMember, CampaignResponse
from accord_marketing.services.campaigns import (cancel_campaign, complete_campaign,
                                                 demo_campaign,
                                                 launch_campaign, plan, record_response)

pytestmark = pytest.mark.plugins(accord_marketing.hooks)
SYSTEM = Actor.system("test")
API = "/api/v1/marketing/campaigns"


@pytest.fixture
def segment(kernel):
    """``segment(contacts)``: a segment of contacts with those last names (the
    segments part's own), its id."""
    def make(contacts):
        names = sorted({c.last_name for c in contacts}) or ["nobody at all"]
        return services.create(kernel, "marketing.segment", {
            "name": "Chosen", "target": "contact",
            "rules": [{"field": "last_name", "op": "in", "value": names}]}, actor=SYSTEM).id
    return make


def _campaign(kernel, **extra):
    data = {"name": "Spring", "type": "email",
            "subject": "Hello {first_name}", "body": "Dear {first_name} of {organization}"}
    return services.create(kernel, "marketing.campaign", {**data, **extra}, actor=SYSTEM)


def _people(kernel, helpers):
    org = helpers.org(kernel, "Acme Ltd")
    ann = helpers.contact(kernel, "Ames", first_name="Ann", email="ann@example.com",
                          organization_id=org.id)
    bob = helpers.contact(kernel, "Baker", first_name="Bob", email="bob@example.com",
                          email_opt_out=True)
    cid = helpers.contact(kernel, "Cole", first_name="Cid", email="cid@example.com")
    return ann, bob, cid


def _members(kernel, helpers):
    return [(m.contact_id, m.status) for m in helpers.rows(kernel, CampaignMember)]


# The record ------------------------------------------------------------------------

def test_a_campaign_is_planned_with_money_and_dates(kernel, make_api_client):
    client = make_api_client("admin")
    answer = client.post(API, json={
        "name": "Spring", "type": "event", "objective": "Meet customers",
        "budget": {"amount": "1500.00", "currency": "EUR"},
        "actual_cost": {"amount": "200", "currency": "EUR"},
        "start_date": "2026-04-01", "end_date": "2026-04-30", "expected_responses": 40})
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert (body["status"], body["actual_responses"], body["members"]) == ("planned", 0, [])
    assert body["budget"] == {"amount": "1500.00", "currency": "EUR"}
    assert body["actual_cost"] == {"amount": "200.00", "currency": "EUR"}
    with kernel.bound():
        row = Campaign.get_by_id(body["id"])
    assert (Decimal(row.budget), row.budget_currency) == (Decimal("1500"), "EUR")


@pytest.mark.parametrize("data, field, message", [
    ({"type": "fax"}, "type", "'fax' is not a campaign type; use one of email, sms, event, "
                              "ad, direct_mail (the campaign_types setting)"),
    ({"body": "Hi {nickname}"}, "body", "unknown merge field {nickname}; use {first_name}, "
                                        "{last_name}, {full_name}, {email}, {title}, "
                                        "{organization}, {link}, {respond_url}, "
                                        "{unsubscribe_url}"),
    ({"subject": "Hi {first_name.__class__}"}, "subject", "unknown merge field "),
    ({"subject": "Hi {first_name!r}"}, "subject", "write the merge field {first_name} "
                                                  "without a format or conversion"),
    ({"body": "50% off {"}, "body", "a lone { or }: write {{ or }} for a brace"),
    ({"start_date": "2026-05-01", "end_date": "2026-04-01"}, "end_date",
     "2026-04-01 is before the start date 2026-05-01"),
    ({"budget": {"amount": "10", "currency": "EUR"},
      "actual_cost": {"amount": "5", "currency": "USD"}}, "actual_cost",
     "give the cost in the budget's currency EUR"),
    ({"budget": {"amount": "-1", "currency": "EUR"}}, "budget",
     "The amount may not be negative."),
    ({"status": "active"}, "status", "launch"),
])
def test_bad_campaigns_are_refused_at_the_field(kernel, make_api_client, data, field,
                                                message):
    client = make_api_client("admin")
    answer = client.post(API, json={"name": "Spring", "type": "email", **data})
    assert answer.status_code == 422, answer.get_json()
    text = str(answer.get_json())
    assert field in text and message in text
    with kernel.bound():
        assert Campaign.select().count() == 0


def test_a_firms_own_type_comes_from_the_settings(kernel):
    patch_settings(kernel, "marketing", {"campaign_types": ["email", "webinar"]},
                   actor=SYSTEM)
    assert _campaign(kernel, type="webinar").type == "webinar"
    with pytest.raises(ValidationError, match="'event' is not a campaign type"):
        _campaign(kernel, type="event")


def test_merge_fields_are_filled_in_and_never_evaluated():
    assert merge_problem("Hi {first_name}, {{literal}}") is None
    assert render("Hi {first_name}, {{literal}} {organization}",
                  {"first_name": "Ann", "organization": "Acme"}) == "Hi Ann, {literal} Acme"
    assert merge_problem("{0}") is not None and merge_problem("{}") is not None


# Launch ----------------------------------------------------------------------------

def test_the_launch_adds_the_segment_once_each_and_never_who_opted_out(kernel, helpers,
                                                                      segment):
    ann, bob, cid = _people(kernel, helpers)
    campaign = _campaign(kernel, segment_id=segment([ann, bob, cid]))
    launched = launch_campaign(kernel, campaign.id, actor=SYSTEM)
    assert (launched.status, launched.launched_at is not None) == ("active", True)
    assert _members(kernel, helpers) == [(ann.id, "targeted"), (cid.id, "targeted")]
    # Launched once: a second launch is refused, nothing added.
    with pytest.raises(ValidationError, match="only a planned campaign is launched"):
        launch_campaign(kernel, campaign.id, actor=SYSTEM)
    assert len(_members(kernel, helpers)) == 2


def test_an_unsent_sms_campaign_respects_call_consent(kernel, helpers, segment):
    ann, bob, cid = _people(kernel, helpers)
    services.update(kernel, "contact", cid.id, {"call_opt_out": True}, actor=SYSTEM)
    # No channel sends sms here: its members are who may be called (Bob opted out of
    # email only).
    campaign = _campaign(kernel, type="sms", segment_id=segment([ann, bob, cid]))
    launch_campaign(kernel, campaign.id, actor=SYSTEM)
    assert _members(kernel, helpers) == [(ann.id, "targeted"), (bob.id, "targeted")]


def test_a_sent_type_needs_its_message_and_segment_to_launch(kernel, helpers, segment):
    campaign = _campaign(kernel, subject=None)
    with pytest.raises(ValidationError) as caught:
        launch_campaign(kernel, campaign.id, actor=SYSTEM)
    assert set(caught.value.messages) == {"subject", "segment_id"}
    with kernel.bound():
        assert Campaign.get_by_id(campaign.id).status == "planned"
    # An event needs neither: members when it has a segment.
    event = _campaign(kernel, type="event", subject=None, body=None)
    assert launch_campaign(kernel, event.id, actor=SYSTEM).status == "active"


def test_the_workflow_moves_by_its_actions_only(kernel, helpers, segment, make_api_client):
    client = make_api_client("admin")
    campaign = _campaign(kernel, segment_id=segment([]))
    answer = client.post(f"{API}/{campaign.id}/complete")
    assert answer.status_code == 422
    assert "only an active campaign is completed" in str(answer.get_json())
    assert client.post(f"{API}/{campaign.id}/launch").get_json()["status"] == "active"
    assert client.delete(f"{API}/{campaign.id}").status_code == 409
    assert client.post(f"{API}/{campaign.id}/complete").get_json()["status"] == "completed"
    with pytest.raises(ValidationError, match="it is not cancelled any more"):
        cancel_campaign(kernel, campaign.id, actor=SYSTEM)
    other = _campaign(kernel, name="Other")
    assert cancel_campaign(kernel, other.id, actor=SYSTEM).status == "cancelled"
    assert client.delete(f"{API}/{other.id}").status_code == 204


def test_the_record_page_offers_only_the_actions_of_the_campaigns_status(
        kernel, helpers, segment, make_page_client):
    client = make_page_client("admin")
    campaign = _campaign(kernel, segment_id=segment([]))

    def offered():
        html = client.get(f"/records/marketing.campaign/{campaign.id}").get_data(as_text=True)
        return re.findall(rf"/records/marketing.campaign/{campaign.id}/actions/(\w+)", html)

    assert offered() == ["launch", "cancel"]
    launch_campaign(kernel, campaign.id, actor=SYSTEM)
    assert offered() == ["complete", "cancel"]
    complete_campaign(kernel, campaign.id, actor=SYSTEM)
    assert offered() == []


def test_the_marketing_role_works_campaigns_and_sales_reps_do_not(kernel, make_api_client):
    marketer = make_api_client("marketing", email="m@example.com")
    assert marketer.post(API, json={"name": "X", "type": "ad"}).status_code == 201
    # The built-in sales role holds none of it.
    rep = make_api_client("sales", email="rep@example.com")
    assert rep.get(API).status_code == 403


# Responses -------------------------------------------------------------------------

def _launched(kernel, helpers, segment, **extra):
    ann, bob, cid = _people(kernel, helpers)
    campaign = _campaign(kernel, target_url="https://example.com/offer",
                         segment_id=segment([ann, bob, cid]), **extra)
    launch_campaign(kernel, campaign.id, actor=SYSTEM)
    with kernel.bound():
        member = CampaignMember.get(CampaignMember.contact == ann.id)
    return campaign, member, ann


def _stranger(kernel):
    return create_app(kernel, SECRET_KEY="campaign-pages").test_client()


def _tampered(token):
    return token[:-2] + ("AA" if not token.endswith("AA") else "BB")


def test_the_open_pixel_and_the_click_are_recorded_once(kernel, helpers, segment):
    campaign, member, ann = _launched(kernel, helpers, segment)
    client = _stranger(kernel)
    pixel = client.get(f"/marketing/track/open/{token_of(kernel, 'open', member.id)}")
    assert (pixel.status_code, pixel.mimetype) == (200, "image/gif")
    assert pixel.data.startswith(b"GIF89a")
    client.get(f"/marketing/track/open/{token_of(kernel, 'open', member.id)}")
    click = client.get(f"/marketing/track/click/{token_of(kernel, 'click', member.id)}")
    assert (click.status_code, click.headers["Location"]) == (302, "https://example.com/offer")
    [row] = [m for m in helpers.rows(kernel, CampaignMember) if m.id == member.id]
    assert row.status == "clicked" and row.opened_at and row.clicked_at
    assert [(r.kind, r.member_id, r.contact_id) for r in
            helpers.rows(kernel, CampaignResponse)] == [("open", member.id, ann.id),
                                                       ("click", member.id, ann.id)]


def test_a_click_without_a_target_leads_to_the_response_form(kernel, helpers, segment):
    ann = helpers.contact(kernel, "Ames", email="ann@example.com")
    campaign = _campaign(kernel, segment_id=segment([ann]))
    launch_campaign(kernel, campaign.id, actor=SYSTEM)
    with kernel.bound():
        member = CampaignMember.get()
    click = _stranger(kernel).get(f"/marketing/track/click/{token_of(kernel, 'click', member.id)}")
    assert click.status_code == 302
    assert click.headers["Location"] == (f"http://127.0.0.1:5000/marketing/respond/"
                                         f"{token_of(kernel, 'respond', member.id)}")


@pytest.mark.parametrize("path", ["track/open", "track/click", "respond", "unsubscribe"])
def test_tampered_links_are_refused_and_write_nothing(kernel, helpers, segment, path):
    campaign, member, ann = _launched(kernel, helpers, segment)
    purpose = path.split("/")[-1]
    good = token_of(kernel, purpose, member.id)
    client = _stranger(kernel)
    for bad in (_tampered(good), token_of(kernel, "other", member.id),
                # a valid link of another purpose is no link of this one
                token_of(kernel, "click" if purpose != "click" else "open", member.id)):
        answer = client.get(f"/marketing/{path}/{bad}")
        assert answer.status_code == 400, (bad, answer.status_code)
    assert helpers.rows(kernel, CampaignResponse) == []
    [row] = [m for m in helpers.rows(kernel, CampaignMember) if m.id == member.id]
    assert (row.status, row.opened_at, row.clicked_at) == ("targeted", None, None)
    assert member_of(kernel, purpose, good) == member.id


def _post_form(client, path, **form):
    html = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
    return client.post(path, data={**form, "csrf_token": token})


def test_the_public_form_records_a_response(kernel, helpers, segment):
    campaign, member, ann = _launched(kernel, helpers, segment)
    client = _stranger(kernel)
    path = f"/marketing/respond/{token_of(kernel, 'respond', member.id)}"
    page = client.get(path)
    assert page.status_code == 200 and "Spring" in page.get_data(as_text=True)
    answer = _post_form(client, path, message="Call me on Monday")
    assert answer.status_code == 200 and "Thank you" in answer.get_data(as_text=True)
    [response] = helpers.rows(kernel, CampaignResponse)
    assert (response.kind, response.message, response.lead_id) == (
        "form", "Call me on Monday", None)
    assert response.at is not None
    with kernel.bound():
        assert Campaign.get_by_id(campaign.id).actual_responses == 1
        assert CampaignMember.get_by_id(member.id).status == "responded"


def test_the_public_form_takes_five_answers_an_hour_then_refuses(kernel, helpers, segment):
    campaign, member, ann = _launched(kernel, helpers, segment)
    client = _stranger(kernel)
    path = f"/marketing/respond/{token_of(kernel, 'respond', member.id)}"
    for n in range(5):
        assert _post_form(client, path, message=f"Answer {n}").status_code == 200
    refused = _post_form(client, path, message="One too many")
    assert refused.status_code == 429
    assert "sent too often in the last hour" in refused.get_data(as_text=True)
    assert [r.message for r in helpers.rows(kernel, CampaignResponse)] == [
        f"Answer {n}" for n in range(5)]


def test_the_api_records_responses_of_members_only(kernel, helpers, segment,
                                                   make_api_client):
    campaign, member, ann = _launched(kernel, helpers, segment)
    client = make_api_client("admin")
    answer = client.post(f"{API}/{campaign.id}/responses",
                         json={"contact_id": ann.id, "message": "At the booth",
                               "converted": True})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["kind"] == "api"
    assert answer.get_json()["lead_id"] is None  # no sales plugin
    stranger = helpers.contact(kernel, "Doe")
    refused = client.post(f"{API}/{campaign.id}/responses", json={"contact_id": stranger.id})
    assert refused.status_code == 422
    assert f"contact {stranger.id} is not a member of campaign {campaign.id}" in str(
        refused.get_json())
    listed = client.get(f"{API}/{campaign.id}/responses").get_json()["items"]
    assert [(r["kind"], r["message"]) for r in listed] == [("api", "At the booth")]
    members = client.get(f"{API}/{campaign.id}/members").get_json()
    assert members["total"] == 2
    assert {s["step"]: s["count"] for s in members["funnel"]} == {
        "targeted": 2, "sent": 0, "opened": 0, "clicked": 0, "responded": 1, "converted": 1}
    assert client.get(f"{API}/{campaign.id}").get_json()["actual_responses"] == 1


@pytest.mark.plugins(accord_marketing.hooks, "sales")
def test_a_response_creates_a_lead_in_sales(kernel, helpers, segment, make_api_client,
                                            make_page_client):
    campaign, member, ann = _launched(kernel, helpers, segment)
    response = record_response(kernel, campaign.id, ann.id, actor=SYSTEM, message="Hi")
    assert response.lead_id is not None
    lead = services.get(kernel, "sales.lead", response.lead_id)
    assert (lead.name, lead.email, lead.company, lead.source) == (
        "Ann Ames", "ann@example.com", "Acme Ltd", "campaign")
    # The lead's page names its campaign, for those who may read campaigns.
    html = make_page_client("admin").get(f"/records/sales.lead/{lead.id}").get_data(
        as_text=True)
    panel = re.search(r"<h2[^>]*>Campaign</h2>.*?</table>", html, re.S)
    assert panel and f'href="/marketing/campaigns/{campaign.id}">Spring</a>' in panel[0]
    assert "responded (recorded by the firm)" in panel[0]
    from accord.services.authz import actor_for
    from accord_marketing.attribution import panels

    rep = actor_for(kernel, make_page_client("sales").user)
    assert panels(kernel, rep, "sales.lead", {"id": lead.id}) == []
    with kernel.bound():
        assert CampaignMember.get_by_id(member.id).lead_id == lead.id
    # One lead per member: a second response makes none.
    again = record_response(kernel, campaign.id, ann.id, actor=SYSTEM)
    assert again.lead_id is None
    # The form creates one too.
    client = _stranger(kernel)
    with kernel.bound():
        cid = CampaignMember.get(CampaignMember.contact != ann.id)
    _post_form(client, f"/marketing/respond/{token_of(kernel, 'respond', cid.id)}")
    leads = [r.lead_id for r in helpers.rows(kernel, CampaignResponse) if r.lead_id]
    assert len(leads) == 2


def test_the_unsubscribe_link_opts_the_contact_out(kernel, helpers, segment):
    campaign, member, ann = _launched(kernel, helpers, segment)
    client = _stranger(kernel)
    path = f"/marketing/unsubscribe/{token_of(kernel, 'unsubscribe', member.id)}"
    assert "Get no more" in client.get(path).get_data(as_text=True)
    assert _post_form(client, path).status_code == 200
    with kernel.bound():
        assert Contact.get_by_id(ann.id).email_opt_out is True
        row = CampaignMember.get_by_id(member.id)
    assert (row.status, row.unsubscribed_at is not None) == ("unsubscribed", True)


def test_a_mail_clients_one_click_unsubscribe_posts_without_a_form(kernel, helpers, segment):
    """RFC 8058: the mail client POSTs List-Unsubscribe=One-Click to the header's URL,
    with no page visited and no CSRF token: the signed link is the proof."""
    campaign, member, ann = _launched(kernel, helpers, segment)
    client = _stranger(kernel)
    tampered = client.post(f"/marketing/unsubscribe/"
                           f"{_tampered(token_of(kernel, 'unsubscribe', member.id))}",
                           data={"List-Unsubscribe": "One-Click"})
    assert tampered.status_code == 400
    with kernel.bound():
        assert Contact.get_by_id(ann.id).email_opt_out is False
    done = client.post(f"/marketing/unsubscribe/{token_of(kernel, 'unsubscribe', member.id)}",
                       data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    with kernel.bound():
        assert Contact.get_by_id(ann.id).email_opt_out is True
    # Other public forms still need their CSRF token.
    respond = client.post(f"/marketing/respond/{token_of(kernel, 'respond', member.id)}",
                          data={"message": "Call me"})
    assert respond.status_code == 400
    assert helpers.rows(kernel, CampaignResponse) == []


# The command, the demo, disable/enable ------------------------------------------------

def test_the_dry_run_says_who_would_get_a_message(kernel, helpers, segment, cli):
    ann, bob, cid = _people(kernel, helpers)
    nomail = helpers.contact(kernel, "Nomail", first_name="Ned")
    campaign = _campaign(kernel, segment_id=segment([ann, bob, cid, nomail]))
    result = cli("marketing", "campaign", "send", str(campaign.id), "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"Campaign {campaign.id} (Spring, email, planned): 2 would get a message.",
        f"  skipped, opted out: Bob Baker (contact {bob.id})",
        f"  skipped, no address: Ned Nomail (contact {nomail.id})",
        "Nothing was sent (dry run)."]
    launch_campaign(kernel, campaign.id, actor=SYSTEM)
    services.update(kernel, "contact", cid.id, {"email_opt_out": True}, actor=SYSTEM)
    assert plan(kernel, campaign.id).count == 1
    result = cli("marketing", "campaign", "send", str(campaign.id), "--dry-run")
    assert f"skipped, opted out: Cid Cole (contact {cid.id})" in result.output
    assert helpers.rows(kernel, CampaignResponse) == []
    with kernel.bound():
        assert CampaignMember.select().where(CampaignMember.sent_at.is_null(False)).count() == 0


def test_sending_a_planned_campaign_is_refused(kernel, cli):
    campaign = _campaign(kernel)
    result = cli("marketing", "campaign", "send", str(campaign.id))
    assert result.exit_code == 1
    assert f"campaign {campaign.id} is planned: only an active campaign is sent (launch it " \
           "first)" in result.output
    assert "no campaign 999" in cli("marketing", "campaign", "send", "999").output


def test_the_demo_is_a_completed_campaign_with_responses(kernel, helpers):
    for number in range(6):
        helpers.contact(kernel, f"Person{number}", first_name="P",
                        email=f"p{number}@example.com")
    campaign = demo_campaign(kernel, SYSTEM)
    assert campaign.status == "completed" and campaign.actual_responses == 2
    statuses = [m.status for m in helpers.rows(kernel, CampaignMember)]
    assert len(statuses) == 6 and statuses[-1] == "bounced" and "converted" in statuses
    kinds = {r.kind for r in helpers.rows(kernel, CampaignResponse)}
    assert kinds == {"open", "click", "form"}


def test_disable_and_enable_keep_every_row(kernel, helpers, segment, make_api_client):
    campaign, member, ann = _launched(kernel, helpers, segment)
    record_response(kernel, campaign.id, ann.id, actor=SYSTEM)
    disable(kernel, "marketing", actor=SYSTEM)
    assert make_api_client("admin").get(API).status_code == 404
    enable(kernel, "marketing", actor=SYSTEM)
    assert len(helpers.rows(kernel, CampaignMember)) == 2
    assert len(helpers.rows(kernel, CampaignResponse)) == 1
    assert services.get(kernel, "marketing.campaign", campaign.id).actual_responses == 1


def test_a_segment_of_organizations_is_refused(kernel):
    orgs = services.create(kernel, "marketing.segment", {
        "name": "Firms", "target": "organization"}, actor=SYSTEM)
    with pytest.raises(ValidationError) as caught:
        _campaign(kernel, segment_id=orgs.id)
    assert caught.value.messages == {"segment_id": [
        f"segment {orgs.id} selects organizations; a campaign reaches contacts: choose a "
        "segment of contacts"]}
    with pytest.raises(ValidationError, match="no segment 999"):
        _campaign(kernel, segment_id=999)


# Pages -----------------------------------------------------------------------------

def test_the_pages_list_campaigns_and_show_the_funnel(kernel, helpers, segment,
                                                     make_page_client):
    campaign, member, ann = _launched(kernel, helpers, segment,
                                      budget={"amount": "1000", "currency": "EUR"},
                                      actual_cost={"amount": "250", "currency": "EUR"})
    record_response(kernel, campaign.id, ann.id, actor=SYSTEM, message="Call me")
    client = make_page_client("marketing", email="mia@example.com")
    listing = client.get("/marketing/campaigns")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert f'id="campaign-{campaign.id}"' in html and "1,000.00 EUR" in html
    bad = client.get("/marketing/campaigns?status=done")
    assert bad.status_code == 400
    assert "Status: Choose one of planned, active, completed, cancelled." in bad.get_data(
        as_text=True)
    page = client.get(f"/marketing/campaigns/{campaign.id}").get_data(as_text=True)
    funnel = dict(re.findall(r'id="funnel-(\w+)">.*?<span class="count">(\d+)</span>', page))
    assert funnel == {"targeted": "2", "sent": "0", "opened": "0", "clicked": "0",
                      "responded": "1", "converted": "0"}
    assert "250.00 EUR" in page and "(25% of the budget)" in page and "Call me" in page
    assert client.get("/marketing/campaigns/999").status_code == 404
    # The record page (edit, launch, complete, cancel) shows it with its members.
    record = client.get(f"/records/marketing.campaign/{campaign.id}")
    assert record.status_code == 200 and "Spring" in record.get_data(as_text=True)
    found = client.get("/search?q=Spring").get_data(as_text=True)
    assert f"/records/marketing.campaign/{campaign.id}" in found
    rep = make_page_client("sales", email="rep@example.com")
    assert rep.get(f"/marketing/campaigns/{campaign.id}").status_code == 403


@pytest.mark.plugins(accord_marketing.hooks, "sales")
def test_the_plugins_demo_holds_a_completed_campaign_with_leads(kernel, helpers):
    from accord.demo import load_demo

    load_demo(kernel)
    [campaign] = helpers.rows(kernel, Campaign)
    assert (campaign.name, campaign.status, campaign.actual_responses) == (
        "Spring newsletter", "completed", 2)
    responses = helpers.rows(kernel, CampaignResponse)
    leads = [r.lead_id for r in responses if r.lead_id]
    assert len(leads) == 2
    assert services.get(kernel, "sales.lead", leads[0]).source == "campaign"
    # Nobody who opted out is a member.
    with kernel.bound():
        assert not [m for m in CampaignMember.select().join(
            Contact, on=(CampaignMember.contact == Contact.id)).where(Contact.email_opt_out)]
