"""``GET /api/v1/metrics`` and ``GET /api/v1/metrics/<name>``: the KPIs the enabled
plugins declare, listed and computed over a date range (see accord.metrics).

Reading metrics is its own permission, ``core.metrics.read``, which only an explicit
grant gives (the built-in admin, manager and sales roles hold it); a metric then counts
only the records the reader's record rules reach, and an ``owner_id``/``team_id`` the
rule does not reach is refused (400, naming it). Money is in the base currency, with
what no exchange rate converts listed per point (``unconverted``). The metrics service
checks all of it, and the range bounds, for the CLI alike.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from flask import Blueprint, jsonify, request

from ..errors import ValidationError
from ..metrics import METRICS_READ, MetricPoint, MetricQuery, catalog, metric_query, report
from ..money import format_amount
from ..rates import base_currency
from .auth import current_actor
from .problems import ApiError

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["register", "METRICS"]

#: The permission to list and compute metrics.
METRICS = METRICS_READ


def register(bp: Blueprint, kernel: Accord) -> None:
    from . import goals

    goals.register(bp, kernel)  # /metrics/goals: the goals' attainment and pace

    @bp.get("/metrics", endpoint="metrics")
    def metrics() -> Any:
        return jsonify(items=[{
            "name": name, "plugin": plugin, "description": metric.description,
            "unit": metric.unit, "group_by": metric.group_by}
            for name, (plugin, metric) in sorted(catalog(kernel, actor=current_actor()).items())])

    @bp.get("/metrics/<name>", endpoint="metric")
    def metric(name: str) -> Any:
        query = _query()
        try:
            definition, points = report(kernel, name, query, actor=current_actor())
        except ValidationError as exc:
            raise ApiError(400, "bad metric parameters; see errors", errors=exc.flat()) from None
        return jsonify(name=name, unit=definition.unit, group_by=definition.group_by,
                       currency=base_currency(kernel) if definition.unit == "currency" else None,
                       start=query.start.isoformat(), end=query.end.isoformat(), by=query.by,
                       points=[_point(p) for p in points])


def _point(point: MetricPoint) -> dict[str, Any]:
    return {"period": point.period, "group": point.group, "value": str(point.value),
            "unconverted": [{"currency": m.currency,
                             "amount": format_amount(m.amount, m.currency)}
                            for m in point.unconverted]}


def _query() -> MetricQuery:
    """The query the parameters ask for; every problem is named at once, those of the
    parameters' form and those the metrics service finds (dates out of bounds, too
    long a range)."""
    args = request.args
    problems: dict[str, list[str]] = {}
    unknown = sorted(set(args) - {"from", "to", "by", "owner_id", "team_id"})
    for key in unknown:
        problems[key] = ["unknown parameter; use from, to, by, owner_id, team_id"]
    dates: dict[str, dt.date] = {}
    for key in ("to", "from"):
        if key not in args:
            continue
        try:
            dates[key] = dt.date.fromisoformat(args[key])
        except ValueError:
            problems[key] = [f"not a date: {args[key]!r}; give YYYY-MM-DD"]
    ids: dict[str, int | None] = {}
    for key in ("owner_id", "team_id"):
        value = args.get(key)
        if value is not None and not (_DIGITS.fullmatch(value) and 0 < int(value) < 2 ** 63):
            problems[key] = [f"not a record id: {value!r}"]
        ids[key] = int(value) if value is not None and key not in problems else None
    try:
        query = metric_query(start=dates.get("from"), end=dates.get("to"),
                             by=args.get("by", "month"), owner_id=ids["owner_id"],
                             team_id=ids["team_id"])
    except ValidationError as exc:
        problems = {**exc.flat(), **problems}
    if problems:
        raise ApiError(400, "bad metric parameters; see errors", errors=problems)
    return query


_DIGITS = re.compile(r"[0-9]+")
