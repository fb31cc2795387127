"""The REST API under ``/api/v1``: JSON, problem+json errors, bearer tokens.

``register_api(app, kernel)`` adds one blueprint to the app; its routes resolve
record types per request, so plugins toggled in any process show up or vanish on
the next request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, request

from . import crud, problems
from .auth import authenticate

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["register_api", "PUBLIC", "authenticated"]

#: Endpoints answered without a token.
PUBLIC = {"api.health", "api.openapi"}


def authenticated(endpoint: str | None) -> bool:
    """Whether a request to ``endpoint`` is authenticated by its token: the token's
    lookup syncs the kernel too, in the same statement (``actor_for_token``)."""
    return endpoint is not None and endpoint.startswith("api.") and endpoint not in PUBLIC


def register_api(app: Flask, kernel: Accord) -> None:
    bp = Blueprint("api", __name__, url_prefix="/api/v1")

    @bp.before_request
    def require_token() -> Any:
        if authenticated(request.endpoint):
            authenticate(kernel)
        return None

    from . import (admin, anonymize, exports, imports, merging, metrics, openapi, rates,
                   routes, webhooks)

    openapi.register(bp, kernel)
    openapi.register_docs(app)
    admin.register(bp, kernel)
    metrics.register(bp, kernel)
    rates.register(bp, kernel)
    webhooks.register(bp, kernel)
    imports.register(bp, kernel)
    exports.register(bp, kernel)
    merging.register(bp, kernel)
    anonymize.register(bp, kernel)
    routes.register(bp, kernel)
    crud.register(bp, kernel)
    problems.install(app)
    app.register_blueprint(bp)
