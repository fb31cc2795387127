"""Passwords for the web login, hashed with argon2.

A user may set their own password; setting another's needs ``admin.users``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import ValidationError
from ..models import User
from .actors import Actor
from .audit import write_audit
from .authz import require
from .roles import USERS

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["set_password", "check_password", "MIN_LENGTH"]

MIN_LENGTH = 10
_hasher = PasswordHasher()


def set_password(kernel: Accord, user: User, password: str, *, actor: Actor) -> None:
    """Store a new password (argon2 hash); at least MIN_LENGTH characters."""
    if user.id != actor.user_id:
        require(actor, USERS)
    if len(password) < MIN_LENGTH:
        raise ValidationError({"password": [f"use at least {MIN_LENGTH} characters"]})
    hashed = _hasher.hash(password)
    with kernel.transaction():
        User.update(password_hash=hashed).where(User.id == user.id).execute()
        write_audit(actor, "password_set", "user", [(user.id, {"password": ["***", "***"]})])


def check_password(kernel: Accord, email: str, password: str) -> User | None:
    """The active user with this email and password, else None."""
    with kernel.bound():
        user = User.get_or_none(User.email == email.strip().lower())
    if user is None or not user.active or not user.password_hash:
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return user
