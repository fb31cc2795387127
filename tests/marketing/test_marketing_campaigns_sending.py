"""Sending campaigns: the SMTP channel against a local server the tests start on
loopback (aiosmtpd), retried after a refused connection without a duplicate, the rate
limit, consent read again before each message, the job, the command, and the
``register_channels`` hook."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import socket

import pytest
from aiosmtpd.controller import Controller

import accord_marketing.hooks
from accord import services
from accord.hooks import hookimpl
from accord.jobs import run_job
from accord.models import Contact
from accord.plugins import PluginManifest
from accord.services import Actor
from accord.services.plugins import patch_settings
from accord.web import create_app
from accord_marketing.channels import Channel, PermanentFailure
from accord_marketing.models.campaigns import CampaignMember
from accord_marketing.services.campaigns import launch_campaign, send_due

pytestmark = pytest.mark.plugins(accord_marketing.hooks)
SYSTEM = Actor.system("test")
UTC = dt.timezone.utc


class Inbox:
    """The messages the local SMTP server received."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos,
                              email.message_from_bytes(envelope.content,
                                                       policy=email.policy.default)))
        return "250 Message accepted for delivery"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A local SMTP server that can be stopped and started again on its port."""

    def __init__(self):
        self.port = _free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(kernel):
    server = Server()
    server.start()
    patch_settings(kernel, "marketing", {
        "smtp_host": "127.0.0.1", "smtp_port": server.port,
        "from_address": "news@shop.example", "site_url": "https://crm.example.com"},
        actor=SYSTEM)
    yield server
    server.stop()


def _active(kernel, helpers, *people, **extra):
    names = sorted({p.last_name for p in people})
    segment = services.create(kernel, "marketing.segment", {
        "name": "Chosen", "rules": [{"field": "last_name", "op": "in", "value": names}]},
        actor=SYSTEM)
    data = {"name": "Spring", "type": "email", "segment_id": segment.id,
            "subject": "{first_name}, our spring offers",
            "body": "Dear {full_name} of {organization},\n\nSee {link}"}
    campaign = services.create(kernel, "marketing.campaign", {**data, **extra}, actor=SYSTEM)
    return launch_campaign(kernel, campaign.id, actor=SYSTEM)


def _ann(kernel, helpers):
    org = helpers.org(kernel, "Acme Ltd")
    return helpers.contact(kernel, "Ames", first_name="Ann", email="ann@example.com",
                           organization_id=org.id)


def _member(kernel, contact):
    with kernel.bound():
        return CampaignMember.get(CampaignMember.contact == contact.id)


def test_a_message_reaches_the_server_with_its_merge_fields_and_headers(kernel, helpers,
                                                                         smtp):
    ann = _ann(kernel, helpers)
    campaign = _active(kernel, helpers, ann)
    report = send_due(kernel)
    assert (report.sent, report.retry) == (1, 0)
    [(to, message)] = smtp.inbox.messages
    assert to == ["ann@example.com"]
    assert message["Subject"] == "Ann, our spring offers"
    assert message["From"] == "news@shop.example" and message["To"] == "ann@example.com"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith("Dear Ann Ames of Acme Ltd,\n\nSee https://crm.example.com/"
                           "marketing/track/click/")
    unsubscribe = re.search(r"(https://crm\.example\.com/marketing/unsubscribe/\S+)", text)[1]
    assert message["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.get_body(("html",)).get_content()
    assert "https://crm.example.com/marketing/track/open/" in html
    member = _member(kernel, ann)
    assert (member.status, member.address, member.attempts) == ("sent", "ann@example.com", 1)
    assert member.provider_id == message["Message-ID"] and member.sent_at is not None
    # Sent once: another round sends nothing.
    assert send_due(kernel).sent == 0 and len(smtp.inbox.messages) == 1
    # The links of the message work: the unsubscribe link opts Ann out.
    client = create_app(kernel, SECRET_KEY="x").test_client()
    path = unsubscribe.removeprefix("https://crm.example.com")
    page = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert client.post(path, data={"csrf_token": token}).status_code == 200
    with kernel.bound():
        assert Contact.get_by_id(ann.id).email_opt_out is True
    assert campaign.status == "active"


def test_a_refused_connection_is_retried_and_delivered_once(kernel, helpers, smtp):
    ann = _ann(kernel, helpers)
    _active(kernel, helpers, ann)
    smtp.stop()
    now = dt.datetime.now(UTC)
    report = send_due(kernel, now=now)
    assert (report.sent, report.retry) == (0, 1)
    member = _member(kernel, ann)
    assert (member.status, member.attempts, member.sent_at) == ("targeted", 1, None)
    assert "could not reach 127.0.0.1" in member.last_error
    assert member.next_attempt_at == now + dt.timedelta(minutes=1)
    smtp.start()
    # Not due yet: nothing sent.
    assert send_due(kernel, now=now + dt.timedelta(seconds=30)).sent == 0
    assert send_due(kernel, now=now + dt.timedelta(minutes=2)).sent == 1
    assert send_due(kernel, now=now + dt.timedelta(minutes=5)).sent == 0
    assert len(smtp.inbox.messages) == 1
    member = _member(kernel, ann)
    assert (member.status, member.attempts, member.last_error) == ("sent", 2, None)


def test_after_the_last_attempt_the_member_is_given_up(kernel, helpers, smtp):
    patch_settings(kernel, "marketing", {"send_attempts": 2}, actor=SYSTEM)
    ann = _ann(kernel, helpers)
    _active(kernel, helpers, ann)
    smtp.stop()
    now = dt.datetime.now(UTC)
    assert send_due(kernel, now=now).retry == 1
    assert send_due(kernel, now=now + dt.timedelta(minutes=2)).failed == 1
    member = _member(kernel, ann)
    assert member.status == "bounced" and member.last_error.startswith(
        "given up after 2 attempts: could not reach")
    smtp.start()
    assert send_due(kernel, now=now + dt.timedelta(hours=1)).sent == 0
    assert smtp.inbox.messages == []


def test_a_refused_address_bounces_without_retry(kernel, helpers, smtp):
    refused = helpers.contact(kernel, "Nope", email="refused@example.com")
    _active(kernel, helpers, refused)
    assert send_due(kernel).bounced == 1
    member = _member(kernel, refused)
    assert member.status == "bounced" and "550" in member.last_error
    assert smtp.inbox.messages == []


def test_an_opted_out_contact_never_gets_a_message(kernel, helpers, smtp):
    ann = _ann(kernel, helpers)
    bob = helpers.contact(kernel, "Baker", first_name="Bob", email="bob@example.com",
                          email_opt_out=True)
    cid = helpers.contact(kernel, "Cole", first_name="Cid", email="cid@example.com")
    _active(kernel, helpers, ann, bob, cid)
    # Bob is no member; Cid opts out after the launch, before the sending.
    with kernel.bound():
        assert CampaignMember.select().where(CampaignMember.contact == bob.id).count() == 0
    services.update(kernel, "contact", cid.id, {"email_opt_out": True}, actor=SYSTEM)
    report = send_due(kernel)
    assert (report.sent, report.opted_out) == (1, 1)
    assert [to for to, _ in smtp.inbox.messages] == [["ann@example.com"]]
    member = _member(kernel, cid)
    assert (member.status, member.sent_at) == ("unsubscribed", None)
    assert send_due(kernel).sent == 0 and len(smtp.inbox.messages) == 1


def test_the_rate_limit_spreads_the_messages_over_minutes(kernel, helpers, smtp, cli):
    patch_settings(kernel, "marketing", {"send_rate_per_minute": 2}, actor=SYSTEM)
    people = [helpers.contact(kernel, f"P{n}", email=f"p{n}@example.com") for n in range(3)]
    campaign = _active(kernel, helpers, *people)
    now = dt.datetime.now(UTC)
    report = send_due(kernel, now=now)
    assert (report.sent, report.left) == (2, 1)
    # The command counts what was sent in the last minute too.
    result = cli("marketing", "campaign", "send", str(campaign.id))
    assert result.output.strip() == f"Campaign {campaign.id}: 0 sent, 1 left for the next minute."
    assert send_due(kernel, now=now + dt.timedelta(seconds=61)).sent == 1
    assert len(smtp.inbox.messages) == 3


def test_the_job_sends_through_the_queue(kernel, helpers, smtp):
    ann = _ann(kernel, helpers)
    _active(kernel, helpers, ann)
    run = run_job(kernel, "marketing.send_campaigns")
    assert (run.status, run.summary) == ("ok", "1 sent")
    assert len(smtp.inbox.messages) == 1


def test_the_command_sends_an_active_campaign(kernel, helpers, smtp, cli):
    ann = _ann(kernel, helpers)
    campaign = _active(kernel, helpers, ann)
    dry = cli("marketing", "campaign", "send", str(campaign.id), "--dry-run")
    assert "(Spring, email, active): 1 would get a message." in dry.output
    assert smtp.inbox.messages == []
    result = cli("marketing", "campaign", "send", str(campaign.id))
    assert (result.exit_code, result.output.strip()) == (0, f"Campaign {campaign.id}: 1 sent.")
    assert len(smtp.inbox.messages) == 1


# The register_channels hook ------------------------------------------------------------

class TextMessages:
    """A provider plugin sending SMS campaigns to the contacts' mobile numbers."""

    MANIFEST = PluginManifest(name="texts", version="1.0", requires={"marketing": ">=0.1,<1"})

    def __init__(self):
        self.sent = []

    def send(self, kernel, message):
        # The provider is called outside any transaction: no lock is held meanwhile,
        # and the member is leased so a second sender leaves it alone.
        self.in_transaction = kernel.database.in_transaction()
        with kernel.bound():
            member = CampaignMember.get_by_id(message.member_id)
        self.leased = (member.status, member.attempts, member.next_attempt_at is not None)
        if message.to == "+000":
            raise PermanentFailure("no such number")
        self.sent.append((message.to, message.subject, message.body.split("\n")[0]))
        return f"sms-{len(self.sent)}"

    @hookimpl
    def register_channels(self):
        return [Channel("sms", "Text messages", "mobile", self.send)]


def test_hook_register_channels(make_kernel, helpers):
    texts = TextMessages()
    kernel = make_kernel(plugins=[accord_marketing.hooks, texts],
                         enable=["marketing", "texts"])
    ann = helpers.contact(kernel, "Ames", first_name="Ann", mobile="+4915100")
    quiet = helpers.contact(kernel, "Quiet", mobile="+4915101", call_opt_out=True)
    mailonly = helpers.contact(kernel, "Mailonly", email="m@example.com")
    wrong = helpers.contact(kernel, "Wrong", mobile="+000")
    campaign = _active(kernel, helpers, ann, quiet, mailonly, wrong, type="sms",
                       subject="Offer", body="Hi {first_name}: 10% off today")
    # Phone consent: call_opt_out keeps Quiet out; no mobile, no member.
    with kernel.bound():
        members = {m.contact_id for m in CampaignMember.select().where(
            CampaignMember.campaign == campaign.id)}
    assert members == {ann.id, wrong.id}
    report = send_due(kernel)
    assert (report.sent, report.bounced) == (1, 1)
    assert texts.sent == [("+4915100", "Offer", "Hi Ann: 10% off today")]
    assert (texts.in_transaction, texts.leased) == (False, ("targeted", 1, True))
    member = _member(kernel, ann)
    assert (member.status, member.provider_id, member.address) == ("sent", "sms-1", "+4915100")


def test_a_providers_delivery_reports_mark_members_delivered_or_bounced(
        make_kernel, helpers, make_api_client):
    texts = TextMessages()
    kernel = make_kernel(plugins=[accord_marketing.hooks, texts],
                         enable=["marketing", "texts"])
    ann = helpers.contact(kernel, "Ames", first_name="Ann", mobile="+4915100")
    bea = helpers.contact(kernel, "Berg", first_name="Bea", mobile="+4915102")
    _active(kernel, helpers, ann, bea, type="sms", subject="Offer", body="Hi {first_name}")
    assert send_due(kernel).sent == 2
    ids = {_member(kernel, c).contact_id: _member(kernel, c).provider_id for c in (ann, bea)}
    client = make_api_client("marketing", kernel=kernel)
    answer = client.post("/api/v1/marketing/deliveries",
                         json={"provider_id": ids[ann.id], "outcome": "delivered"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "delivered"
    answer = client.post("/api/v1/marketing/deliveries", json={
        "provider_id": ids[bea.id], "outcome": "bounced", "reason": "550 no such user"})
    assert answer.get_json()["status"] == "bounced"
    a, b = _member(kernel, ann), _member(kernel, bea)
    assert (a.status, a.delivered_at is not None) == ("delivered", True)
    assert (b.status, b.bounced_at is not None, b.last_error) == (
        "bounced", True, "550 no such user")
    # A delivery report again changes nothing; bad reports are refused and write nothing.
    first = a.delivered_at
    client.post("/api/v1/marketing/deliveries",
                json={"provider_id": ids[ann.id], "outcome": "delivered"})
    assert _member(kernel, ann).delivered_at == first
    answer = client.post("/api/v1/marketing/deliveries",
                         json={"provider_id": "nope", "outcome": "delivered"})
    assert answer.status_code == 404
    assert "no message sent with the provider id 'nope'" in answer.get_json()["detail"]
    answer = client.post("/api/v1/marketing/deliveries",
                         json={"provider_id": ids[ann.id], "outcome": "lost"})
    assert answer.status_code == 400 and "outcome" in answer.get_json()["errors"]
    rep = make_api_client("sales", kernel=kernel)
    assert rep.post("/api/v1/marketing/deliveries", json={
        "provider_id": ids[ann.id], "outcome": "bounced"}).status_code == 403
    assert _member(kernel, ann).status == "delivered"
