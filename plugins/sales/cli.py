"""``accord sales …``: the sales plugin's commands (thin: reports.py does the work)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Sequence

import click

from accord.money import Money

from .reports import pipeline_totals

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["pipeline"]


def _kernel() -> Accord:
    """The kernel of the running ``accord`` command (started on first use)."""
    state: Any = click.get_current_context().find_root().obj
    return state.kernel()  # type: ignore[no-any-return]


@click.command()
@click.option("--pipeline", "name", metavar="NAME",
              help="Only this pipeline (default: every pipeline).")
def pipeline(name: str | None) -> None:
    """Each stage with the number and the total amount of its opportunities."""
    kernel = _kernel()
    currency = kernel.settings("sales")["currency"]
    for index, totals in enumerate(pipeline_totals(kernel, name)):
        if index:
            click.echo("")
        click.echo(f"Pipeline {totals.name}")
        rows = [[s.name, s.kind, "" if s.probability is None else f"{s.probability}%",
                 str(s.count), _amounts(s.amounts, currency)] for s in totals.stages]
        rows.append(["Open", "", "", str(totals.open_count),
                     _amounts(totals.open_amounts, currency)])
        _table(["STAGE", "KIND", "PROBABILITY", "OPPORTUNITIES", "AMOUNT"], rows,
               right=(2, 3, 4))


def _amounts(amounts: dict[str, Decimal], currency: str) -> str:
    """``12,500.00 EUR``; several currencies are listed apart, never added up."""
    if not amounts:
        return str(Money(Decimal(0), currency))
    return " + ".join(str(Money(amount, code)) for code, amount in sorted(amounts.items()))


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]],
           right: Sequence[int] = ()) -> None:
    cells = [list(headers), *[list(r) for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if i in right else v.ljust(w)
                         for i, (v, w) in enumerate(zip(row, widths))).rstrip()

    click.echo(line(cells[0]))
    click.echo("  ".join("-" * w for w in widths))
    for row in cells[1:-1]:
        click.echo(line(row))
    click.echo("  ".join("-" * w for w in widths))
    click.echo(line(cells[-1]))
