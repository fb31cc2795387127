"""The agents' queue: the tickets the reader's record rule reaches, by the next due
time, each with its SLA countdowns, and a ticket's conversation.

Countdowns are counted in **business time** (the firm's hours, time zone and
holidays: the ``business_hours`` setting), like the due times themselves: "due in
2 h 10 min" is two business hours and ten minutes of the SLA left; "breached 35 min
ago", business minutes past the due time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from accord.models import Team, User, utcnow
from accord.query import find

from .businesstime import business_time
from .intake import reference
from .models import STATUSES
from .rules import TICKET
from .settings import calendar

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services import Actor

__all__ = ["ACTIVE", "Countdown", "QueueRow", "countdowns", "queue", "duration"]

#: The statuses the queue shows unless asked for another.
ACTIVE = ("new", "open", "pending_customer")


@dataclass(frozen=True)
class Countdown:
    """One SLA target of a ticket as the queue shows it. ``state``: ``due`` (running),
    ``breached`` (past due, not met), ``paused`` (the clock stands still), ``answered``
    / ``resolved`` (met, or met late when ``late``)."""

    target: str
    state: str
    text: str
    due_at: dt.datetime | None
    late: bool = False


@dataclass(frozen=True)
class QueueRow:
    ticket: Any
    reference: str
    first_response: Countdown
    resolution: Countdown
    team: str
    assignee: str

    @property
    def breached(self) -> bool:
        return "breached" in (self.first_response.state, self.resolution.state)

    @property
    def next_due(self) -> dt.datetime:
        for countdown in (self.first_response, self.resolution):
            if countdown.state in ("due", "breached") and countdown.due_at is not None:
                return countdown.due_at
        return dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def duration(span: dt.timedelta) -> str:
    """``2 h 10 min``, ``35 min``, ``under a minute``."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _countdown(kernel: Accord, target: str, due: dt.datetime | None, done: dt.datetime | None,
               flagged: bool, paused: bool, now: dt.datetime, done_word: str) -> Countdown:
    hours = calendar(kernel.settings("service"))
    if done is not None:
        late = flagged or (due is not None and done > due)
        return Countdown(target, done_word, f"{done_word} (late)" if late else done_word,
                         due, late)
    if due is None:
        return Countdown(target, "due", "no due time", None)
    if flagged or due <= now:
        if paused:
            return Countdown(target, "breached", "breached, clock paused", due)
        return Countdown(target, "breached",
                         f"breached {duration(business_time(hours, due, now))} ago", due)
    if paused:
        return Countdown(target, "paused",
                         f"paused, {duration(business_time(hours, now, due))} left", due)
    return Countdown(target, "due", f"due in {duration(business_time(hours, now, due))}", due)


def countdowns(kernel: Accord, ticket: Any, now: dt.datetime | None = None
               ) -> tuple[Countdown, Countdown]:
    """The first response's and the resolution's countdowns of a ticket."""
    moment = now or utcnow()
    paused = ticket.sla_paused_at is not None
    first = _countdown(kernel, "first response", ticket.first_response_due_at,
                       ticket.first_responded_at, ticket.first_response_breached, paused,
                       moment, "answered")
    done = ticket.resolved_at if ticket.status in ("resolved", "closed") else None
    resolution = _countdown(kernel, "resolution", ticket.resolution_due_at, done,
                            ticket.resolution_breached, paused, moment, "resolved")
    return first, resolution


def queue(kernel: Accord, actor: Actor, *, team_id: int | None = None,
          queue_name: str | None = None, status: str | None = None,
          now: dt.datetime | None = None, limit: int = 500) -> list[QueueRow]:
    """The tickets ``actor`` reaches (read permission and record rule), of a team, a
    queue and a status (the active ones when None), the most pressing first: by the
    next due time still running (breached ones first), then the others."""
    filters: dict[str, Any] = {"status__in": list(ACTIVE)} if status is None else {
        "status": status}
    if team_id is not None:
        filters["team"] = team_id
    if queue_name is not None:
        filters["queue"] = queue_name
    tickets = find(kernel, TICKET, filters, sort=("first_response_due_at",), limit=limit,
                   actor=actor)
    moment = now or utcnow()
    teams, users = _names(kernel, tickets)
    rows = [QueueRow(t, reference(t.id), *countdowns(kernel, t, moment),
                     teams.get(t.team_id, ""), users.get(t.owner_id, "unassigned"))
            for t in tickets]
    return sorted(rows, key=lambda r: (r.next_due, r.ticket.id))


def _names(kernel: Accord, tickets: list[Any]) -> tuple[dict[int, str], dict[int, str]]:
    team_ids = {t.team_id for t in tickets if t.team_id is not None}
    user_ids = {t.owner_id for t in tickets if t.owner_id is not None}
    with kernel.bound():
        teams = {t.id: t.name for t in Team.select(Team.id, Team.name).where(
            Team.id.in_(sorted(team_ids)))} if team_ids else {}
        users = {u.id: u.name for u in User.select(User.id, User.name).where(
            User.id.in_(sorted(user_ids)))} if user_ids else {}
    return teams, users


def team_choices(kernel: Accord, actor: Actor) -> list[tuple[int, str]]:
    """The teams the queue's filter offers: the reader's own (all for an unrestricted
    reader)."""
    with kernel.bound():
        query = Team.select(Team.id, Team.name).order_by(Team.name)
        if actor.restricted:
            query = query.where(Team.id.in_(sorted(actor.team_ids)))
        return [(t.id, t.name) for t in query]


STATUS_CHOICES = STATUSES
