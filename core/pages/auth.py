"""Logging in and out of the pages, and who is asking on every page request.

The session cookie (signed by Flask with the secret key; HttpOnly, SameSite=Lax,
Secure over TLS) holds the key of a server-side session (``accord.services.sessions``)
and the CSRF seed. Every page request looks the key up: a logged-out, expired or
deactivated session is sent to ``/login``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import (Blueprint, Response, current_app, flash, g, redirect, render_template,
                   request, session, url_for)

from ..services.authz import actor_for
from ..services.logins import LoginRefused, log_in
from ..services.sessions import end_session, session_user, start_session
from .csrf import check_csrf, new_seed

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["register", "PUBLIC", "current_user"]

#: Page endpoints answered without a login.
PUBLIC = frozenset({"pages.login"})
_KEY = "sid"


def register(bp: Blueprint, kernel: Accord) -> None:
    @bp.before_request
    def who_is_asking() -> Any:
        if not _signed_link_view():
            check_csrf()
        user = current_user(kernel)
        if user is None:
            if request.endpoint in PUBLIC or _public_view():
                g.actor = None
                return None
            return _to_login()
        g.actor = actor_for(kernel, user)
        return None

    @bp.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        wanted = _local(request.values.get("next"))
        if g.get("user") is not None:
            return redirect(wanted or url_for("pages.home"))
        email = request.form.get("email", "")
        if request.method == "GET":
            return render_template("login.html", email="", next=wanted, error=None)
        try:
            user = log_in(kernel, email, request.form.get("password", ""))
        except LoginRefused as refused:
            status = 429 if refused.locked_minutes else 401
            response = Response(render_template("login.html", email=email, next=wanted,
                                                error=refused.message), status=status)
            if refused.locked_minutes:
                response.headers["Retry-After"] = str(refused.locked_minutes * 60)
            return response
        # A new session and a new CSRF seed: nothing read before the login serves after.
        end_session(kernel, session.get(_KEY))
        session.clear()
        session[_KEY] = start_session(kernel, user)
        session.permanent = True
        new_seed()
        return redirect(wanted or url_for("pages.home"))

    @bp.post("/logout")
    def logout() -> Any:
        end_session(kernel, session.get(_KEY))
        session.clear()
        new_seed()
        flash("You are logged out.", "info")
        return redirect(url_for("pages.login"))


def current_user(kernel: Accord) -> Any:
    """The logged-in user of this request (looked up once), or None."""
    if "user" not in g:
        g.user = session_user(kernel, session.get(_KEY))
    return g.user


def _public_view() -> bool:
    """Whether the view asked for is marked ``accord.pages.public`` (a plugin's form for
    customers) or serves a plugin blueprint's static files."""
    endpoint = request.endpoint or ""
    if endpoint.endswith(".static"):
        return True  # a plugin's stylesheet or script: no secret, and its forms need it
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(view, "accord_public", False))


def _signed_link_view() -> bool:
    """Whether the view asked for is marked ``accord.pages.signed_link``: its URL's
    signed token stands in for the CSRF token."""
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "accord_signed_link", False))


def _to_login() -> Any:
    target = url_for("pages.login", next=request.full_path.rstrip("?"))
    if request.headers.get("HX-Request"):
        # htmx would swap the login page into a fragment: have it load the page instead.
        response = Response(status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def _local(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
