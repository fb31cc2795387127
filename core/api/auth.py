"""Who is calling: the bearer token of a request, turned into a restricted actor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import g, request

from ..services.authz import actor_for
from ..services.tokens import user_for_token
from .problems import ApiError

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..services.actors import Actor

__all__ = ["authenticate", "current_actor"]


def authenticate(kernel: Accord) -> None:
    """Set ``g.actor`` from ``Authorization: Bearer <token>``, or answer 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "send an API token: Authorization: Bearer <token> "
                            "(create one with 'accord tokens create USER')",
                       WWW_Authenticate='Bearer realm="accord"')
    user = user_for_token(kernel, token.strip())
    if user is None:
        raise ApiError(401, "the token is unknown, revoked, or its user is deactivated",
                       WWW_Authenticate='Bearer realm="accord", error="invalid_token"')
    g.actor = actor_for(kernel, user)


def current_actor() -> Actor:
    return g.actor  # type: ignore[no-any-return]
