"""``/admin/users`` and ``/admin/teams``: the users with their role, state and teams;
adding a user (with a password, optionally), changing a role, deactivating and
reactivating; the teams with their members, a new team, adding and removing members.

Users are added by ``accord.services.people.add_user`` and their role changed by
``set_role``; the state is the user record's ``active`` field (``services.update``:
the last active admin stays); members go through ``accord.services.teams``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, g, render_template, request

from ... import services
from ...errors import AccordError, NotFound, PermissionDenied, ValidationError
from ...services.authz import require
from ...services.passwords import password_problem, set_password
from ...services.people import add_user, set_role, team_roster, user_roster
from ...services.roles import USERS, list_roles
from ...services.teams import add_member, remove_member
from .common import done, messages_of

if TYPE_CHECKING:
    from ...kernel import Accord

__all__ = ["register"]

_USERS = "/admin/users"
_TEAMS = "/admin/teams"
_REFUSALS = (NotFound, PermissionDenied)


def register(bp: Blueprint, kernel: Accord) -> None:
    @bp.get(_USERS)
    def admin_users() -> Any:
        return _users_page(kernel)

    @bp.post(_USERS)
    def admin_user_add() -> Any:
        form = {k: request.form.get(k, "").strip() for k in ("email", "name", "role")}
        password = request.form.get("password", "")
        require(g.actor, USERS)
        problem = password_problem(password) if password else None
        if problem:
            return _users_page(kernel, form=form, errors={"password": [problem]}, status=422)
        try:
            user: Any = add_user(kernel, form["email"], form["name"], form["role"],
                                 actor=g.actor)
        except _REFUSALS:
            raise
        except AccordError as exc:
            return _users_page(kernel, form=form, errors=messages_of(exc), status=exc.status)
        if password:
            set_password(kernel, user, password, actor=g.actor)
        return done(f"Added {user.email} as {form['role']}"
                    + (" with a password." if password else
                       "; set a password with 'accord users password'."), _USERS)

    @bp.post(f"{_USERS}/<int:user_id>/role")
    def admin_user_role(user_id: int) -> Any:
        role = request.form.get("role", "").strip()
        try:
            user, before = set_role(kernel, user_id, role, actor=g.actor)
        except _REFUSALS:
            raise
        except AccordError as exc:
            return _users_page(kernel, row=(user_id, _beside(exc, "role")),
                               status=exc.status)
        return done(f"{user.email} now has the role {user.role_id} (was {before}).", _USERS)

    @bp.post(f"{_USERS}/<int:user_id>/active")
    def admin_user_active(user_id: int) -> Any:
        active = request.form.get("active") == "1"
        require(g.actor, USERS)
        try:
            user: Any = services.update(kernel, "user", user_id, {"active": active},
                                        actor=g.actor)
        except _REFUSALS:
            raise
        except AccordError as exc:
            return _users_page(kernel, row=(user_id, _beside(exc, "active")),
                               status=exc.status)
        return done(f"{user.email} is {'active again' if active else 'deactivated'}.", _USERS)

    @bp.get(_TEAMS)
    def admin_teams() -> Any:
        return _teams_page(kernel)

    @bp.post(_TEAMS)
    def admin_team_add() -> Any:
        form = {k: request.form.get(k, "").strip() for k in ("name", "manager_id")}
        require(g.actor, USERS)
        data: dict[str, Any] = {"name": form["name"]}
        if form["manager_id"]:
            data["manager_id"] = _number(form["manager_id"])
        try:
            team: Any = services.create(kernel, "team", data, actor=g.actor)
        except _REFUSALS:
            raise
        except AccordError as exc:
            return _teams_page(kernel, form=form, errors=messages_of(exc), status=exc.status)
        return done(f"Added the team {team.name}.", _TEAMS)

    @bp.post(f"{_TEAMS}/<int:team_id>/members")
    def admin_team_member_add(team_id: int) -> Any:
        raw = request.form.get("user_id", "").strip()
        try:
            user_id = _number(raw)
            if not isinstance(user_id, int):
                raise ValidationError({"user_id": ["choose a user"]})
            added = add_member(kernel, team_id, user_id, actor=g.actor)
        except _REFUSALS:
            raise
        except AccordError as exc:
            return _teams_page(kernel, row=(team_id, messages_of(exc, "user_id")),
                               status=exc.status)
        email = _email(kernel, user_id)
        return done(f"Added {email} to the team." if added
                    else f"{email} is a member of the team already.", _TEAMS)

    @bp.post(f"{_TEAMS}/<int:team_id>/members/<int:user_id>/remove")
    def admin_team_member_remove(team_id: int, user_id: int) -> Any:
        try:
            removed = remove_member(kernel, team_id, user_id, actor=g.actor)
        except _REFUSALS:
            raise
        except AccordError as exc:
            return _teams_page(kernel, row=(team_id, messages_of(exc, "user_id")),
                               status=exc.status)
        email = _email(kernel, user_id)
        return done(f"Took {email} out of the team." if removed
                    else f"{email} was not a member of the team.", _TEAMS)


def _beside(exc: AccordError, name: str) -> dict[str, list[str]]:
    """Every message of a refusal, shown beside the one input of a row's form."""
    return {name: [m for problems in messages_of(exc).values() for m in problems]}


def _number(raw: str) -> int | str:
    """A whole number typed or chosen, else the text (the service names what is wrong)."""
    return int(raw) if raw.isascii() and raw.isdigit() else raw


def _email(kernel: Accord, user_id: int) -> str:
    from ...services.assignment import find_user

    return str(find_user(kernel, user_id).email)


def _users_page(kernel: Accord, *, form: dict[str, str] | None = None,
                errors: dict[str, list[str]] | None = None,
                row: tuple[int, dict[str, list[str]]] | None = None,
                status: int = 200) -> Response:
    require(g.actor, USERS)
    roles = [r.name for r in list_roles(kernel, actor=g.actor)]
    body = render_template("admin/users.html", users=user_roster(kernel, actor=g.actor),
                           roles=roles, form=form or {"role": "sales"}, errors=errors or {},
                           row_id=row[0] if row else None,
                           row_errors=row[1] if row else {},
                           entered_role=request.form.get("role") if row else None)
    return Response(body, status=status)


def _teams_page(kernel: Accord, *, form: dict[str, str] | None = None,
                errors: dict[str, list[str]] | None = None,
                row: tuple[int, dict[str, list[str]]] | None = None,
                status: int = 200) -> Response:
    require(g.actor, USERS)
    users = user_roster(kernel, actor=g.actor)
    by_email = {u.email: u for u in users}
    teams = [(team, [by_email[e] for e in team.members if e in by_email])
             for team in team_roster(kernel, actor=g.actor)]
    body = render_template("admin/teams.html", teams=teams, users=users, form=form or {},
                           errors=errors or {}, row_id=row[0] if row else None,
                           row_errors=row[1] if row else {})
    return Response(body, status=status)
