"""The service verbs on tickets: the plugin's Python API, and the handlers of its actions.

Each verb moves the ticket's status (the record type's transitions refuse a move the
workflow does not allow, naming the allowed ones) and keeps its SLA clock: waiting for
the customer or resolving stops it, opening or reopening starts it again. ``at`` (a
Python caller's, such as an import of past tickets; now when left out) is when the
verb happened; the API's bodies do not take it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from accord import services
from accord.errors import AccordError, ValidationError
from accord.models import Team, User, utcnow
from accord.records import OutboxItem
from accord.services import Actor
from accord.services.outbox import enqueue
from accord.services.authz import require

from .. import sla
from ..businesstime import business_time
from ..models import Comment, InboundMessage, IntakeAttempt, Rotation, Ticket, Warranty
from ..rules import TICKET
from ..settings import PRIORITIES, calendar
from ..signals import sla_breached
from .surveys import send_csat

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["OPEN", "WAIT", "RESOLVE", "CLOSE", "REOPEN", "COMMENT", "open_ticket",
           "wait_for_customer", "resolve_ticket", "close_ticket", "reopen_ticket",
           "comment_ticket", "mark_breaches", "sla_breaches", "RUNNING", "BREACHED",
           "take_turn", "count_attempt", "remember_message", "file_message",
           "EXPIRING", "remind_warranties", "warranty_reminders"]

OPEN = "service.ticket.open"
WAIT = "service.ticket.wait"
RESOLVE = "service.ticket.resolve"
CLOSE = "service.ticket.close"
REOPEN = "service.ticket.reopen"
COMMENT = "service.ticket.comment"
#: Statuses in which the SLA clock runs (unless stopped: see sla.py).
RUNNING = ("new", "open")
#: The outbox topic (and signal name) of a breach the job marked.
BREACHED = "service.ticket.sla_breached"


def _ticket(kernel: Accord, ticket_id: int, actor: Actor) -> Any:
    """The ticket as the actor may read it, locked until the verb's transaction ends
    (run_action locks it already; a Python caller's verb gets the same)."""
    return services.get(kernel, TICKET, ticket_id, actor=actor, for_update=True)


def _move(kernel: Accord, ticket: Any, verb: str, status: str, data: dict[str, Any], *,
          actor: Actor, version: int | None) -> Ticket:
    if ticket.status == status:
        raise ValidationError({"status": [f"ticket {ticket.id} is {status} already"]})
    record: Ticket = services.update(  # type: ignore[assignment]
        kernel, TICKET, ticket.id, {"status": status, **data}, actor=actor, version=version,
        verb=verb)
    return record


def _late(due: dt.datetime | None, moment: dt.datetime, paused_at: dt.datetime | None) -> bool:
    """Whether something done at ``moment`` comes after its due time; the clock stands
    still from ``paused_at`` on."""
    if due is None:
        return False
    return (paused_at if paused_at is not None else moment) > due


def _business_seconds(kernel: Accord, start: dt.datetime, end: dt.datetime,
                      paused: int = 0) -> int:
    """Whole business seconds from ``start`` to ``end`` less ``paused`` (never below 0):
    what the metrics read (``first_response_seconds``, ``resolution_seconds``)."""
    span = business_time(calendar(kernel.settings("service")), start, end)
    return max(int(span.total_seconds()) - paused, 0)


def open_ticket(kernel: Accord, ticket_id: int, *, actor: Actor, version: int | None = None,
                at: dt.datetime | None = None) -> Ticket:
    """Start working on a new ticket, or go on with one the customer answered (its SLA
    clock starts again)."""
    require(actor, OPEN)
    with kernel.transaction():
        ticket = _ticket(kernel, ticket_id, actor)
        resume = sla.resumed(calendar(kernel.settings("service")), ticket, at or utcnow())
        return _move(kernel, ticket, "open", "open", resume, actor=actor, version=version)


def wait_for_customer(kernel: Accord, ticket_id: int, *, actor: Actor,
                      version: int | None = None, at: dt.datetime | None = None) -> Ticket:
    """The ticket waits for the customer: its SLA clock stands still."""
    require(actor, WAIT)
    with kernel.transaction():
        ticket = _ticket(kernel, ticket_id, actor)
        return _move(kernel, ticket, "wait", "pending_customer",
                     sla.paused(ticket, at or utcnow()), actor=actor, version=version)


def resolve_ticket(kernel: Accord, ticket_id: int, *, actor: Actor,
                   version: int | None = None, at: dt.datetime | None = None) -> Ticket:
    """The customer's case is solved: the clock stops, the ticket may be reopened within
    the reopen window."""
    require(actor, RESOLVE)
    moment = at or utcnow()
    with kernel.transaction():
        ticket = _ticket(kernel, ticket_id, actor)
        data = {"resolved_at": moment, **sla.paused(ticket, moment),
                "resolution_seconds": _business_seconds(
                    kernel, ticket.received_at, moment, ticket.sla_paused_seconds or 0)}
        if _late(ticket.resolution_due_at, moment, ticket.sla_paused_at):
            data["resolution_breached"] = True
        record = _move(kernel, ticket, "resolve", "resolved", data, actor=actor,
                       version=version)
        send_csat(kernel, record, actor=actor, at=moment)  # one survey per resolution
        return record


def close_ticket(kernel: Accord, ticket_id: int, *, actor: Actor, version: int | None = None,
                 at: dt.datetime | None = None) -> Ticket:
    """Close a resolved ticket for good."""
    require(actor, CLOSE)
    with kernel.transaction():
        ticket = _ticket(kernel, ticket_id, actor)
        return _move(kernel, ticket, "close", "closed", {"closed_at": at or utcnow()},
                     actor=actor, version=version)


def reopen_ticket(kernel: Accord, ticket_id: int, *, actor: Actor,
                  version: int | None = None, at: dt.datetime | None = None) -> Ticket:
    """Open a resolved ticket again, within the reopen window: the clock goes on from
    where it stopped."""
    require(actor, REOPEN)
    moment = at or utcnow()
    settings = kernel.settings("service")
    with kernel.transaction():
        ticket = _ticket(kernel, ticket_id, actor)
        if ticket.status != "resolved":
            raise ValidationError({"status": [f"ticket {ticket.id} is {ticket.status}: only "
                                              "a resolved ticket is reopened"]})
        days = settings["reopen_days"]
        if moment - ticket.resolved_at > dt.timedelta(days=days):
            raise ValidationError({"status": [
                f"ticket {ticket.id} was resolved on {ticket.resolved_at:%Y-%m-%d}, more than "
                f"{days} days ago: open a new ticket"]})
        resume = sla.resumed(calendar(settings), ticket, moment)
        return _move(kernel, ticket, "reopen", "open",
                     {"resolved_at": None, "resolution_seconds": None, **resume},
                     actor=actor, version=version)


def comment_ticket(kernel: Accord, ticket_id: int, *, actor: Actor, body: str,
                   visibility: str = "internal", version: int | None = None,
                   at: dt.datetime | None = None, customer: str | None = None) -> Ticket:
    """Add a comment to a ticket: public (the customer sees it) or internal. The first
    public comment answers the customer: the ticket's ``first_responded_at``.

    ``customer`` (Python callers: the email intake) is the customer writing (their
    address, the comment's author): a public comment that is not the firm's response,
    so it leaves ``first_responded_at`` alone."""
    require(actor, COMMENT)
    moment = at or utcnow()
    with kernel.transaction():
        ticket = _ticket(kernel, ticket_id, actor)
        if ticket.status == "closed":
            raise ValidationError({"status": [f"ticket {ticket.id} is closed: open a new "
                                              "ticket"]})
        text = body.strip()
        if not text:
            raise ValidationError({"body": ["write something"]})
        if customer is not None:
            Comment.insert(ticket=ticket.id, body=text, visibility="public", at=moment,
                           author=None, author_label=customer[:254]).execute()
        else:
            Comment.insert(ticket=ticket.id, body=text, visibility=visibility, at=moment,
                           author=actor.user_id, author_label=actor.label).execute()
        data: dict[str, Any] = {"last_comment_at": moment}
        if customer is None and visibility == "public" and ticket.first_responded_at is None:
            data["first_responded_at"] = moment
            data["first_response_seconds"] = _business_seconds(kernel, ticket.received_at,
                                                               moment)
            if _late(ticket.first_response_due_at, moment, ticket.sla_paused_at):
                data["first_response_breached"] = True
        record: Ticket = services.update(  # type: ignore[assignment]
            kernel, TICKET, ticket.id, data, actor=actor, version=version, verb="comment")
    return record


# The breach job ----------------------------------------------------------------------

#: A ticket's priority one step up (urgent stays urgent).
_RAISED = dict(zip(PRIORITIES, (*PRIORITIES[1:], PRIORITIES[-1])))


def _breaches(ticket: Any, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """The due times a running clock has passed and nobody marked yet."""
    if ticket.status not in RUNNING or ticket.sla_paused_at is not None:
        return []
    out = []
    if not ticket.first_response_breached and ticket.first_responded_at is None \
            and ticket.first_response_due_at is not None and ticket.first_response_due_at < now:
        out.append(("first_response", ticket.first_response_due_at))
    if not ticket.resolution_breached and ticket.resolution_due_at is not None \
            and ticket.resolution_due_at < now:
        out.append(("resolution", ticket.resolution_due_at))
    return out


def mark_breaches(kernel: Accord, *, now: dt.datetime | None = None,
                  actor: Actor | None = None) -> tuple[int, list[str]]:
    """Mark the tickets whose running clock passed a due time: the breach is flagged,
    the priority goes one step up, an outbox row ``service.ticket.sla_breached`` is
    written per breach in the same transaction, and the signal of that name is sent
    after commit. Each ticket is handled in its own transaction, its row locked and checked
    again; a breach already marked is never marked twice, so running this again changes
    nothing. Returns how many tickets were escalated, and the failures as
    ``"ticket <id>: <message>"`` lines."""
    moment = now or utcnow()
    writer = actor or Actor.system("service.sla_breaches")
    with kernel.bound():
        due = [t.id for t in Ticket.select(Ticket.id).where(
            Ticket.status.in_(RUNNING), Ticket.sla_paused_at.is_null(),
            ((Ticket.first_response_breached == False)  # noqa: E712 (SQL)
             & Ticket.first_responded_at.is_null()
             & (Ticket.first_response_due_at < moment))
            | ((Ticket.resolution_breached == False)  # noqa: E712 (SQL)
               & (Ticket.resolution_due_at < moment))).order_by(Ticket.id)]
    escalated, failed = 0, []
    for ticket_id in due:
        try:
            escalated += _escalate(kernel, ticket_id, moment, writer)
        except AccordError as exc:
            failed.append(f"ticket {ticket_id}: {exc}")
    return escalated, failed


def _escalate(kernel: Accord, ticket_id: int, now: dt.datetime, actor: Actor) -> int:
    with kernel.transaction():
        ticket: Any = services.get(kernel, TICKET, ticket_id, for_update=True)
        found = _breaches(ticket, now)
        if not found:
            return 0  # answered, paused or marked since the list was read
        data: dict[str, Any] = {f"{kind}_breached": True for kind, _ in found}
        data["priority"] = _RAISED[ticket.priority]
        manager = _escalation_manager(kernel, ticket)
        if manager is not None:
            data["owner_id"] = manager
        record: Any = services.update(kernel, TICKET, ticket_id, data, actor=actor,
                                      verb="breach")
        # The outbox rows commit (or roll back) with the escalation they tell of.
        enqueue(kernel, [OutboxItem(BREACHED, {"ticket_id": ticket_id, "breach": kind,
                                               "due_at": due_at, "priority": record.priority,
                                               "owner_id": record.owner_id,
                                               "reassigned": manager is not None})
                         for kind, due_at in found])
        for kind, due_at in found:
            kernel.emit(sla_breached, ticket_id=ticket_id, breach=kind, due_at=due_at,
                        priority=record.priority, team_id=record.team_id,
                        owner_id=record.owner_id, actor=actor)
    return 1


def _escalation_manager(kernel: Accord, ticket: Any) -> int | None:
    """Whom a breached ticket goes to (the ``escalate_to_manager`` setting): the
    manager of its team, when the team has an active one who does not hold it yet."""
    if not kernel.settings("service")["escalate_to_manager"] or ticket.team_id is None:
        return None
    manager = (User.select(User.id).join(Team, on=(Team.manager == User.id))
               .where(Team.id == ticket.team_id, User.active == True)  # noqa: E712 (SQL)
               .scalar())
    return None if manager is None or manager == ticket.owner_id else int(manager)


def sla_breaches(kernel: Accord, today: dt.date) -> str:
    """The ``service.sla_breaches`` job: marks and escalates the tickets past a due time
    now (``today`` is the run's day; due times are moments, read against the clock)."""
    escalated, failed = mark_breaches(kernel)
    summary = f"{escalated} ticket{'' if escalated == 1 else 's'} escalated"
    if failed:
        raise AccordError(f"{summary}; {len(failed)} could not be: " + "; ".join(failed))
    return summary


# The warranty reminders --------------------------------------------------------------

#: The outbox topic of a warranty whose end is near.
EXPIRING = "service.warranty.expiring"
_WARRANTY = "service.warranty"


def remind_warranties(kernel: Accord, today: dt.date, *,
                      actor: Actor | None = None) -> tuple[int, list[str]]:
    """Give the owner of each warranty ending from ``today`` to ``warranty_reminder_days``
    days on a task about it, and write an outbox row ``service.warranty.expiring``, in
    one transaction per warranty with its ``reminded_at`` (the verb "remind"): a
    warranty is reminded of once, so running this again changes nothing. Returns how
    many were reminded, and the failures as ``"warranty <id>: <message>"`` lines."""
    writer = actor or Actor.system("service.warranty_reminders")
    days = kernel.settings("service")["warranty_reminder_days"]
    until = today + dt.timedelta(days=days)
    with kernel.bound():
        due = [w.id for w in Warranty.select(Warranty.id).where(
            Warranty.reminded_at.is_null(), Warranty.ends_on >= today,
            Warranty.ends_on <= until).order_by(Warranty.id)]
    reminded, failed = 0, []
    for warranty_id in due:
        try:
            reminded += _remind_warranty(kernel, warranty_id, today, until, writer)
        except AccordError as exc:
            failed.append(f"warranty {warranty_id}: {exc}")
    return reminded, failed


def _remind_warranty(kernel: Accord, warranty_id: int, today: dt.date, until: dt.date,
                     actor: Actor) -> int:
    with kernel.transaction():
        warranty: Any = services.get(kernel, _WARRANTY, warranty_id, for_update=True)
        if warranty.reminded_at is not None or not today <= warranty.ends_on <= until:
            return 0  # reminded, or its dates changed, since the list was read
        due = dt.datetime.combine(warranty.ends_on, dt.time(9), tzinfo=dt.timezone.utc)
        services.create(kernel, "activity", {
            "kind": "task", "subject": f"Warranty {warranty.serial_number} ends on "
                                       f"{warranty.ends_on.isoformat()}",
            "body": warranty.terms, "due_at": due,
            "record_type": _WARRANTY, "record_id": warranty.id,
            "organization_id": warranty.organization_id, "contact_id": warranty.contact_id,
            **({"owner_id": warranty.owner_id} if warranty.owner_id else {})}, actor=actor)
        services.update(kernel, _WARRANTY, warranty.id, {"reminded_at": utcnow()},
                        actor=actor, verb="remind")
        enqueue(kernel, [OutboxItem(EXPIRING, {
            "warranty_id": warranty.id, "serial_number": warranty.serial_number,
            "product_id": warranty.product_id, "ends_on": warranty.ends_on.isoformat(),
            "owner_id": warranty.owner_id})])
    return 1


def warranty_reminders(kernel: Accord, today: dt.date) -> str:
    """The ``service.warranty_reminders`` job: a task and an outbox row per warranty
    ending within ``warranty_reminder_days``."""
    reminded, failed = remind_warranties(kernel, today)
    summary = f"{reminded} warrant{'y' if reminded == 1 else 'ies'} reminded"
    if failed:
        raise AccordError(f"{summary}; {len(failed)} could not be: " + "; ".join(failed))
    return summary


# The plugin's bookkeeping (no records: no audit, no version) -----------------------

def take_turn(team_id: int, user_id: int, *, taken: bool, at: dt.datetime) -> None:
    """Note that ``user_id`` was given a ticket of the team's round-robin at ``at``
    (``taken``: they had a turn before). Inside the assigning transaction."""
    if taken:
        Rotation.update(assigned_at=at).where(Rotation.team == team_id,
                                              Rotation.user == user_id).execute()
    else:
        Rotation.insert(team=team_id, user=user_id, assigned_at=at).execute()


def count_attempt(kernel: Accord, address: str, *, at: dt.datetime,
                  since: dt.datetime) -> None:
    """Store a request form attempt from ``address``, forgetting those before ``since``,
    committed at once (attempts sent together are all counted)."""
    with kernel.transaction():
        IntakeAttempt.delete().where(IntakeAttempt.at < since).execute()
        IntakeAttempt.insert(address=address, at=at).execute()


def remember_message(message_id: str, *, at: dt.datetime) -> Any:
    """The row keeping an inbound email's Message-ID, so the same message twice makes one
    ticket; ``peewee.IntegrityError`` when it was seen already (call it in a savepoint)."""
    return InboundMessage.create(message_id=message_id, outcome="created", received_at=at)


def file_message(row_id: int, ticket_id: int, outcome: str) -> None:
    """Note which ticket an inbound email made or commented on."""
    InboundMessage.update(ticket=ticket_id, outcome=outcome).where(
        InboundMessage.id == row_id).execute()
