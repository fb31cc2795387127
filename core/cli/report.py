"""``accord report``: one metric over a date range."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from ._context import CliState, actor, pass_state, table


@click.command()
@click.argument("metric", required=False)
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]),
              help="First day (default: the first of the month, eleven months ago).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (default: today).")
@click.option("--by", type=click.Choice(["month", "total"]), default="month", show_default=True)
@click.option("--owner", help="Only records of this user (id or email).")
@click.option("--team", help="Only records of this team (id or name).")
@pass_state
def report(state: CliState, metric: str | None, start: dt.datetime | None,
           end: dt.datetime | None, by: str, owner: str | None, team: str | None) -> None:
    """Compute METRIC; without one, list the metrics of the enabled plugins."""
    from ..metrics import catalog, metric_query
    from ..metrics import report as compute_report
    from ..services.assignment import find_team, find_user

    kernel = state.kernel()
    if metric is None:
        rows = [[name, plugin, m.unit, m.description]
                for name, (plugin, m) in sorted(catalog(kernel, actor=actor()).items())]
        table(["METRIC", "PLUGIN", "UNIT", "DESCRIPTION"], rows)
        return
    # The same bounds as the API's (dates, at most MAX_MONTHS months), same messages.
    query = metric_query(start=start.date() if start else None,
                         end=end.date() if end else None, by=by,
                         owner_id=find_user(kernel, owner).id if owner else None,
                         team_id=find_team(kernel, team).id if team else None)
    definition, points = compute_report(kernel, metric, query, actor=actor())
    unit = definition.unit
    if unit == "currency":
        from ..rates import base_currency

        unit = f"currency: {base_currency(kernel)}"
    click.echo(f"{metric}: {definition.description} ({unit}), {query.start} to {query.end}")
    if definition.group_by:
        table([definition.group_by.upper(), "PERIOD", "VALUE"],
              [[p.group, p.period, p.value] for p in points])
    else:
        table(["PERIOD", "VALUE"], [[p.period, p.value] for p in points])
    _unconverted(kernel, points)
    from .goals import report_goals

    report_goals(kernel, metric, query)  # the metric's goals: attainment and pace


def _unconverted(kernel: Any, points: list[Any]) -> None:
    """The amounts a figure leaves out for want of an exchange rate, one line each."""
    from ..rates import base_currency

    left = [p for p in points if p.unconverted]
    if not left:
        return
    base = base_currency(kernel)
    click.echo(f"Left out of the values above, with no exchange rate to {base} on or "
               f"before their day ('accord rates set CURRENCY {base} RATE --date DAY'):")
    for point in left:
        where = f"{point.group}, {point.period}" if point.group else point.period
        click.echo(f"  {where}: {' + '.join(str(m) for m in point.unconverted)}")
