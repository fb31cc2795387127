"""Routing a new ticket to a queue, a team and an assignee (the ``route_ticket``
hook), and the plugin's own routing: the category's team from the ``routing``
setting, then the team's round-robin.

The round-robin gives the ticket to the team's active member whose last ticket from
the routing is the oldest (one never given a ticket first, then by user id). It is
race-safe: the team's row is locked (PostgreSQL ``FOR UPDATE``; SQLite's write
transactions run one at a time) while the turn is taken and written, so two tickets
routed at once go to two members.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from accord.database import is_postgres
from accord.errors import ValidationError
from accord.hooks import hookimpl
from accord.models import Team, User, utcnow
from accord.services.links import links_of

from .models import Rotation

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.records import Write

__all__ = ["Routing", "route", "round_robin", "default_route"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Routing:
    """What ``route_ticket`` decides: each field that is not None replaces the new
    ticket's (``queue``: one of the ``queues`` setting; ``team_id``; ``owner_id``, the
    assignee)."""

    queue: str | None = None
    team_id: int | None = None
    owner_id: int | None = None


def route(write: Write) -> None:
    """Route each new ticket without an assignee (called from the ticket's compute
    step, inside the create's transaction)."""
    kernel = write.kernel
    queues = kernel.settings("service")["queues"]
    for index, row, current in write:
        if current is not None or row.get("owner_id") is not None:
            continue
        decided = kernel.hooks.route_ticket(kernel=kernel, ticket=dict(row))
        if decided is None:
            continue
        if not isinstance(decided, Routing):
            raise ValidationError({"owner_id": [
                f"route_ticket returned {type(decided).__name__}, not a Routing"]})
        _check(kernel, decided, queues)
        for name in ("queue", "team_id", "owner_id"):
            value = getattr(decided, name)
            if value is not None:
                row[name] = value


def _check(kernel: Accord, decided: Routing, queues: list[str]) -> None:
    problems: dict[str, list[str]] = {}
    if decided.queue is not None and decided.queue not in queues:
        problems["queue"] = [f"route_ticket chose the queue {decided.queue!r}, which is "
                             f"not one of {', '.join(queues)}"]
    if decided.team_id is not None \
            and Team.get_or_none(Team.id == decided.team_id) is None:
        problems["team_id"] = [f"route_ticket chose team {decided.team_id}, which does "
                               "not exist"]
    if decided.owner_id is not None:
        user = User.get_or_none(User.id == decided.owner_id)
        if user is None or not user.active:
            problems["owner_id"] = [f"route_ticket chose user {decided.owner_id}, who "
                                    f"{'does not exist' if user is None else 'is deactivated'}"]
    if problems:
        raise ValidationError(problems)


def round_robin(kernel: Accord, team_id: int) -> int | None:
    """The team's next assignee: its active member given a ticket least recently (by
    this routing); None for a team without active members. Takes the turn (writes
    it), so call it inside the transaction that assigns the ticket."""
    locked = Team.select(Team.id).where(Team.id == team_id)
    if is_postgres(kernel.database):
        locked = locked.for_update()
    if locked.first() is None:
        return None
    members = links_of(kernel.records.get("team"), [team_id])[team_id]["members"]
    active = [u.id for u in User.select(User.id).where(User.id.in_(members),
                                                       User.active == True)]  # noqa: E712
    if not active:
        return None
    turns = {r.user_id: r.assigned_at for r in Rotation.select().where(
        Rotation.team == team_id, Rotation.user.in_(active))}
    chosen = min(active, key=lambda uid: (uid in turns, turns.get(uid), uid))
    from .services import take_turn  # services imports the rules, which import this

    take_turn(team_id, chosen, taken=chosen in turns, at=utcnow())
    return chosen


def _team_named(name: str) -> int | None:
    team = Team.get_or_none(Team.name == name)
    return None if team is None else int(team.id)


@hookimpl(trylast=True)
def route_ticket(kernel: Accord, ticket: dict[str, Any]) -> Routing | None:
    """The plugin's own routing: the category's team and queue (``routing`` setting),
    else the team the ticket was given; then that team's round-robin."""
    rule = kernel.settings("service")["routing"].get(ticket.get("category") or "", {})
    team_id = ticket.get("team_id")
    if rule.get("team"):
        team_id = _team_named(rule["team"])
        if team_id is None:
            log.warning("service routing: no team named %r (category %r); the ticket "
                        "stays unassigned", rule["team"], ticket.get("category"))
    owner = round_robin(kernel, team_id) if team_id is not None else None
    if team_id is None and not rule.get("queue"):
        return None
    return Routing(queue=rule.get("queue"), team_id=team_id, owner_id=owner)


default_route = route_ticket
