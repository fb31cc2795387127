"""``accord users …`` and ``accord teams …``."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import click

from ._context import CliState, actor, pass_state, table

if TYPE_CHECKING:
    from ..models import Team


@click.group()
def users() -> None:
    """Add, list, deactivate and reactivate users; set roles and passwords."""


@users.command("add")
@click.argument("email")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", required=True, help="admin, manager, sales, service, marketing, read-only…")
@click.option("--team", "teams", multiple=True, help="Team to join (name or id); repeatable.")
@click.option("--password", "ask_password", is_flag=True,
              help="Ask for the web login password (twice, not shown) and set it.")
@pass_state
def add_user(state: CliState, email: str, name: str, role: str, teams: tuple[str, ...],
             ask_password: bool) -> None:
    """Add a user (with --password, one who can log in to the web pages)."""
    from ..services.passwords import password_problem, set_password
    from ..services.people import add_user as add

    value = None
    if ask_password:
        # Asked and checked first: a refused password adds no user.
        value = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        problem = password_problem(value)
        if problem:
            raise click.ClickException(f"password: {problem}; no user was added")
    kernel = state.kernel()
    user = add(kernel, email, name, role, teams=teams, actor=actor())
    if value is not None:
        set_password(kernel, user, value, actor=actor())
    click.echo(f"added user {user.id}: {user.email} ({user.role_id})"
               + ("; they can log in to the web pages" if value is not None else ""))


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


@users.command("reactivate")
@click.argument("user", metavar="EMAIL")
@pass_state
def reactivate(state: CliState, user: str) -> None:
    """Reactivate EMAIL (or a user id): they can log in and use their tokens again."""
    from .. import services
    from ..services.assignment import find_user

    kernel = state.kernel()
    target = find_user(kernel, user)
    if target.active:
        click.echo(f"{target.email} is already active")
        return
    services.update(kernel, "user", target.id, {"active": True}, actor=actor())
    click.echo(f"reactivated {target.email}; their tokens work again")


@users.command("role")
@click.argument("user", metavar="EMAIL")
@click.argument("role")
@pass_state
def set_role(state: CliState, user: str, role: str) -> None:
    """Give EMAIL (or a user id) the role ROLE (accord roles list shows them).

    The last active admin keeps the admin role."""
    from ..services.people import set_role as change

    target, before = change(state.kernel(), user, role, actor=actor())
    if before == role:
        click.echo(f"{target.email} already has the role {role}")
    else:
        click.echo(f"{target.email}: role {before} -> {role}")


@click.group()
def teams() -> None:
    """Add and list teams; change their members and manager."""


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
    if add_member(kernel, team, member.id, actor=actor()):
        click.echo(f"{member.email} joined {team}")
    else:
        click.echo(f"{member.email} is already a member of {team}")


@teams.command("leave")
@click.argument("team")
@click.argument("user")
@pass_state
def leave(state: CliState, team: str, user: str) -> None:
    """Take USER (id or email) out of TEAM (id or name); their records stay theirs.

    The team's manager stays a member: give the team another manager first."""
    from ..services.assignment import find_user
    from ..services.teams import remove_member

    kernel = state.kernel()
    member = find_user(kernel, user)
    if remove_member(kernel, team, member.id, actor=actor()):
        click.echo(f"{member.email} left {team}")
    else:
        click.echo(f"{member.email} is not a member of {team}")


@teams.command("manager")
@click.argument("team")
@click.argument("user")
@pass_state
def manager(state: CliState, team: str, user: str) -> None:
    """Make USER (id or email) the manager of TEAM (id or name); they join it if need be."""
    from .. import services
    from ..services.assignment import find_team, find_user

    kernel = state.kernel()
    target = find_team(kernel, team)
    member = find_user(kernel, user)
    services.update(kernel, "team", target.id, {"manager_id": member.id}, actor=actor())
    click.echo(f"{member.email} manages {target.name}")


@teams.command("list")
@pass_state
def list_teams(state: CliState) -> None:
    """Every team with its manager and members."""
    from ..services.people import team_roster

    rows = [[t.id, t.name, t.manager or "-", ", ".join(t.members) or "-"]
            for t in team_roster(state.kernel(), actor=actor())]
    table(["ID", "NAME", "MANAGER", "MEMBERS"], rows)
