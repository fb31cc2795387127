"""Team membership."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import AuditEntry, TeamMember, utcnow
from .actors import Actor
from .assignment import find_team

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["add_member", "remove_member"]


def add_member(kernel: Accord, team: str | int, user_id: int, *, actor: Actor) -> None:
    """Put a user in a team (audited on the team); no error if already a member."""
    target = find_team(kernel, team)
    with kernel.transaction():
        # get_or_create is unannotated in peewee-stubs.
        _, created = TeamMember.get_or_create(  # type: ignore[no-untyped-call]
            team=target.id, user=user_id)
        if created:
            AuditEntry.create(at=utcnow(), actor_id=actor.user_id, actor_label=actor.label,
                              action="member_added", record_type="team", record_id=target.id,
                              changes={"members": [None, user_id]})


def remove_member(kernel: Accord, team: str | int, user_id: int, *, actor: Actor) -> None:
    target = find_team(kernel, team)
    with kernel.transaction():
        removed = TeamMember.delete().where(TeamMember.team == target.id,
                                            TeamMember.user == user_id).execute()
        if removed:
            AuditEntry.create(at=utcnow(), actor_id=actor.user_id, actor_label=actor.label,
                              action="member_removed", record_type="team", record_id=target.id,
                              changes={"members": [user_id, None]})
