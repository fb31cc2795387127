"""``accord rates …``: the exchange rates money metrics convert with (accord.rates)."""

from __future__ import annotations

import datetime as dt

import click

from ._context import CliState, actor, pass_state, table

_DAY = click.DateTime(["%Y-%m-%d"])


@click.group()
def rates() -> None:
    """Exchange rates into the base currency: set, list, delete, fetch.

    A rate holds from its day until a later one: 'accord rates set EUR USD 1.08 --date
    2026-12-01' says one euro is worth 1.08 dollars from December 1st. Money metrics
    convert each amount with the latest rate on or before its day (either way round).
    """


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


@rates.command("set")
@click.argument("currency")
@click.argument("quote")
@click.argument("rate")
@click.option("--date", "day", type=_DAY, help="The first day it holds (default: today, UTC).")
@pass_state
def set_rate(state: CliState, currency: str, quote: str, rate: str,
             day: dt.datetime | None) -> None:
    """1 CURRENCY is worth RATE QUOTE from --date on (replaces a rate of that day)."""
    from ..rates import format_rate
    from ..services.rates import set_rate as store

    when = _day(day) or dt.datetime.now(dt.timezone.utc).date()
    info = store(state.kernel(), currency, quote, rate, day=when, actor=actor())
    click.echo(f"{'set' if info.created else 'replaced'}: 1 {info.currency} = "
               f"{format_rate(info.rate)} {info.quote} from {info.day}")


@rates.command("list")
@click.option("--currency", help="Only rates of this currency (either side of the pair).")
@click.option("--quote", help="Only rates into this currency.")
@click.option("--from", "start", type=_DAY, help="From this day.")
@click.option("--to", "end", type=_DAY, help="To this day.")
@pass_state
def list_rates(state: CliState, currency: str | None, quote: str | None,
               start: dt.datetime | None, end: dt.datetime | None) -> None:
    """The stored rates by pair and day, and the base currency they convert into."""
    from ..rates import base_currency, format_rate
    from ..services.rates import list_rates as stored

    kernel = state.kernel()
    page = stored(kernel, actor=actor(), currency=currency, quote=quote, start=_day(start),
                  end=_day(end), limit=None)
    click.echo(f"base currency: {base_currency(kernel)}")
    if not page.items:
        click.echo("no exchange rates (set one with 'accord rates set CURRENCY QUOTE RATE')")
        return
    rows = sorted(page.items, key=lambda r: (r.currency, r.quote, r.day))
    table(["CURRENCY", "QUOTE", "DATE", "RATE", "SOURCE"],
          [[r.currency, r.quote, r.day, format_rate(r.rate), r.source] for r in rows])


@rates.command("delete")
@click.argument("currency")
@click.argument("quote")
@click.option("--date", "day", type=_DAY, required=True, help="The day of the rate.")
@pass_state
def delete_rate(state: CliState, currency: str, quote: str, day: dt.datetime) -> None:
    """Delete the rate of CURRENCY in QUOTE of --date."""
    from ..rates import format_rate
    from ..services.rates import delete_rate as remove

    info = remove(state.kernel(), currency, quote, day=day.date(), actor=actor())
    click.echo(f"deleted: 1 {info.currency} = {format_rate(info.rate)} {info.quote} from "
               f"{info.day}")


@rates.command("fetch")
@click.argument("currencies", nargs=-1)
@click.option("--date", "day", type=_DAY, help="The day to fetch (default: today, UTC).")
@pass_state
def fetch(state: CliState, currencies: tuple[str, ...], day: dt.datetime | None) -> None:
    """Ask the rates-provider plugins for CURRENCIES against the base currency (default:
    every currency that has a rate against it) and store what they give."""
    from ..rates import format_rate
    from ..services.rates import fetch_rates

    found = fetch_rates(state.kernel(), actor=actor(), day=_day(day),
                        currencies=list(currencies) or None)
    if not found:
        click.echo("the providers gave no rates")
        return
    table(["CURRENCY", "QUOTE", "DATE", "RATE", "SOURCE"],
          [[r.currency, r.quote, r.day, format_rate(r.rate), r.source] for r in found])
