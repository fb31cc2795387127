"""Users and teams as the administration faces show them: adding a user with a role and
teams in one step, and the rosters of users and teams."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence, cast

from ..errors import ValidationError
from ..models import Role, Team, TeamMember, User
from .actors import Actor
from .authz import require
from .assignment import find_user
from .crud import create, update
from .roles import USERS
from .teams import add_member

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["UserRow", "TeamRow", "add_user", "set_role", "user_roster", "team_roster"]


@dataclass(frozen=True)
class UserRow:
    id: int
    email: str
    name: str
    role: str
    active: bool
    teams: tuple[str, ...]


@dataclass(frozen=True)
class TeamRow:
    id: int
    name: str
    manager: str | None
    members: tuple[str, ...]


def add_user(kernel: Accord, email: str, name: str, role: str, *,
             teams: Sequence[str | int] = (), actor: Actor) -> User:
    """A new user with a role (which must exist: the error lists the roles) and the
    teams given, all in one transaction. Giving a role is managing users."""
    require(actor, USERS)
    _known_role(kernel, role)
    with kernel.transaction():
        user = cast(User, create(kernel, "user", {"email": email, "name": name, "role": role},
                                 actor=actor))
        for team in teams:
            add_member(kernel, team, user.id, actor=actor)
    return user


def _known_role(kernel: Accord, role: str) -> None:
    with kernel.bound():
        if Role.get_or_none(Role.name == role) is None:
            known = ", ".join(r.name for r in Role.select().order_by(Role.name))
            raise ValidationError({"role": [f"no role {role!r} (roles: {known})"]})


def set_role(kernel: Accord, user: str | int, role: str, *, actor: Actor) -> tuple[User, str]:
    """Give a user (email or id) another role, which must exist (the error lists the
    roles); needs admin.users. The last active admin keeps theirs. Returns the user as
    stored now and the role they had."""
    require(actor, USERS)
    _known_role(kernel, role)
    target = find_user(kernel, user)
    before = target.role_id
    if before != role:
        update(kernel, "user", target.id, {"role": role}, actor=actor)
    return find_user(kernel, target.id), before


def user_roster(kernel: Accord, *, actor: Actor) -> list[UserRow]:
    """Every user with role, state and team names, by id (two queries)."""
    require(actor, "core.user.read")
    with kernel.bound():
        members: dict[int, list[str]] = {}
        for tm in TeamMember.select(TeamMember, Team).join(Team):
            members.setdefault(tm.user_id, []).append(tm.team.name)
        return [UserRow(u.id, u.email, u.name, u.role_id, bool(u.active),
                        tuple(sorted(members.get(u.id, []))))
                for u in User.select().order_by(User.id)]


def team_roster(kernel: Accord, *, actor: Actor) -> list[TeamRow]:
    """Every team with its manager's and members' emails, by id (three queries)."""
    require(actor, "core.team.read")
    with kernel.bound():
        emails = {u.id: u.email for u in User.select(User.id, User.email)}
        members: dict[int, list[str]] = {}
        for tm in TeamMember.select():
            members.setdefault(tm.team_id, []).append(emails[tm.user_id])
        return [TeamRow(t.id, t.name, emails.get(t.manager_id) if t.manager_id else None,
                        tuple(sorted(members.get(t.id, []))))
                for t in Team.select().order_by(Team.id)]
