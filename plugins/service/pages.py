"""The service plugin's pages, mounted by the core under ``/service``
(``register_pages``): the public request form customers fill in, the agents'
queue with SLA countdowns, and the warranty lookup by serial number.

Each view parses the request, calls the plugin's services (which apply the reader's
record rule), and renders; a bad field is shown at the field with a 422, nothing
written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, request

from accord.errors import NotFound, ValidationError
from accord.pages import public
from accord.services.authz import require

from .intake import TooManyRequests, reference, request_ticket
from .queue import STATUS_CHOICES, queue, team_choices
from .returns import add_routes as add_return_pages
from .rules import TICKET
from .surveys import add_survey_pages
from .warranties import WARRANTY, lookup

__all__ = ["blueprint"]

_FIELDS = ("name", "email", "subject", "description", "category")


def blueprint() -> Blueprint:
    """A new blueprint of the pages (one per app: Flask keeps state on blueprints)."""
    bp = Blueprint("service", __name__, template_folder="templates")
    bp.add_url_rule("/request", "request_form", request_form, methods=["GET", "POST"])
    bp.add_url_rule("/queue", "queue_page", queue_page)
    bp.add_url_rule("/warranties", "warranties_page", warranties_page)
    bp.add_url_rule("/service.css", "stylesheet", stylesheet)
    add_survey_pages(bp)  # /service/survey/<token>, public (accord_service.surveys)
    add_return_pages(bp)  # /service/returns (accord_service.returns)
    return bp


_CSS = Path(__file__).parent / "static" / "service.css"


@public
def stylesheet() -> Response:
    """The pages' stylesheet, served without a login (the request form needs it too)."""
    response = Response(_CSS.read_text(encoding="utf-8"), mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@public
def request_form() -> Response:
    kernel = current_app.extensions["accord"]
    categories = kernel.settings("service")["categories"]
    values: dict[str, Any] = {k: request.form.get(k, "") for k in _FIELDS}
    if request.method == "GET":
        return Response(render_template("service/request.html", values=values,
                                        categories=categories, problems={}))
    address = request.remote_addr or "unknown"
    try:
        ticket = request_ticket(kernel, values, address=address)
    except TooManyRequests as exc:
        body = render_template("service/request.html", values=values, categories=categories,
                               problems={}, refused=exc.message)
        return Response(body, status=429, headers={"Retry-After": str(exc.retry_after)})
    except ValidationError as exc:
        problems = {k: " ".join(v) for k, v in exc.flat().items()}
        body = render_template("service/request.html", values=values, categories=categories,
                               problems=problems)
        return Response(body, status=422)
    return Response(render_template("service/request_sent.html",
                                    reference=reference(ticket.id), email=values["email"]))


def queue_page() -> Response:
    kernel = current_app.extensions["accord"]
    require(g.actor, f"{TICKET}.read")
    teams = team_choices(kernel, g.actor)
    queues = kernel.settings("service")["queues"]
    raw = {k: request.args.get(k, "").strip() for k in ("team", "queue", "status")}
    problems: dict[str, str] = {}
    team_id = None
    if raw["team"]:
        if raw["team"].isdigit() and int(raw["team"]) in {t for t, _ in teams}:
            team_id = int(raw["team"])
        else:
            problems["team"] = "choose one of your teams"
    if raw["queue"] and raw["queue"] not in queues:
        problems["queue"] = f"choose one of {', '.join(queues)}"
    if raw["status"] and raw["status"] not in STATUS_CHOICES:
        problems["status"] = f"choose one of {', '.join(STATUS_CHOICES)}"
    rows = [] if problems else queue(kernel, g.actor, team_id=team_id,
                                     queue_name=raw["queue"] or None,
                                     status=raw["status"] or None)
    settings = kernel.settings("service")
    body = render_template("service/queue.html", rows=rows, teams=teams, queues=queues,
                           statuses=STATUS_CHOICES, chosen=raw, problems=problems,
                           zone=settings["time_zone"])
    return Response(body, status=400 if problems else 200)


def warranties_page() -> Response:
    """Look up a serial number: its warranties (the reader's rule applies), each with
    its coverage today and its customer."""
    kernel = current_app.extensions["accord"]
    require(g.actor, f"{WARRANTY}.read")
    serial = request.args.get("serial", "").strip()
    problem, found = "", []
    if len(serial) > 100:
        problem = "a serial number has at most 100 characters"
    elif serial:
        try:
            found = lookup(kernel, g.actor, serial)
        except NotFound as exc:
            problem = exc.message
    body = render_template("service/warranties.html", serial=serial, found=found,
                           problem=problem)
    return Response(body, status=(400 if len(serial) > 100 else 404) if problem else 200)
