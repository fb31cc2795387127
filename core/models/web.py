"""The web pages' own tables: login sessions and failed logins (for the lockout).

Both live in the database, so several web workers agree on who is logged in and on
which email is locked out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from .base import BaseModel, UTCDateTimeField, utcnow
from .people import User

__all__ = ["WebSession", "LoginFailure"]


class WebSession(BaseModel):
    """A logged-in browser: the cookie holds a random key, the table its SHA-256.

    Logging out deletes the row, so a copy of the cookie stops working too."""

    user = peewee.ForeignKeyField(User, backref="web_sessions", on_delete="CASCADE")
    key_hash = peewee.CharField(max_length=64, unique=True)
    created_at = UTCDateTimeField(default=utcnow)
    seen_at = UTCDateTimeField(default=utcnow, index=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]
        user_id: peewee.ForeignKeyField[int]

    class Meta:
        table_name = "accord_web_session"


class LoginFailure(BaseModel):
    """One failed login for an email (known or not), kept while it counts."""

    email = peewee.CharField(max_length=254)
    at = UTCDateTimeField(default=utcnow, index=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]

    class Meta:
        table_name = "accord_login_failure"
        indexes = ((("email", "at"), False),)
