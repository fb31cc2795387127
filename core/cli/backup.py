"""``accord backup FILE`` and ``accord restore FILE``: the whole database to an archive
and back, on either engine (the way to move between SQLite and PostgreSQL)."""

from __future__ import annotations

import sys
from typing import Any

import click

from ._context import CliState, actor, pass_state


class _Bar:
    """The services' progress, as a tqdm bar of rows on stderr."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.bar: Any = None

    def start(self, total: int) -> None:
        from tqdm import tqdm  # type: ignore[import-untyped]

        self.bar = tqdm(total=total, unit=" rows", desc=self.what, file=sys.stderr,
                        leave=False, disable=None)

    def advance(self, rows: int) -> None:
        if self.bar is not None and rows:
            self.bar.update(rows)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@pass_state
def backup(state: CliState, file: str) -> None:
    """Write the whole database to a new archive FILE.

    Every table of the core and of every plugin (enabled, disabled or failed to
    load), each owner's applied migrations, custom fields, plugin states and
    settings, users and roles: read in one consistent snapshot, streamed. Restore it
    with 'accord restore FILE' into an empty database of either engine."""
    from ..services.backup import backup as run_backup

    kernel = state.kernel()
    bar = _Bar("backup")
    try:
        report = run_backup(kernel, file, actor=actor(), progress=bar)
    finally:
        bar.close()
    for table in report.skipped:
        click.echo(f"left out {table}: no owner's migration history names it", err=True)
    click.echo(f"backed up {report.rows} rows of {len(report.tables)} tables "
               f"({', '.join(report.owners)}) to {report.path}")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@pass_state
def restore(state: CliState, file: str) -> None:
    """Restore the archive FILE into the empty database of the configuration.

    Checks first that the archive's format is known and that the core and every
    plugin it holds are installed with its migrations; builds the tables with those
    migrations, inserts the rows, moves the id counters past them and checks every
    table against the archive. All or nothing: when anything fails, the database is
    left empty."""
    from ..services.restore import restore as run_restore

    bar = _Bar("restore")
    try:
        report = run_restore(state.config(), file, progress=bar)
    finally:
        bar.close()
    click.echo(f"restored {report.rows} rows of {len(report.tables)} tables from {file}")
    for owner, names in report.pending.items():
        click.echo(f"{owner}: {len(names)} newer {'migration' if len(names) == 1 else 'migrations'}"
                   f" installed ({', '.join(names)}); run 'accord db upgrade'")
