"""Win/loss: the opportunities closed as won or lost in a date range, counted and added
up by month of closing, owner, reason or pipeline (``GET /api/v1/sales/win-loss``).

One grouped query whatever the number of opportunities (and one reading the exchange
rates when amounts are in other currencies). Only what the reader's record rule reaches
counts (``accord.metrics.scoped``, as the sales metrics do), and an owner filter outside
it is refused naming ``owner_id``. Values are in the base currency, each amount
converted on its closing day; what has no rate is listed apart, never dropped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import peewee

from accord.errors import ValidationError
from accord.metrics import (MoneySum, month_expr, metric_query, months_between, round_money,
                            scoped)
from accord.models import User
from accord.money import Money
from accord.rates import Converted

from .forecast import stage_condition
from .models import Opportunity
from .rules import OPPORTUNITY

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

__all__ = ["WinLoss", "WinLossRow", "win_loss", "WIN_LOSS_GROUPS", "NONE"]

#: What ``win_loss(by=...)`` groups by.
WIN_LOSS_GROUPS = ("month", "owner", "reason", "pipeline", "total")
#: The group of deals without an owner, or closed without a reason.
NONE = "(none)"
_PERCENT = Decimal("0.01")


@dataclass
class WinLossRow:
    """One group: the deals won and lost, their amounts in the base currency (rounded
    to its minor unit) and what had no exchange rate, per currency."""

    group: str
    won: int = 0
    lost: int = 0
    won_value: Decimal = Decimal("0.00")
    lost_value: Decimal = Decimal("0.00")
    won_unconverted: tuple[Money, ...] = ()
    lost_unconverted: tuple[Money, ...] = ()

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> Decimal | None:
        """Won among the closed deals in percent, to two places; None without any."""
        if not self.closed:
            return None
        return (Decimal(self.won) * 100 / self.closed).quantize(_PERCENT,
                                                                 rounding=ROUND_HALF_UP)


@dataclass
class WinLoss:
    start: dt.date
    end: dt.date
    by: str
    base_currency: str
    rows: list[WinLossRow]
    total: WinLossRow = field(default_factory=lambda: WinLossRow("total"))


def _group(kernel: Accord, by: str, query: Any) -> tuple[Any, Any]:
    O = Opportunity
    if by == "month":
        return query, month_expr(kernel, O.closed_at)
    if by == "owner":
        query = query.join(User, peewee.JOIN.LEFT_OUTER, on=(O.owner == User.id))
        return query, peewee.fn.COALESCE(User.email, NONE)
    if by == "reason":
        won = stage_condition(kernel, "won")
        reason = peewee.Case(None, [(won, O.win_reason)], O.loss_reason)
        return query, peewee.fn.COALESCE(reason, NONE)
    if by == "pipeline":
        return query, O.pipeline
    # A bare literal in GROUP BY is refused by PostgreSQL ("non-integer constant").
    return query, peewee.Cast(peewee.Value("total"), "TEXT")


def win_loss(kernel: Accord, *, actor: Actor, start: dt.date | None = None,
             end: dt.date | None = None, by: str = "month",
             owner_id: int | None = None) -> WinLoss:
    """The deals closed (``closed_at``) from ``start`` to ``end`` (default: a year of
    whole months up to today) that ``actor`` may read, won and lost, by ``by``; with
    ``owner_id``, that user's only. ``by=month`` gives every month of the range."""
    if by not in WIN_LOSS_GROUPS:
        raise ValidationError({"by": [f"group by {', '.join(WIN_LOSS_GROUPS)}, not {by!r}"]})
    mq = metric_query(start=start, end=end, by="total", owner_id=owner_id)
    if actor.restricted:
        mq = dataclasses.replace(mq, reader=actor)
    O = Opportunity
    won = stage_condition(kernel, "won")
    result = peewee.Case(None, [(won, "won")], "lost").coerce(False)
    sums = MoneySum(kernel, O.amount, O.amount_currency, O.closed_at)
    with kernel.bound():
        query, group = _group(kernel, by, O.select())
        query = (query.select(group, result, peewee.fn.COUNT(O.id), *sums.columns)
                 .where(stage_condition(kernel, "won", "lost"), O.closed_at >= mq.start_at,
                        O.closed_at < mq.end_exclusive)
                 .group_by(group, result, *sums.keys))
        counts: dict[tuple[str, str], int] = {}
        for name, outcome, count, currency, day, value in scoped(
                query, O, mq, record_type=OPPORTUNITY).tuples():
            key = (str(name), str(outcome))
            counts[key] = counts.get(key, 0) + int(count)
            sums.add(key, currency, day, value)
        figures = sums.result()
    names = sorted({name for name, _ in counts})
    if by == "month":
        names = months_between(mq.start, mq.end)
    rows = [_row(name, counts, figures, sums.base) for name in names]
    total = WinLossRow("total")
    every: dict[str, Converted] = {"won": Converted(), "lost": Converted()}
    for (_, outcome), figure in figures.items():
        every[outcome].add(figure)
    for row in rows:
        total.won += row.won
        total.lost += row.lost
    total.won_value = round_money(every["won"].amount, sums.base)
    total.lost_value = round_money(every["lost"].amount, sums.base)
    total.won_unconverted = every["won"].left_out()
    total.lost_unconverted = every["lost"].left_out()
    return WinLoss(mq.start, mq.end, by, sums.base, rows, total)


def _row(name: str, counts: dict[tuple[str, str], int], figures: dict[Any, Converted],
         base: str) -> WinLossRow:
    won, lost = figures.get((name, "won"), Converted()), figures.get((name, "lost"),
                                                                     Converted())
    return WinLossRow(name, counts.get((name, "won"), 0), counts.get((name, "lost"), 0),
                      round_money(won.amount, base), round_money(lost.amount, base),
                      won.left_out(), lost.left_out())
