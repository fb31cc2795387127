"""Errors as ``application/problem+json`` (RFC 9457), with per-field messages.

Every error an API client can cause answers here with a 4xx; nothing is a 500 but a
bug, which is logged with its traceback and answered without details.
"""

from __future__ import annotations

import logging
from typing import Any

import peewee
from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from ..errors import AccordError, BadQuery, ValidationError
from ..unavailable import unavailable

__all__ = ["problem", "ApiError", "install"]

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request", 401: "Authentication required", 403: "Forbidden",
    404: "Not found", 405: "Method not allowed", 409: "Conflict",
    412: "Precondition failed", 413: "Request body too large",
    415: "Unsupported media type", 422: "Invalid input", 429: "Too many requests",
    500: "Internal error", 503: "Service unavailable",
}


class ApiError(AccordError):
    """An error of the HTTP layer itself (a bad parameter, a wrong content type)."""

    def __init__(self, status: int, detail: str,
                 errors: dict[str, list[str]] | None = None, **headers: str) -> None:
        super().__init__(detail)
        self.status = status
        self.errors = errors
        self.headers = headers


def problem(status: int, detail: str, *, errors: dict[str, list[str]] | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": TITLES.get(status, "Error"),
                            "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def install(app: Flask) -> None:
    """Answer every error under /api with a problem document."""

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> Response:
        return problem(exc.status, exc.message, errors=exc.errors,
                       headers={k.replace("_", "-"): v for k, v in exc.headers.items()})

    @app.errorhandler(ValidationError)
    def invalid(exc: ValidationError) -> Response:
        if isinstance(exc, BadQuery):  # parameters not understood: nothing was to be written
            return problem(400, exc.detail, errors=exc.flat())
        return problem(422, "the input is not valid; see errors for each field",
                       errors=exc.flat())

    @app.errorhandler(AccordError)
    def accord_error(exc: AccordError) -> Response:
        return problem(exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if not request.path.startswith("/api/"):
            # The pages answer in HTML, with the error page they registered.
            page = app.extensions.get("accord.page_error")
            return page(exc) if page is not None else exc
        status = exc.code or 500
        detail = {404: "no such resource", 405: "this method is not allowed here",
                  413: _too_large()}.get(status, exc.description or "")
        headers = {}
        allowed = getattr(exc, "valid_methods", None)
        if status == 405 and allowed:
            headers["Allow"] = ", ".join(allowed)
        return problem(status, detail, headers=headers)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        logger.exception("unexpected error")
        return problem(500, "an unexpected error occurred; it has been logged")

    @app.errorhandler(UnicodeEncodeError)
    def not_unicode(exc: UnicodeEncodeError) -> Response:
        # A lone surrogate ("\ud800" in JSON) that reached a driver: the bodies and list
        # parameters the core reads are checked first (accord.query.text_problem); this
        # catches a plugin's own route that passed one on.
        if "surrogate" not in exc.reason:
            return unexpected(exc)
        status = 422 if request.method in ("POST", "PUT", "PATCH") else 400
        return problem(status, "the request holds text that is not valid Unicode (a lone "
                               "surrogate such as \\ud800)")

    @app.errorhandler(peewee.OperationalError)
    @app.errorhandler(peewee.InterfaceError)
    def database_away(exc: Exception) -> Any:
        # The database unreachable or locked past the busy timeout (accord.unavailable):
        # nothing was written, and the same request succeeds once it is back.
        outage = unavailable(exc)
        if outage is None:
            return unexpected(exc)
        if not request.path.startswith("/api/"):
            page = app.extensions.get("accord.page_unavailable")
            if page is not None:
                return page(exc)
        logger.warning("503 on %s: %s", request.path, str(exc).strip().splitlines()[0])
        return problem(503, outage[0], headers={"Retry-After": str(outage[1])})

    @app.errorhandler(OverflowError)
    @app.errorhandler(peewee.DataError)
    def out_of_range(exc: Exception) -> Response:
        # A number too large for its column (SQLite binds 64-bit integers at most,
        # PostgreSQL's integer holds 32 bits) is the client's input, refused before
        # anything was written: the statement failed inside its transaction.
        if isinstance(exc, peewee.DataError) and _sqlstate(exc) != NUMERIC_OUT_OF_RANGE:
            return unexpected(exc)
        status = 422 if request.method in ("POST", "PUT", "PATCH") else 400
        return problem(status, "a number is too large for the field it is meant for")


#: SQLSTATE numeric_value_out_of_range.
NUMERIC_OUT_OF_RANGE = "22003"


def _sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error peewee wrapped (psycopg2's pgcode)."""
    for candidate in (exc, *exc.args, exc.__cause__, exc.__context__):
        code = getattr(candidate, "pgcode", None)
        if code:
            return str(code)
    return None


def _too_large() -> str:
    limit = request.max_content_length
    if not limit:
        return "the request body is too large"
    return f"the request body is too large: this request takes at most {limit // 1048576} MiB"
