"""Pages of admin lists (audit entries, tokens): newest first, keyed by id.

The page size rule lives here once; the API's list parameters and every service that
pages go through ``parse_limit``. Cursors are the API's business: a service takes the
id to continue below (``before``) and says where the next page starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..errors import ValidationError

__all__ = ["Page", "newest_first", "parse_limit", "DEFAULT_LIMIT", "MAX_LIMIT", "MAX_ID"]

#: Rows per page when none is asked for, and the most one page may hold.
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
#: The largest id either engine can compare (SQLite's INTEGER; Python ints go further).
MAX_ID = 2**63 - 1

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the id the next one continues below (None: the last)."""

    items: list[T]
    next_before: int | None


def parse_limit(raw: str | int | None, *, default: int = DEFAULT_LIMIT) -> int:
    """A page size, given as text or a number: a whole number from 1 to MAX_LIMIT."""
    if raw is None:
        return default
    text = str(raw)
    # isdigit() alone admits "²", which int() refuses.
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LIMIT:
        raise ValidationError({"limit": [f"{text!r} is not between 1 and {MAX_LIMIT}"]})
    return int(text)


def newest_first(query: Any, model: Any, *, limit: int,
                 before: int | None = None) -> Page[Any]:
    """One page of ``query`` by id descending, below the id ``before`` when given.
    Run it inside ``kernel.bound()``."""
    limit = parse_limit(limit)
    if before is not None:
        if isinstance(before, bool) or not 0 < before <= MAX_ID:
            raise ValidationError({"before": [f"{before!r} is not an id from 1 to {MAX_ID}"]})
        query = query.where(model.id < before)
    rows = list(query.order_by(model.id.desc()).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more else None)
