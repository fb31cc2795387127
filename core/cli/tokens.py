"""``accord tokens …``: API tokens, shown once and stored hashed."""

from __future__ import annotations

import datetime as dt

import click

from ._context import CliState, actor, pass_state, table


@click.group()
def tokens() -> None:
    """Create, list and revoke API tokens."""


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"


@tokens.command("create")
@click.argument("user")
@click.option("--name", default="cli", show_default=True,
              help="What the token is for (a laptop, an integration).")
@pass_state
def create(state: CliState, user: str, name: str) -> None:
    """Create a token for USER (email or id) and print it once."""
    from ..services.assignment import find_user
    from ..services.tokens import create_token

    kernel = state.kernel()
    owner = find_user(kernel, user)
    row, secret = create_token(kernel, owner, name=name, actor=actor())
    click.echo(f"token {row.id} ({row.name}) for {owner.email}:")
    click.echo(secret)
    click.echo("Copy it now: it will not be shown again (only its hash is stored).")


@tokens.command("list")
@click.option("--user", help="Only the tokens of this user (email or id).")
@pass_state
def list_tokens(state: CliState, user: str | None) -> None:
    """Every token: its user, name, prefix, and when it was created, used and revoked."""
    from ..services.assignment import find_user
    from ..services.tokens import list_tokens as tokens_of

    kernel = state.kernel()
    page = tokens_of(kernel, actor=actor(), limit=None,
                     user_id=find_user(kernel, user).id if user else None)
    rows = [[t.id, t.user.email, t.name, f"{t.prefix}…", _when(t.created_at),
             _when(t.last_used_at), _when(t.revoked_at)] for t in reversed(page.items)]
    if not rows:
        click.echo("no tokens (create one with 'accord tokens create USER')")
        return
    table(["ID", "USER", "NAME", "PREFIX", "CREATED", "LAST USED", "REVOKED"], rows)


@tokens.command("revoke")
@click.argument("token_id", metavar="ID")
@pass_state
def revoke(state: CliState, token_id: str) -> None:
    """Revoke token ID: the next request sending it is refused."""
    from ..errors import NotFound
    from ..services.tokens import revoke_token

    if not token_id.isdigit():
        raise NotFound(f"no token {token_id!r} (give the ID 'accord tokens list' shows)")
    row = revoke_token(state.kernel(), int(token_id), actor=actor())
    click.echo(f"revoked token {row.id} ({row.name})")
