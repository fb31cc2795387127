"""``accord acme_fees …``: the plugin's commands (thin: they call services)."""

from __future__ import annotations

from typing import Any

import click

from accord.money import Money
from accord.query import find
from accord.services import Actor
from accord.services.actions import run_action

FEE = "acme_fees.fee"


@click.command("open")
@click.pass_obj
def open_fees(state: Any) -> None:
    """The open fees, the first due first."""
    kernel = state.kernel()  # started on first use, closed when the command ends
    for fee in find(kernel, FEE, {"status": "open"}, sort=["due_on"]):
        amount = Money(fee.amount, fee.amount_currency)
        click.echo(f"{fee.id}  due {fee.due_on}  {amount}  {fee.treatment}")


@click.command()
@click.argument("fee_id", type=int)
@click.option("--by", "paid_by", type=click.Choice(["patient", "insurer"]),
              default="patient", show_default=True)
@click.pass_obj
def pay(state: Any, fee_id: int, paid_by: str) -> None:
    """Record that fee FEE_ID is paid."""
    # The same service the API's POST /api/v1/acme_fees/fees/<id>/pay calls.
    fee = run_action(state.kernel(), FEE, fee_id, "pay", {"paid_by": paid_by},
                     actor=Actor.system("cli"))
    click.echo(f"fee {fee.id} paid by the {fee.paid_by}")
