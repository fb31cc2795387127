"""Who makes a change: a user, or the system acting for a command or a job."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Actor", "SYSTEM"]


@dataclass(frozen=True)
class Actor:
    """The author of a change, written into every audit entry."""

    user_id: int | None
    label: str

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(None, label)

    @classmethod
    def user(cls, user: object) -> Actor:
        return cls(getattr(user, "id"), getattr(user, "email"))


SYSTEM = Actor.system()
