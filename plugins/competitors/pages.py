"""The competitors plugin's own page, ``/competitors/``: every competitor with its
win/loss figures (the contested deals the reader may read), since a date if asked.

Mounted by the core under ``/competitors`` (``register_pages``), behind its login,
CSRF check and error pages; the view parses the request, reads through the core's
record services and ``panels.winloss``, and renders.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, request

from accord.query import find
from accord.rates import base_currency

from .panels import Figures, winloss
from .rules import COMPETITOR, OPPORTUNITY

__all__ = ["blueprint"]


def blueprint() -> Blueprint:
    """A new blueprint of the page (one per app: Flask keeps state on blueprints)."""
    from .closing import register

    bp = Blueprint("competitors", __name__, template_folder="templates")
    bp.add_url_rule("/", "index", index)
    register(bp)
    return bp


def _since(raw: str) -> tuple[dt.date | None, str | None]:
    """The ``since`` date of the query string, or the message saying what is wrong."""
    text = raw.strip()
    if not text:
        return None, None
    try:
        return dt.date.fromisoformat(text), None
    except ValueError:
        return None, f"give a date as YYYY-MM-DD, not {text[:40]!r}"


def index() -> Response:
    kernel = current_app.extensions["accord"]
    raw = request.args.get("since", "")
    since, problem = _since(raw)
    competitors = find(kernel, COMPETITOR, {}, sort=("name",), actor=g.actor)
    figures: dict[int, Figures] | None = None
    if problem is None:
        figures = winloss(kernel, g.actor, since=since)
    base = base_currency(kernel)
    rows: list[tuple[Any, Figures]] = [
        (c, (figures or {}).get(c.id) or Figures(c.id, base)) for c in competitors]
    body = render_template("competitors/index.html", rows=rows, since=raw, problem=problem,
                           may_read_deals=g.actor.can(f"{OPPORTUNITY}.read"),
                           permission=f"{OPPORTUNITY}.read", base=base)
    return Response(body, status=400 if problem else 200)
