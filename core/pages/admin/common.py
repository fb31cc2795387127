"""What the administration pages share: answering a form that succeeded and placing
a refusal's messages."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template

from ...errors import AccordError, ValidationError

__all__ = ["done", "messages_of", "refused"]


def done(message: str, url: str) -> Any:
    """Back to ``url`` with ``message`` shown at the top (post/redirect/get)."""
    flash(message, "info")
    return redirect(url)


def messages_of(exc: AccordError, fallback: str = "_schema") -> dict[str, list[str]]:
    """A refusal's messages by field: a ValidationError's own keys (``rules.acme_dental.*``
    as ``rules``), anything else under ``fallback``."""
    if not isinstance(exc, ValidationError):
        return {fallback: [exc.message]}
    out: dict[str, list[str]] = {}
    for key, problems in exc.flat().items():
        name = key.split(".", 1)[0].split("[", 1)[0]
        out.setdefault(fallback if name == "_schema" else name, []).extend(problems)
    return out


def refused(template: str, exc: AccordError | None, status: int | None = None,
            **context: Any) -> Response:
    """The page drawn again with what was refused (HTTP 4xx: the error's status)."""
    code = status if status is not None else (exc.status if exc is not None else 422)
    return Response(render_template(template, **context), status=code)
