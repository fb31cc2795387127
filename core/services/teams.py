"""Team membership; changing it is managing users (``admin.users``).

A team's members are its ``members`` field (a list of user ids, like any link field),
so joining and leaving are updates of the team: validated, versioned and audited like
a PATCH that sends the whole list, which the API also takes. The team's manager is
always a member.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Conflict, ValidationError
from .actors import Actor
from .assignment import find_team
from .authz import require
from .crud import get, update
from .links import links_of
from .reading import dump_many
from .roles import USERS

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["add_member", "remove_member", "team_members"]


def _members(kernel: Accord, team_id: int) -> list[int]:
    with kernel.bound():
        return links_of(kernel.records.get("team"), [team_id])[team_id]["members"]


def team_members(kernel: Accord, team: str | int, *, actor: Actor) -> list[dict[str, Any]]:
    """The members of a team as user records (by id), as the actor may read them:
    reading the team and the users (``core.team.read``, ``core.user.read``)."""
    target = get(kernel, "team", find_team(kernel, team).id, actor=actor)
    require(actor, "core.user.read")
    ids = _members(kernel, target.id)
    user = kernel.records.get("user")
    with kernel.bound():
        users = list(user.model.select().where(user.model.id.in_(ids)).order_by(user.model.id))
    return dump_many(kernel, user, users, actor=actor)


def add_member(kernel: Accord, team: str | int, user_id: int, *, actor: Actor) -> bool:
    """Put a user in a team; False (and nothing written) if already a member. A user
    that does not exist is a ValidationError naming ``members``."""
    require(actor, USERS)
    target = find_team(kernel, team)
    with kernel.transaction():
        get(kernel, "team", target.id, for_update=True)  # one change of members at a time
        members = _members(kernel, target.id)
        if user_id in members:
            return False
        try:
            update(kernel, "team", target.id, {"members": [*members, user_id]}, actor=actor)
        except ValidationError as exc:  # "there is no user 9": named after the argument
            raise ValidationError({("user_id" if k == "members" else k): v
                                   for k, v in exc.messages.items()}) from None
    return True


def remove_member(kernel: Accord, team: str | int, user_id: int, *, actor: Actor) -> bool:
    """Take a user out of a team; False (and nothing written) if not a member. The
    team's manager cannot leave it (a Conflict saying so)."""
    require(actor, USERS)
    target = find_team(kernel, team)
    with kernel.transaction():
        current = get(kernel, "team", target.id, for_update=True)
        members = _members(kernel, target.id)
        if user_id not in members:
            return False
        if current.manager_id == user_id:  # type: ignore[attr-defined]
            raise Conflict(f"user {user_id} manages the team {target.name}, so stays a "
                           "member; give the team another manager first")
        update(kernel, "team", target.id,
               {"members": [m for m in members if m != user_id]}, actor=actor)
    return True
