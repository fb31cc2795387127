"""``accord service …``: the service plugin's commands (thin: queue.py does the work).
They read as the CLI's operator (every ticket), like the other ``accord`` reports."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import click

from accord.services import Actor
from accord.services.assignment import find_team

from .models import STATUSES
from .queue import QueueRow
from .queue import queue as queue_rows

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["queue", "sla"]

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
