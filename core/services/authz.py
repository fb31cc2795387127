"""Authorization: permissions of roles and record rules, applied inside the SQL.

A restricted actor (a user through the API) must hold ``<plugin>.<object>.<action>``
for what it does, and only reaches the records its role's rule for the type allows:
its own, its teams', or all. Rules are applied in the queries of lists, reads,
updates and deletes, so no count or cursor leaks other records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence

import peewee

from ..errors import PermissionDenied
from ..models import RolePermission, RoleRule, TeamMember
from ..rolegrants import effective_grants, effective_rules
from .actors import Actor

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..models import User
    from ..records import RecordType

__all__ = ["actor_for", "actor_of_rows", "actor_parts", "union_all", "permission_for",
           "require", "scoped", "rule_condition", "check_ownership", "PERSONAL_DATA"]

#: Who holds this sees personal data unmasked.
PERSONAL_DATA = "core.personal_data.read"


def actor_for(kernel: Accord, user: User) -> Actor:
    """The restricted actor of a user: role grants, record rules, teams, teammates.

    One query (it runs on every page request): the grants (and withheld grants) and
    rules of the role, the user's teams and their members, as rows tagged by kind.
    What plugins give the role is in memory (``kernel.role_grants``) and merged here.
    """
    with kernel.bound():
        assert kernel.database is not None  # bound() has checked it
        rows = kernel.database.execute_sql(
            _actor_sql(kernel), (user.role_id, user.role_id, user.id, user.id)).fetchall()
    return actor_of_rows(kernel, user.id, user.email, user.role_id, rows)


def actor_of_rows(kernel: Accord, user_id: int, email: str, role: str,
                  rows: Iterable[Sequence[Any]]) -> Actor:
    """The actor from the rows of ``actor_parts`` (kind, text, scope, number, ...);
    rows of other kinds are skipped."""
    grants: list[str] = []
    withheld: set[str] = set()
    rules: list[tuple[str, str]] = []
    teams: set[int] = set()
    mates: set[int] = {user_id}
    for kind, text, scope, number, *_ in rows:
        if kind == "p":
            grants.append(text)
        elif kind == "w":
            withheld.add(text)
        elif kind == "r":
            rules.append((text, scope))
        elif kind == "t":
            teams.add(number)
        elif kind == "m":
            mates.add(number)
    contributed = kernel.role_grants.get(role)
    rules = effective_rules(rules, contributed)
    rules.sort(key=lambda rule: (rule[0].count("*"), -len(rule[0]), rule[0]))
    return Actor(user_id, email, role=role,
                 grants=effective_grants(grants, withheld, contributed),
                 rules=tuple(rules), team_ids=frozenset(teams), teammate_ids=frozenset(mates))


def actor_parts(role: Any, user: Any, *extra: Any) -> list[Any]:
    """The SELECTs (to be joined by UNION ALL) of the rows ``actor_of_rows`` reads, for
    the role ``role`` and the user ``user`` (values or subqueries): kind, text, scope,
    number, then the ``extra`` columns (typed NULLs), so a caller can add rows of its
    own with more columns."""
    none = peewee.SQL("NULL")
    # Typed: PostgreSQL resolves a chain of UNIONs pair by pair.
    no_id = peewee.SQL("CAST(NULL AS INTEGER)")
    mine = TeamMember.select(TeamMember.team).where(TeamMember.user == user)
    mate = TeamMember.alias()
    # A withheld row is a grant a plugin gives that an admin revoked: kind 'w'.
    kind = peewee.Case(None, [(RolePermission.withheld, peewee.SQL("'w'"))],
                       peewee.SQL("'p'"))
    return [RolePermission.select(kind, RolePermission.permission, none, no_id, *extra)
            .where(RolePermission.role == role),
            RoleRule.select(peewee.SQL("'r'"), RoleRule.record_type, RoleRule.scope, no_id,
                            *extra).where(RoleRule.role == role),
            TeamMember.select(peewee.SQL("'t'"), none, none, TeamMember.team, *extra)
            .where(TeamMember.user == user),
            mate.select(peewee.SQL("'m'"), none, none, mate.user, *extra)
            .where(mate.team.in_(mine))]


def union_all(parts: list[Any]) -> Any:
    """SELECTs joined by UNION ALL, flat (SQLite takes no parenthesised member)."""
    query = parts[0]
    for part in parts[1:]:
        query = query + part
    return query


#: The SQL of actor_for, per database class: rendering it costs more than running it.
_ACTOR_SQL: dict[type, str] = {}


def _actor_sql(kernel: Accord) -> str:
    sql = _ACTOR_SQL.get(type(kernel.database))
    if sql is None:
        sql, params = union_all(actor_parts("", 0)).sql()
        assert params == ["", "", 0, 0], params
        _ACTOR_SQL[type(kernel.database)] = sql
    return sql


def permission_for(record_type: RecordType, action: str) -> str:
    """``core.contact.read``, ``acme_dental.appointment.write``…"""
    name = record_type.name if "." in record_type.name else f"core.{record_type.name}"
    return f"{name}.{action}"


def require(actor: Actor, permission: str) -> None:
    """Refuse with the missing permission named (API: 403)."""
    if not actor.can(permission):
        raise PermissionDenied(f"{actor.label} ({actor.role}) lacks the permission "
                               f"{permission}")


def scoped(query: peewee.ModelSelect[Any], record_type: RecordType, actor: Actor) -> Any:
    """``query`` limited to the records the actor's rule for the type reaches."""
    if not record_type.owned or not actor.restricted:
        return query
    # Any: owner and team exist on owned types (checked above), not on BaseRecord.
    model: Any = record_type.model
    scope = actor.scope(record_type.name)
    if scope == "all":
        return query
    return query.where(rule_condition(scope, actor, model.owner, model.team))


def rule_condition(scope: str, actor: Actor, owner: Any, team: Any) -> Any:
    """The SQL condition of a record rule other than ``all`` on an owner column and a
    team column: ``own``, the actor's records; ``team``, those of the actor's teammates
    or placed in one of the actor's teams."""
    if scope == "own":
        return owner == actor.user_id
    condition = owner.in_(sorted(actor.teammate_ids))
    if actor.team_ids and team is not None:
        condition = condition | team.in_(sorted(actor.team_ids))
    return condition


def check_ownership(record_type: RecordType, actor: Actor,
                    rows: list[dict[str, Any]], existing: list[Any] | None = None) -> None:
    """A restricted actor may only give records to owners and teams it reaches, and
    place them only in teams it belongs to (unless its rule for the type is ``all``).

    ``existing[i]``: the stored record row ``i`` updates; a value it already holds (a
    record sent back whole) is not a move and passes."""
    if not record_type.owned or not actor.restricted:
        return
    scope = actor.scope(record_type.name)
    if scope == "all":
        return
    for index, row in enumerate(rows):
        current = existing[index] if existing is not None else None
        owner, team = row.get("owner_id"), row.get("team_id")
        if current is not None and owner == current.owner_id:
            owner = None
        if current is not None and team == current.team_id:
            team = None
        if scope == "own" and owner not in (None, actor.user_id):
            raise PermissionDenied(f"{actor.label} may only give {record_type.name} records "
                                   "to themselves (rule: own)")
        if scope == "team" and owner is not None and owner not in actor.teammate_ids:
            raise PermissionDenied(f"{actor.label} may only give {record_type.name} records "
                                   "to members of their teams (rule: team)")
        if team is not None and team not in actor.team_ids:
            raise PermissionDenied(f"{actor.label} may only put {record_type.name} records "
                                   f"in their own teams (rule: {scope})")
