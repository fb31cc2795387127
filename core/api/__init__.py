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

__all__ = ["register_api", "PUBLIC"]

#: Endpoints answered without a token.
PUBLIC = {"api.health", "api.openapi"}


def register_api(app: Flask, kernel: Accord) -> None:
    bp = Blueprint("api", __name__, url_prefix="/api/v1")

    @bp.before_request
    def require_token() -> Any:
        if request.endpoint not in PUBLIC:
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
