"""Goals: a target value for a metric over a period, for a user, a team or the firm.

A goal is an owned record so that record rules reach it through its scope: a user's
goal is owned by that user (``owner``), a team's goal belongs to that team (``team``),
and a firm goal has neither, so only a rule of ``all`` reaches it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from .base import BaseModel
from .people import OwnedRecord

__all__ = ["Goal", "GoalAlert", "GOAL_SCOPES", "GOAL_DIRECTIONS"]

#: Whom a goal is for: one user (its owner), one team, or the whole firm.
GOAL_SCOPES = ("user", "team", "firm")
#: Whether the metric should reach the target or stay under it (a sales cycle in days).
GOAL_DIRECTIONS = ("at_least", "at_most")


class Goal(OwnedRecord):
    """``metric`` (and, for a broken-down metric, ``group_value``) should reach
    ``target`` over ``period_start``..``period_end`` (``period`` as it was given)."""

    metric = peewee.CharField(max_length=200, index=True)
    group_value = peewee.CharField(max_length=200, null=True)
    period = peewee.CharField(max_length=30)
    period_start = peewee.DateField(index=True)
    period_end = peewee.DateField(index=True)
    scope = peewee.CharField(max_length=10, index=True)
    target = peewee.DecimalField(max_digits=18, decimal_places=4, auto_round=True)
    direction = peewee.CharField(max_length=10, default="at_least")

    class Meta:
        table_name = "accord_goal"


class GoalAlert(BaseModel):
    """A goal the pace job found behind (and announced): the job's memory, so the
    ``goal-behind`` signal fires once per fall behind. The row goes when the goal is
    back on pace, its period is over, or the goal is deleted."""

    goal = peewee.ForeignKeyField(Goal, unique=True, on_delete="CASCADE")
    #: The day the job first found the goal behind.
    behind_since = peewee.DateField()
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]
        goal_id: peewee.ForeignKeyField[int]

    class Meta:
        table_name = "accord_goal_alert"
