"""Exchange rates by day: what converts an amount into the base currency (accord.rates)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from .base import BaseModel, UTCDateTimeField, utcnow

__all__ = ["ExchangeRate", "RATE_DIGITS", "RATE_PLACES"]

#: A rate keeps at most 15 significant digits (SQLite stores DECIMAL columns as 8-byte
#: floats, exact to 15 digits), 10 of them after the point.
RATE_DIGITS, RATE_PLACES = 15, 10


class ExchangeRate(BaseModel):
    """On ``day`` and after (until a later rate), 1 ``currency`` is worth ``rate``
    ``quote``: ``EUR USD 1.08`` is one euro for 1.08 dollars."""

    currency = peewee.CharField(max_length=3)
    quote = peewee.CharField(max_length=3)
    day = peewee.DateField()
    rate = peewee.DecimalField(max_digits=20, decimal_places=RATE_PLACES, auto_round=False)
    #: Who gave it: ``manual`` (the CLI, the API) or the plugin that provided it.
    source = peewee.CharField(max_length=100, default="manual")
    updated_at = UTCDateTimeField(default=utcnow)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]

    class Meta:
        table_name = "accord_exchange_rate"
        indexes = ((("currency", "quote", "day"), True), (("quote", "currency", "day"), False))
