"""Money: a Decimal amount with an ISO 4217 currency code, never a float.

The one Money rule of every record of every plugin (``MoneyField``; ``CurrencyField``
for a record that keeps one currency for several amounts): the code is an ISO 4217
currency (the ``iso4217`` package's copy of the standard's table), the amount has no
more decimal places than the currency's minor unit (EUR 2, JPY 0, BHD 3), and numbers
are read in plain decimal notation only (``plain_decimal``: no exponent, NaN or
Infinity). An amount computed from others (a document's line, its totals) is rounded
half up to the currency's minor unit (``round_amount``), and every amount is shown with
the currency's places (``format_amount``; ``AmountField`` for an amount whose currency
is another value of its record).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import marshmallow as ma

__all__ = ["Money", "MoneyField", "AmountField", "CurrencyField", "format_amount",
           "round_amount", "minor_units", "currency_problem", "places_problem",
           "plain_decimal", "decimal_places"]

_CENT = Decimal("0.01")
#: Plain decimal notation: digits, then a point and digits; no exponent, '_' or spaces.
_PLAIN = re.compile(r"-?[0-9]+(\.[0-9]+)?")
#: Longer number strings are refused unread (no amount or measure has that many digits).
_MAX_DIGITS = 100


def plain_decimal(value: Any) -> Decimal | None:
    """``value`` as a Decimal when it is a number in plain decimal notation: a string
    such as ``"-12.50"``, an int (not a bool) or a finite Decimal; None for anything
    else (``"1e3"``, ``"NaN"``, ``"Infinity"``, ``"1_000"``, ``" 1"``, a float)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str) and len(value) <= _MAX_DIGITS and _PLAIN.fullmatch(value):
        return Decimal(value)
    return None


def decimal_places(amount: Decimal) -> int:
    """How many decimal places ``amount`` needs (``10.500`` needs 1)."""
    exponent = amount.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@functools.cache
def _iso_4217() -> dict[str, int | None]:
    from iso4217 import Currency

    return {currency.code: currency.exponent for currency in Currency}


def minor_units(code: str) -> int | None:
    """The decimal places of an ISO 4217 currency (EUR 2, JPY 0, BHD 3); None for a
    code that is no currency or has no minor unit (XAU, XTS)."""
    return _iso_4217().get(code)


def round_amount(amount: Decimal, currency: str | None) -> Decimal:
    """``amount`` rounded half up (away from zero) to the minor unit of ``currency``
    (JPY 1, EUR 0.01, BHD 0.001; the cent for no currency or one without a minor unit):
    the one rounding of every amount computed from others (a document's lines and
    totals, a weighted or converted amount)."""
    places = minor_units(currency) if currency else None
    unit = _CENT if places is None else Decimal(1).scaleb(-places)
    return amount.quantize(unit, rounding=ROUND_HALF_UP)


def currency_problem(code: Any) -> str | None:
    """What is wrong with ``code`` as the currency of an amount, or None (the code in
    capitals is an ISO 4217 currency with a minor unit)."""
    if not isinstance(code, str) or not code.isascii() or code.upper() not in _iso_4217():
        return f"Not an ISO 4217 currency code: {code!r}."
    if minor_units(code.upper()) is None:
        return (f"{code.upper()} has no minor unit in ISO 4217 (a metal, a fund or a test "
                "code); give the currency of the amount, such as EUR.")
    return None


def places_problem(amount: Decimal, currency: str) -> str | None:
    """What is wrong with ``amount`` in ``currency`` (an ISO 4217 code), or None: more
    decimal places than the currency's minor unit are refused, never rounded away."""
    places, given = minor_units(currency), decimal_places(amount)
    if places is None or given <= places:
        return None
    allowed = "no decimal places" if places == 0 else \
        f"{places} decimal place{'' if places == 1 else 's'}"
    return f"{currency} has {allowed}; {format(amount.normalize(), 'f')} has {given}."


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
        """To the currency's minor unit, half up (``round_amount``)."""
        return Money(round_amount(self.amount, self.currency), self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __str__(self) -> str:
        places = minor_units(self.currency)
        places = 2 if places is None else max(places, decimal_places(self.amount))
        return f"{self.amount:,.{places}f} {self.currency}"


def format_amount(amount: Decimal, currency: str | None = None, *,
                  grouped: bool = False) -> str:
    """The amount with the currency's decimal places (two without a currency), more
    only when it has them: '10.50' EUR, '1000' JPY, '1.250' BHD, '0.125' EUR;
    ``grouped``: with thousands separators ('1,250,000.00')."""
    places = minor_units(currency) if currency else None
    places = 2 if places is None else places
    shown = amount.quantize(Decimal(1).scaleb(-max(places, decimal_places(amount))))
    return format(shown, ",f" if grouped else "f")


class MoneyField(ma.fields.Field[Money]):
    """``{"amount": "12.50", "currency": "EUR"}`` in JSON; Money in Python.

    The model stores the amount in ``<name>`` and the code in ``<name>_currency``.
    """

    default_error_messages = {
        # Braces doubled: marshmallow formats every message.
        "invalid": 'Not a money value; give {{"amount": "12.50", "currency": "EUR"}}.',
        "amount": "Not a valid amount: {input!r} (give digits with an optional point, "
                  "such as '12.50').",
        "float": "Give the amount as a string or an integer, not a float.",
        "range": "Not a storable amount: {input!r} (at most {whole} digits before the "
                 "point).",
    }

    #: What every engine keeps exactly: 15 significant digits (SQLite stores DECIMAL
    #: columns as 8-byte floats, exact to 15 digits), 4 of them after the point (no
    #: ISO 4217 currency has more minor units).
    whole_digits = 11
    places = 4

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Money:
        if isinstance(value, Money):  # from Python: checked like JSON
            value = {"amount": value.amount, "currency": value.currency}
        if not isinstance(value, dict) or set(value) - {"amount", "currency"}:
            raise self.make_error("invalid")
        raw, currency = value.get("amount"), value.get("currency")
        if isinstance(raw, float):
            raise self.make_error("float")
        amount = plain_decimal(raw)
        if amount is None:
            raise self.make_error("amount", input=raw)
        # Refused rather than overflowing the column (PostgreSQL) or being rounded silently.
        if abs(amount) >= Decimal(10) ** self.whole_digits:
            raise self.make_error("range", input=raw, whole=self.whole_digits)
        problem = currency_problem(currency)
        if problem is not None:
            raise ma.ValidationError(problem)
        code = str(currency).upper()
        problem = places_problem(amount, code)
        if problem is not None:
            raise ma.ValidationError(problem)
        # One form for one value: -0 is 0.
        return Money(abs(amount) if amount == 0 else amount, code)

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
        return {"amount": format_amount(value.amount, value.currency),
                "currency": value.currency}


class AmountField(ma.fields.Decimal):
    """An amount whose currency is another value of its record (``currency`` names the
    attribute or key: a document's totals in its ``currency``, a line's amounts in its
    document's), shown as a string with that currency's places (``format_amount``).
    Dump-only: such amounts are computed, never given."""

    def __init__(self, currency: str = "currency", **kwargs: Any) -> None:
        kwargs.setdefault("dump_only", True)
        super().__init__(as_string=True, **kwargs)
        self.currency = currency

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        code = obj.get(self.currency) if isinstance(obj, dict) else \
            getattr(obj, self.currency, None)
        return format_amount(Decimal(value), code)


class CurrencyField(ma.fields.String):
    """An ISO 4217 currency code with a minor unit, read in capitals or not and kept in
    capitals: the currency of a record keeping several amounts (a quote and its lines)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {"examples": ["EUR"], **kwargs["metadata"]}
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        problem = currency_problem(value)
        if problem is not None:
            raise ma.ValidationError(problem)
        return str(value).upper()
