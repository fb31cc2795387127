"""``accord fields …``: custom fields of any record type."""

from __future__ import annotations

import click

from ..config import FIELD_KINDS
from ._context import CliState, actor, pass_state, table


@click.group()
def fields() -> None:
    """List, add and remove custom fields."""


@fields.command("list")
@click.argument("record_type", required=False)
@pass_state
def list_fields(state: CliState, record_type: str | None) -> None:
    """Custom fields of one record type, or of all."""
    from ..services.fields import list_fields as fields_of

    rows = []
    for f in fields_of(state.kernel(), actor=actor(), record_type=record_type):
        flags = [x for x, on in (("required", f.required), ("indexed", f.indexed),
                                 ("personal", f.personal)) if on]
        rows.append([f.record_type, f.name, f.kind, ",".join(f.choices or ()) or "-",
                     " ".join(flags) or "-", f.source])
    if not rows:
        click.echo("no custom fields" + (f" on {record_type}" if record_type else ""))
        return
    table(["TYPE", "FIELD", "KIND", "CHOICES", "FLAGS", "DEFINED IN"], rows)


@fields.command("add")
@click.argument("record_type")
@click.argument("name")
@click.argument("kind", type=click.Choice(FIELD_KINDS))
@click.option("--choices", help="Comma-separated choices (choice and multi_choice).")
@click.option("--label", help="Label shown to users.")
@click.option("--required", is_flag=True, help="Every new record must have a value.")
@click.option("--indexed", is_flag=True, help="Index the values for fast filters and sorts.")
@click.option("--personal", is_flag=True, help="Holds personal data (masked for some roles).")
@click.option("--discard-values", is_flag=True,
              help="Remove values of an earlier field of that name that KIND cannot hold "
                   "(each record's history keeps them).")
@pass_state
def add(state: CliState, record_type: str, name: str, kind: str, choices: str | None,
        label: str | None, required: bool, indexed: bool, personal: bool,
        discard_values: bool) -> None:
    """Add a custom field NAME (starting with x_) of KIND to RECORD_TYPE."""
    from ..services.fields import add_field

    parsed = [c.strip() for c in choices.split(",")] if choices is not None else None
    field = add_field(state.kernel(), record_type, name, kind, actor=actor(), label=label,
                      required=required, choices=parsed, indexed=indexed, personal=personal,
                      discard_values=discard_values)
    click.echo(f"added {record_type}.{field.name} ({field.kind})")


@fields.command("remove")
@click.argument("record_type")
@click.argument("name")
@pass_state
def remove(state: CliState, record_type: str, name: str) -> None:
    """Remove a custom field; stored values are kept and return if it is added again."""
    from ..services.fields import remove_field

    remove_field(state.kernel(), record_type, name, actor=actor())
    click.echo(f"removed {record_type}.{name} (stored values are kept)")
