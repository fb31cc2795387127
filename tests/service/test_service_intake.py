"""Tickets from customers: the public request form (a stranger's ticket, the contact
matched by email or created, bad fields named, the rate limit per address with its
429 page) and email messages posted by a mail gateway (one ticket per Message-ID, a
reply threaded onto its ticket, malformed messages refused with a 400 naming the
problem)."""

from __future__ import annotations

import re

import pytest

from accord import services
from accord.models import AuditEntry, Contact
from accord.services import Actor
from accord.services.plugins import set_settings
from accord.web import create_app

import accord_service.hooks
from accord_service import services as verbs
from accord_service.models import Comment, InboundMessage, IntakeAttempt, Ticket

pytestmark = pytest.mark.plugins(accord_service.hooks)
SYSTEM = Actor.system("test")
INBOUND = "/api/v1/service/inbound-email"
FORM = {"name": "Jane Q Doe", "email": "Jane@Example.com", "subject": "Printer jams",
        "description": "Tray 2 jams on every page.", "category": "incident"}


def _stranger(kernel, address="203.0.113.7"):
    client = create_app(kernel, SECRET_KEY="intake").test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _send(client, **fields):
    html = client.get("/service/request").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
    return client.post("/service/request", data={**FORM, **fields, "csrf_token": token})


def _tickets(kernel):
    with kernel.bound():
        return list(Ticket.select().order_by(Ticket.id))


def test_a_stranger_opens_a_ticket_with_the_form(kernel):
    client = _stranger(kernel)
    form = client.get("/service/request")
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "Contact support" in html
    for label in ("Your name", "Your email", "Subject", "Describe your request"):
        assert f">{label}</label>" in html
    sent = _send(client)
    text = sent.get_data(as_text=True)
    [ticket] = _tickets(kernel)
    assert sent.status_code == 200, text
    assert f"Your request is <strong>T-{ticket.id}</strong>" in text
    assert (ticket.channel, ticket.category, ticket.subject, ticket.description, ticket.status) == (
        "web", "incident", "Printer jams", "Tray 2 jams on every page.", "new")
    with kernel.bound():
        contact = Contact.get_by_id(ticket.contact_id)
        assert (contact.first_name, contact.last_name, contact.email) == (
            "Jane Q", "Doe", "jane@example.com")
        entry = AuditEntry.get(AuditEntry.record_type == "service.ticket")
        assert entry.actor_label == "service request form"
    # The same customer again: the contact is matched by email (any case), not created.
    _send(client, email="JANE@example.com", subject="Still jams")
    assert [t.contact_id for t in _tickets(kernel)] == [contact.id, contact.id]
    with kernel.bound():
        assert Contact.select().count() == 1


def test_bad_fields_are_named_and_nothing_is_written(kernel):
    sent = _send(_stranger(kernel), email="not an address", subject="  ", category="praise")
    html = sent.get_data(as_text=True)
    assert sent.status_code == 422
    assert "Your email: Not a valid email address." in html
    assert "Subject: Missing data for required field." in html
    assert "Category: Choose one of question, incident, complaint, request." in html
    assert 'value="Jane Q Doe"' in html  # what was typed stays
    assert _tickets(kernel) == []


def test_the_form_checks_its_csrf_token(kernel):
    refused = _stranger(kernel).post("/service/request", data=FORM)
    assert refused.status_code == 400 and _tickets(kernel) == []


def test_the_form_is_rate_limited_per_address(kernel):
    set_settings(kernel, "service", {"request_limit": 3, "request_window_minutes": 10},
                 actor=SYSTEM)
    client = _stranger(kernel, "198.51.100.1")
    for n in range(3):
        assert _send(client, subject=f"Try {n}").status_code == 200
    refused = _send(client, subject="Once more")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert ("Too many requests from your address: at most 3 in 10 minutes. Please try "
            "again in 10 minutes.") in html
    assert refused.headers["Retry-After"] == "600"
    assert len(_tickets(kernel)) == 3
    # Another address is not held back.
    assert _send(_stranger(kernel, "198.51.100.2"), subject="Mine").status_code == 200
    assert len(_tickets(kernel)) == 4


def test_behind_a_trusted_proxy_the_limit_counts_the_forwarded_client(make_kernel):
    kernel = make_kernel(plugins=[accord_service.hooks], enable=["service"],
                         trusted_proxies=1)
    set_settings(kernel, "service", {"request_limit": 1, "request_window_minutes": 10},
                 actor=SYSTEM)
    proxy = _stranger(kernel, "10.0.0.2")  # every request comes from the proxy

    def through_proxy(client_address, subject):
        client = proxy
        client.environ_base["HTTP_X_FORWARDED_FOR"] = client_address
        return _send(client, subject=subject)

    assert through_proxy("198.51.100.1", "First").status_code == 200
    assert through_proxy("198.51.100.2", "Another client").status_code == 200
    assert through_proxy("198.51.100.1", "First again").status_code == 429
    assert [t.subject for t in _tickets(kernel)] == ["First", "Another client"]
    with kernel.bound():
        assert {a.address for a in IntakeAttempt.select()} == {"198.51.100.1",
                                                                "198.51.100.2"}


def test_without_trusted_proxies_a_forged_header_changes_nothing(kernel):
    set_settings(kernel, "service", {"request_limit": 1, "request_window_minutes": 10},
                 actor=SYSTEM)
    client = _stranger(kernel, "203.0.113.9")
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.1"
    assert _send(client, subject="First").status_code == 200
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.2"
    assert _send(client, subject="Forged").status_code == 429
    with kernel.bound():
        assert {a.address for a in IntakeAttempt.select()} == {"203.0.113.9"}


def test_the_window_moves_on(kernel):
    import datetime as dt

    from accord_service.intake import TooManyRequests, take_attempt

    start = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)
    for minute in (0, 1, 2, 3, 4):
        take_attempt(kernel, "a", now=start + dt.timedelta(minutes=minute))
    with pytest.raises(TooManyRequests) as caught:
        take_attempt(kernel, "a", now=start + dt.timedelta(minutes=5))
    # Allowed again when the fifth newest attempt (minute 1) leaves the window: 11:00.
    assert "try again in 6 minutes" in str(caught.value)
    take_attempt(kernel, "a", now=start + dt.timedelta(minutes=12))
    with kernel.bound():  # old attempts are removed as new ones come
        assert min(a.at for a in IntakeAttempt.select()) >= start + dt.timedelta(minutes=2)


# Email ---------------------------------------------------------------------------

def _mail(subject="Printer jams", message_id="<a1@mail.example.com>",
          sender="Jane Doe <jane@example.com>", body="Tray 2 jams.\n", extra=""):
    return (f"From: {sender}\r\nTo: support@firm.example\r\nSubject: {subject}\r\n"
            f"Message-ID: {message_id}\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n{extra}"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}")


@pytest.fixture
def gateway(make_api_client):
    return make_api_client("service")


def test_an_email_posted_twice_creates_one_ticket(kernel, gateway):
    first = gateway.post(INBOUND, json={"message": _mail()})
    assert first.status_code == 200, first.get_json()
    [ticket] = _tickets(kernel)
    assert first.get_json() == {"ticket_id": ticket.id, "reference": f"T-{ticket.id}",
                                "outcome": "created", "duplicate": False}
    assert (ticket.channel, ticket.subject, ticket.description) == (
        "email", "Printer jams", "Tray 2 jams.")
    with kernel.bound():
        contact = Contact.get_by_id(ticket.contact_id)
    assert (contact.first_name, contact.last_name, contact.email) == (
        "Jane", "Doe", "jane@example.com")
    again = gateway.post(INBOUND, json={"message": _mail()})
    assert again.get_json() == {**first.get_json(), "duplicate": True}
    assert len(_tickets(kernel)) == 1
    with kernel.bound():
        assert InboundMessage.select().count() == 1 and Contact.select().count() == 1


def test_a_reply_with_the_reference_threads_onto_its_ticket(kernel, gateway, actor):
    ticket_id = gateway.post(INBOUND, json={"message": _mail()}).get_json()["ticket_id"]
    verbs.open_ticket(kernel, ticket_id, actor=actor)
    verbs.comment_ticket(kernel, ticket_id, actor=actor, body="Which model?",
                         visibility="public")
    verbs.wait_for_customer(kernel, ticket_id, actor=actor)
    reply = gateway.post(INBOUND, json={"message": _mail(
        subject=f"Re: Printer jams [#T-{ticket_id}]", message_id="<a2@mail.example.com>",
        sender="jane@EXAMPLE.com", body="An LX-300.\r\n\r\n> Which model?\r\n")}).get_json()
    assert reply == {"ticket_id": ticket_id, "reference": f"T-{ticket_id}",
                     "outcome": "comment", "duplicate": False}
    assert len(_tickets(kernel)) == 1
    ticket = services.get(kernel, "service.ticket", ticket_id)
    # The customer answered: the ticket waits no more, the clock goes on.
    assert (ticket.status, ticket.sla_paused_at) == ("open", None)
    comments = services.dump(kernel, "service.ticket", ticket)["comments"]
    assert [(c["body"], c["visibility"], c["author_label"]) for c in comments][-1] == (
        "An LX-300.\n\n> Which model?", "public", "jane@example.com")


def test_a_customers_reply_is_not_the_first_response(kernel, gateway):
    ticket_id = gateway.post(INBOUND, json={"message": _mail()}).get_json()["ticket_id"]
    gateway.post(INBOUND, json={"message": _mail(
        subject=f"[#T-{ticket_id}] more", message_id="<a2@mail.example.com>",
        body="Also tray 1.")})
    ticket = services.get(kernel, "service.ticket", ticket_id)
    assert ticket.first_responded_at is None and ticket.status == "new"
    with kernel.bound():
        assert [c.body for c in Comment.select()] == ["Also tray 1."]


def test_a_reference_from_someone_else_or_to_a_closed_ticket_opens_a_new_one(kernel, gateway,
                                                                           actor):
    ticket_id = gateway.post(INBOUND, json={"message": _mail()}).get_json()["ticket_id"]
    stranger = gateway.post(INBOUND, json={"message": _mail(
        subject=f"Re: [#T-{ticket_id}]", message_id="<b1@elsewhere.example>",
        sender="Mallory <mallory@evil.example>")}).get_json()
    assert stranger["outcome"] == "created" and stranger["ticket_id"] != ticket_id
    # An unknown sender: a contact is created for them.
    with kernel.bound():
        assert Contact.get(Contact.email == "mallory@evil.example").last_name == "Mallory"
    verbs.resolve_ticket(kernel, ticket_id, actor=actor)
    verbs.close_ticket(kernel, ticket_id, actor=actor)
    late = gateway.post(INBOUND, json={"message": _mail(
        subject=f"Re: [#T-{ticket_id}]", message_id="<a3@mail.example.com>")}).get_json()
    assert late["outcome"] == "created" and late["ticket_id"] not in (ticket_id,
                                                                        stranger["ticket_id"])


def test_a_multipart_message_gives_its_text_part(kernel, gateway):
    raw = ("From: ann@example.com\r\nSubject: =?utf-8?q?Caf=C3=A9_machine?=\r\n"
           "Message-ID: <m1@example.com>\r\nMIME-Version: 1.0\r\n"
           'Content-Type: multipart/alternative; boundary="XX"\r\n\r\n'
           "--XX\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Broken &amp; cold</p>\r\n"
           "--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBroken and cold\r\n"
           "--XX--\r\n")
    created = gateway.post(INBOUND, json={"message": raw})
    assert created.status_code == 200, created.get_json()
    [ticket] = _tickets(kernel)
    assert (ticket.subject, ticket.description) == ("Café machine", "Broken and cold")


@pytest.mark.parametrize("message, problem", [
    ("", "it is empty"),
    ("just some words with no header at all",
     "no header lines (an RFC 5322 message starts with headers such as From:, then an "
     "empty line, then the body)"),
    (_mail(sender="nobody"), "no From header with an email address"),
    (_mail().replace("Message-ID: <a1@mail.example.com>\r\n", ""),
     "no Message-ID header such as <unique-id@mail.example.com>"),
    (_mail(message_id="a1"), "the Message-ID 'a1' is not of the form <unique-id@domain>"),
    (_mail().replace("text/plain", "image/png"), "no text/plain or text/html body"),
])
def test_a_malformed_message_is_refused_naming_the_problem(kernel, gateway, message,
                                                           problem):
    refused = gateway.post(INBOUND, json={"message": message})
    body = refused.get_json()
    assert refused.status_code == 400, body
    assert (body["detail"], body["errors"]) == ("bad body; see errors",
                                                {"message": [problem]})
    assert _tickets(kernel) == []


def test_the_gateway_needs_the_write_permission(kernel, make_api_client):
    reader = make_api_client("read-only")
    refused = reader.post(INBOUND, json={"message": _mail()})
    assert refused.status_code == 403 and _tickets(kernel) == []


def test_the_pages_stylesheet_is_served_to_strangers_too(kernel):
    sheet = _stranger(kernel).get("/service/service.css")
    assert sheet.status_code == 200 and sheet.mimetype == "text/css"
    assert ".service-queue tr.sla-breached" in sheet.get_data(as_text=True)
    # The queue itself needs a login.
    assert _stranger(kernel).get("/service/queue").status_code == 302
