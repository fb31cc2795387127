"""``register_pages(app, kernel)``: the pages' blueprint, session cookie, templates and
error pages, added to the app ``create_app`` builds."""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, g, request
from flask.sessions import SecureCookieSessionInterface

from ..services.authz import actor_for
from ..services.sessions import IDLE
from . import auth, dashboard, errors, lists, record, views
from .admin import register as register_admin
from .csrf import csrf_token
from .format import FILTERS
from .navigation import navigation
from .plugin_pages import mount_plugin_pages

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["register_pages", "SESSION_COOKIE"]

logger = logging.getLogger(__name__)

SESSION_COOKIE = "accord_session"


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure when the request came over TLS (or always,
    with the ``secure_cookies`` setting: behind a proxy that ends TLS and is not
    trusted to say so)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def register_pages(app: Flask, kernel: Accord) -> None:
    if not app.config.get("SECRET_KEY"):
        # Without a stored key, sessions end when the process does, and several
        # workers would not accept each other's cookies.
        logger.warning("no secret_key is configured: web sessions will not survive a "
                       "restart ('accord init' writes one into accord.toml)")
        app.config["SECRET_KEY"] = secrets.token_urlsafe(32)
    app.config.update(SESSION_COOKIE_NAME=SESSION_COOKIE, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=IDLE)
    if kernel.config.secure_cookies:
        app.config["SESSION_COOKIE_SECURE"] = True
    app.session_interface = _SessionInterface()
    app.jinja_env.filters.update(FILTERS)

    bp = Blueprint("pages", __name__)
    auth.register(bp, kernel)
    views.register(bp, kernel)
    lists.register(bp, kernel)
    record.register(bp, kernel)
    dashboard.register(bp, kernel)
    register_admin(bp, kernel)
    errors.register(app, bp, kernel)
    mount_plugin_pages(bp, kernel)

    @app.context_processor
    def shell() -> dict[str, Any]:
        return {"csrf_token": csrf_token, "user": g.get("user"),
                "navigation": lambda: _navigation(kernel)}

    app.register_blueprint(bp)


def _navigation(kernel: Accord) -> list[Any]:
    user = g.get("user")
    if user is None:
        return []
    actor = g.get("actor")
    if actor is None:  # an error page drawn outside the pages (an unknown path)
        actor = g.actor = actor_for(kernel, user)
    return navigation(kernel, actor, request.path, request.args.to_dict())
