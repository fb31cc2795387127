"""``GET /api/v1/metrics`` and ``GET /api/v1/metrics/<name>``: the KPIs the enabled
plugins declare, listed and computed over a date range (see accord.metrics).

A metric adds up records whatever their owner: reading metrics is its own permission,
``core.metrics.read``, which only an explicit grant gives (the built-in admin and
manager roles hold it), rather than the record rules of the records counted.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from flask import Blueprint, jsonify, request

from ..errors import ValidationError
from ..metrics import MetricQuery, compute, default_range, list_metrics
from ..services.authz import require
from .auth import current_actor
from .problems import ApiError

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["register", "METRICS"]

#: The permission to list and compute metrics.
METRICS = "core.metrics.read"


def register(bp: Blueprint, kernel: Accord) -> None:

    @bp.get("/metrics", endpoint="metrics")
    def metrics() -> Any:
        require(current_actor(), METRICS)
        return jsonify(items=[{
            "name": name, "plugin": plugin, "description": metric.description,
            "unit": metric.unit, "group_by": metric.group_by}
            for name, (plugin, metric) in sorted(list_metrics(kernel).items())])

    @bp.get("/metrics/<name>", endpoint="metric")
    def metric(name: str) -> Any:
        require(current_actor(), METRICS)
        query = _query()
        try:
            points = compute(kernel, name, query)
        except ValidationError as exc:
            raise ApiError(400, "bad metric parameters; see errors", errors=exc.flat()) from None
        _, definition = list_metrics(kernel)[name]
        return jsonify(name=name, unit=definition.unit, group_by=definition.group_by,
                       start=query.start.isoformat(), end=query.end.isoformat(), by=query.by,
                       points=[{"period": p.period, "group": p.group, "value": str(p.value)}
                               for p in points])


#: The most months one request may span (twenty years).
MAX_MONTHS = 240


def _query() -> MetricQuery:
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
            continue
        if not 1900 <= dates[key].year <= 9000:
            problems[key] = ["give a date from 1900-01-01 to 9000-12-31"]
    ids: dict[str, int | None] = {}
    for key in ("owner_id", "team_id"):
        value = args.get(key)
        if value is not None and not (_DIGITS.fullmatch(value) and 0 < int(value) < 2 ** 63):
            problems[key] = [f"not a record id: {value!r}"]
        ids[key] = int(value) if value is not None and key not in problems else None
    by = args.get("by", "month")
    if by not in ("month", "total"):
        problems["by"] = ["use month or total"]
    if problems:
        raise ApiError(400, "bad metric parameters; see errors", errors=problems)
    # Without a start: a year of whole months up to the end (today by default).
    start, end = default_range(dates.get("to", dt.date.today()))
    start = dates.get("from", start)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months > MAX_MONTHS:
        raise ApiError(400, "bad metric parameters; see errors", errors={"from": [
            f"the range spans {months} months; ask for at most {MAX_MONTHS} at once"]})
    return MetricQuery(start, end, by=by, owner_id=ids["owner_id"], team_id=ids["team_id"])


_DIGITS = re.compile(r"[0-9]+")
