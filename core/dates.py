"""The calendar of Accord: the days a record, a command or a job may name.

One rule for every date and datetime a schema reads (see ``accord.schemas.InputSchema``)
and every day a command takes: from 1900-01-01 to 9899-12-31, far enough from the ends
of Python's calendar (years 1 to 9999) that any date arithmetic Accord or a plugin does
(a renewal term, a notice period, payment terms, a forecast's months) stays inside it.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["FIRST_DAY", "LAST_DAY", "outside_calendar"]

FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(9899, 12, 31)


def outside_calendar(value: dt.date) -> str | None:
    """What is wrong with ``value`` (a date or a datetime, read as given), or None when
    it lies in the calendar."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return f"Give a date from {FIRST_DAY} to {LAST_DAY}, not {day.isoformat()}."
