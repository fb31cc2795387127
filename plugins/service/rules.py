"""The write-path rules of tickets: defaults, checks, the SLA due times, and what keeps
a ticket from being deleted.

The ticket record type (hooks.py) carries these: the core calls them once per batch,
whatever face the write came from. They read the settings and never write. The status
and the SLA clock's fields belong to the ticket's actions (services.py), declared as
verb fields.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from accord.errors import Conflict, ValidationError
from accord.models import utcnow

from . import routing, sla
from .settings import calendar, channels

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.records import Write
    from accord.services.actors import Actor

__all__ = ["TICKET", "TRANSITIONS", "ticket_defaults", "ticket_rules", "ticket_computed",
           "ticket_kept", "customer_named"]

TICKET = "service.ticket"
#: The workflow. A resolved ticket goes back to open only through the reopen action
#: (within the reopen window, services.reopen_ticket); a closed ticket stays closed.
TRANSITIONS = {
    "new": ("open", "resolved"),
    "open": ("pending_customer", "resolved"),
    "pending_customer": ("open", "resolved"),
    "resolved": ("closed", "open"),
}
#: A ticket's received_at may be a little ahead of this server's clock (another
#: machine's), never more.
_CLOCK_SKEW = dt.timedelta(minutes=5)
#: The fields the due times are computed from (the customer gives the SLA policy).
_SLA_INPUTS = ("priority", "received_at", "sla_paused_seconds", "first_responded_at",
               "organization_id", "contact_id")
#: The values the ticket_due_times hook sees.
_HOOK_FIELDS = ("subject", "channel", "category", "priority", "organization_id",
                "contact_id", "queue", "team_id", "owner_id", "received_at",
                "sla_paused_seconds", "first_responded_at")


def ticket_defaults(write: Write) -> None:
    settings = write.kernel.settings("service")
    now = utcnow()
    for row in write.rows:
        row.setdefault("received_at", now)
        row.setdefault("queue", settings["queues"][0])


def ticket_rules(write: Write) -> None:
    settings = write.kernel.settings("service")
    known = channels(settings)
    now = utcnow()
    for index, row, current in write:
        problems = customer_named(write, index)
        _one_of(problems, row, "channel", known, "a channel")
        _one_of(problems, row, "category", settings["categories"], "a category")
        _one_of(problems, row, "queue", settings["queues"], "a queue")
        received = row.get("received_at")
        if received is not None and current is not None and received != current.received_at:
            problems["received_at"] = [f"ticket {current.id} was received at "
                                       f"{current.received_at.isoformat()}; that stays so"]
        elif received is not None and received > now + _CLOCK_SKEW:
            problems["received_at"] = [f"{received.isoformat()} is in the future"]
        if current is not None:
            _status_rules(write, index, current, problems)
        write.refuse(index, problems)


def customer_named(write: Write, index: int) -> dict[str, list[str]]:
    """The problems of a row that names no customer: a service record (ticket, warranty,
    repair, return) names an organization or a contact, or both."""
    if write.value(index, "organization_id") is None \
            and write.value(index, "contact_id") is None:
        return {"organization_id": ["give the customer: an organization or a contact "
                                    "(or both)"]}
    return {}


def _one_of(problems: dict[str, list[str]], row: dict[str, Any], name: str,
            allowed: Any, what: str) -> None:
    value = row.get(name)
    if value is not None and value not in allowed:
        problems[name] = [f"{value!r} is not {what}; use one of {', '.join(allowed)}"]


def _status_rules(write: Write, index: int, current: Any,
                  problems: dict[str, list[str]]) -> None:
    """A resolved ticket goes back to open through the reopen action only (which keeps
    to the reopen window)."""
    if current.status == "resolved" and write.rows[index].get("status") == "open" \
            and write.verb != "reopen":
        problems["status"] = [f"ticket {current.id} is resolved: reopen it (POST "
                              f"/api/v1/service/tickets/{current.id}/reopen)"]


def ticket_computed(write: Write) -> None:
    """The due times, from when the ticket was received, the targets of its SLA policy
    (contract, tier or default: sla.policies) for its priority and the business time its
    clock stood still; a plugin's ``ticket_due_times`` may replace them."""
    # A new ticket nobody is assigned to is routed first (the route_ticket hook).
    routing.route(write)
    kernel = write.kernel
    settings = kernel.settings("service")
    hours = calendar(settings)
    due = [index for index, row, current in write
           if current is None or any(name in row for name in _SLA_INPUTS)]
    if not due:
        return
    received = {index: write.value(index, "received_at") for index in due}
    found = sla.policies(kernel, settings, [
        sla.Customer(write.value(index, "organization_id"), write.value(index, "contact_id"),
                     received[index].astimezone(hours.zone).date()) for index in due])
    for index, policy in zip(due, found):
        row, current = write.rows[index], write.existing[index]
        first, resolution = sla.due_times(
            hours, settings, priority=write.value(index, "priority"),
            received_at=received[index],
            paused_seconds=write.value(index, "sla_paused_seconds", 0) or 0, policy=policy)
        name = policy.name
        ticket = {"id": getattr(current, "id", None), "sla_policy": name,
                  **{field: write.value(index, field) for field in _HOOK_FIELDS}}
        given = kernel.hooks.ticket_due_times(kernel=kernel, ticket=ticket,
                                              first_response_due_at=first,
                                              resolution_due_at=resolution)
        if given is not None:
            first, resolution = _hook_due_times(given)
            name = sla.HOOK
        row["sla_policy"] = name
        # Once answered, the first response's due time is history: it stays.
        if write.value(index, "first_responded_at") is None:
            row["first_response_due_at"] = first
        elif current is not None and current.first_response_due_at is None:
            row["first_response_due_at"] = first
        row["resolution_due_at"] = resolution


def _hook_due_times(given: Any) -> tuple[dt.datetime, dt.datetime]:
    """The pair a ticket_due_times implementation returned, checked."""
    if isinstance(given, tuple) and len(given) == 2 and all(
            isinstance(v, dt.datetime) and v.tzinfo is not None for v in given):
        return given[0], given[1]
    raise ValidationError({"resolution_due_at": [
        f"ticket_due_times returned {given!r}, not a pair of aware datetimes"]})


def ticket_kept(kernel: Accord, records: list[Any], actor: Actor) -> None:
    """Only a new ticket (one opened by mistake) is deleted; the others are the
    service's history: resolve and close them."""
    for ticket in records:
        if ticket.status != "new":
            raise Conflict(f"ticket {ticket.id} is {ticket.status}: only a new ticket is "
                           "deleted; resolve and close it instead")
