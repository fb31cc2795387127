"""``GET /api/v1/metrics/goals``: the goals the reader may see, each with its metric's
actual value, attainment and pace today (see accord.services.goals).

Goals themselves are a record type (``/api/v1/goals``: create, read, change, delete,
history); this is their progress, beside the metrics it is computed from. It needs
``core.metrics.read`` (an actual is a metric's figure) and ``core.goal.read``; the rule
on goals reaches them through their scope (the reader's own, their teams' and
teammates', or all, firm goals included).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from flask import Blueprint, jsonify, request

from ..errors import ValidationError
from ..models import GOAL_SCOPES
from ..money import format_amount
from ..services.goals import GoalFilters, Progress, goal_progress
from ..services.reading import dump_many
from .admin import _before, _int_param, _next_cursor, _only_params
from .auth import current_actor
from .lists import limit_arg
from .problems import ApiError

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..services.actors import Actor

__all__ = ["register", "PARAMETERS"]

#: The filters of the progress list, beside limit and cursor.
PARAMETERS = ("metric", "scope", "owner_id", "team_id", "from", "to")


def register(bp: Blueprint, kernel: Accord) -> None:

    @bp.get("/metrics/goals", endpoint="goal_progress")
    def progress() -> Any:
        _only_params(*PARAMETERS)
        actor = current_actor()
        filters = _filters()
        today = dt.date.today()
        try:
            page = goal_progress(kernel, actor=actor, filters=filters, today=today,
                                 limit=limit_arg(), before=_before())
        except ValidationError as exc:
            raise ApiError(400, "bad goal parameters; see errors", errors=exc.flat()) from None
        return jsonify(as_of=today.isoformat(),
                       items=_items(kernel, page.items, actor),
                       next_cursor=_next_cursor(page))


def _filters() -> GoalFilters:
    args = request.args
    problems: dict[str, list[str]] = {}
    scope = args.get("scope")
    if scope is not None and scope not in GOAL_SCOPES:
        problems["scope"] = [f"{scope!r} is not a scope; use {', '.join(GOAL_SCOPES)}"]
    dates: dict[str, dt.date | None] = {}
    for key in ("from", "to"):
        raw = args.get(key)
        dates[key] = None
        if raw is None:
            continue
        try:
            dates[key] = dt.date.fromisoformat(raw)
        except ValueError:
            problems[key] = [f"not a date: {raw!r}; give YYYY-MM-DD"]
    start, end = dates["from"], dates["to"]
    if start is not None and end is not None and start > end:
        problems["from"] = [f"{start} is after {end}"]
    if problems:
        raise ApiError(400, "bad goal parameters; see errors", errors=problems)
    return GoalFilters(metric=args.get("metric"), scope=scope,
                       owner_id=_int_param("owner_id"), team_id=_int_param("team_id"),
                       start=start, end=end)


def _items(kernel: Accord, found: list[Progress], actor: Actor) -> list[dict[str, Any]]:
    from ..rates import base_currency

    goals = dump_many(kernel, "goal", [p.goal for p in found], actor=actor)
    base = base_currency(kernel) if any(p.unit == "currency" for p in found) else None
    return [{
        "goal": goal, "unit": p.unit, "currency": base if p.unit == "currency" else None,
        "actual": None if p.actual is None else str(p.actual),
        "expected": None if p.pace is None else str(p.pace.expected),
        "attainment": None if p.pace is None else str(p.pace.attainment),
        "elapsed": None if p.pace is None else str(p.pace.elapsed),
        "pace": p.state,
        "unconverted": [{"currency": m.currency, "amount": format_amount(m.amount, m.currency)}
                        for m in p.unconverted],
        "problem": p.problem,
    } for goal, p in zip(goals, found)]
