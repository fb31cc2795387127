"""``accord assign`` and ``accord transfer``: the CLI face of ``accord.services.assignment``."""

from __future__ import annotations

import click

from ._context import CliState, actor, pass_state


@click.command()
@click.argument("record_type")
@click.argument("record_id", type=int)
@click.option("--to", "user", help="User (id or email) who will own the record.")
@click.option("--team", help="Team (id or name) the record will belong to.")
@pass_state
def assign(state: CliState, record_type: str, record_id: int, user: str | None,
           team: str | None) -> None:
    """Assign a record to a user and/or a team."""
    from ..services.assignment import assign as do_assign

    if user is None and team is None:
        raise click.UsageError("give --to USER or --team TEAM (or both)")
    record = do_assign(state.kernel(), record_type, record_id, actor=actor(), user=user,
                       team=team)
    click.echo(f"{record_type} {record_id}: owner {record.owner_id or '-'}, "
               f"team {record.team_id or '-'}")


@click.command()
@click.option("--from", "from_user", required=True, help="User (id or email) leaving the records.")
@click.option("--to", "to_user", required=True, help="User (id or email) taking them over.")
@click.option("--type", "record_type", help="Only records of this type.")
@pass_state
def transfer(state: CliState, from_user: str, to_user: str, record_type: str | None) -> None:
    """Move every record a user owns to another user, in one audited transaction."""
    from ..services.assignment import transfer as do_transfer

    counts = do_transfer(state.kernel(), from_user=from_user, to_user=to_user, actor=actor(),
                         type_name=record_type)
    total = sum(counts.values())
    for name, count in sorted(counts.items()):
        if count:
            click.echo(f"{name}: {count}")
    click.echo(f"transferred {total} record{'s' if total != 1 else ''}")
