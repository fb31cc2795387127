"""Tickets from customers: the public request form (rate-limited per client address)
and email messages posted by a mail gateway (threaded onto a ticket by the reference
in their subject).

Both create tickets as a system actor (the customer has no user; the form is public,
and a gateway posts for many customers) through ``accord.services.create``, so the
ticket's rules, its routing and its audit trail are those of any other ticket. The
customer is the contact with the sender's email address, created when there is none.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import html
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses
from typing import TYPE_CHECKING, Any

import marshmallow as ma
import peewee
from marshmallow import fields, validate

from accord import services
from accord.errors import AccordError, ValidationError
from accord.models import Contact, utcnow
from accord.services import Actor

from .models import InboundMessage, IntakeAttempt, Ticket
from .rules import TICKET
from .services import (comment_ticket, count_attempt, file_message, open_ticket,
                       remember_message)

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["TooManyRequests", "MalformedEmail", "RequestSchema", "ParsedEmail", "reference", "contact_for",
           "take_attempt", "request_ticket", "parse_email", "take_email"]

#: A ticket's reference as customers see it, in subjects: "[#T-12]".
_REFERENCE = re.compile(r"\[#T-(\d{1,18})\]")
_TAGS = re.compile(r"<[^>]*>")


class TooManyRequests(AccordError):
    """The request form was sent too often from one address (429)."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def reference(ticket_id: int) -> str:
    """The reference customers quote: ``T-12``."""
    return f"T-{ticket_id}"


def contact_for(kernel: Accord, address: str, name: str, *, actor: Actor) -> int:
    """The id of the contact with this email address (case-insensitive), created (named
    ``name``, else the address's local part) when there is none. Two intakes creating
    the same contact at once: the second finds the first's."""
    address = address.strip().lower()

    def found() -> int | None:
        with kernel.bound():
            contact = Contact.get_or_none(peewee.fn.lower(Contact.email) == address)
        return None if contact is None else int(contact.id)

    existing = found()
    if existing is not None:
        return existing
    words = name.split() or [address.split("@")[0]]
    data = {"last_name": words[-1][:100], "email": address}
    if len(words) > 1:
        data["first_name"] = " ".join(words[:-1])[:100]
    try:
        with kernel.transaction():
            return int(services.create(kernel, "contact", data, actor=actor).id)
    except (ValidationError, peewee.IntegrityError):
        again = found()  # created meanwhile by another intake
        if again is None:
            raise
        return again


# The request form ----------------------------------------------------------------

def take_attempt(kernel: Accord, address: str, *, now: dt.datetime | None = None) -> None:
    """Count a request from ``address`` against the form's limit (the ``request_limit``
    setting: requests per ``request_window_minutes``); TooManyRequests past it. The
    attempt is committed before it is counted, so requests sent at once never pass the
    limit together; refused attempts count too."""
    settings = kernel.settings("service")
    limit, minutes = settings["request_limit"], settings["request_window_minutes"]
    moment = now or utcnow()
    since = moment - dt.timedelta(minutes=minutes)
    address = address[:64]
    count_attempt(kernel, address, at=moment, since=since)
    with kernel.bound():
        recent = [a.at for a in IntakeAttempt.select(IntakeAttempt.at).where(
            IntakeAttempt.address == address, IntakeAttempt.at >= since
        ).order_by(IntakeAttempt.at.desc())]
    if len(recent) <= limit:
        return
    # Allowed again once the limit-th newest attempt is out of the window.
    wait = recent[limit - 1] + dt.timedelta(minutes=minutes) - moment
    wait_minutes = max(1, -(-int(wait.total_seconds()) // 60))
    raise TooManyRequests(
        f"Too many requests from your address: at most {limit} in {minutes} minutes. "
        f"Please try again in {wait_minutes} minute{'' if wait_minutes == 1 else 's'}.",
        retry_after=wait_minutes * 60)


class RequestSchema(ma.Schema):
    """The request form's fields (the category is checked against the settings by
    ``request_ticket``)."""

    class Meta:
        unknown = ma.EXCLUDE  # the CSRF token and the submit button

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True, validate=validate.Length(max=254))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    category = fields.String(load_default=None)

    @ma.pre_load
    def _stripped(self, data: Any, **kwargs: Any) -> dict[str, Any]:
        out = {k: v.strip() if isinstance(v, str) else v for k, v in dict(data).items()}
        for key in ("name", "email", "subject", "description"):
            if out.get(key) == "":
                out.pop(key)  # "Missing data for required field."
        if out.get("category") == "":
            out["category"] = None
        return out


def request_ticket(kernel: Accord, form: dict[str, Any], *, address: str) -> Ticket:
    """A ticket from the public request form (``form``: its fields as sent). Counts the
    attempt first (TooManyRequests past the limit); bad fields raise ValidationError
    naming each; the customer is the contact with the given email address."""
    take_attempt(kernel, address)
    categories = kernel.settings("service")["categories"]
    problems: dict[str, Any] = {}
    try:
        data = RequestSchema().load(form)
    except ma.ValidationError as exc:
        problems, data = dict(exc.messages_dict), {}
    category = (form.get("category") or "").strip() or None
    if category is not None and category not in categories:
        problems["category"] = [f"choose one of {', '.join(categories)}"]
    if problems:
        raise ValidationError(problems)
    actor = Actor.system("service request form")
    with kernel.transaction():
        contact = contact_for(kernel, data["email"], data["name"], actor=actor)
        ticket: Ticket = services.create(  # type: ignore[assignment]
            kernel, TICKET, {"contact_id": contact, "channel": "web",
                             "category": data["category"], "subject": data["subject"],
                             "description": data["description"]}, actor=actor)
    return ticket


# Email -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ParsedEmail:
    message_id: str
    sender: str
    name: str
    subject: str
    body: str


class MalformedEmail(AccordError):
    """A message that cannot become a ticket; ``problem`` says why."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"the message is not one to take in: {problem}")
        self.problem = problem


def _refuse(problem: str) -> MalformedEmail:
    return MalformedEmail(problem)


def parse_email(raw: str) -> ParsedEmail:
    """The parts of a raw RFC 5322 message a ticket needs; MalformedEmail naming what is
    missing or malformed: no header, no From address, no Message-ID, no text body."""
    if not raw.strip():
        raise _refuse("it is empty")
    message = email.message_from_string(raw, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise _refuse("no header lines (an RFC 5322 message starts with headers such as "
                      "From:, then an empty line, then the body)")
    try:
        senders = [addr for _, addr in getaddresses(message.get_all("From", []))
                   if "@" in addr]
        named = getaddresses(message.get_all("From", []))
        message_id = str(message.get("Message-ID", "")).strip()
        subject = " ".join(str(message.get("Subject", "")).split())
    except (TypeError, ValueError, IndexError) as exc:
        raise _refuse(f"a header cannot be read ({exc})") from None
    if not senders:
        raise _refuse("no From header with an email address")
    if not re.fullmatch(r"<[^<>\s]+@[^<>\s]+>", message_id):
        raise _refuse("no Message-ID header such as <unique-id@mail.example.com>"
                      if not message_id else f"the Message-ID {message_id[:80]!r} is not "
                                             "of the form <unique-id@domain>")
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        raise _refuse("no text/plain or text/html body")
    try:
        text = part.get_content()
    except (LookupError, ValueError) as exc:
        raise _refuse(f"the body cannot be decoded ({exc})") from None
    if part.get_content_subtype() == "html":
        text = html.unescape(_TAGS.sub("", text))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    name = next((n for n, a in named if a == senders[0]), "")
    return ParsedEmail(message_id[:998], senders[0].lower()[:254], name, subject,
                       text.strip())


def take_email(kernel: Accord, raw: str | ParsedEmail, *, actor: Actor) -> dict[str, Any]:
    """A message a mail gateway received: a new ticket, or a public comment on the
    ticket whose reference ("[#T-12]") its subject holds when the sender is that
    ticket's contact and the ticket is not closed (a ticket waiting on the customer
    goes back to open). The same Message-ID again creates nothing: the first outcome
    is answered with ``duplicate`` true."""
    parsed = parse_email(raw) if isinstance(raw, str) else raw
    writer = Actor.system(f"email intake ({actor.label})")
    now = utcnow()
    with kernel.transaction():
        try:
            with kernel.database.atomic():  # type: ignore[union-attr]
                row = remember_message(parsed.message_id, at=now)
        except peewee.IntegrityError:
            seen = InboundMessage.get(InboundMessage.message_id == parsed.message_id)
            return _answer(seen.ticket_id, seen.outcome, duplicate=True)
        contact = contact_for(kernel, parsed.sender, parsed.name, actor=writer)
        target = _threaded(kernel, parsed, contact)
        if target is not None:
            if target.status == "pending_customer":
                open_ticket(kernel, target.id, actor=writer, at=now)
            comment_ticket(kernel, target.id, actor=writer, customer=parsed.sender,
                           body=parsed.body or "(no text)", at=now)
            file_message(row.id, target.id, "comment")
            return _answer(target.id, "comment", duplicate=False)
        ticket = services.create(kernel, TICKET, {
            "contact_id": contact, "channel": "email",
            "subject": (parsed.subject or "(no subject)")[:200],
            "description": parsed.body[:100_000] or None}, actor=writer)
        file_message(row.id, ticket.id, "created")
        return _answer(ticket.id, "created", duplicate=False)


def _threaded(kernel: Accord, parsed: ParsedEmail, contact: int) -> Any:
    """The ticket a reply belongs to: referenced in the subject, of the sender, not
    closed; None for a new ticket."""
    match = _REFERENCE.search(parsed.subject)
    if match is None:
        return None
    ticket = Ticket.get_or_none(Ticket.id == int(match[1]))
    if ticket is None or ticket.contact_id != contact or ticket.status == "closed":
        return None
    return ticket


def _answer(ticket_id: int | None, outcome: str, *, duplicate: bool) -> dict[str, Any]:
    return {"ticket_id": ticket_id, "reference": None if ticket_id is None
            else reference(ticket_id), "outcome": outcome, "duplicate": duplicate}
