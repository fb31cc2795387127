"""CSRF protection of the pages: a signed token in every form, checked on every unsafe
request.

The session cookie holds a random seed; a form carries the seed signed with the app's
secret key (itsdangerous, which Flask already depends on) in a hidden ``csrf_token``
field, or htmx sends it in the ``X-CSRF-Token`` header. A POST, PUT, PATCH or DELETE
to a page without a token matching the seed of the session that sent it is refused
(400) before its view runs. Logging in and out draws a new seed, so a token read
before does not serve after. The API is not concerned: it takes bearer tokens, which
a browser never sends by itself.

Why not Flask-WTF's CSRFProtect: it protects every view of the app unless exempted,
so the API blueprint and every plugin's API routes would need an exemption, and it
brings WTForms, which the pages do not use (their forms come from the record types'
marshmallow schemas). The check here is the same scheme in a few lines, applied to
the pages' blueprints only.
"""

from __future__ import annotations

import hmac
import secrets

from flask import current_app, g, request, session
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from ..errors import AccordError
from ..services.sessions import IDLE

__all__ = ["FIELD", "HEADER", "UNSAFE", "CsrfRefused", "csrf_token", "check_csrf",
           "new_seed"]

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SEED = "csrf"
_SALT = "accord.pages.csrf"


class CsrfRefused(AccordError):
    """An unsafe request to a page without a valid CSRF token (answered 400)."""

    status = 400


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=_SALT)


def new_seed() -> None:
    """Draw a new seed for this session (at login and logout)."""
    session[_SEED] = secrets.token_urlsafe(32)
    g.pop("csrf_token", None)


def csrf_token() -> str:
    """The token for this session's forms (templates call ``csrf_token()``)."""
    token = g.get("csrf_token")
    if token is None:
        if not isinstance(session.get(_SEED), str):
            new_seed()
        token = _serializer().dumps(session[_SEED])
        g.csrf_token = token
    return str(token)


def check_csrf() -> None:
    """Refuse an unsafe request whose token is missing, expired or not this session's."""
    if request.method not in UNSAFE:
        return
    sent = request.form.get(FIELD) or request.headers.get(HEADER)
    if not sent:
        raise CsrfRefused(f"the form was sent without its security token ({FIELD}); "
                          "reload the page and send it again")
    seed = session.get(_SEED)
    if not isinstance(seed, str):
        raise CsrfRefused("your session has no security token (it expired, or cookies are "
                          "blocked); reload the page and send the form again")
    try:
        value = _serializer().loads(sent, max_age=int(IDLE.total_seconds()))
    except SignatureExpired:
        raise CsrfRefused("the form's security token has expired; reload the page and "
                          "send it again") from None
    except BadData:
        raise CsrfRefused("the form's security token is not valid; reload the page and "
                          "send it again") from None
    if not isinstance(value, str) or not hmac.compare_digest(value, seed):
        raise CsrfRefused("the form's security token belongs to another session (you "
                          "logged in or out meanwhile); reload the page and send it again")
