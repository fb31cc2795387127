"""``accord roles …``: roles, the permissions they grant and their record rules."""

from __future__ import annotations

import click

from ._context import CliState, actor, pass_state, table


@click.group()
def roles() -> None:
    """List, add, change and delete roles."""


def _show(role: object) -> None:
    from ..services.roles import RoleInfo

    assert isinstance(role, RoleInfo)
    given = _given(role)
    click.echo(f"{role.name}: grants {', '.join(role.grants) or 'nothing'}; rules "
               f"{', '.join(f'{t} {s}' for t, s in role.rules) or 'none (all records)'}"
               + (f"; from plugins: {given}" if given else ""))


def _given(role: object) -> str:
    """What plugins give the role, and the grants of theirs that were revoked."""
    from ..services.roles import RoleInfo

    assert isinstance(role, RoleInfo)
    return ", ".join([*(f"{p} ({plugin})" for p, plugin in role.contributed),
                      *(f"rule {t} ({plugin})" for t, plugin in role.contributed_rules),
                      *(f"{p} (revoked)" for p in role.withheld)])


@roles.command("list")
@pass_state
def list_roles(state: CliState) -> None:
    """Every role with its users, grants and record rules.

    FROM PLUGINS shows what running plugins give a role, and those grants of theirs
    that were revoked."""
    from ..services.roles import list_roles as infos

    rows = [[r.name, "yes" if r.builtin else "no", r.users, ", ".join(r.grants) or "-",
             ", ".join(f"{t} {s}" for t, s in r.rules) or "-", _given(r) or "-"]
            for r in infos(state.kernel(), actor=actor())]
    table(["NAME", "BUILT-IN", "USERS", "GRANTS", "RULES", "FROM PLUGINS"], rows)


@roles.command("add")
@click.argument("name")
@click.option("--description", default="", help="What the role is for.")
@click.option("--grant", "grants", multiple=True, metavar="PERM",
              help="A permission or pattern (core.contact.read, acme_dental.*); repeatable.")
@pass_state
def add(state: CliState, name: str, description: str, grants: tuple[str, ...]) -> None:
    """Add a role NAME holding the --grant permissions."""
    from ..services.roles import add_role

    _show(add_role(state.kernel(), name, actor=actor(), description=description,
                   grants=grants))


@roles.command("grant")
@click.argument("name")
@click.argument("permissions", nargs=-1, required=True, metavar="PERM...")
@pass_state
def grant(state: CliState, name: str, permissions: tuple[str, ...]) -> None:
    """Let role NAME do more: permissions or patterns (acme_dental.*, core.*.read)."""
    from ..services.roles import grant as do_grant

    _show(do_grant(state.kernel(), name, permissions, actor=actor()))


@roles.command("revoke")
@click.argument("name")
@click.argument("permissions", nargs=-1, required=True, metavar="PERM...")
@pass_state
def revoke(state: CliState, name: str, permissions: tuple[str, ...]) -> None:
    """Take grants back from role NAME, written as they are held.

    A grant a plugin gives stays revoked, across restarts, until it is granted again."""
    from ..services.roles import revoke as do_revoke

    _show(do_revoke(state.kernel(), name, permissions, actor=actor()))


@roles.command("rules")
@click.argument("name")
@click.argument("record_type", metavar="TYPE")
@click.argument("scope", metavar="own|team|all")
@pass_state
def rules(state: CliState, name: str, record_type: str, scope: str) -> None:
    """Limit role NAME to its own, its teams' or all records of TYPE (or a * pattern)."""
    from ..services.roles import set_rule

    _show(set_rule(state.kernel(), name, record_type, scope, actor=actor()))


@roles.command("delete")
@click.argument("name")
@pass_state
def delete(state: CliState, name: str) -> None:
    """Delete role NAME; built-in roles and roles users hold stay."""
    from ..services.roles import delete_role

    delete_role(state.kernel(), name, actor=actor())
    click.echo(f"deleted role {name}")
