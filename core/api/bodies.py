"""Reading request bodies: JSON objects only, with clear errors for anything else."""

from __future__ import annotations

from typing import Any

from flask import request

from ..errors import ValidationError
from .problems import ApiError

__all__ = ["json_object", "if_match"]


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
    nul = _with_nul(data, "")
    if nul:
        # PostgreSQL cannot store U+0000 in text; refused on both engines alike.
        raise ValidationError({name: ["may not contain the NUL character (\\u0000)"]
                               for name in nul})
    return data


def _with_nul(value: Any, path: str) -> list[str]:
    """Where in a JSON value a string holds U+0000 (dotted paths)."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    return [found for key, item in items
            for found in _with_nul(item, f"{path}.{key}" if path else str(key))]


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
