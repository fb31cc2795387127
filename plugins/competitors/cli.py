"""``accord competitors …``: the competitors plugin's commands (thin: reports.py does
the work)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Sequence

import click

from accord.money import Money

from .reports import winloss as winloss_rows

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["winloss"]



@click.command()
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), metavar="DATE",
              help="Only deals closed on or after this day (YYYY-MM-DD; default: all).")
@click.pass_obj
def winloss(state: Any, since: dt.datetime | None) -> None:
    """Contested deals won and lost against each competitor, and the revenue lost."""
    kernel: Accord = state.kernel()
    rows = winloss_rows(kernel, since.date() if since else None)
    if not rows:
        click.echo("No contested deal was closed" + (f" since {since:%Y-%m-%d}." if since
                                                      else "."))
        return
    _table(["COMPETITOR", "DEALS", "WON", "LOST", "WIN RATE", "REVENUE LOST"],
           [[r.name, str(r.deals), str(r.won), str(r.lost),
             "" if r.win_rate is None else f"{r.win_rate}%", _amounts(r.revenue_lost)]
            for r in rows], right=(1, 2, 3, 4, 5))


def _amounts(amounts: dict[str, Decimal]) -> str:
    """``12,500.00 EUR``; several currencies are listed apart, never added up."""
    if not amounts:
        return "-"
    return " + ".join(str(Money(amount, code)) for code, amount in sorted(amounts.items()))


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]],
           right: Sequence[int] = ()) -> None:
    cells = [list(headers), *[list(r) for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        click.echo("  ".join(v.rjust(w) if i in right else v.ljust(w)
                             for i, (v, w) in enumerate(zip(row, widths))).rstrip())
        if index == 0:
            click.echo("  ".join("-" * w for w in widths))
