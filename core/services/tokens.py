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
from typing import TYPE_CHECKING, Any

import peewee

from ..errors import NotFound, ValidationError
from ..models import ApiToken, KernelMeta, User, utcnow
from .actors import Actor
from .audit import write_audit
from .authz import actor_of_rows, actor_parts, require, union_all
from .paging import DEFAULT_LIMIT, MAX_ID, Page, newest_first
from .roles import USERS

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["create_token", "list_tokens", "revoke_token", "actor_for_token", "PREFIX"]

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


def actor_for_token(kernel: Accord, token: str) -> Actor | None:
    """The actor of a live token of an active user, else None; notes when it was used.

    It runs on every API request, as one statement: the token's user, the role's grants
    and rules, the user's teams and teammates (``authz.actor_parts``), and the kernel's
    counters, from which the kernel is synced first (``kernel.sync(seen)``: a plugin
    toggled in another process is running, or gone, for this request)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        kernel.sync()
        return None
    with kernel.bound():
        assert kernel.database is not None  # bound() has checked it
        rows = kernel.database.execute_sql(_lookup_sql(kernel), (_digest(token),)).fetchall()
        kernel.sync({key: value for kind, key, _, value, *_ in rows if kind == "s"})
        found = next((row for row in rows if row[0] == "u"), None)
        if found is None:
            return None
        _, email, role, user_id, token_id, used = found
        last_used = ApiToken.last_used_at.python_value(used)
        now = utcnow()
        if last_used is None or now - last_used > TOUCH_EVERY:
            # A bookkeeping timestamp, not a change of data: no audit entry.
            ApiToken.update(last_used_at=now).where(ApiToken.id == token_id).execute()
    return actor_of_rows(kernel, user_id, email, role, rows)


#: The SQL of the token lookup, per database class: rendering it costs more than
#: running it, and it runs on every API request.
_LOOKUP_SQL: dict[type, str] = {}


def _lookup_sql(kernel: Accord) -> str:
    """Rows tagged by kind: ``u`` the user of a live token (by hash) with the token's id
    and last use, ``s`` the kernel's counters, then the actor's rows."""
    sql = _LOOKUP_SQL.get(type(kernel.database))
    if sql is None:
        who = (User.select(User.id.alias("user_id"), User.email, User.role.alias("role_id"),
                           ApiToken.id.alias("token_id"), ApiToken.last_used_at.alias("used"))
               .join(ApiToken, on=(ApiToken.user == User.id))
               .where(ApiToken.token_hash == "", ApiToken.revoked_at.is_null(),
                      User.active == peewee.SQL("TRUE"))
               .cte("who"))
        # Typed NULLs: PostgreSQL resolves a chain of UNIONs pair by pair.
        no_id, no_stamp = (peewee.SQL("CAST(NULL AS INTEGER)"),
                           peewee.SQL("CAST(NULL AS TIMESTAMP)"))

        def of_who(*columns: Any) -> Any:  # not CTE.select_from: it adds a WITH of its own
            return peewee.Select([who], list(columns))

        parts = [of_who(peewee.SQL("'u'"), who.c.email, who.c.role_id, who.c.user_id,
                        who.c.token_id, who.c.used),
                 KernelMeta.select(peewee.SQL("'s'"), KernelMeta.key, peewee.SQL("NULL"),
                                   KernelMeta.value, no_id, no_stamp),
                 *actor_parts(of_who(who.c.role_id), of_who(who.c.user_id), no_id, no_stamp)]
        sql, params = union_all(parts).with_cte(who).bind(kernel.database).sql()
        assert params == [""], params
        _LOOKUP_SQL[type(kernel.database)] = sql
    return sql
