"""Days in the marketing plugin's SQL, the same on both engines: a day as a bound value
(a date on PostgreSQL, ISO text on SQLite, as each stores a date) and the whole days
between two days."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import peewee

from accord.database import is_postgres

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["day_value", "days_between"]


def day_value(kernel: Accord, day: dt.date) -> Any:
    """A day as the engine compares it with a stored day (a date; ISO text)."""
    return day if is_postgres(kernel.database) else day.isoformat()


def days_between(kernel: Accord, later: Any, earlier: Any) -> Any:
    """Whole days from ``earlier`` to ``later`` (day expressions, or a date)."""
    if isinstance(later, dt.date):
        later = peewee.Value(day_value(kernel, later))
    if is_postgres(kernel.database):
        return later - earlier
    return peewee.Cast(peewee.fn.julianday(later) - peewee.fn.julianday(earlier), "INTEGER")
