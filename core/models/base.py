"""The base classes every Accord model (core and plugins) derives from."""

from __future__ import annotations

import datetime as dt
from typing import Any

import peewee

from ..database import JSONField, db

__all__ = ["BaseModel", "BaseRecord", "UTCDateTimeField", "MoneyAmountField", "utcnow"]


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC, to the microsecond."""
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTimeField(peewee.DateTimeField):
    """An aware UTC datetime, stored without zone (as UTC) on both engines."""

    def db_value(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                raise ValueError(f"{self.name}: naive datetime {value!r}; give it a zone")
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        # db_value / python_value are unannotated in peewee-stubs.
        return super().db_value(value)  # type: ignore[no-untyped-call]

    def python_value(self, value: Any) -> Any:
        if isinstance(value, str):
            # SQLite hands back the ISO text peewee wrote; fromisoformat reads it far
            # faster than peewee's strptime loop over formats (a list page reads many).
            try:
                return dt.datetime.fromisoformat(value).replace(tzinfo=dt.timezone.utc)
            except ValueError:
                pass
        value = super().python_value(value)  # type: ignore[no-untyped-call]
        if isinstance(value, dt.datetime):
            return value.replace(tzinfo=dt.timezone.utc)
        return value


class MoneyAmountField(peewee.DecimalField):
    """The amount half of a Money value (the currency sits in ``<name>_currency``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 4)
        kwargs.setdefault("auto_round", True)
        super().__init__(**kwargs)


class BaseModel(peewee.Model):
    """Any table of Accord's; bound to the kernel's database through the proxy."""

    class Meta:
        database = db
        legacy_table_names = False


class BaseRecord(BaseModel):
    """A record: id, UTC timestamps, a version for optimistic locking and custom fields."""

    id = peewee.AutoField()
    created_at = UTCDateTimeField(default=utcnow, index=True)
    updated_at = UTCDateTimeField(default=utcnow)
    version = peewee.IntegerField(default=1)
    custom = JSONField(default=dict)
