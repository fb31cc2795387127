"""Team membership; changing it is managing users (``admin.users``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import TeamMember
from .actors import Actor
from .assignment import find_team
from .audit import write_audit
from .authz import require
from .roles import USERS

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["add_member", "remove_member"]


def add_member(kernel: Accord, team: str | int, user_id: int, *, actor: Actor) -> None:
    """Put a user in a team (audited on the team); no error if already a member."""
    require(actor, USERS)
    target = find_team(kernel, team)
    with kernel.transaction():
        # get_or_create is unannotated in peewee-stubs.
        _, created = TeamMember.get_or_create(  # type: ignore[no-untyped-call]
            team=target.id, user=user_id)
        if created:
            write_audit(actor, "member_added", "team", [(target.id, {"members": [None, user_id]})])


def remove_member(kernel: Accord, team: str | int, user_id: int, *, actor: Actor) -> None:
    """Take a user out of a team (audited on the team); no error if not a member."""
    require(actor, USERS)
    target = find_team(kernel, team)
    with kernel.transaction():
        removed = TeamMember.delete().where(TeamMember.team == target.id,
                                            TeamMember.user == user_id).execute()
        if removed:
            write_audit(actor, "member_removed", "team",
                        [(target.id, {"members": [user_id, None]})])
