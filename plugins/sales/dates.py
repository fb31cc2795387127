"""The dates the plugin's verbs and jobs work with: today, and months later."""

from __future__ import annotations

import datetime as dt

from accord.models import utcnow

__all__ = ["today", "add_months"]


def today() -> dt.date:
    """Today's date in UTC (the date documents are dated with by default)."""
    return utcnow().date()


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the end of a shorter month."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))
