"""``accord users …`` and ``accord teams …``."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import click

from ._context import CliState, actor, pass_state, table

if TYPE_CHECKING:
    from ..models import Team


@click.group()
def users() -> None:
    """Add, list and deactivate users; set passwords."""


@users.command("add")
@click.argument("email")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", required=True, help="admin, manager, sales, service, marketing, read-only…")
@click.option("--team", "teams", multiple=True, help="Team to join (name or id); repeatable.")
@pass_state
def add_user(state: CliState, email: str, name: str, role: str, teams: tuple[str, ...]) -> None:
    """Add a user."""
    from ..services.people import add_user as add

    user = add(state.kernel(), email, name, role, teams=teams, actor=actor())
    click.echo(f"added user {user.id}: {user.email} ({user.role_id})")


@users.command("list")
@pass_state
def list_users(state: CliState) -> None:
    """Every user with role, state and teams."""
    from ..services.people import user_roster

    rows = [[u.id, u.email, u.name, u.role, "active" if u.active else "inactive",
             ", ".join(u.teams) or "-"] for u in user_roster(state.kernel(), actor=actor())]
    table(["ID", "EMAIL", "NAME", "ROLE", "STATE", "TEAMS"], rows)


@users.command("password")
@click.argument("user", metavar="EMAIL")
@pass_state
def password(state: CliState, user: str) -> None:
    """Set the web login password of EMAIL (or a user id); asked twice, not shown."""
    from ..services.assignment import find_user
    from ..services.passwords import set_password

    kernel = state.kernel()
    target = find_user(kernel, user)
    value = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    set_password(kernel, target, value, actor=actor())
    click.echo(f"password set for {target.email}")


@users.command("deactivate")
@click.argument("user", metavar="EMAIL")
@pass_state
def deactivate(state: CliState, user: str) -> None:
    """Deactivate EMAIL (or a user id): no login, tokens refused; records kept.

    The last active admin cannot be deactivated."""
    from .. import services
    from ..services.assignment import find_user

    kernel = state.kernel()
    target = find_user(kernel, user)
    if not target.active:
        click.echo(f"{target.email} is already deactivated")
        return
    services.update(kernel, "user", target.id, {"active": False}, actor=actor())
    click.echo(f"deactivated {target.email}; their tokens no longer work")


@click.group()
def teams() -> None:
    """Add and list teams and their members."""


@teams.command("add")
@click.argument("name")
@click.option("--manager", help="Manager (user id or email).")
@pass_state
def add_team(state: CliState, name: str, manager: str | None) -> None:
    """Add a team."""
    from .. import services
    from ..services.assignment import find_user

    kernel = state.kernel()
    data: dict[str, object] = {"name": name}
    if manager:
        data["manager_id"] = find_user(kernel, manager).id
    team = cast("Team", services.create(kernel, "team", data, actor=actor()))
    click.echo(f"added team {team.id}: {team.name}")


@teams.command("join")
@click.argument("team")
@click.argument("user")
@pass_state
def join(state: CliState, team: str, user: str) -> None:
    """Make USER (id or email) a member of TEAM (id or name)."""
    from ..services.assignment import find_user
    from ..services.teams import add_member

    kernel = state.kernel()
    member = find_user(kernel, user)
    add_member(kernel, team, member.id, actor=actor())
    click.echo(f"{member.email} joined {team}")


@teams.command("list")
@pass_state
def list_teams(state: CliState) -> None:
    """Every team with its manager and members."""
    from ..services.people import team_roster

    rows = [[t.id, t.name, t.manager or "-", ", ".join(t.members) or "-"]
            for t in team_roster(state.kernel(), actor=actor())]
    table(["ID", "NAME", "MANAGER", "MEMBERS"], rows)
