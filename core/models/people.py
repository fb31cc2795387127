"""Users, roles, teams, and ``OwnedRecord``: the base of records someone owns."""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from .base import BaseModel, BaseRecord

__all__ = ["Role", "User", "Team", "TeamMember", "OwnedRecord", "BUILTIN_ROLES", "ADMIN_ROLE"]

#: The role that manages everything; it cannot be narrowed, and one active user keeps it.
ADMIN_ROLE = "admin"
#: The roles every database starts with (their permissions come with the API).
BUILTIN_ROLES = {
    "admin": "Everything, including plugins, users and roles",
    "manager": "All records of their teams, reports",
    "sales": "Customers and the sales pipeline",
    "service": "Customers and after-sales service",
    "marketing": "Customers, segments and campaigns",
    "read-only": "Reads records, changes nothing",
}


class Role(BaseModel):
    name = peewee.CharField(max_length=64, primary_key=True)
    description = peewee.TextField(default="")
    builtin = peewee.BooleanField(default=False)

    class Meta:
        table_name = "accord_role"


class User(BaseRecord):
    email = peewee.CharField(max_length=254, unique=True)
    name = peewee.CharField(max_length=200)
    role = peewee.ForeignKeyField(Role, backref="users", on_delete="RESTRICT",
                                  column_name="role", index=True)
    active = peewee.BooleanField(default=True)
    password_hash = peewee.CharField(max_length=255, null=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        role_id: peewee.ForeignKeyField[str]

    class Meta:
        table_name = "accord_user"


class Team(BaseRecord):
    name = peewee.CharField(max_length=200, unique=True)
    manager = peewee.ForeignKeyField(User, null=True, backref="managed_teams",
                                     on_delete="SET NULL")
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        manager_id: peewee.ForeignKeyField[int | None]

    class Meta:
        table_name = "accord_team"


class TeamMember(BaseModel):
    team = peewee.ForeignKeyField(Team, backref="memberships", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="memberships", on_delete="CASCADE")
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]
        team_id: peewee.ForeignKeyField[int]
        user_id: peewee.ForeignKeyField[int]

    class Meta:
        table_name = "accord_team_member"
        indexes = ((("team", "user"), True),)


class OwnedRecord(BaseRecord):
    """A record assigned to a user and/or a team (organizations, contacts, deals…)."""

    owner = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL", index=True)
    team = peewee.ForeignKeyField(Team, null=True, on_delete="SET NULL", index=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        owner_id: peewee.ForeignKeyField[int | None]
        team_id: peewee.ForeignKeyField[int | None]
