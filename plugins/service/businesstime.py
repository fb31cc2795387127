"""Business time: due times and elapsed time counted in a firm's working hours.

Pure functions over a ``Calendar`` (weekly opening hours in a time zone, and
holidays): no database, no clock. The SLA of a ticket (``sla.py``) is built on them.

Opening hours are wall-clock times in the calendar's zone; each interval is turned into
aware datetimes for its day (``zoneinfo``), and all arithmetic is done in UTC, so a day
on which the clocks change counts the minutes that really pass.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Iterator
from zoneinfo import ZoneInfo

__all__ = ["Calendar", "due_at", "business_time", "business_minutes", "DAYS", "MAX_DAYS"]

#: Weekday names, Monday first (``datetime.weekday()`` order).
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: How far a due time is looked for before the calendar is taken to have no hours.
MAX_DAYS = 3660
_UTC = dt.timezone.utc


@dataclass(frozen=True)
class Calendar:
    """When the firm works: opening intervals per weekday (0 = Monday) as wall-clock
    ``(start, end)`` times in ``zone`` (an end of 00:00 is the midnight ending the
    day), and the local days it is closed."""

    zone: ZoneInfo
    hours: dict[int, tuple[tuple[dt.time, dt.time], ...]]
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    def intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The opening intervals of a local day, as aware UTC datetimes; none on a
        holiday."""
        if day in self.holidays:
            return []
        out = []
        for start, end in self.hours.get(day.weekday(), ()):
            opens = dt.datetime.combine(day, start, tzinfo=self.zone).astimezone(_UTC)
            last = day + dt.timedelta(days=1) if end == dt.time(0, 0) else day
            closes = dt.datetime.combine(last, end, tzinfo=self.zone).astimezone(_UTC)
            if closes > opens:
                out.append((opens, closes))
        return out

    def open_from(self, moment: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The opening intervals from ``moment`` on, the first one cut at ``moment``,
        for at most ``MAX_DAYS`` days."""
        moment = _aware(moment)
        day = moment.astimezone(self.zone).date() - dt.timedelta(days=1)
        for _ in range(MAX_DAYS):
            for opens, closes in self.intervals(day):
                if closes > moment:
                    yield max(opens, moment), closes
            day += dt.timedelta(days=1)


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; give an aware datetime")
    return moment.astimezone(_UTC)


def due_at(calendar: Calendar, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
    """The moment ``duration`` of business time after ``start`` (aware UTC).

    A due time that falls exactly at closing time is that closing time, not the next
    opening. Raises ValueError when the calendar has no hours within ``MAX_DAYS``.
    """
    if duration < dt.timedelta(0):
        raise ValueError("a duration of business time is not negative")
    left = duration
    for opens, closes in calendar.open_from(start):
        if left <= closes - opens:
            return opens + left
        left -= closes - opens
    raise ValueError(f"the calendar has no business hours within {MAX_DAYS} days of "
                     f"{start.isoformat()}")


def business_time(calendar: Calendar, start: dt.datetime, end: dt.datetime,
                  pauses: Iterable[tuple[dt.datetime, dt.datetime | None]] = ()
                  ) -> dt.timedelta:
    """The business time from ``start`` to ``end``, less the business time inside
    ``pauses`` (``(from, to)`` pairs; ``to`` None: still paused at ``end``). Pauses
    may overlap each other or reach outside the span; each moment counts once."""
    start, end = _aware(start), _aware(end)
    if end <= start:
        return dt.timedelta(0)
    stopped = _merged([(max(_aware(a), start), min(_aware(b), end) if b is not None else end)
                       for a, b in pauses])
    total = dt.timedelta(0)
    for opens, closes in calendar.open_from(start):
        if opens >= end:
            break
        closes = min(closes, end)
        total += closes - opens
        for a, b in stopped:
            overlap = min(b, closes) - max(a, opens)
            if overlap > dt.timedelta(0):
                total -= overlap
    return total


def _merged(spans: list[tuple[dt.datetime, dt.datetime]]
            ) -> list[tuple[dt.datetime, dt.datetime]]:
    """Non-empty spans, sorted and joined where they overlap."""
    out: list[tuple[dt.datetime, dt.datetime]] = []
    for a, b in sorted(s for s in spans if s[1] > s[0]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def business_minutes(calendar: Calendar, start: dt.datetime, end: dt.datetime,
                     pauses: Iterable[tuple[dt.datetime, dt.datetime | None]] = ()
                     ) -> float:
    """``business_time`` in minutes."""
    return business_time(calendar, start, end, pauses) / dt.timedelta(minutes=1)
