"""The competitors widgets of the dashboard (``dashboard_widgets``): win/loss by
competitor over the dashboard's range.

Closed deals count on the day they were closed and by their owner and team when they
were closed (as the plugin's metrics count them); the reader's record rule for
opportunities applies to the same owner and team (``accord.metrics.rule_condition``),
which also refuses an owner or team filter outside it.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import peewee

from accord.metrics import MetricQuery, compute, reading, rule_condition
from accord.pages import Series, Widget
from accord.rates import base_currency

from .models import Competitor, Involvement, Outcome
from .reports import percent
from .rules import COMPETITOR, OPPORTUNITY

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

__all__ = ["competitors_widgets", "winloss_counts"]


def competitors_widgets(kernel: Accord, actor: Actor, query: MetricQuery) -> list[Widget]:
    """Win/loss by competitor, for a reader of competitors and opportunities."""
    if not (actor.can(f"{COMPETITOR}.read") and actor.can(f"{OPPORTUNITY}.read")):
        return []
    counts = winloss_counts(kernel, query)
    base = base_currency(kernel)
    lost = {p.group: p for p in compute(kernel, "competitors.revenue_lost",
                                        dataclasses.replace(query, by="total"))}
    names = sorted(counts)
    rows = []
    for name in names:
        won, lost_deals = counts[name]
        rate = percent(won, won + lost_deals)
        amount = lost[name].value if name in lost else Decimal("0.00")
        rows.append((name, won, lost_deals,
                     "" if rate is None else f"{format(rate.normalize(), 'f')} %",
                     f"{amount:,.2f} {base}"))
    note = "Contested deals closed in the range, by the competitor they were contested by."
    left = {m.currency: m.amount for p in lost.values() for m in p.unconverted}
    if any(left.values()):
        note += " Revenue lost leaves out, for want of an exchange rate: " + ", ".join(
            f"{amount:,.2f} {code}" for code, amount in sorted(left.items()) if amount) + "."
    return [Widget("Win/loss by competitor", "bars", labels=tuple(names),
                   series=(Series("Won", tuple(counts[n][0] for n in names)),
                           Series("Lost", tuple(counts[n][1] for n in names))),
                   order=60, note=note, link=f"/records/{COMPETITOR}"),
            Widget("Win rate against competitors", "table",
                   columns=("Competitor", "Won", "Lost", "Win rate", "Revenue lost"),
                   rows=tuple(rows), order=61)]


def winloss_counts(kernel: Accord, query: MetricQuery) -> dict[str, tuple[int, int]]:
    """Per competitor name: the contested deals won and lost, closed in the range, of
    the owner and team asked for, that the reader's rule for opportunities reaches."""
    reading(query, COMPETITOR)
    won = peewee.fn.SUM(peewee.Case(None, [(Outcome.result == "won", 1)], 0))
    lost = peewee.fn.SUM(peewee.Case(None, [(Outcome.result == "lost", 1)], 0))
    rows: Any = (Involvement.select(Competitor.name, won, lost)
                 .join(Outcome, on=(Outcome.opportunity_id == Involvement.opportunity_id))
                 .join(Competitor, on=(Competitor.id == Involvement.competitor))
                 .where(Outcome.closed_at >= query.start_at,
                        Outcome.closed_at < query.end_exclusive)
                 .group_by(Competitor.id, Competitor.name))
    if query.owner_id is not None:
        rows = rows.where(Outcome.owner_id == query.owner_id)
    if query.team_id is not None:
        rows = rows.where(Outcome.team_id == query.team_id)
    condition = rule_condition(query, OPPORTUNITY, Outcome.owner_id, Outcome.team_id)
    if condition is not None:
        rows = rows.where(condition)
    out: dict[str, tuple[int, int]] = {}
    with kernel.bound():
        for name, wins, losses in rows.tuples():
            # Two competitors of one name add up: the table shows names.
            before = out.get(name, (0, 0))
            out[name] = (before[0] + int(wins or 0), before[1] + int(losses or 0))
    return out
