"""Passwords for the web login, hashed with argon2.

A user may set their own password; setting another's needs ``admin.users``.
"""

from __future__ import annotations

import functools
import secrets
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import ValidationError
from ..models import User
from .actors import Actor
from .audit import write_audit
from .authz import require
from .roles import USERS
from .sessions import end_user_sessions

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["set_password", "check_password", "verify_password", "password_problem",
           "MIN_LENGTH", "MAX_LENGTH"]

MIN_LENGTH = 10
#: The login form takes no longer password (argon2 would hash any length, slowly).
MAX_LENGTH = 1024
_hasher = PasswordHasher()


@functools.cache
def _stand_in() -> str:
    """Checked when there is no hash to check (an unknown email), so that a login takes
    as long whether the account exists or not; made once, on first need."""
    return _hasher.hash(secrets.token_urlsafe(16))


def password_problem(password: str) -> str | None:
    """What is wrong with a new password, or None."""
    if len(password) < MIN_LENGTH:
        return f"use at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"use at most {MAX_LENGTH} characters"
    return None


def set_password(kernel: Accord, user: User, password: str, *, actor: Actor) -> None:
    """Store a new password (argon2 hash); at least MIN_LENGTH characters."""
    if user.id != actor.user_id:
        require(actor, USERS)
    problem = password_problem(password)
    if problem:
        raise ValidationError({"password": [problem]})
    hashed = _hasher.hash(password)
    with kernel.transaction():
        User.update(password_hash=hashed).where(User.id == user.id).execute()
        # Whoever was logged in with the old password is logged out.
        end_user_sessions(user.id)
        write_audit(actor, "password_set", "user", [(user.id, {"password": ["***", "***"]})])


def check_password(kernel: Accord, email: str, password: str) -> User | None:
    """The active user with this email and password, else None."""
    with kernel.bound():
        user = User.get_or_none(User.email == email.strip().lower())
    if not verify_password(user.password_hash if user is not None else None, password):
        return None
    assert user is not None
    return user if user.active else None


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; without a hash (no user, or no
    password set) a stand-in is checked, taking the same time, and False returned."""
    try:
        return bool(_hasher.verify(password_hash or _stand_in(), password)) and \
            password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
