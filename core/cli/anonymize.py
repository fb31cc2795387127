"""``accord anonymize``: erase one person's personal data, or pseudonymize the whole
database for a copy handed to a test team (``accord.services.anonymize``)."""

from __future__ import annotations

from typing import Any

import click

from ._context import CliState, actor, pass_state


@click.command()
@click.argument("record_type", metavar="TYPE", required=False)
@click.argument("record_id", metavar="ID", type=int, required=False)
@click.option("--all", "everything", is_flag=True,
              help="Pseudonymize every personal field of every record (a test copy).")
@click.option("--include-users", is_flag=True,
              help="With --all: users' names and emails too (admins keep theirs).")
@click.option("--dry-run", is_flag=True, help="Show what would be erased; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def anonymize(state: CliState, record_type: str | None, record_id: int | None,
              everything: bool, include_users: bool, dry_run: bool, yes: bool) -> None:
    """Erase the personal data of record TYPE ID (accord anonymize contact 12), or
    pseudonymize the whole database with --all.

    Erasing replaces the person's names, email, phones, address and custom fields
    marked personal, and the copies other records keep (a lead's email), with
    placeholders; scrubs them from the audit trail and the outbox; and writes one audit
    entry naming the fields. Nothing is deleted: counts, amounts and dates stay, so
    every metric reads the same. --all does the same to every record with pseudonyms
    (Contact 12, one address for one old address) for a copy of the database; never
    run it on the database you work with.
    """
    from ..services.anonymize import erase, preview, pseudonymize

    if everything:
        if record_type or record_id is not None:
            raise click.ClickException("give either TYPE ID or --all, not both")
        _everything(state, pseudonymize, include_users, dry_run, yes)
        return
    if include_users:
        raise click.ClickException("--include-users goes with --all")
    if record_type is None or record_id is None:
        raise click.ClickException("give the record to erase (accord anonymize contact 12) "
                                   "or --all")
    kernel = state.kernel()
    records = preview(kernel, record_type, record_id, actor=actor())
    click.echo(f"to erase: {len(records)} record{'s' if len(records) != 1 else ''}")
    for record in records:
        click.echo(f"  {record.record_type} {record.id}: {', '.join(record.fields)}")
    if dry_run:
        return
    if not yes:
        click.confirm(f"Erase the personal data of {record_type} {record_id}? "
                      "This cannot be undone", abort=True)
    report = erase(kernel, record_type, record_id, actor=actor())
    click.echo(f"erased {record_type} {record_id}: {len(report.records)} records, "
               f"{sum(report.other.values())} other rows, "
               f"{report.audit_scrubbed} audit entries and {report.outbox_scrubbed} outbox "
               "messages scrubbed")


def _everything(state: CliState, pseudonymize: Any, include_users: bool, dry_run: bool,
                yes: bool) -> None:
    kernel = state.kernel()
    if dry_run:
        from ..services.anonymize import PERSON_NAMES

        for rt in sorted(kernel.records, key=lambda t: t.name):
            names = tuple(dict.fromkeys((*PERSON_NAMES.get(rt.name, ()),
                                         *kernel.personal_fields(rt))))
            if names and (rt.name != "user" or include_users):
                click.echo(f"  {rt.name}: {', '.join(names)}")
        return
    if not yes:
        click.confirm("Pseudonymize every person in this database? Do this only on a "
                      "copy; it cannot be undone", abort=True)
    done: dict[str, int] = {}

    def progress(name: str, count: int) -> None:
        done[name] = done.get(name, 0) + count

    report = pseudonymize(kernel, actor=actor(), include_users=include_users,
                          progress=progress)
    for name, count in sorted(done.items()):
        click.echo(f"  {name}: {count} records read")
    click.echo(f"pseudonymized {len(report.records)} records, "
               f"{sum(report.other.values())} other rows; {report.audit_scrubbed} audit "
               f"entries and {report.outbox_scrubbed} outbox messages scrubbed")
