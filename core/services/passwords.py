"""Passwords for the web login, hashed with argon2."""

from __future__ import annotations

from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import ValidationError
from ..models import AuditEntry, User, utcnow
from .actors import Actor

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["set_password", "check_password", "MIN_LENGTH"]

MIN_LENGTH = 10
_hasher = PasswordHasher()


def set_password(kernel: Accord, user: User, password: str, *, actor: Actor) -> None:
    """Store a new password (argon2 hash); at least MIN_LENGTH characters."""
    if len(password) < MIN_LENGTH:
        raise ValidationError({"password": [f"use at least {MIN_LENGTH} characters"]})
    hashed = _hasher.hash(password)
    with kernel.transaction():
        User.update(password_hash=hashed).where(User.id == user.id).execute()
        AuditEntry.create(at=utcnow(), actor_id=actor.user_id, actor_label=actor.label,
                          action="password_set", record_type="user", record_id=user.id,
                          changes={"password": ["***", "***"]})


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
