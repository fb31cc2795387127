"""Who may do what: API tokens, the permissions roles hold, and their record rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from .base import BaseModel, UTCDateTimeField, utcnow
from .people import Role, User

__all__ = ["ApiToken", "RolePermission", "RoleRule", "SCOPES"]

#: How far a role reaches into the records of one type.
SCOPES = ("own", "team", "all")


class ApiToken(BaseModel):
    """A bearer token for the API: only its SHA-256 is stored; shown once at creation."""

    user = peewee.ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    name = peewee.CharField(max_length=100)
    prefix = peewee.CharField(max_length=16)
    token_hash = peewee.CharField(max_length=64, unique=True)
    created_at = UTCDateTimeField(default=utcnow)
    last_used_at = UTCDateTimeField(null=True)
    revoked_at = UTCDateTimeField(null=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]
        user_id: peewee.ForeignKeyField[int]

    class Meta:
        table_name = "accord_api_token"


class RolePermission(BaseModel):
    """A permission a role holds; ``*`` patterns grant families (``acme_dental.*``).

    A ``withheld`` row is the opposite: a grant a plugin gives the role
    (``register_role_grants``) that an admin revoked, so the role does not hold it.
    """

    role = peewee.ForeignKeyField(Role, backref="grants", on_delete="CASCADE",
                                  column_name="role")
    permission = peewee.CharField(max_length=200)
    withheld = peewee.BooleanField(default=False)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]
        role_id: peewee.ForeignKeyField[str]

    class Meta:
        table_name = "accord_role_permission"
        indexes = ((("role", "permission"), True),)


class RoleRule(BaseModel):
    """Which records of a type (or ``*`` pattern) a role reaches: own, team or all."""

    role = peewee.ForeignKeyField(Role, backref="rules", on_delete="CASCADE",
                                  column_name="role")
    record_type = peewee.CharField(max_length=100)
    scope = peewee.CharField(max_length=10)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]
        role_id: peewee.ForeignKeyField[str]

    class Meta:
        table_name = "accord_role_rule"
        indexes = ((("role", "record_type"), True),)
