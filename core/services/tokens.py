"""API tokens: random, shown once, stored as a SHA-256 hash, revocable.

Tokens carry 256 bits of randomness, so a fast hash is enough to store them (a slow
password hash such as argon2 protects low-entropy secrets; it would only cost time
on every request here).

Anyone may create, list and revoke their own tokens; another user's need admin.users.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING

from ..errors import NotFound, ValidationError
from ..models import ApiToken, User, utcnow
from .actors import Actor
from .audit import write_audit
from .authz import require
from .paging import DEFAULT_LIMIT, MAX_ID, Page, newest_first
from .roles import USERS

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["create_token", "list_tokens", "revoke_token", "user_for_token", "PREFIX"]

PREFIX = "acc_"
#: last_used_at is written at most this often per token.
TOUCH_EVERY = dt.timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(kernel: Accord, user: User, *, name: str, actor: Actor) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the stored row (its ``user`` loaded) and the
    token itself (shown once)."""
    if user.id != actor.user_id:
        require(actor, USERS)
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": ["a token name is 1 to 100 characters"]})
    if not user.active:
        raise ValidationError({"user": [f"{user.email} is deactivated"]})
    secret = PREFIX + secrets.token_urlsafe(32)
    with kernel.transaction():
        row = ApiToken.create(user=user, name=name, prefix=secret[:10],
                              token_hash=_digest(secret), created_at=utcnow())
        write_audit(actor, "token_created", "user",
                    [(user.id, {"token": [None, f"{row.id} {name}"]})])
    return row, secret


def list_tokens(kernel: Accord, *, actor: Actor, user_id: int | None = None,
                limit: int | None = DEFAULT_LIMIT, before: int | None = None) -> Page[ApiToken]:
    """Tokens newest first, each with its ``user`` loaded (``limit=None``: all at once).

    With admin.users: everyone's, or those of ``user_id``; without it, the actor's own
    (asking for another user's is refused)."""
    if user_id is not None and user_id != actor.user_id:
        require(actor, USERS)
    elif user_id is None and not actor.can(USERS):
        user_id = actor.user_id
    query = ApiToken.select(ApiToken, User).join(User)
    if user_id is not None:
        query = query.where(ApiToken.user == user_id)
    with kernel.bound():
        if limit is None:
            return Page(list(query.order_by(ApiToken.id.desc())), None)
        return newest_first(query, ApiToken, limit=limit, before=before)


def revoke_token(kernel: Accord, token_id: int, *, actor: Actor) -> ApiToken:
    """Revoke a token (again: no change); the next request sending it is refused."""
    with kernel.transaction():
        # Ids past 64 bits are none the engines could hold (nor compare).
        row = ApiToken.get_or_none(ApiToken.id == token_id) if 0 < token_id <= MAX_ID else None
        if row is None:
            raise NotFound(f"no token {token_id}")
        if row.user_id != actor.user_id:
            require(actor, USERS)
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            ApiToken.update(revoked_at=row.revoked_at).where(ApiToken.id == token_id).execute()
            write_audit(actor, "token_revoked", "user",
                        [(row.user_id, {"token": [f"{row.id} {row.name}", None]})])
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
