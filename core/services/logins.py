"""Logging in to the web pages: email and password, with a lockout after failures.

``MAX_FAILURES`` wrong passwords for one email within ``WINDOW`` lock that email for
``LOCKOUT``: every attempt meanwhile is refused without the password being checked,
the right one included, and is not counted. The failures are rows of the database,
so every web worker counts the same ones. An unknown email is counted and locked
like a known one, and both answer the same message, so neither the message nor the
lockout tells whether an account exists.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import TYPE_CHECKING

from ..errors import AccordError
from ..models import LoginFailure, User, utcnow
from .passwords import MAX_LENGTH, verify_password

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["log_in", "LoginRefused", "locked_for", "MAX_FAILURES", "WINDOW", "LOCKOUT",
           "WRONG", "DEACTIVATED"]

logger = logging.getLogger(__name__)

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)
LOCKOUT = dt.timedelta(minutes=15)
#: Failures older than this are deleted when a new one is stored.
_KEEP = dt.timedelta(days=1)

WRONG = "Wrong email or password."
DEACTIVATED = "This account is deactivated; ask an administrator to reactivate it."
#: The longest email a login form may send (a User's email holds 254).
_MAX_EMAIL = 254


class LoginRefused(AccordError):
    """A login that did not succeed; the message is what the login page shows."""

    status = 401

    def __init__(self, message: str, *, locked_minutes: int | None = None) -> None:
        super().__init__(message)
        self.locked_minutes = locked_minutes


def locked_message(minutes: int) -> str:
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed logins for this email; try again in {minutes} {unit}."


def log_in(kernel: Accord, email: str, password: str, *,
           now: dt.datetime | None = None) -> User:
    """The active user with this email and password; else ``LoginRefused`` saying
    why: the email is locked out (for how many minutes), the account is deactivated
    (said only to who gave its right password), or the generic ``WRONG``."""
    now = now or utcnow()
    email = (email or "").strip().lower()
    if not email or len(email) > _MAX_EMAIL or len(password) > MAX_LENGTH:
        raise LoginRefused(WRONG)
    minutes = locked_for(kernel, email, now=now)
    if minutes:
        raise LoginRefused(locked_message(minutes), locked_minutes=minutes)
    with kernel.bound():
        user = User.get_or_none(User.email == email)
    # Verified even without a user (against a stand-in hash), so the time taken does
    # not tell whether the email exists.
    if not verify_password(user.password_hash if user is not None else None, password):
        _count_failure(kernel, email, now)
        logger.info("failed web login for %s", email)
        minutes = locked_for(kernel, email, now=now)
        if minutes:
            raise LoginRefused(locked_message(minutes), locked_minutes=minutes)
        raise LoginRefused(WRONG)
    assert user is not None  # a password verified against the stand-in never matches
    if not user.active:
        raise LoginRefused(DEACTIVATED)
    with kernel.transaction():
        # A success wipes the slate: earlier typos do not add up with later ones.
        LoginFailure.delete().where(LoginFailure.email == email).execute()
    logger.info("web login of %s", email)
    return user


def locked_for(kernel: Accord, email: str, *, now: dt.datetime | None = None) -> int:
    """Whole minutes (rounded up) until ``email`` may try again; 0 when it may now.

    Locked: the newest failure is less than ``LOCKOUT`` old and it is the
    ``MAX_FAILURES``-th within ``WINDOW`` (attempts while locked are not counted)."""
    now = now or utcnow()
    email = email.strip().lower()
    with kernel.bound():
        recent: list[dt.datetime] = [row.at for row in LoginFailure.select(LoginFailure.at)
                  .where(LoginFailure.email == email, LoginFailure.at > now - WINDOW - LOCKOUT)
                  .order_by(LoginFailure.at.desc()).limit(MAX_FAILURES)]
    if len(recent) < MAX_FAILURES:
        return 0
    newest = recent[0]
    if newest - recent[-1] > WINDOW:
        return 0
    left = newest + LOCKOUT - now
    if left <= dt.timedelta(0):
        return 0
    return max(1, math.ceil(left.total_seconds() / 60))


def _count_failure(kernel: Accord, email: str, now: dt.datetime) -> None:
    with kernel.transaction():
        # Bookkeeping of attempts, not a change of data: no audit entry.
        LoginFailure.delete().where(LoginFailure.at < now - _KEEP).execute()
        LoginFailure.create(email=email, at=now)
