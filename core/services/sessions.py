"""Web sessions: a logged-in browser holds a random key, the database its SHA-256.

The key has 256 bits of randomness, so a fast hash is enough to store it (as for API
tokens). A session ends when its user logs out, is deactivated or gets a new
password, or after ``IDLE`` without a page; the row is what counts, so a copy of the
cookie stops working with it, and every web worker agrees.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING

from ..models import User, WebSession, utcnow

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["start_session", "session_user", "end_session", "end_user_sessions", "IDLE",
           "TOUCH_EVERY"]

#: A session not used for this long has ended.
IDLE = dt.timedelta(hours=12)
#: seen_at is written at most this often per session.
TOUCH_EVERY = dt.timedelta(minutes=5)
#: The longest key a cookie may carry (``token_urlsafe(32)`` gives 43 characters).
_MAX_KEY = 100


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def start_session(kernel: Accord, user: User) -> str:
    """A new session for ``user`` (who has just proven their password); returns the
    key for the cookie. Sessions idle past ``IDLE`` are cleared on the way."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    with kernel.transaction():
        # Bookkeeping of logins, not a change of data: no audit entry.
        WebSession.delete().where(WebSession.seen_at < now - IDLE).execute()
        WebSession.create(user=user.id, key_hash=_digest(key), created_at=now, seen_at=now)
    return key


def session_user(kernel: Accord, key: str | None) -> User | None:
    """The active user of a live session, else None; notes that it was used."""
    if not isinstance(key, str) or not key or len(key) > _MAX_KEY:
        return None
    now = utcnow()
    with kernel.bound():
        row = (WebSession.select(WebSession, User).join(User)
               .where(WebSession.key_hash == _digest(key)).first())
        if row is None or not row.user.active or now - row.seen_at > IDLE:
            return None
        if now - row.seen_at > TOUCH_EVERY:
            WebSession.update(seen_at=now).where(WebSession.id == row.id).execute()
        return row.user  # type: ignore[no-any-return]


def end_session(kernel: Accord, key: str | None) -> None:
    """Log a session out (an unknown or ended one: nothing to do)."""
    if not isinstance(key, str) or not key or len(key) > _MAX_KEY:
        return
    with kernel.transaction():
        WebSession.delete().where(WebSession.key_hash == _digest(key)).execute()


def end_user_sessions(user_id: int) -> int:
    """Log every browser of a user out (a new password); call inside the caller's
    transaction. Returns how many sessions ended."""
    return int(WebSession.delete().where(WebSession.user == user_id).execute())
