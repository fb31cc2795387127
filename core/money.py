"""Money: a Decimal amount with an ISO 4217 currency code, never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

import marshmallow as ma

__all__ = ["Money", "MoneyField", "format_amount"]

_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"not a currency code: {self.currency!r}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float):
            raise TypeError("multiply Money by a Decimal or an int, never a float")
        return Money(self.amount * factor, self.currency)

    def rounded(self) -> Money:
        """To the cent, bankers' rounding."""
        return Money(self.amount.quantize(_CENT, rounding=ROUND_HALF_EVEN), self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __str__(self) -> str:
        return f"{self.amount:,.2f} {self.currency}"


def format_amount(amount: Decimal) -> str:
    """At least two decimals, more only when the amount has them: '10.50', '0.125'."""
    cents = amount.quantize(_CENT)
    return str(cents) if cents == amount else str(amount.normalize())


class MoneyField(ma.fields.Field[Money]):
    """``{"amount": "12.50", "currency": "EUR"}`` in JSON; Money in Python.

    The model stores the amount in ``<name>`` and the code in ``<name>_currency``.
    """

    default_error_messages = {
        # Braces doubled: marshmallow formats every message.
        "invalid": 'Not a money value; give {{"amount": "12.50", "currency": "EUR"}}.',
        "amount": "Not a valid amount: {input!r}.",
        "currency": "Not a currency code (three capital letters): {input!r}.",
        "float": "Give the amount as a string or an integer, not a float.",
        "range": "Not a storable amount: {input!r} (at most {whole} digits before the point "
                 "and {places} after it).",
    }

    #: What every engine keeps exactly: 15 significant digits (SQLite stores DECIMAL
    #: columns as 8-byte floats, exact to 15 digits), 4 of them after the point.
    whole_digits = 11
    places = 4

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Money:
        if isinstance(value, Money):
            return value
        if not isinstance(value, dict) or set(value) - {"amount", "currency"}:
            raise self.make_error("invalid")
        raw, currency = value.get("amount"), value.get("currency")
        if isinstance(raw, float):
            raise self.make_error("float")
        try:
            amount = Decimal(str(raw)) if isinstance(raw, (str, int, Decimal)) else None
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite():
            raise self.make_error("amount", input=raw)
        # Refused rather than overflowing the column (PostgreSQL) or being rounded silently.
        if abs(amount) >= Decimal(10) ** self.whole_digits or (
                amount != amount.quantize(Decimal(1).scaleb(-self.places))):
            raise self.make_error("range", input=raw, whole=self.whole_digits,
                                  places=self.places)
        if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
            raise self.make_error("currency", input=currency)
        return Money(amount, currency.upper())

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = ma.missing) -> Any:
        if isinstance(obj, dict):
            return obj.get(attr, default)
        amount = getattr(obj, attr, None)
        if amount is None:
            return None
        return Money(Decimal(amount), getattr(obj, f"{attr}_currency"))

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return {"amount": format_amount(value.amount), "currency": value.currency}
