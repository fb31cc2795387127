"""``accord sales …``: the sales plugin's commands (thin: reports.py and forecast.py do
the work)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Sequence

import click

from accord.money import Money

from .forecast import FORECAST_GROUPS, MAX_MONTHS, ForecastRow
from .forecast import forecast as compute_forecast
from .reports import pipeline_totals

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["pipeline", "forecast"]



@click.command()
@click.option("--pipeline", "name", metavar="NAME",
              help="Only this pipeline (default: every pipeline).")
@click.pass_obj
def pipeline(state: Any, name: str | None) -> None:
    """Each stage with the number and the total amount of its opportunities."""
    kernel: Accord = state.kernel()
    currency = kernel.settings("sales")["currency"]
    for index, totals in enumerate(pipeline_totals(kernel, name)):
        if index:
            click.echo("")
        click.echo(f"Pipeline {totals.name}")
        rows = [[s.name, s.kind, "" if s.probability is None else f"{s.probability}%",
                 str(s.count), _amounts(s.amounts, currency)] for s in totals.stages]
        footer = [["Open", "", "", str(totals.open_count),
                   _amounts(totals.open_amounts, currency)]]
        _table(["STAGE", "KIND", "PROBABILITY", "OPPORTUNITIES", "AMOUNT"], rows,
               right=(2, 3, 4), footer=footer)


@click.command()
@click.option("--months", type=click.IntRange(1, MAX_MONTHS), default=6, show_default=True,
              help="How many months.")
@click.option("--by", type=click.Choice(FORECAST_GROUPS),
              help="One line per owner, team or pipeline and month.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m"]), metavar="YYYY-MM",
              help="The first month (default: the current month).")
@click.pass_obj
def forecast(state: Any, months: int, by: str | None, start: dt.datetime | None) -> None:
    """Weighted pipeline, committed, best case and won per month of expected close,
    and the product demand, in the base currency (amounts without an exchange rate
    shown apart, in their own currency)."""
    kernel: Accord = state.kernel()
    result = compute_forecast(kernel, months, start.date() if start else None, by)
    currency = result.base_currency
    click.echo(f"Forecast {result.months[0]} to {result.months[-1]} (committed: probability "
               f"{result.commit_probability}% or more)")
    lead = [by.upper()] if by else []

    def cells(row: ForecastRow, *first: str) -> list[str]:
        return [*first, str(row.opportunities),
                *(_amounts(a, currency) for a in (row.weighted, row.committed, row.best_case,
                                                  row.won))]

    rows = [cells(r, *([r.group or ""] if by else []), r.month) for r in result.rows]
    footer = [cells(result.total(), "Total", *([""] if by else []))]
    footer += [cells(r, *([r.group or ""] if by else []), "undated") for r in result.undated]
    headers = [*lead, "MONTH", "OPEN", "WEIGHTED", "COMMITTED", "BEST CASE", "WON"]
    first_number = len(lead) + 1
    _table(headers, rows, right=range(first_number, len(headers)), footer=footer)
    click.echo("")
    first, last = result.run_rate_months
    click.echo(f"Product demand: weighted pipeline (open quotes) + monthly order run-rate "
               f"(average of {first} to {last})")
    if not result.demand:
        click.echo("No open quotes with products, no orders in those months.")
    else:
        demand = [[d.month, d.sku, d.name, _units(d.pipeline_units), _units(d.run_rate_units),
                   _units(d.units), _amounts(d.value, currency)] for d in result.demand]
        _table(["MONTH", "SKU", "PRODUCT", "PIPELINE UNITS", "RUN-RATE UNITS", "UNITS",
                "VALUE"], demand, right=(3, 4, 5, 6))
    _unconverted(result, currency)


def _unconverted(result: Any, base: str) -> None:
    """One line naming the currencies shown apart for want of an exchange rate."""
    figures = [*result.rows, *result.undated]
    amounts = [a for r in figures for a in (r.weighted, r.committed, r.best_case, r.won)]
    amounts += [d.value for d in result.demand]
    codes = sorted({code for a in amounts for code in a if code != base})
    if codes:
        click.echo("")
        click.echo(f"Not converted to {base} (no exchange rate on or before their day): the "
                   f"amounts in {', '.join(codes)}, shown apart ('accord rates set "
                   f"{codes[0]} {base} RATE --date DAY').")


def _units(units: Decimal) -> str:
    return f"{units:,.2f}"


def _amounts(amounts: dict[str, Decimal], currency: str) -> str:
    """``12,500.00 EUR``; several currencies are listed apart, never added up."""
    if not amounts:
        return str(Money(Decimal(0), currency))
    return " + ".join(str(Money(amount, code)) for code, amount in sorted(amounts.items()))


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]],
           right: Sequence[int] = (), footer: Sequence[Sequence[str]] = ()) -> None:
    """Aligned columns under a ruled header; ``footer`` rows (totals) below a rule."""
    cells = [list(headers), *[list(r) for r in rows], *[list(r) for r in footer]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if i in right else v.ljust(w)
                         for i, (v, w) in enumerate(zip(row, widths))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    click.echo(line(cells[0]))
    click.echo(rule)
    for row in cells[1:len(rows) + 1]:
        click.echo(line(row))
    if footer:
        click.echo(rule)
        for row in cells[len(rows) + 1:]:
            click.echo(line(row))
