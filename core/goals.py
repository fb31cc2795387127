"""Goals (measurable targets): the ``goal`` record type, its periods and its pace.

A goal says that a metric of any running plugin (``acme_dental.visits``, or one group of
a broken-down metric: a stage, a channel) should reach a target value over a period,
for one user, one team or the whole firm. The record type's own rules check the metric,
the target, the period and the scope; ``accord.services.goals`` computes how far each
goal is (its attainment) and whether it keeps pace with the time elapsed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import marshmallow as ma
from marshmallow import fields, validate

from .database import is_postgres
from .errors import PermissionDenied
from .models import GOAL_DIRECTIONS, GOAL_SCOPES, Goal
from .records import RecordType, Write
from .schemas import OwnedRecordSchema, PlainDecimal

if TYPE_CHECKING:
    from .kernel import Accord
    from .metrics import Metric

__all__ = ["GOAL_TYPE", "GoalSchema", "parse_period", "PERIOD_FORMS", "adds_up", "Pace",
           "pace_of", "target_problem", "lock_goals", "PACES"]

#: What a period may be written as, for messages and help texts.
PERIOD_FORMS = ("a year (2026), a quarter (2026-Q2), a month (2026-05) or two days "
                "joined by a slash (2026-05-10/2026-06-09)")
#: Units whose values add up over a period when a metric does not say (Metric.adds_up).
ADDING_UNITS = ("count", "currency")
#: What a goal's pace can be (``accord.services.goals``): before, during, after its period,
#: or unknown when its metric is not available.
PACES = ("not_started", "on_track", "behind", "met", "missed", "unknown")
#: A target's bounds: above zero, and what every engine keeps exactly (as money).
MAX_WHOLE_DIGITS = 11

_YEAR = re.compile(r"([0-9]{4})")
_QUARTER = re.compile(r"([0-9]{4})-[Qq]([1-4])")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_RANGE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})/([0-9]{4}-[0-9]{2}-[0-9]{2})")
_CENT = Decimal("0.01")


# Periods ----------------------------------------------------------------------------

def parse_period(text: str) -> tuple[str, dt.date, dt.date]:
    """``(period as stored, first day, last day)`` of a period as a user writes it.
    ValueError says what is wrong; every period is one a metric can be computed over."""
    from .metrics import FIRST_DAY, LAST_DAY, MAX_MONTHS

    value = text.strip()
    year_given = re.match(r"[0-9]{4}", value)
    if year_given and not FIRST_DAY.year <= int(year_given[0]) <= LAST_DAY.year:
        raise ValueError(f"a period lies between {FIRST_DAY} and {LAST_DAY}")
    if match := _YEAR.fullmatch(value):
        year = int(match[1])
        start, end, shown = dt.date(year, 1, 1), dt.date(year, 12, 31), value
    elif match := _QUARTER.fullmatch(value):
        year, quarter = int(match[1]), int(match[2])
        start = dt.date(year, quarter * 3 - 2, 1)
        end = _month_end(year, quarter * 3)
        shown = f"{year:04d}-Q{quarter}"
    elif match := _MONTH.fullmatch(value):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(f"{value} names no month; months run from 01 to 12")
        start, end, shown = dt.date(year, month, 1), _month_end(year, month), value
    elif match := _RANGE.fullmatch(value):
        start, end = _day(match[1]), _day(match[2])
        if start > end:
            raise ValueError(f"{match[1]} is after {match[2]}")
        shown = value
    else:
        shown_text = repr(text) if len(text) <= 40 else "that"
        raise ValueError(f"{shown_text} is not a period; give {PERIOD_FORMS}")
    if start < FIRST_DAY or end > LAST_DAY:
        raise ValueError(f"a period lies between {FIRST_DAY} and {LAST_DAY}")
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months > MAX_MONTHS:
        raise ValueError(f"the period spans {months} months; a goal spans at most "
                         f"{MAX_MONTHS}")
    return shown, start, end


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text} is not a date") from None


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


# The schema -------------------------------------------------------------------------

class PeriodField(fields.String):
    """A period as ``parse_period`` reads it, stored in its own form (``2026-Q2``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_period(text)[0]
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from None


class TargetField(PlainDecimal):
    """A target: a number above zero with at most four decimal places (what fits the
    metric is the record type's rule), shown without trailing zeros (``50000``)."""

    default_error_messages = {
        "invalid": "Not a plain number: give the target as digits, such as 50000 or 12.5.",
        "special": "Not a plain number: give the target as digits, such as 50000 or 12.5.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        number: Decimal = super()._deserialize(value, attr, data, **kwargs)
        if number <= 0:
            raise ma.ValidationError("Give a target above 0.")
        if abs(number) >= Decimal(10) ** MAX_WHOLE_DIGITS:
            raise ma.ValidationError(f"At most {MAX_WHOLE_DIGITS} digits before the point.")
        if number != number.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP):
            raise ma.ValidationError("At most 4 decimal places.")
        return number

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else plain(Decimal(value))


def plain(value: Decimal) -> str:
    """A decimal without trailing zeros nor exponent: ``50000``, ``12.5``."""
    return format(value.normalize(), "f") if value else "0"


class GoalSchema(OwnedRecordSchema):
    """A goal as the API reads and shows it. ``owner_id`` is the user of a user goal,
    ``team_id`` the team of a team goal; a firm goal has neither."""

    metric = fields.String(required=True, validate=validate.Length(min=1, max=200),
                           metadata={"description": "A metric of a running plugin "
                                                    "(GET /api/v1/metrics lists them)"})
    group_value = fields.String(allow_none=True, validate=validate.Length(min=1, max=200),
                                metadata={"description": "For a broken-down metric: the "
                                                         "group the goal is for (a stage…)"})
    period = PeriodField(required=True, metadata={"description": f"Give {PERIOD_FORMS}",
                                                  "examples": ["2026-Q2"]})
    period_start = fields.Date(dump_only=True)
    period_end = fields.Date(dump_only=True)
    scope = fields.String(required=True, validate=validate.OneOf(GOAL_SCOPES),
                          metadata={"description": "user (owner_id), team (team_id) or firm"})
    target = TargetField(required=True, metadata={
        "description": "The value the metric should reach, above 0 (a whole number for "
                       "a count, at most 2 decimal places for an amount or a percent)"})
    direction = fields.String(load_default="at_least", validate=validate.OneOf(GOAL_DIRECTIONS),
                              metadata={"description": "at_least (the default) or at_most "
                                                       "(a sales cycle, revenue lost)"})


# The record type's rules ------------------------------------------------------------

def _defaults(write: Write) -> None:
    # Scope first: no other default (the creator as owner, the owner's team) may
    # give a team or firm goal an owner, or a user goal a team.
    for row in write.rows:
        scope = row.get("scope")
        if scope in ("team", "firm"):
            row.setdefault("owner_id", None)
        if scope in ("user", "firm"):
            row.setdefault("team_id", None)


def _rules(write: Write) -> None:
    from .metrics import list_metrics

    lock_goals(write.kernel)
    metrics = {name: metric for name, (_, metric) in list_metrics(write.kernel).items()}
    for index, row, current in write:
        problems = _metric_problems(write, index, metrics)
        problems.update(_scope_problems(write, index))
        write.refuse(index, problems)
        _within_reach(write, index)
    _no_twins(write)


def _metric_problems(write: Write, index: int,
                     metrics: dict[str, Metric]) -> dict[str, list[str]]:
    """The metric runs, the group matches its breakdown and the target fits its unit."""
    row, current = write.rows[index], write.existing[index]
    name = write.value(index, "metric")
    metric = metrics.get(name)
    problems: dict[str, list[str]] = {}
    if metric is None:
        # A goal whose plugin is off keeps its metric: only naming one is checked.
        if current is None or "metric" in row:
            known = ", ".join(sorted(metrics)) or "none (no running plugin declares one)"
            problems["metric"] = [f"unknown metric {name!r}; the metrics are: {known}"]
        return problems
    changed = current is None or "metric" in row
    group = write.value(index, "group_value")
    if changed or "group_value" in row:
        if metric.group_by and group is None:
            problems["group_value"] = [f"{name} is broken down by {metric.group_by}: name "
                                       f"the {metric.group_by} the goal is for"]
        elif not metric.group_by and group is not None:
            problems["group_value"] = [f"{name} is not broken down; leave group_value out"]
    if changed or "target" in row:
        problem = target_problem(metric, write.value(index, "target"))
        if problem:
            problems["target"] = [problem]
    return problems


def target_problem(metric: Metric, target: Decimal) -> str | None:
    """What makes ``target`` unfit for ``metric``'s unit, or None."""
    if metric.unit == "count" and target != target.to_integral_value():
        return f"{metric.name} counts: give a whole number, not {plain(target)}"
    if metric.unit in ("currency", "percent") and target != target.quantize(_CENT):
        what = "an amount" if metric.unit == "currency" else "a percentage"
        return f"{metric.name} is {what}: at most 2 decimal places, not {plain(target)}"
    return None


def _scope_problems(write: Write, index: int) -> dict[str, list[str]]:
    """A user goal names its user and no team, a team goal its team and no user, a firm
    goal neither."""
    scope = write.value(index, "scope")
    owner, team = write.value(index, "owner_id"), write.value(index, "team_id")
    problems: dict[str, list[str]] = {}
    if scope == "user":
        if owner is None:
            problems["owner_id"] = ["name the user a user goal is for"]
        if team is not None:
            problems["team_id"] = ["a user goal is for no team: team_id must be null"]
    elif scope == "team":
        if team is None:
            problems["team_id"] = ["name the team a team goal is for"]
        if owner is not None:
            problems["owner_id"] = ["a team goal is for no single user: owner_id must "
                                    "be null"]
    elif scope == "firm":
        for key in ("owner_id", "team_id"):
            if write.value(index, key) is not None:
                problems[key] = [f"a firm goal is for the whole firm: {key} must be null"]
    return problems


def _within_reach(write: Write, index: int) -> None:
    """A restricted actor sets goals only where its rule for goals reaches: its own
    (``own``), its teams' and teammates' (``team``), anyone's and the firm's (``all``).
    ``check_ownership`` has refused owners and teams out of reach already; what is
    left is the scopes an owner and a team do not tell."""
    actor = write.actor
    if not actor.restricted or write.verb is not None:
        return
    rule = actor.scope(GOAL_TYPE.name)
    scope = write.value(index, "scope")
    if rule == "all" or scope == "user":
        return
    if scope == "firm":
        raise PermissionDenied(f"{actor.label} may not set firm goals: their rule for goals "
                               f"is {rule}, and a firm goal needs all")
    if rule == "own":
        raise PermissionDenied(f"{actor.label} may only set goals for themselves (rule: own)")


def _no_twins(write: Write) -> None:
    """One goal per metric (and group), period and scope: a second one is refused with
    the first named, so a report never shows two targets for one figure."""
    keys: dict[tuple[Any, ...], int] = {}
    for index, row, current in write:
        _, start, end = parse_period(write.value(index, "period"))
        key = (write.value(index, "metric"), write.value(index, "group_value"), start, end,
               write.value(index, "scope"), write.value(index, "owner_id"),
               write.value(index, "team_id"))
        if key in keys:
            write.refuse(index, {"_schema": [f"the same goal as rows[{keys[key]}]"]})
        keys[key] = index
    if not keys:
        return
    mine = {current.id for current in write.existing if current is not None}
    query = Goal.select().where(Goal.metric.in_(sorted({k[0] for k in keys})),
                                Goal.period_start.in_(sorted({k[2] for k in keys})))
    for goal in query:
        key = (goal.metric, goal.group_value, goal.period_start, goal.period_end, goal.scope,
               goal.owner_id, goal.team_id)
        if key in keys and goal.id not in mine:
            write.refuse(keys[key], {"_schema": [
                f"goal {goal.id} already sets {goal.metric} for {who(goal)} over "
                f"{goal.period}; change that one"]})


def who(goal: Any) -> str:
    """``user 3``, ``team 2`` or ``the firm``."""
    if goal.scope == "user":
        return f"user {goal.owner_id}"
    if goal.scope == "team":
        return f"team {goal.team_id}"
    return "the firm"


def _computed(write: Write) -> None:
    # The period's days, from the period as stored.
    for _, row, _current in write:
        if "period" in row:
            _, row["period_start"], row["period_end"] = parse_period(row["period"])


#: Any key of PostgreSQL's advisory locks, the same in every process: goal writes and
#: pace checks take it for their transaction (SQLite serialises writers already).
_LOCK_KEY = 0x61636367  # "accg"


def lock_goals(kernel: Accord) -> None:
    """Serialise goal writes and pace checks until the transaction ends, so that two
    at once can neither both find no twin nor both announce one goal."""
    if is_postgres(kernel.database):
        assert kernel.database is not None
        kernel.database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))


# Pace -------------------------------------------------------------------------------

def adds_up(metric: Metric) -> bool:
    """Whether ``metric``'s value grows through a period (see ``Metric.adds_up``)."""
    return metric.adds_up if metric.adds_up is not None else metric.unit in ADDING_UNITS


@dataclass(frozen=True)
class Pace:
    """Where a goal stands on a day. Percentages have two decimal places."""

    #: The share of the period's days before the day, in percent (0 to 100).
    elapsed: Decimal
    #: What the metric should show by the day to keep pace: the share of the target
    #: for a metric that adds up, else the target.
    expected: Decimal
    #: The actual value in percent of the target.
    attainment: Decimal
    #: not_started, on_track, behind, met or missed.
    pace: str


def pace_of(goal: Any, actual: Decimal, *, adding: bool, today: dt.date) -> Pace:
    """The pace of ``goal`` (target, direction, period_start, period_end) on ``today``,
    given its metric's ``actual`` value over the period. During the period, a goal is
    on track while its attainment keeps up with the share of the period elapsed (for a
    metric that adds up; a level is held against the whole target) and, for an
    ``at_most`` goal, while it stays at or under that share."""
    target = Decimal(goal.target)
    days = (goal.period_end - goal.period_start).days + 1
    passed = min(max((today - goal.period_start).days, 0), days)
    share = Decimal(passed) / Decimal(days)
    expected = target * share if adding else target
    attainment = actual / target * 100
    at_most = goal.direction == "at_most"
    if today < goal.period_start:
        pace = "not_started"
    elif today > goal.period_end:
        done = actual <= target if at_most else actual >= target
        pace = "met" if done else "missed"
    else:
        keeping = actual <= expected if at_most else actual >= expected
        pace = "on_track" if keeping else "behind"
    return Pace(_percent(share * 100), _percent(expected), _percent(attainment), pace)


def _percent(value: Decimal) -> Decimal:
    """Two decimal places, half up (a percentage, an expected value)."""
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


GOAL_TYPE = RecordType(
    "goal", Goal, GoalSchema, "goals", "Goal", searchable=("metric", "period"),
    title_fields=("metric", "period"),
    # A goal is for its user or team: deleting them is refused while it names them.
    protects=("owner", "team"),
    defaults=_defaults, validate=_rules, compute=_computed)
