"""Error pages: what went wrong in words, never a traceback.

A missing permission is a 403 page naming it, something not found a 404 page naming
it (a disabled plugin's record type names the plugin), a refused form a 400 page
saying why; anything unexpected is logged with its traceback and answered with a
plain apology.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

import peewee
from flask import Blueprint, Flask, Response, g, render_template, request
from werkzeug.exceptions import HTTPException

from ..errors import AccordError, NotFound, PermissionDenied
from ..unavailable import unavailable
from .csrf import CsrfRefused

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["register", "error_page"]

logger = logging.getLogger(__name__)

TITLES = {400: "The request was refused", 403: "You may not see this",
          404: "Not found", 405: "Not allowed here", 409: "Conflict",
          412: "Changed meanwhile", 413: "Too large", 422: "Not valid",
          500: "Something went wrong", 503: "Try again in a moment"}


def register(app: Flask, bp: Blueprint, kernel: Accord) -> None:
    @bp.errorhandler(CsrfRefused)
    def csrf_refused(exc: CsrfRefused) -> Response:
        return error_page(400, "The form was refused", exc.message)

    @bp.errorhandler(PermissionDenied)
    def forbidden(exc: PermissionDenied) -> Response:
        return error_page(403, TITLES[403], exc.message)

    @bp.errorhandler(NotFound)
    def not_found(exc: NotFound) -> Response:
        return error_page(404, TITLES[404], exc.message)

    @bp.errorhandler(AccordError)
    def refused(exc: AccordError) -> Response:
        return error_page(exc.status, TITLES.get(exc.status, "Refused"), exc.message)

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return _http_page(kernel, exc)

    @bp.errorhandler(peewee.OperationalError)
    @bp.errorhandler(peewee.InterfaceError)
    def database_away(exc: Exception) -> Response:
        if unavailable(exc) is None:
            return unexpected(exc)
        return database_unavailable(exc)

    @bp.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        logger.exception("unexpected error on page %s", request.path)
        return apology()

    # Outside any blueprint (an unknown path, a wrong method), the API's handler answers
    # paths under /api/ with problem documents and hands the others to the pages.
    app.extensions["accord.page_error"] = lambda exc: _http_page(kernel, exc)
    app.extensions["accord.page_unavailable"] = database_unavailable


def error_page(status: int, title: str, message: str) -> Response:
    """The error as a page; for an htmx request, as an alert shown at the top of the
    page the request came from (``HX-Retarget``), whatever the request meant to swap."""
    if request.headers.get("HX-Request"):
        body = render_template("_alert.html", status=status, title=title, message=message)
        response = Response(body, status=status)
        response.headers["HX-Retarget"] = "#page-alerts"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    body = render_template("error.html", status=status, title=title, message=message)
    return Response(body, status=status)


def apology() -> Response:
    # No user, no navigation: whatever failed may fail again while drawing them.
    g.user = None
    at = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return error_page(500, TITLES[500],
                      f"Sorry, the page could not be shown. The error was logged at {at}; "
                      "try again, and if it happens again, tell your administrator that time.")


def database_unavailable(exc: BaseException) -> Response:
    """The database unreachable or busy for now (accord.unavailable): 503 with a
    Retry-After, drawn without asking the database anything."""
    why, retry_after = unavailable(exc) or ("the database cannot be reached", 5)
    logger.warning("503 on page %s: %s", request.path, str(exc).strip().splitlines()[0])
    g.user = None
    response = error_page(503, TITLES[503], f"Sorry, {why}.")
    response.headers["Retry-After"] = str(retry_after)
    return response


def _http_page(kernel: Accord, exc: HTTPException) -> Response:
    status = exc.code or 500
    if status >= 500:
        logger.error("HTTP %s on page %s: %s", status, request.path, exc.description)
        return apology()
    from .auth import current_user

    try:
        current_user(kernel)  # the error page shows the navigation to who is logged in
    except peewee.DatabaseError:  # drawing an error page must not fail on a second error
        logger.exception("cannot look the session up for an error page")
        g.user = None
    if status == 404:
        message = f"There is no page at {request.path}."
    elif status == 405:
        message = f"{request.path} does not take {request.method} requests."
    else:
        message = exc.description or TITLES.get(status, "Refused")
    return error_page(status, TITLES.get(status, "Refused"), message)
