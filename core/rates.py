"""Exchange rates and the base currency: amounts in several currencies, added up in one.

The base currency is a core setting (``base_currency`` in accord.toml,
``ACCORD_BASE_CURRENCY``). A rate says that on its day and after (until a later one)
1 ``currency`` is worth ``rate`` ``quote``; it is set by hand (``accord rates set``,
``PUT /api/v1/rates/…``) or fetched from a rates-provider plugin
(``provide_exchange_rates``), through ``accord.services.rates``.

An amount in currency C on day D is converted into the base currency B with the latest
rate on or before D between C and B, in either direction (``C B r``: times r; ``B C r``:
divided by r; a direct rate wins a tie). No rate, no conversion: the amount is reported
as unconverted by whoever adds it up, never dropped silently (see ``Totals``).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Hashable, Iterable

import peewee

from .dates import outside_calendar
from .money import Money, currency_problem, plain_decimal, round_amount

if TYPE_CHECKING:
    from .kernel import Accord

__all__ = ["Rate", "RateBook", "Totals", "Converted", "base_currency", "rate_problems",
           "parse_rate", "format_rate", "as_day"]


@dataclass(frozen=True)
class Rate:
    """On ``day`` and after, 1 ``currency`` is worth ``rate`` ``quote`` (``Rate("USD",
    "EUR", Decimal("0.92"), day)``). What a rates provider returns."""

    currency: str
    quote: str
    rate: Decimal
    day: dt.date


def base_currency(kernel: Accord) -> str:
    """The currency money metrics are reported in (the ``base_currency`` setting)."""
    return kernel.config.base_currency


def parse_rate(raw: Any) -> Decimal | None:
    """A rate given as a string (``"1.08"``) or an int, in plain decimal notation; None
    for anything else (a float, ``"1e3"``, ``"NaN"``)."""
    return plain_decimal(raw)


def rate_problems(currency: Any, quote: Any, rate: Any, day: Any) -> dict[str, list[str]]:
    """What is wrong with a rate, by field (empty when it can be stored)."""
    from .models.rates import RATE_DIGITS, RATE_PLACES

    problems: dict[str, list[str]] = {}
    for key, code in (("currency", currency), ("quote", quote)):
        problem = currency_problem(code)
        if problem is not None:
            problems[key] = [problem]
    if not problems and str(currency).upper() == str(quote).upper():
        problems["quote"] = [f"a rate converts {str(currency).upper()} into another "
                             "currency, not into itself"]
    value = rate if isinstance(rate, Decimal) else parse_rate(rate)
    if isinstance(rate, float):
        problems["rate"] = ['give the rate as a string, such as "1.08", not a float']
    elif value is None or not value.is_finite():
        problems["rate"] = [f"not a rate: {rate!r}; give a positive number such as 1.08"]
    elif value <= 0:
        problems["rate"] = [f"a rate is positive, not {format_rate(value)}"]
    else:
        places = max(0, -int(value.normalize().as_tuple().exponent))
        digits = len(value.normalize().as_tuple().digits)
        if places > RATE_PLACES or max(digits, places) > RATE_DIGITS or value >= 10 ** 10:
            problems["rate"] = [f"{format_rate(value)} has too many digits: give at most "
                                f"{RATE_DIGITS} significant digits, {RATE_PLACES} after the "
                                "point, below 10000000000"]
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        problems["date"] = [f"not a date: {day!r}; give YYYY-MM-DD"]
    else:
        problem = outside_calendar(day)
        if problem is not None:
            problems["date"] = [problem]
    return problems


def format_rate(rate: Decimal) -> str:
    """A rate as written: no trailing zeros, no exponent (``1.08``, ``157``)."""
    return format(rate.normalize(), "f")


def as_day(value: Any) -> dt.date | None:
    """A day read back from SQL (a date, a datetime, or SQLite's ISO text)."""
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


class RateBook:
    """The rates into one currency that a computation needs, read in one query.

    ``need(currency, day)`` for every amount first, then ``rate(currency, day)``: the
    first call reads, for each currency, the rates from the one in force on its earliest
    day to its latest day."""

    def __init__(self, kernel: Accord, base: str | None = None) -> None:
        self.kernel = kernel
        self.base = base or base_currency(kernel)
        self._days: dict[str, tuple[dt.date, dt.date]] = {}
        #: currency -> sorted [(day, direct first, rate into the base)].
        self._rates: dict[str, list[tuple[dt.date, int, Decimal]]] | None = None

    def need(self, currency: str, day: dt.date) -> None:
        if currency == self.base:
            return
        first, last = self._days.get(currency, (day, day))
        self._days[currency] = (min(first, day), max(last, day))
        self._rates = None

    def rate(self, currency: str, day: dt.date) -> Decimal | None:
        """What 1 ``currency`` is worth in the base currency on ``day``; None without a
        rate on or before it."""
        if currency == self.base:
            return Decimal(1)
        if self._rates is None or currency not in self._days:
            self.need(currency, day)
            self._rates = self._read()
        found = self._rates.get(currency, [])
        index = bisect.bisect_right(found, (day, 2, Decimal(0)))
        if not index:
            return None
        # The rows of that day sit just before ``index``, a direct rate (order 0) first.
        first = index - 1
        while first and found[first - 1][0] == found[index - 1][0]:
            first -= 1
        return found[first][2]

    def convert(self, amount: Decimal, currency: str, day: dt.date) -> Decimal | None:
        rate = self.rate(currency, day)
        return None if rate is None else amount * rate

    def _read(self) -> dict[str, list[tuple[dt.date, int, Decimal]]]:
        from .models import ExchangeRate as R

        out: dict[str, list[tuple[dt.date, int, Decimal]]] = defaultdict(list)
        if not self._days:
            return out
        codes = sorted(self._days)
        first = min(f for f, _ in self._days.values())
        last = max(last for _, last in self._days.values())
        prior = R.alias("prior")
        in_force = (prior.select(peewee.fn.MAX(prior.day))
                    .where(prior.currency == R.currency, prior.quote == R.quote,
                           prior.day <= first))
        query: Any = (R.select(R.currency, R.quote, R.day, R.rate)
                      .where(((R.currency.in_(codes) & (R.quote == self.base))
                              | ((R.currency == self.base) & R.quote.in_(codes))),
                             R.day <= last, R.day >= peewee.fn.COALESCE(in_force, first)))
        with self.kernel.bound():
            rows: list[tuple[str, str, Any, Any]] = list(query.tuples())
        for currency, quote, day, rate in rows:
            value = rate if isinstance(rate, Decimal) else Decimal(str(rate))
            when = as_day(day)
            assert when is not None  # a NOT NULL column
            if currency == self.base:
                out[quote].append((when, 1, Decimal(1) / value))
            else:
                out[currency].append((when, 0, value))
        for rows_of in out.values():
            rows_of.sort(key=lambda r: (r[0], r[1]))
        return out


@dataclass
class Converted:
    """One figure added up in the base currency: ``amount`` (exact), the ``count`` of
    items converted, and per currency what had no rate (``unconverted``)."""

    amount: Decimal = Decimal(0)
    count: int = 0
    unconverted: dict[str, Decimal] = field(default_factory=dict)

    def left_out(self) -> tuple[Money, ...]:
        """The unconverted amounts, each rounded to its currency's minor unit, by code;
        those adding up to nothing are not shown."""
        out = []
        for code, amount in sorted(self.unconverted.items()):
            rounded = round_amount(amount, code)
            if rounded:
                out.append(Money(rounded, code))
        return tuple(out)

    def add(self, other: Converted) -> None:
        self.amount += other.amount
        self.count += other.count
        for code, amount in other.unconverted.items():
            self.unconverted[code] = self.unconverted.get(code, Decimal(0)) + amount


class Totals:
    """Amounts in any currency added up per key in the base currency.

    ``add(key, amount, currency, day)`` each amount (a sum of the rows of one currency
    and day, exact), then ``result()``: per key a ``Converted``, the rates read in one
    query (share ``book`` between several Totals to read them once for all). Amounts in
    the base currency need no day."""

    def __init__(self, kernel: Accord, base: str | None = None, *,
                 book: RateBook | None = None) -> None:
        self.book = book if book is not None else RateBook(kernel, base)
        self.base = self.book.base
        self._rows: list[tuple[Hashable, Decimal, str, dt.date | None, int]] = []

    def add(self, key: Hashable, amount: Decimal, currency: str, day: Any = None,
            count: int = 1) -> None:
        when = as_day(day)
        if currency != self.base:
            if when is None:
                raise ValueError(f"an amount in {currency} needs the day it is converted on")
            self.book.need(currency, when)
        self._rows.append((key, amount, currency, when, count))

    def result(self) -> dict[Any, Converted]:
        out: dict[Any, Converted] = {}
        for key, amount, currency, day, count in self._rows:
            figure = out.setdefault(key, Converted())
            if currency == self.base:
                figure.amount += amount
                figure.count += count
                continue
            assert day is not None  # checked in add
            rate = self.book.rate(currency, day)
            if rate is None:
                figure.unconverted[currency] = figure.unconverted.get(currency,
                                                                      Decimal(0)) + amount
            else:
                figure.amount += amount * rate
                figure.count += count
        return out

    def extend(self, rows: Iterable[tuple[Hashable, Decimal, str, Any]]) -> None:
        for key, amount, currency, day in rows:
            self.add(key, amount, currency, day)
