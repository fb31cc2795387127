"""``GET /api/v1/metrics`` and ``GET /api/v1/metrics/<name>``: the KPIs the enabled
plugins declare, listed and computed over a date range (see accord.metrics).

A metric adds up records whatever their owner: reading metrics is its own permission,
``core.metrics.read``, which only an explicit grant gives (the built-in admin and
manager roles hold it), rather than the record rules of the records counted. The
metrics service checks it, and the range bounds, for the CLI alike.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from flask import Blueprint, jsonify, request

from ..errors import ValidationError
from ..metrics import METRICS_READ, MetricQuery, catalog, metric_query, report
from .auth import current_actor
from .problems import ApiError

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["register", "METRICS"]

#: The permission to list and compute metrics.
METRICS = METRICS_READ


def register(bp: Blueprint, kernel: Accord) -> None:

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
                       start=query.start.isoformat(), end=query.end.isoformat(), by=query.by,
                       points=[{"period": p.period, "group": p.group, "value": str(p.value)}
                               for p in points])


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
