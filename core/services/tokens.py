"""API tokens: random, shown once, stored as a SHA-256 hash, revocable.

Tokens carry 256 bits of randomness, so a fast hash is enough to store them (a slow
password hash such as argon2 protects low-entropy secrets; it would only cost time
on every request here).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING

from ..errors import NotFound, ValidationError
from ..models import ApiToken, AuditEntry, User, utcnow
from .actors import Actor

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["create_token", "revoke_token", "user_for_token", "PREFIX"]

PREFIX = "acc_"
#: last_used_at is written at most this often per token.
TOUCH_EVERY = dt.timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(kernel: Accord, user: User, *, name: str, actor: Actor) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the stored row and the token itself (shown once)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": ["a token name is 1 to 100 characters"]})
    if not user.active:
        raise ValidationError({"user": [f"{user.email} is deactivated"]})
    secret = PREFIX + secrets.token_urlsafe(32)
    with kernel.transaction():
        row = ApiToken.create(user=user.id, name=name, prefix=secret[:10],
                              token_hash=_digest(secret), created_at=utcnow())
        AuditEntry.create(at=utcnow(), actor_id=actor.user_id, actor_label=actor.label,
                          action="token_created", record_type="user", record_id=user.id,
                          changes={"token": [None, f"{row.id} {name}"]})
    return row, secret


def revoke_token(kernel: Accord, token_id: int, *, actor: Actor) -> ApiToken:
    with kernel.transaction():
        row = ApiToken.get_or_none(ApiToken.id == token_id)
        if row is None:
            raise NotFound(f"no token {token_id}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            ApiToken.update(revoked_at=row.revoked_at).where(ApiToken.id == token_id).execute()
            AuditEntry.create(at=utcnow(), actor_id=actor.user_id, actor_label=actor.label,
                              action="token_revoked", record_type="user",
                              record_id=row.user_id, changes={"token": [f"{row.id} {row.name}", None]})
    return row


def user_for_token(kernel: Accord, token: str) -> User | None:
    """The active user a live token belongs to, else None; notes when it was used."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    with kernel.bound():
        user = next(iter(User.raw(_lookup_sql(kernel), _digest(token))), None)
        if user is None or not user.active:
            return None
        last_used = ApiToken.last_used_at.python_value(user.token_last_used_at)
        now = utcnow()
        if last_used is None or now - last_used > TOUCH_EVERY:
            # A bookkeeping timestamp, not a change of data: no audit entry.
            ApiToken.update(last_used_at=now).where(ApiToken.id == user.token_id).execute()
        return user  # type: ignore[no-any-return]


#: The SQL of the token lookup, per database class: rendering it costs more than
#: running it, and it runs on every API request.
_LOOKUP_SQL: dict[type, str] = {}


def _lookup_sql(kernel: Accord) -> str:
    """The user of a live token (by hash), with the token's id and last use."""
    sql = _LOOKUP_SQL.get(type(kernel.database))
    if sql is None:
        query = (User.select(User, ApiToken.id.alias("token_id"),
                             ApiToken.last_used_at.alias("token_last_used_at"))
                 .join(ApiToken, on=(ApiToken.user == User.id))
                 .where(ApiToken.token_hash == "", ApiToken.revoked_at.is_null()))
        sql, params = query.sql()
        assert params == [""], params
        _LOOKUP_SQL[type(kernel.database)] = sql
    return sql
