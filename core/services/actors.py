"""Who makes a change or a read, and what they may do.

An actor is either the system (a CLI command, a job, a script: no limits) or a user
acting through the API or the pages, carrying the grants and record rules of their
role and the ids of their teams and teammates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

__all__ = ["Actor", "SYSTEM", "EXPLICIT_ONLY"]

#: Permissions a wildcard grant never implies.
#: Permissions a family pattern (``core.*.read``, ``*.read``) does not reach: only an
#: explicit grant or the admin's ``*``. Personal data, and metrics (they add up
#: everyone's records, whatever the record rules).
EXPLICIT_ONLY = frozenset({"core.personal_data.read", "core.metrics.read"})


@dataclass(frozen=True)
class Actor:
    """The author of a change, written into every audit entry."""

    user_id: int | None
    label: str
    role: str | None = None
    #: Permission patterns the role holds; None means unrestricted (the system).
    grants: tuple[str, ...] | None = None
    #: (record type pattern, scope) pairs, most specific first.
    rules: tuple[tuple[str, str], ...] = ()
    team_ids: frozenset[int] = field(default_factory=frozenset)
    #: The actor and every member of their teams.
    teammate_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(None, label)

    @classmethod
    def user(cls, user: object) -> Actor:
        """A user acting without limits (a script run on their behalf)."""
        return cls(getattr(user, "id"), getattr(user, "email"))

    @property
    def restricted(self) -> bool:
        return self.grants is not None

    def can(self, permission: str) -> bool:
        """Whether the actor holds ``permission`` (``*`` in a grant matches any part).

        Personal data and metrics (``EXPLICIT_ONLY``) need an explicit grant (or the
        admin's ``*``): a family pattern such as ``*.read`` does not reach them.
        """
        if self.grants is None:
            return True
        if permission in EXPLICIT_ONLY:
            return permission in self.grants or "*" in self.grants
        return any(fnmatchcase(permission, grant) for grant in self.grants)

    def scope(self, record_type: str) -> str:
        """``own``, ``team`` or ``all``: which records of a type the actor reaches."""
        if self.grants is None:
            return "all"
        for pattern, scope in self.rules:
            if fnmatchcase(record_type, pattern):
                return scope
        return "all"


SYSTEM = Actor.system()
