"""Reading request bodies: JSON objects only, with clear errors for anything else."""

from __future__ import annotations

from typing import Any

from flask import request

from ..errors import ValidationError
from ..query import text_problem
from .problems import ApiError

__all__ = ["json_object", "if_match"]

#: The message a NUL character gave before (clients may match it).
_MESSAGES = {text_problem("\x00"): "may not contain the NUL character (\\u0000)"}


def json_object() -> dict[str, Any]:
    """The request's JSON object body; 415 for another content type, 400 if malformed."""
    if not request.mimetype or request.mimetype != "application/json" and \
            not request.mimetype.endswith("+json"):
        raise ApiError(415, "send the body as JSON with Content-Type: application/json")
    raw = request.get_data(cache=True)
    try:
        data = request.get_json(force=True, silent=False) if raw else None
    except Exception:  # werkzeug raises BadRequest subclasses for bad JSON
        raise ApiError(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    bad = _unstorable(data, "")
    if bad:
        # PostgreSQL cannot store U+0000 in text, and a lone surrogate ("\\ud800") is no
        # Unicode on either engine: refused on both alike, naming where they are.
        raise ValidationError({name: [problem] for name, problem in bad})
    return data


def _unstorable(value: Any, path: str) -> list[tuple[str, str]]:
    """Where in a JSON value a string (a key included) holds what no text column stores,
    and why, by dotted path."""
    if isinstance(value, str):
        problem = text_problem(value)
        return [(path, _MESSAGES.get(problem, problem))] if problem else []
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    found = []
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        problem = text_problem(key) if isinstance(key, str) else None
        if problem:
            where = where.encode("utf-8", "backslashreplace").decode("utf-8")
            found.append((where, f"this name {problem}"))
            continue
        found.extend(_unstorable(item, where))
    return found


def if_match() -> int | None:
    """The version an ``If-Match: "N"`` header names (None without the header)."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    value = header.strip()
    if value.startswith("W/"):
        raise ApiError(400, "If-Match takes the strong ETag of the record, e.g. \"3\"")
    value = value.strip('"')
    if not (value.isascii() and value.isdigit()):
        raise ApiError(400, f"If-Match: {header!r} is not an ETag of this API (e.g. \"3\")")
    return int(value)
