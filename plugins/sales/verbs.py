"""Small pieces the plugin's verbs share."""

from __future__ import annotations

import datetime as dt
from typing import Any

from accord.errors import StaleVersion
from accord.models import utcnow

__all__ = ["check_version", "today", "add_months", "plural"]


def check_version(type_name: str, record: Any, version: int | None) -> None:
    if version is not None and record.version != version:
        raise StaleVersion(f"{type_name} {record.id} is at version {record.version}, "
                           f"not {version}; reload it and try again")


def today() -> dt.date:
    """Today's date in UTC (the date documents are dated with by default)."""
    return utcnow().date()


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the end of a shorter month."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"
