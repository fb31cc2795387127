"""Roles: the permission patterns they grant and the record rules that limit them.

A grant is a pattern over the declared permissions (``acme_dental.*``, ``core.*.read``,
``*``); a pattern that matches no declared permission is refused, since it would
most likely be a typo. A rule says how far a role reaches into the records of a type
(or a ``*`` pattern of types): ``own``, ``team`` or ``all``. Every change is audited
on the record type ``role`` (record id 0: roles are keyed by their name).

The ``admin`` role always holds ``*`` and reaches every record, and at least one
active user keeps it: without one nobody could manage users, roles or plugins.

Plugins give the built-in roles grants and rules of their own (``register_role_grants``,
``kernel.role_grants``): a role holds its stored grants plus those, and what it shows
says which plugin gives what. Revoking a grant a plugin gives stores it as withheld,
so it stays revoked; granting it again lifts that. A stored rule wins over a plugin's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import peewee

from ..errors import Conflict, NotFound, ValidationError
from ..models import ADMIN_ROLE, SCOPES, Role, RolePermission, RoleRule, User
from ..rolegrants import effective_grants, effective_rules
from .actors import Actor
from .audit import write_audit
from .authz import require

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["RoleInfo", "ADMIN", "list_roles", "get_role", "add_role", "update_role", "grant",
           "revoke", "set_rule", "delete_role", "check_admins_remain"]

#: The role that manages everything; it cannot be narrowed, and one active user keeps it.
ADMIN = ADMIN_ROLE
#: The permission every function here needs (managing users, teams and roles).
USERS = "admin.users"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_WILDCARDS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class RoleInfo:
    """A role as the CLI and the API show it."""

    name: str
    description: str
    builtin: bool
    grants: tuple[str, ...]
    #: (record type or pattern, scope), sorted by pattern.
    rules: tuple[tuple[str, str], ...]
    #: How many users hold the role.
    users: int
    #: (grant, plugin) for each grant above that a running plugin gives the role.
    contributed: tuple[tuple[str, str], ...] = ()
    #: (record type or pattern, plugin) for each rule above that a plugin gives.
    contributed_rules: tuple[tuple[str, str], ...] = ()
    #: Grants plugins give that an admin revoked: the role does not hold them.
    withheld: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "builtin": self.builtin,
                "grants": list(self.grants), "rules": dict(self.rules), "users": self.users,
                "contributed": {"grants": dict(self.contributed),
                                "rules": dict(self.contributed_rules)},
                "withheld": list(self.withheld)}


# Reading ---------------------------------------------------------------------------

def list_roles(kernel: Accord, *, actor: Actor) -> list[RoleInfo]:
    """Every role with its grants, rules and number of users (four queries in all)."""
    require(actor, USERS)
    with kernel.bound():
        return _infos(kernel, list(Role.select().order_by(Role.name)))


def get_role(kernel: Accord, name: str, *, actor: Actor) -> RoleInfo:
    require(actor, USERS)
    with kernel.bound():
        return _infos(kernel, [_role(name)])[0]


def _infos(kernel: Accord, roles: list[Role]) -> list[RoleInfo]:
    """Effective grants and rules: the stored ones merged with what plugins give."""
    names = [r.name for r in roles]
    grants: dict[str, list[str]] = {}
    withheld: dict[str, list[str]] = {}
    rules: dict[str, list[tuple[str, str]]] = {}
    counts: dict[str, int] = {}
    if names:
        for p in RolePermission.select().where(RolePermission.role.in_(names)):
            (withheld if p.withheld else grants).setdefault(p.role_id, []).append(p.permission)
        for r in RoleRule.select().where(RoleRule.role.in_(names)):
            rules.setdefault(r.role_id, []).append((r.record_type, r.scope))
        counts = dict(User.select(User.role, peewee.fn.COUNT(User.id))  # type: ignore[arg-type]
                      .where(User.role.in_(names)).group_by(User.role).tuples())
    out = []
    for role in roles:
        name = role.name
        given = kernel.role_grants.get(name)
        held = effective_grants(grants.get(name, []), withheld.get(name, []), given)
        stored_rules = {t for t, _ in rules.get(name, [])}
        out.append(RoleInfo(
            name, role.description or "", bool(role.builtin), held,
            tuple(sorted(effective_rules(rules.get(name, []), given))), counts.get(name, 0),
            contributed=tuple((p, given.grants[p]) for p in held
                              if given is not None and p in given.grants),
            contributed_rules=tuple(sorted(
                (t, plugin) for t, (_, plugin) in (given.rules.items() if given else ())
                if t not in stored_rules)),
            withheld=tuple(sorted(withheld.get(name, [])))))
    return out


def _role(name: str) -> Role:
    # A NUL character cannot be in a name (PostgreSQL would refuse the query itself).
    role = None if "\x00" in name else Role.get_or_none(Role.name == name)
    if role is None:
        known = ", ".join(r.name for r in Role.select(Role.name).order_by(Role.name))
        raise NotFound(f"no role {name!r} (roles: {known})")
    return role


# Writing ---------------------------------------------------------------------------

def add_role(kernel: Accord, name: str, *, actor: Actor, description: str = "",
             grants: Iterable[str] = (), rules: Mapping[str, str] | None = None) -> RoleInfo:
    """A new role holding ``grants`` and limited by ``rules`` (type pattern -> scope)."""
    require(actor, USERS)
    kernel.sync()
    patterns = _clean(grants)
    wanted_rules = dict(rules or {})
    problems: dict[str, list[str]] = {}
    if not _NAME.match(name):
        problems["name"] = [f"{name!r}: a role name is a lowercase letter, then up to 63 "
                            "lowercase letters, digits, '-' or '_'"]
    problems.update(_check_grants(kernel, patterns))
    problems.update(_check_rules(kernel, wanted_rules))
    if len(description) > 2000:
        problems["description"] = ["at most 2000 characters"]
    if problems:
        raise ValidationError(problems)
    with kernel.transaction():
        if Role.get_or_none(Role.name == name) is not None:
            raise ValidationError({"name": [f"a role {name!r} already exists"]})
        Role.create(name=name, description=description, builtin=False)
        _write_grants(name, patterns)
        _write_rules(name, wanted_rules)
        _audit(actor, "created", name, {"role": [None, name], "description": [None, description],
                                        "grants": [None, patterns],
                                        "rules": [None, dict(sorted(wanted_rules.items()))]})
    return get_role(kernel, name, actor=actor)


def update_role(kernel: Accord, name: str, *, actor: Actor, description: str | None = None,
                grants: Iterable[str] | None = None,
                rules: Mapping[str, str] | None = None) -> RoleInfo:
    """Replace what is given: the description, the whole set of grants, all the rules."""
    require(actor, USERS)
    kernel.sync()
    patterns = _clean(grants) if grants is not None else None
    problems: dict[str, list[str]] = {}
    if patterns is not None:
        problems.update(_check_grants(kernel, patterns))
    if rules is not None:
        problems.update(_check_rules(kernel, rules))
    if description is not None and len(description) > 2000:
        problems["description"] = ["at most 2000 characters"]
    if problems:
        raise ValidationError(problems)
    with kernel.transaction():
        role = _role(name)
        before = _infos(kernel, [role])[0]
        if patterns is not None or rules is not None:
            _refuse_admin(name)
        changes: dict[str, list[Any]] = {}
        if description is not None and description != before.description:
            Role.update(description=description).where(Role.name == name).execute()
            changes["description"] = [before.description, description]
        if patterns is not None and sorted(patterns) != list(before.grants):
            _replace_grants(kernel, name, patterns)
            changes["grants"] = [list(before.grants), sorted(patterns)]
        # The stored rules are replaced; plugins' rules still fill the patterns left out.
        own = {t: s for t, s in before.rules if t not in dict(before.contributed_rules)}
        if rules is not None and dict(rules) != own:
            RoleRule.delete().where(RoleRule.role == name).execute()
            _write_rules(name, rules)
            changes["rules"] = [dict(before.rules), dict(sorted(effective_rules(
                rules.items(), kernel.role_grants.get(name))))]
        if changes:
            _audit(actor, "updated", name, {"role": [name, name], **changes})
    return get_role(kernel, name, actor=actor)


def grant(kernel: Accord, name: str, patterns: Iterable[str], *, actor: Actor) -> RoleInfo:
    """Add permission patterns to a role; those it holds already are left as they are."""
    require(actor, USERS)
    kernel.sync()
    wanted = _clean(patterns)
    if not wanted:
        raise ValidationError({"grants": ["name at least one permission or pattern"]})
    problems = _check_grants(kernel, wanted)
    if problems:
        raise ValidationError(problems)
    with kernel.transaction():
        before = _infos(kernel, [_role(name)])[0]
        _refuse_admin(name)
        new = [p for p in wanted if p not in before.grants]
        if new:
            _hold(kernel, name, new)
            _audit(actor, "granted", name, {"role": [name, name], "grants": [
                list(before.grants), sorted({*before.grants, *new})]})
    return get_role(kernel, name, actor=actor)


def revoke(kernel: Accord, name: str, patterns: Iterable[str], *, actor: Actor) -> RoleInfo:
    """Take grants back; each must be held exactly as written (``acme_dental.*``)."""
    require(actor, USERS)
    kernel.sync()
    unwanted = _clean(patterns)
    if not unwanted:
        raise ValidationError({"grants": ["name at least one permission or pattern"]})
    with kernel.transaction():
        before = _infos(kernel, [_role(name)])[0]
        _refuse_admin(name)
        missing = [p for p in unwanted if p not in before.grants]
        if missing:
            held = ", ".join(before.grants) or "nothing"
            raise ValidationError({"grants": [f"{name} does not hold {p!r} (it holds {held})"
                                              for p in missing]})
        _drop(kernel, name, unwanted)
        _audit(actor, "revoked", name, {"role": [name, name], "grants": [
            list(before.grants), sorted(set(before.grants) - set(unwanted))]})
    return get_role(kernel, name, actor=actor)


def set_rule(kernel: Accord, name: str, record_type: str, scope: str, *,
             actor: Actor) -> RoleInfo:
    """Limit a role to ``own``, ``team`` or ``all`` records of a type (or type pattern)."""
    require(actor, USERS)
    kernel.sync()
    problems = _check_rule(kernel, record_type, scope, "record_type", "scope")
    if problems:
        raise ValidationError(problems)
    with kernel.transaction():
        before = _infos(kernel, [_role(name)])[0]
        _refuse_admin(name)
        rules = dict(before.rules)
        # A plugin's rule of the same scope is not the role's own: store it, so it wins.
        if rules.get(record_type) != scope or record_type in dict(before.contributed_rules):
            (RoleRule.insert(role=name, record_type=record_type, scope=scope)
             .on_conflict(conflict_target=[RoleRule.role, RoleRule.record_type],
                          update={RoleRule.scope: scope})
             .execute())
            _audit(actor, "rule_set", name, {"role": [name, name], "rules": [
                rules, dict(sorted({**rules, record_type: scope}.items()))]})
    return get_role(kernel, name, actor=actor)


def delete_role(kernel: Accord, name: str, *, actor: Actor) -> None:
    """Delete a role no user holds; the built-in roles stay."""
    require(actor, USERS)
    kernel.sync()
    with kernel.transaction():
        role = _role(name)
        if role.builtin:
            raise Conflict(f"{name} is a built-in role; it cannot be deleted")
        holders = list(User.select(User.email).where(User.role == name)
                       .order_by(User.id).limit(4))
        if holders:
            total = User.select().where(User.role == name).count()
            shown = ", ".join(u.email for u in holders[:3]) + (", …" if total > 3 else "")
            raise Conflict(f"{name} is the role of {total} user{'s' if total > 1 else ''} "
                           f"({shown}); give them another role first")
        before = _infos(kernel, [role])[0]
        RolePermission.delete().where(RolePermission.role == name).execute()
        RoleRule.delete().where(RoleRule.role == name).execute()
        Role.delete().where(Role.name == name).execute()
        _audit(actor, "deleted", name, {"role": [name, None],
                                        "description": [before.description, None],
                                        "grants": [list(before.grants), None],
                                        "rules": [dict(before.rules), None]})


# The last admin --------------------------------------------------------------------

def check_admins_remain(losing: Iterable[int], *, field: str) -> None:
    """Refuse a write after which no active user holds the admin role; ``losing`` are
    the ids of active admins the write deactivates, deletes or moves to another role.
    Call inside the write's transaction."""
    ids = sorted(set(losing))
    if not ids:
        return
    remaining = (User.select().where(User.role == ADMIN, User.active == True,  # noqa: E712
                                     User.id.not_in(ids)).exists())
    if not remaining:
        emails = ", ".join(u.email for u in User.select(User.email).where(User.id.in_(ids)))
        raise ValidationError({field: [f"{emails} {'is' if len(ids) == 1 else 'are'} the last "
                                       "active admin; make another user admin first"]})


# Helpers ---------------------------------------------------------------------------

def _clean(patterns: Iterable[str]) -> list[str]:
    """Stripped patterns without repeats, in the order given."""
    return list(dict.fromkeys(p.strip() for p in patterns))


def _check_grants(kernel: Accord, patterns: list[str]) -> dict[str, list[str]]:
    bad = []
    for pattern in patterns:
        if not pattern:
            bad.append("a permission pattern may not be empty")
        elif len(pattern) > 200:
            bad.append(f"{pattern[:40]!r}…: at most 200 characters")
        elif pattern != "*" and not any(fnmatchcase(p, pattern) for p in kernel.permissions):
            bad.append(f"{pattern!r} matches no permission the core or an enabled "
                       "plugin declares")
    return {"grants": bad} if bad else {}


def _check_rules(kernel: Accord, rules: Mapping[str, str]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for pattern, scope in rules.items():
        for messages in _check_rule(kernel, pattern, scope, "rules", "rules").values():
            problems.setdefault(f"rules.{pattern}", []).extend(messages)
    return problems


def _check_rule(kernel: Accord, pattern: str, scope: Any, type_key: str,
                scope_key: str) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if scope not in SCOPES:
        problems.setdefault(scope_key, []).append(
            f"{scope!r} is not a scope; use {', '.join(SCOPES)}")
    names = kernel.records.names()
    if not pattern or len(pattern) > 100:
        problems.setdefault(type_key, []).append("a record type is 1 to 100 characters")
    elif _WILDCARDS.search(pattern):
        if pattern != "*" and not any(fnmatchcase(n, pattern) for n in names):
            problems.setdefault(type_key, []).append(
                f"{pattern!r} matches no record type (known: {', '.join(sorted(names))})")
    elif pattern not in names:
        problems.setdefault(type_key, []).append(
            f"unknown record type {pattern!r} (known: {', '.join(sorted(names))})")
    return problems


def _refuse_admin(name: str) -> None:
    if name == ADMIN:
        raise Conflict("the admin role always holds every permission ('*') and reaches all "
                       "records; its grants and rules cannot be changed")


def _write_grants(name: str, patterns: Iterable[str]) -> None:
    rows = [(name, p) for p in patterns]
    if rows:
        RolePermission.insert_many(rows, fields=[RolePermission.role,
                                                 RolePermission.permission]).execute()


def _hold(kernel: Accord, name: str, patterns: list[str]) -> None:
    """Make role ``name`` hold ``patterns``: lift what is withheld, store the rest of
    what no running plugin gives."""
    given = kernel.role_grants.get(name)
    RolePermission.delete().where(RolePermission.role == name,
                                  RolePermission.permission.in_(patterns),
                                  RolePermission.withheld == True).execute()  # noqa: E712
    _write_grants(name, [p for p in patterns if given is None or p not in given.grants])


def _drop(kernel: Accord, name: str, patterns: list[str]) -> None:
    """Make role ``name`` hold none of ``patterns``: delete the stored ones, withhold
    those a running plugin gives (so they stay revoked across restarts)."""
    given = kernel.role_grants.get(name)
    RolePermission.delete().where(RolePermission.role == name,
                                  RolePermission.permission.in_(patterns)).execute()
    withheld = [(name, p, True) for p in patterns if given is not None and p in given.grants]
    if withheld:
        RolePermission.insert_many(withheld, fields=[
            RolePermission.role, RolePermission.permission, RolePermission.withheld]).execute()


def _replace_grants(kernel: Accord, name: str, patterns: list[str]) -> None:
    """Make role ``name`` hold exactly ``patterns`` with what the plugins give now.
    Grants withheld from plugins that are not running stay withheld."""
    given = sorted(kernel.role_grants[name].grants) if name in kernel.role_grants else []
    RolePermission.delete().where(
        RolePermission.role == name,
        (RolePermission.withheld == False)  # noqa: E712
        | RolePermission.permission.in_([*patterns, *given])).execute()
    _write_grants(name, [p for p in patterns if p not in given])
    withheld = [(name, p, True) for p in given if p not in patterns]
    if withheld:
        RolePermission.insert_many(withheld, fields=[
            RolePermission.role, RolePermission.permission, RolePermission.withheld]).execute()


def _write_rules(name: str, rules: Mapping[str, str]) -> None:
    rows = [(name, t, s) for t, s in rules.items()]
    if rows:
        RoleRule.insert_many(rows, fields=[RoleRule.role, RoleRule.record_type,
                                           RoleRule.scope]).execute()


def _audit(actor: Actor, action: str, name: str, changes: dict[str, Any]) -> None:
    write_audit(actor, action, "role", [(0, changes)])
