"""``accord db …``: migrations of the core and of each plugin."""

from __future__ import annotations

import click

from ._context import CliState, actor, pass_state, table


@click.group()
def db() -> None:
    """Migrations: status, upgrade, downgrade, drift check."""


@db.command()
@pass_state
def status(state: CliState) -> None:
    """Applied and pending migrations of every owner (exit 1 if any are pending)."""
    kernel = state.kernel()
    rows, pending = [], 0
    for owner in kernel.migrations.owners():
        s = kernel.migrations.status(owner)
        # 'accord db upgrade' only applies the core's and enabled plugins' migrations
        # (the others run when the plugin is enabled), so only those fail the status.
        due = owner == "core" or kernel.plugins.get(owner).stored_state == "enabled"
        pending += len(s.pending) if due else 0
        for name in s.applied:
            rows.append([owner, name, "applied"])
        for name in s.pending:
            rows.append([owner, name, "pending" if due else "pending (applied on enable)"])
        for name in s.missing:
            rows.append([owner, name, "applied, file missing"])
    table(["OWNER", "MIGRATION", "STATE"], rows)
    if pending:
        click.echo(f"{pending} pending; run 'accord db upgrade'")
        raise SystemExit(1)


@db.command()
@pass_state
def upgrade(state: CliState) -> None:
    """Apply every pending migration of the core and the enabled plugins."""
    kernel = state.kernel(upgrade=True)
    applied = 0
    for owner in kernel.migrations.owners():
        if owner != "core" and kernel.plugins.get(owner).stored_state != "enabled":
            continue
        for name in kernel.migrations.upgrade(owner):
            click.echo(f"{owner}: applied {name}")
            applied += 1
    if not applied:
        click.echo("nothing to apply; the database is up to date")


@db.command()
@click.argument("owner")
@click.option("--to", "to", type=int, required=True,
              help="Keep migrations up to this number; 0 reverts them all.")
@click.option("--export", "export_to", metavar="FILE",
              help="Write the owner's tables to this new archive file (the backup's "
                   "format) first (required).")
@click.option("--yes", is_flag=True, help="Revert, after the export.")
@pass_state
def downgrade(state: CliState, owner: str, to: int, export_to: str | None, yes: bool) -> None:
    """Run the backward steps of OWNER's migrations numbered above --to.

    Without --yes, shows what would be reverted and the tables (with their rows) that
    reverting may drop or change, and changes nothing. An enabled plugin is refused:
    disable it first. Reverting needs --export FILE and --yes."""
    from ..services.plugins import downgrade as run_downgrade
    from ..services.plugins import downgrade_plan

    kernel = state.kernel()
    plan = downgrade_plan(kernel, owner, to, actor=actor())
    if not plan.migrations:
        click.echo(f"nothing to revert: {owner} has no applied migration above {to}")
        return
    if not yes:
        click.echo(f"{owner}: would revert {', '.join(plan.migrations)}")
        click.echo("tables these migrations may drop or change (rows now):")
        table(["TABLE", "ROWS"], [[name, rows] for name, rows in sorted(plan.tables.items())])
        click.echo(f"nothing reverted; to revert: accord db downgrade {owner} --to {to} "
                   "--export FILE --yes")
        raise SystemExit(1)
    if not export_to:
        raise click.UsageError("--export FILE is required: the tables are written there first")
    run_downgrade(kernel, owner, to, export_to=export_to, actor=actor())
    click.echo(f"{owner}: exported to {export_to}")
    for name in plan.migrations:
        click.echo(f"{owner}: reverted {name}")


@db.command()
@pass_state
def check(state: CliState) -> None:
    """Compare the models with the tables; exit 1 and list the drift if they differ."""
    kernel = state.kernel()
    from ..models import CORE_MODELS

    models = list(CORE_MODELS)
    for name in sorted(kernel.plugins.active - {"core"}):
        models += [rt.model for _, rt in kernel.plugins.collect("register_record_types",
                                                                only=[name])]
        models += [m for _, m in kernel.plugins.collect("register_models", only=[name])]
    with kernel.bound():
        diff = kernel.migrations.drift(list(dict.fromkeys(models)))
    if not diff:
        click.echo("the tables match the models")
        return
    click.echo("the tables differ from the models:")
    for line in str(diff).splitlines():
        click.echo(f"  {line}")
    raise SystemExit(1)
