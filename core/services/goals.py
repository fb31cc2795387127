"""Goals at work: their progress as a reader may see it, setting one (create or change
the goal of a metric, period and scope), and the pace job that announces a goal falling
behind (signal ``goal-behind``), once per fall.

A goal's actual value is its metric over the goal's period, narrowed to the goal's user
or team (``MetricQuery.owner_id``/``team_id``) and, for a broken-down metric, to its
group: exactly what ``accord report METRIC --by total`` shows for the same range and
filter, so every plugin's metrics have goals without the plugin doing anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterable

from .. import signals
from ..errors import AccordError, ValidationError
from ..goals import Pace, adds_up, lock_goals, pace_of, parse_period
from ..metrics import METRICS_READ, MetricPoint, MetricQuery, compute, list_metrics
from ..models import Goal, GoalAlert, Team, User
from ..money import Money
from .actors import Actor
from .authz import permission_for, require, scoped
from .crud import create, update
from .paging import Page, newest_first

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["Progress", "GoalFilters", "goal_progress", "list_goals", "set_goal",
           "scope_labels", "check_pace", "pace_job", "PaceCheck"]


@dataclass(frozen=True)
class Progress:
    """A goal and where it stands on ``as_of``: its metric's ``actual`` value over the
    goal's period and its ``pace``; both None, with the ``problem`` said, when the
    metric is not available (its plugin is not running) or cannot be computed."""

    goal: Goal
    as_of: dt.date
    unit: str | None
    actual: Decimal | None
    pace: Pace | None
    problem: str | None = None
    #: Amounts the actual leaves out for want of an exchange rate (accord.rates).
    unconverted: tuple[Money, ...] = ()

    @property
    def state(self) -> str:
        """The pace's name (on_track, behind…), or ``unknown``."""
        return self.pace.pace if self.pace is not None else "unknown"


@dataclass(frozen=True)
class GoalFilters:
    """Which goals to show: of one metric, scope, user or team; whose period overlaps
    ``start``..``end``."""

    metric: str | None = None
    scope: str | None = None
    owner_id: int | None = None
    team_id: int | None = None
    start: dt.date | None = None
    end: dt.date | None = None


def _visible(kernel: Accord, actor: Actor, filters: GoalFilters) -> Any:
    """The goals ``actor`` may read that match: their progress is a metric's figures, so
    it needs ``core.metrics.read`` besides ``core.goal.read``; the rule on goals reaches
    them through their scope (the own user's, the teams' and teammates', all)."""
    record_type = kernel.records.get("goal")
    require(actor, METRICS_READ)
    require(actor, permission_for(record_type, "read"))
    query = Goal.select()
    if filters.metric is not None:
        query = query.where(Goal.metric == filters.metric)
    if filters.scope is not None:
        query = query.where(Goal.scope == filters.scope)
    if filters.owner_id is not None:
        query = query.where(Goal.owner == filters.owner_id)
    if filters.team_id is not None:
        query = query.where(Goal.team == filters.team_id)
    if filters.start is not None:
        query = query.where(Goal.period_end >= filters.start)
    if filters.end is not None:
        query = query.where(Goal.period_start <= filters.end)
    return scoped(query, record_type, actor)


def goal_progress(kernel: Accord, *, actor: Actor, filters: GoalFilters = GoalFilters(),
                  today: dt.date | None = None, limit: int = 50,
                  before: int | None = None) -> Page[Progress]:
    """One page, newest goal first, of the goals ``actor`` may see with their progress
    on ``today`` (default: the local date). Each goal's actual is one metric query."""
    with kernel.bound():
        page = newest_first(_visible(kernel, actor, filters), Goal, limit=limit,
                            before=before)
    return Page(progress(kernel, page.items, today=today), page.next_before)


def list_goals(kernel: Accord, *, actor: Actor, filters: GoalFilters = GoalFilters(),
               today: dt.date | None = None) -> list[Progress]:
    """Every goal ``actor`` may see that matches, by period (first day, then last) and
    metric, with its progress."""
    with kernel.bound():
        query = _visible(kernel, actor, filters).order_by(
            Goal.period_start, Goal.period_end, Goal.metric, Goal.id)
        goals = list(query)
    return progress(kernel, goals, today=today)


def progress(kernel: Accord, goals: Iterable[Goal], *,
             today: dt.date | None = None) -> list[Progress]:
    """Where each goal stands on ``today``; goals sharing a metric, period and scope
    share one computation."""
    day = today or dt.date.today()
    metrics = list_metrics(kernel)
    computed: dict[tuple[Any, ...], dict[str | None, MetricPoint]] = {}
    out = []
    for goal in goals:
        found = metrics.get(goal.metric)
        if found is None:
            out.append(Progress(goal, day, None, None, None,
                                f"{goal.metric} is not available: no running plugin "
                                "declares it"))
            continue
        metric = found[1]
        key = (goal.metric, goal.period_start, goal.period_end, goal.owner_id, goal.team_id)
        if key not in computed:
            try:
                points = compute(kernel, goal.metric, MetricQuery(
                    goal.period_start, goal.period_end, by="total", owner_id=goal.owner_id,
                    team_id=goal.team_id))
            except AccordError as exc:
                out.append(Progress(goal, day, metric.unit, None, None, str(exc)))
                continue
            computed[key] = {p.group: p for p in points}
        zero = Decimal("0.00") if metric.unit in ("currency", "percent") else Decimal(0)
        point = computed[key].get(goal.group_value)
        actual = point.value if point is not None else zero
        out.append(Progress(goal, day, metric.unit, actual,
                            pace_of(goal, actual, adding=adds_up(metric), today=day),
                            unconverted=point.unconverted if point is not None else ()))
    return out


def set_goal(kernel: Accord, *, metric: str, target: Any, period: str, scope: str,
             actor: Actor, owner_id: int | None = None, team_id: int | None = None,
             group_value: str | None = None,
             direction: str | None = None) -> tuple[Goal, bool]:
    """Set the goal of a metric (and group), period and scope: the one there is gets
    the new target (and direction, when given), else a goal is created. Returns the goal
    and whether it is new. Validated like any write (a ValidationError names the field);
    nothing is written when refused."""
    try:
        _, start, end = parse_period(period)
    except ValueError as exc:
        raise ValidationError({"period": [str(exc)]}) from None
    with kernel.bound():
        twin = Goal.get_or_none(
            Goal.metric == metric, _same(Goal.group_value, group_value),
            Goal.period_start == start, Goal.period_end == end, Goal.scope == scope,
            _same(Goal.owner, owner_id), _same(Goal.team, team_id))
    changes: dict[str, Any] = {"target": target}
    if direction is not None:
        changes["direction"] = direction
    if twin is not None:
        return update(kernel, "goal", twin.id, changes, actor=actor), False  # type: ignore[return-value]
    data = {**changes, "metric": metric, "period": period, "scope": scope,
            "group_value": group_value, "owner_id": owner_id, "team_id": team_id}
    return create(kernel, "goal", data, actor=actor), True  # type: ignore[return-value]


def scope_labels(kernel: Accord, goals: list[Goal]) -> dict[int, str]:
    """Whom each goal is for, as a person reads it: a user's email, ``team <name>``,
    ``firm`` (one query for the users, one for the teams)."""
    users = sorted({g.owner_id for g in goals if g.owner_id is not None})
    teams = sorted({g.team_id for g in goals if g.team_id is not None})
    emails: dict[int, str] = {}
    names: dict[int, str] = {}
    with kernel.bound():
        if users:
            emails = {u.id: u.email for u in User.select(User.id, User.email)
                      .where(User.id.in_(users))}
        if teams:
            names = {t.id: t.name for t in Team.select(Team.id, Team.name)
                     .where(Team.id.in_(teams))}
    out = {}
    for goal in goals:
        owner, team = goal.owner_id, goal.team_id
        if goal.scope == "user" and owner is not None:
            out[goal.id] = emails.get(owner, f"user {owner}")
        elif goal.scope == "team" and team is not None:
            out[goal.id] = f"team {names.get(team, team)}"
        else:
            out[goal.id] = "firm"
    return out


def _same(column: Any, value: Any) -> Any:
    return column.is_null() if value is None else column == value


# The pace job -----------------------------------------------------------------------

@dataclass(frozen=True)
class PaceCheck:
    """What one pace check found: the goals running on its day, those that fell behind
    (announced now) and those back on pace."""

    day: dt.date
    checked: int
    fell_behind: list[int]
    back_on_pace: list[int]

    @property
    def summary(self) -> str:
        return (f"{self.checked} running goal{'s' if self.checked != 1 else ''} checked: "
                f"{len(self.fell_behind)} fell behind, {len(self.back_on_pace)} back on pace")


def check_pace(kernel: Accord, today: dt.date) -> PaceCheck:
    """Check every goal whose period holds ``today`` against its pace on that day, and
    send ``goal-behind`` (after commit) for each one that is behind and was not already
    (``accord_goal_alert`` remembers it until it is back on pace or its period is over).
    Idempotent: a second check of the same day announces nothing again."""
    with kernel.bound():
        running = list(Goal.select().where(Goal.period_start <= today,
                                           Goal.period_end >= today).order_by(Goal.id))
    found = progress(kernel, running, today=today)
    behind = {p.goal.id: p for p in found if p.state == "behind"}
    known = {p.goal.id for p in found if p.pace is not None}
    with kernel.transaction():
        lock_goals(kernel)
        flagged = {row.goal_id for row in GoalAlert.select(GoalAlert.goal)}
        # Goals deleted since they were read are left out.
        still = {row.id for row in Goal.select(Goal.id).where(Goal.id.in_(sorted(behind)))}
        fell = sorted(i for i in behind if i not in flagged and i in still)
        back = sorted(i for i in flagged if i in known and i not in behind)
        # A flagged goal no longer running (its period is over) is forgotten.
        checked = {p.goal.id for p in found}
        ended = sorted(i for i in flagged if i not in checked)
        if fell:
            GoalAlert.insert_many([{"goal": i, "behind_since": today} for i in fell]).execute()
        if back or ended:
            GoalAlert.delete().where(GoalAlert.goal.in_(back + ended)).execute()
        for goal_id in fell:
            p = behind[goal_id]
            assert p.pace is not None and p.actual is not None  # behind: it was computed
            kernel.emit(signals.goal_behind, goal_id=goal_id, metric=p.goal.metric,
                        scope=p.goal.scope, owner_id=p.goal.owner_id,
                        team_id=p.goal.team_id, day=today, actual=p.actual,
                        expected=p.pace.expected, target=Decimal(p.goal.target))
    return PaceCheck(today, len(running), fell, back)


def pace_job(kernel: Accord, today: dt.date) -> str:
    """The core job ``core.goal_pace``: ``check_pace`` for the day, summed up."""
    return check_pace(kernel, today).summary
