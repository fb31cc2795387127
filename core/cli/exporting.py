"""``accord export TYPE FILE``: a list of records written to CSV or XLSX
(``accord.services.exporting``)."""

from __future__ import annotations

import os
from typing import Any

import click

from ._context import CliState, actor, pass_state


@click.command()
@click.argument("record_type", metavar="TYPE")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, writable=True))
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]),
              help="The file's format (default: from FILE's extension).")
@click.option("--filter", "filters", multiple=True, metavar="FIELD=VALUE",
              help="A filter as the API's lists take it (x_tier=gold, amount__gte=1000); "
                   "repeat for more.")
@click.option("--q", "q", metavar="TEXT", help="Text search, as the list's ?q=.")
@click.option("--sort", metavar="FIELDS", help="Sort fields, - for descending (-created_at).")
@click.option("--fields", metavar="A,B", help="Only these fields (default: every field).")
@click.option("--as", "as_user", metavar="EMAIL",
              help="Export as this user: their permission, record rules and masking.")
@pass_state
def export(state: CliState, record_type: str, path: str, fmt: str | None,
           filters: tuple[str, ...], q: str | None, sort: str | None, fields: str | None,
           as_user: str | None) -> None:
    """Write the records of TYPE (contact, acme_dental.appointment…) to FILE, .csv or .xlsx.

    The header holds the field names, so 'accord import TYPE FILE' reads the file back;
    a money field is two columns (amount, amount_currency). Without --as the export
    holds everything (the command line acts as the system); with --as it holds what
    that user's list would show, personal data masked for who may not read it.
    """
    from ..errors import BadQuery, ValidationError
    from ..services.assignment import find_user
    from ..services.authz import actor_for
    from ..services.exporting import export_to_file, format_of, prepare

    kernel = state.kernel()
    try:
        chosen = format_of(path, fmt)
    except ValidationError as exc:
        raise click.ClickException(exc.flat()["format"][0]) from None
    who: Any = actor()
    if as_user:
        user = find_user(kernel, as_user)
        who = actor_for(kernel, user)
    parsed: dict[str, Any] = {}
    for raw in filters:
        name, sep, value = raw.partition("=")
        if not sep or not name.strip():
            raise click.ClickException(f"--filter {raw!r}: give FIELD=VALUE")
        parsed[name.strip()] = value
    rt = kernel.records.get(record_type)
    try:
        export = prepare(kernel, rt, actor=who, filters=parsed, q=q, sort=sort,
                         fields=fields)
    except BadQuery as exc:
        problems = "; ".join(f"{field}: {message}" for field, messages in exc.flat().items()
                             for message in messages)
        raise click.ClickException(f"{exc.detail}: {problems}") from None
    partial = f"{path}.partial"
    try:
        count = export_to_file(export, partial, chosen)
        os.replace(partial, path)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    click.echo(f"exported {count} {rt.name} record{'s' if count != 1 else ''} to {path}")
