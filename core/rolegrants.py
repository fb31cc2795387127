"""Grants plugins give the built-in roles, and how they combine with the stored ones.

A plugin returns ``RoleGrant`` values from ``register_role_grants``; the kernel keeps
those of the active plugins in ``kernel.role_grants`` (role -> ``RoleGrants``), in
memory, so disabling a plugin withdraws exactly its grants and reading a user's
permissions costs no extra query. What a role holds is then:

- grants: the stored ones, plus the contributed ones an admin has not withheld
  (revoking a contributed grant stores it as withheld, so it stays revoked);
- rules: the stored ones, plus the contributed ones for patterns the role has no
  stored rule for (the admin's rule wins).

A plugin only gives what is its own: patterns over its permissions, rules over its
record types, to the built-in roles other than ``admin`` (which holds everything).
Anything else is logged and ignored, so a bad contribution never stops a start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from .kernel import Accord
    from .records import RoleGrant

__all__ = ["RoleGrants", "collect_role_grants", "effective_grants", "effective_rules"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoleGrants:
    """What the active plugins give one built-in role, each item with its plugin."""

    role: str
    #: Grant pattern -> the plugin giving it.
    grants: dict[str, str] = field(default_factory=dict)
    #: Record type pattern -> (scope, the plugin giving it).
    rules: dict[str, tuple[str, str]] = field(default_factory=dict)


def collect_role_grants(kernel: Accord,
                        contributions: Iterable[tuple[str, RoleGrant]]) -> dict[str, RoleGrants]:
    """The (plugin, RoleGrant) pairs of ``kernel.plugins.collect`` by role, checked
    against the kernel's permissions and record types (collect those first)."""
    from .models import ADMIN_ROLE as ADMIN
    from .models import BUILTIN_ROLES, SCOPES

    out: dict[str, RoleGrants] = {}
    for plugin, item in contributions:
        role = getattr(item, "role", None)
        if role not in BUILTIN_ROLES or role == ADMIN:
            why = ("admin holds every permission already" if role == ADMIN else
                   f"plugins give grants to the built-in roles only "
                   f"({', '.join(r for r in BUILTIN_ROLES if r != ADMIN)})")
            logger.warning("role grants of %s for role %r ignored: %s", plugin, role, why)
            continue
        target = out.setdefault(role, RoleGrants(role))
        for pattern in item.grants:
            problem = _grant_problem(kernel, plugin, pattern)
            if problem:
                logger.warning("grant %r of %s to role %s ignored: %s", pattern, plugin, role,
                               problem)
            else:
                target.grants.setdefault(pattern, plugin)
        for pattern, scope in item.rules:
            problem = (f"{scope!r} is not a scope ({', '.join(SCOPES)})" if scope not in SCOPES
                       else _rule_problem(kernel, plugin, pattern))
            if problem:
                logger.warning("rule %r of %s for role %s ignored: %s", pattern, plugin, role,
                               problem)
            else:
                target.rules.setdefault(pattern, (scope, plugin))
    return out


def _grant_problem(kernel: Accord, plugin: str, pattern: str) -> str | None:
    mine = [name for name, (owner, _) in kernel.permissions.items() if owner == plugin]
    others = [name for name, (owner, _) in kernel.permissions.items() if owner != plugin]
    if not pattern.startswith(f"{plugin}.") or not any(fnmatchcase(p, pattern) for p in mine):
        return f"it matches none of the permissions {plugin} declares ({plugin}.…)"
    reached = [p for p in others if fnmatchcase(p, pattern)]
    if reached:
        return f"it also matches {', '.join(sorted(reached))}, not declared by {plugin}"
    return None


def _rule_problem(kernel: Accord, plugin: str, pattern: str) -> str | None:
    names = kernel.records.names()
    mine = [n for n in names if n.startswith(f"{plugin}.")]
    if not pattern.startswith(f"{plugin}.") or not any(fnmatchcase(n, pattern) for n in mine):
        return f"it matches none of the record types {plugin} declares"
    reached = [n for n in names if n not in mine and fnmatchcase(n, pattern)]
    if reached:
        return f"it also matches {', '.join(reached)}, not declared by {plugin}"
    return None


def effective_grants(stored: Iterable[str], withheld: Iterable[str],
                     contributed: RoleGrants | None) -> tuple[str, ...]:
    """Stored grants, plus contributed ones not withheld; sorted."""
    held = set(stored)
    if contributed is not None:
        held |= set(contributed.grants) - set(withheld)
    return tuple(sorted(held))


def effective_rules(stored: Iterable[tuple[str, str]],
                    contributed: RoleGrants | None) -> list[tuple[str, str]]:
    """Stored rules, plus contributed ones for patterns without a stored rule."""
    rules = list(stored)
    if contributed is not None:
        have = {pattern for pattern, _ in rules}
        rules += [(p, scope) for p, (scope, _) in contributed.rules.items() if p not in have]
    return rules
