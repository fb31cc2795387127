"""``accord service …``: the service plugin's commands (thin: queue.py and the
services do the work). They act as the CLI's operator (every ticket), like the other
``accord`` reports."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Sequence
from zoneinfo import ZoneInfo

import click
import peewee

from accord import services
from accord.errors import ValidationError
from accord.models import Contact, Organization
from accord.services import Actor
from accord.services.assignment import find_team

from .intake import reference
from .models import STATUSES
from .queue import QueueRow
from .queue import queue as queue_rows
from .settings import PRIORITIES

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["queue", "sla", "ticket"]

_OPERATOR = Actor.system("cli")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    cells = [list(headers), *[list(r) for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
        if index == 0:
            click.echo("  ".join("-" * w for w in widths))


def _team_id(kernel: Accord, team: str | None) -> int | None:
    return None if team is None else int(find_team(kernel, team).id)


def _cells(row: QueueRow) -> list[str]:
    t = row.ticket
    return [row.reference, row.first_response.text, row.resolution.text, t.priority,
            t.status, f"{row.team or '-'}/{t.queue}", row.assignee, t.subject[:60]]


@click.command()
@click.option("--team", metavar="TEAM", help="Only this team's tickets (a name or an id).")
@click.option("--queue", "queue_name", metavar="QUEUE", help="Only this queue.")
@click.option("--status", type=click.Choice(STATUSES),
              help="Only this status (default: new, open and pending_customer).")
@click.pass_obj
def queue(state: Any, team: str | None, queue_name: str | None, status: str | None) -> None:
    """The tickets by due time, the most pressing first, with their SLA countdowns in
    business time."""
    kernel: Accord = state.kernel()
    rows = queue_rows(kernel, _OPERATOR, team_id=_team_id(kernel, team),
                      queue_name=queue_name, status=status)
    if not rows:
        click.echo("No tickets.")
        return
    _table(["TICKET", "FIRST RESPONSE", "RESOLUTION", "PRIORITY", "STATUS", "TEAM/QUEUE",
            "ASSIGNEE", "SUBJECT"], [_cells(r) for r in rows])
    breached = sum(r.breached for r in rows)
    click.echo(f"{len(rows)} ticket{'' if len(rows) == 1 else 's'}, {breached} breached "
               "(countdowns in business time)")


@click.command()
@click.option("--breached", is_flag=True, help="Only the tickets past a due time.")
@click.option("--team", metavar="TEAM", help="Only this team's tickets (a name or an id).")
@click.pass_obj
def sla(state: Any, breached: bool, team: str | None) -> None:
    """The SLA state of the active tickets (new, open, pending_customer): each target's
    countdown, or how long ago it was breached, in business time."""
    kernel: Accord = state.kernel()
    rows = queue_rows(kernel, _OPERATOR, team_id=_team_id(kernel, team))
    if breached:
        rows = [r for r in rows if r.breached]
    if not rows:
        click.echo("No breached tickets." if breached else "No active tickets.")
        return
    _table(["TICKET", "PRIORITY", "FIRST RESPONSE", "RESOLUTION", "TEAM", "SUBJECT"],
           [[r.reference, r.ticket.priority, r.first_response.text, r.resolution.text,
             r.team or "-", r.ticket.subject[:60]] for r in rows])


# accord service ticket new -------------------------------------------------------------

#: The option each ticket field is given by (a refusal names the option).
_OPTIONS = {"subject": "--subject", "organization_id": "--organization",
            "contact_id": "--contact", "channel": "--channel", "priority": "--priority",
            "category": "--category", "description": "--description"}


def _organization(kernel: Accord, ref: str) -> int:
    """An organization by id or (exact) name; a name two share is refused."""
    text = ref.strip()
    with kernel.bound():
        if text.isdigit():
            found = list(Organization.select(Organization.id).where(
                Organization.id == int(text)))
        else:
            found = list(Organization.select(Organization.id).where(
                Organization.name == text).order_by(Organization.id).limit(10))
    if not found:
        raise click.BadParameter(f"no organization {ref!r} (give a name or an id)",
                                 param_hint="'--organization'")
    if len(found) > 1:
        raise click.BadParameter(
            f"{len(found)} organizations are named {ref!r}: give the id "
            f"({', '.join(str(o.id) for o in found)})", param_hint="'--organization'")
    return int(found[0].id)


def _contact(kernel: Accord, ref: str) -> int:
    """A contact by id or email (case-insensitive)."""
    text = ref.strip()
    with kernel.bound():
        found = Contact.get_or_none(Contact.id == int(text)) if text.isdigit() else \
            Contact.get_or_none(peewee.fn.lower(Contact.email) == text.lower())
    if found is None:
        raise click.BadParameter(f"no contact {ref!r} (give an email or an id)",
                                 param_hint="'--contact'")
    return int(found.id)


def _when(moment: dt.datetime | None, zone: ZoneInfo) -> str:
    return "-" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


@click.group()
def ticket() -> None:
    """Tickets from the command line (new)."""


@ticket.command("new")
@click.option("--subject", required=True, help="What the customer's case is about.")
@click.option("--organization", metavar="NAME|ID",
              help="The customer organization (a name or an id).")
@click.option("--contact", metavar="EMAIL|ID", help="The customer contact (an email or an "
                                                    "id); give it, the organization, or both.")
@click.option("--channel", required=True, metavar="CHANNEL",
              help="phone, email, web, chat, on_site or one of the channels setting.")
@click.option("--priority", type=click.Choice(PRIORITIES), default="normal",
              show_default=True, help="It and the customer's SLA policy give the due times.")
@click.option("--category", metavar="CATEGORY", help="One of the categories setting.")
@click.option("--description", metavar="TEXT", help="The customer's words.")
@click.pass_obj
def new(state: Any, subject: str, organization: str | None, contact: str | None,
        channel: str, priority: str, category: str | None, description: str | None) -> None:
    """Open a ticket for a customer (routed like any new ticket) and print its reference,
    its SLA policy and its due times. Nothing is written when an option is refused."""
    kernel: Accord = state.kernel()
    if organization is None and contact is None:
        raise click.UsageError("give the customer: --organization, --contact or both")
    data: dict[str, Any] = {"subject": subject, "channel": channel, "priority": priority}
    if organization is not None:
        data["organization_id"] = _organization(kernel, organization)
    if contact is not None:
        data["contact_id"] = _contact(kernel, contact)
    if category is not None:
        data["category"] = category
    if description is not None:
        data["description"] = description
    try:
        made: Any = services.create(kernel, "service.ticket", data, actor=_OPERATOR)
    except ValidationError as exc:
        lines = [f"{_OPTIONS.get(field, field)}: {' '.join(messages)}"
                 for field, messages in exc.flat().items()]
        raise click.UsageError("\n".join(lines)) from None
    zone = ZoneInfo(kernel.settings("service")["time_zone"])
    click.echo(f"{reference(made.id)} created (SLA policy {made.sla_policy})")
    click.echo(f"First response due: {_when(made.first_response_due_at, zone)}")
    click.echo(f"Resolution due:     {_when(made.resolution_due_at, zone)}")
