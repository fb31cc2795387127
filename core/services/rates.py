"""Exchange rates: set, read, delete, and fetch from a rates-provider plugin.

Setting and deleting need ``admin.rates``; reading needs ``core.metrics.read`` (the
rates turn the figures one reads into the base currency) or ``admin.rates``. Every
change is audited (record type ``exchange_rate``, keyed by the rate's id).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import peewee

from ..errors import Conflict, NotFound, PermissionDenied, PluginError, ValidationError
from ..models import ExchangeRate, utcnow
from ..rates import Rate, base_currency, format_rate, parse_rate, rate_problems
from .actors import Actor
from .audit import write_audit
from .authz import require
from .paging import DEFAULT_LIMIT, Page, newest_first

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["RATES", "RATES_READ", "set_rate", "delete_rate", "get_rate", "list_rates",
           "fetch_rates", "rate_on", "RateInfo", "AUDITED_AS", "PROVIDER_HOOK",
           "filter_problems"]

logger = logging.getLogger(__name__)

#: The permission to set, fetch and delete exchange rates.
RATES = "admin.rates"
#: Reading rates: either permission does.
RATES_READ = ("core.metrics.read", RATES)
#: The audit trail's record type for rates.
AUDITED_AS = "exchange_rate"
PROVIDER_HOOK = "provide_exchange_rates"


@dataclass(frozen=True)
class RateInfo:
    """A stored rate as the faces show it."""

    id: int
    currency: str
    quote: str
    day: dt.date
    rate: Decimal
    source: str
    updated_at: dt.datetime
    #: Whether the write that returned it created it (rather than replaced one).
    created: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "currency": self.currency, "quote": self.quote,
                "date": self.day.isoformat(), "rate": format_rate(self.rate),
                "source": self.source, "updated_at": self.updated_at.isoformat()}


def _info(row: ExchangeRate, created: bool = False) -> RateInfo:
    rate = row.rate if isinstance(row.rate, Decimal) else Decimal(str(row.rate))
    day = row.day if isinstance(row.day, dt.date) else dt.date.fromisoformat(str(row.day))
    return RateInfo(row.id, row.currency, row.quote, day, rate.normalize(), row.source,
                    row.updated_at, created)


def _require_read(actor: Actor) -> None:
    if not any(actor.can(p) for p in RATES_READ):
        raise PermissionDenied(f"{actor.label} ({actor.role}) lacks the permission "
                               f"{RATES_READ[0]} (or {RATES_READ[1]}), needed to read "
                               "exchange rates")


def _checked(currency: Any, quote: Any, rate: Any, day: Any) -> tuple[str, str, Decimal]:
    problems = rate_problems(currency, quote, rate, day)
    if problems:
        raise ValidationError(problems)
    value = rate if isinstance(rate, Decimal) else parse_rate(rate)
    assert value is not None  # rate_problems has checked it
    return str(currency).upper(), str(quote).upper(), value.normalize()


def _audit_values(row: ExchangeRate | None) -> dict[str, Any]:
    if row is None:
        return {}
    info = _info(row)
    return {"currency": info.currency, "quote": info.quote, "date": info.day.isoformat(),
            "rate": format_rate(info.rate), "source": info.source}


def set_rate(kernel: Accord, currency: str, quote: str, rate: Any, *, day: Any,
             actor: Actor, source: str = "manual") -> RateInfo:
    """Store that from ``day`` on, 1 ``currency`` is worth ``rate`` ``quote``; a rate
    of the same pair and day is replaced. ValidationError names each bad field."""
    require(actor, RATES)
    currency, quote, value = _checked(currency, quote, rate, day)
    with kernel.transaction():
        row, created = _store(actor, currency, quote, value, day, source)
    return _info(row, created)


def _store(actor: Actor, currency: str, quote: str, value: Decimal, day: dt.date,
           source: str) -> tuple[ExchangeRate, bool]:
    """Insert or replace one rate, audited; inside the caller's transaction. Returns the
    row and whether it is new."""
    current = (ExchangeRate.select()
               .where(ExchangeRate.currency == currency, ExchangeRate.quote == quote,
                      ExchangeRate.day == day)
               .first())
    before = _audit_values(current)
    now = utcnow()
    if current is None:
        # A rate of the same pair and day written meanwhile is replaced, not a conflict.
        ExchangeRate.insert(currency=currency, quote=quote, day=day, rate=value,
                            source=source, updated_at=now).on_conflict(
            conflict_target=[ExchangeRate.currency, ExchangeRate.quote, ExchangeRate.day],
            update={ExchangeRate.rate: value, ExchangeRate.source: source,
                    ExchangeRate.updated_at: now}).execute()
        row_id = (ExchangeRate.select(ExchangeRate.id)
                  .where(ExchangeRate.currency == currency, ExchangeRate.quote == quote,
                         ExchangeRate.day == day).scalar())
        action = "created"
    else:
        row_id = current.id
        ExchangeRate.update(rate=value, source=source, updated_at=now).where(
            ExchangeRate.id == row_id).execute()
        action = "updated"
    row = ExchangeRate.get_by_id(row_id)
    after = _audit_values(row)
    changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    if changes:
        write_audit(actor, action, AUDITED_AS, [(row.id, changes)])
    return row, current is None


def _find(currency: str, quote: str, day: Any) -> ExchangeRate:
    problems = rate_problems(currency, quote, "1", day)
    if problems:
        raise ValidationError(problems)
    row: ExchangeRate | None = (
        ExchangeRate.select()
        .where(ExchangeRate.currency == str(currency).upper(),
               ExchangeRate.quote == str(quote).upper(), ExchangeRate.day == day)
        .first())
    if row is None:
        raise NotFound(f"no rate of {str(currency).upper()} in {str(quote).upper()} "
                       f"on {day.isoformat()}")
    return row


def get_rate(kernel: Accord, currency: str, quote: str, *, day: Any,
             actor: Actor) -> RateInfo:
    """The rate stored for exactly this pair and day (NotFound otherwise)."""
    _require_read(actor)
    with kernel.bound():
        return _info(_find(currency, quote, day))


def delete_rate(kernel: Accord, currency: str, quote: str, *, day: Any,
                actor: Actor) -> RateInfo:
    """Delete the rate of this pair and day; returns what it was."""
    require(actor, RATES)
    with kernel.transaction():
        row = _find(currency, quote, day)
        info = _info(row)
        ExchangeRate.delete().where(ExchangeRate.id == row.id).execute()
        write_audit(actor, "deleted", AUDITED_AS,
                    [(row.id, {k: [v, None] for k, v in _audit_values(row).items()})])
    return info


def list_rates(kernel: Accord, *, actor: Actor, currency: str | None = None,
               quote: str | None = None, start: dt.date | str | None = None,
               end: dt.date | str | None = None, limit: int | None = DEFAULT_LIMIT,
               before: int | None = None) -> Page[RateInfo]:
    """Stored rates, newest first (by id), of a currency (either side of the pair) or a
    pair, on days ``start`` to ``end`` (dates, or ISO text as a face got it; ValidationError
    names ``from``/``to``); ``limit=None``: all at once."""
    _require_read(actor)
    problems: dict[str, list[str]] = {}
    days: list[dt.date | None] = []
    for key, day in (("from", start), ("to", end)):
        if isinstance(day, str):
            try:
                day = dt.date.fromisoformat(day)
            except ValueError:
                problems[key] = [f"not a date: {day!r}; give YYYY-MM-DD"]
                day = None
        days.append(day)
    start, end = days
    problems = {**filter_problems(currency, quote, start, end), **problems}
    if problems:
        raise ValidationError(problems)
    R = ExchangeRate
    query = R.select()
    if currency is not None and quote is not None:
        query = query.where(R.currency == currency.upper(), R.quote == quote.upper())
    elif currency is not None:
        code = currency.upper()
        query = query.where((R.currency == code) | (R.quote == code))
    elif quote is not None:
        query = query.where(R.quote == quote.upper())
    if start is not None:
        query = query.where(R.day >= start)
    if end is not None:
        query = query.where(R.day <= end)
    with kernel.bound():
        if limit is None:
            rows = list(query.order_by(R.id.desc()))
            return Page([_info(r) for r in rows], None)
        page = newest_first(query, R, limit=limit, before=before)
    return Page([_info(r) for r in page.items], page.next_before)


def filter_problems(currency: str | None, quote: str | None, start: dt.date | None,
                    end: dt.date | None) -> dict[str, list[str]]:
    """What is wrong with the filters of ``list_rates``, by name (``from`` for the days)."""
    from ..money import currency_problem

    problems: dict[str, list[str]] = {}
    for key, code in (("currency", currency), ("quote", quote)):
        problem = currency_problem(code) if code is not None else None
        if problem is not None:
            problems[key] = [problem]
    if start is not None and end is not None and start > end:
        problems["from"] = [f"{start} is after {end}"]
    return problems


def rate_on(kernel: Accord, currency: str, *, day: dt.date, actor: Actor,
            base: str | None = None) -> Decimal | None:
    """What 1 ``currency`` is worth in the base currency (or ``base``) on ``day``: the
    latest rate on or before it, in either direction; None without one."""
    from ..money import currency_problem
    from ..rates import RateBook

    _require_read(actor)
    for key, code in (("currency", currency), ("base", base)):
        problem = currency_problem(code) if code is not None else None
        if problem is not None:
            raise ValidationError({key: [problem]})
    return RateBook(kernel, base.upper() if base else None).rate(currency.upper(), day)


def fetch_rates(kernel: Accord, *, actor: Actor, day: dt.date | None = None,
                currencies: list[str] | None = None) -> list[RateInfo]:
    """Ask the running rates-provider plugins (``provide_exchange_rates``) for the rates
    of ``currencies`` against the base currency on ``day`` (default: today, UTC) and
    store what they give, audited with the plugin as the rate's source.

    Without ``currencies``: those that already have a rate against the base currency.
    All or nothing: a provider that raises or returns a bad rate is a PluginError naming
    it, and nothing is stored."""
    require(actor, RATES)
    base = base_currency(kernel)
    day = day or dt.datetime.now(dt.timezone.utc).date()
    wanted = _currencies(kernel, base, day, currencies)
    providers = [name for name in kernel.plugins.implementations(PROVIDER_HOOK)
                 if name in kernel.plugins.active]
    if not providers:
        raise Conflict("no exchange rates provider is running: enable a plugin that "
                       f"implements {PROVIDER_HOOK}, or set rates with 'accord rates set'")
    found: dict[tuple[str, str, dt.date], tuple[Decimal, str]] = {}
    for name in providers:
        for item in _provided(kernel, name, base, wanted, day):
            key = (item.currency.upper(), item.quote.upper(), item.day)
            found.setdefault(key, (item.rate, name))
    with kernel.transaction():
        rows = [_store(actor, currency, quote, rate.normalize(), when, source)
                for (currency, quote, when), (rate, source) in sorted(found.items())]
    return [_info(row, created) for row, created in rows]


def _currencies(kernel: Accord, base: str, day: Any,
                currencies: list[str] | None) -> list[str]:
    from ..dates import outside_calendar
    from ..money import currency_problem

    problems: dict[str, list[str]] = {}
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        problems["date"] = [f"not a date: {day!r}; give YYYY-MM-DD"]
    elif outside_calendar(day):
        problems["date"] = [str(outside_calendar(day))]
    wanted: list[str] = []
    for code in currencies or []:
        problem = currency_problem(code)
        if problem is not None:
            problems.setdefault("currencies", []).append(problem)
        elif str(code).upper() != base and str(code).upper() not in wanted:
            wanted.append(str(code).upper())
    if problems:
        raise ValidationError(problems)
    if currencies is None:
        R = ExchangeRate
        with kernel.bound():
            query: Any = (R.select(R.currency, R.quote)
                          .where((R.currency == base) | (R.quote == base)).distinct())
            pairs: list[tuple[str, str]] = list(query.tuples())
            wanted = sorted({q if c == base else c for c, q in pairs})
    if not wanted:
        raise ValidationError({"currencies": [
            f"name the currencies to fetch against {base}" + (
                f" (none has a rate against {base} yet)" if currencies is None else "")]})
    return wanted


def _provided(kernel: Accord, name: str, base: str, currencies: list[str],
              day: dt.date) -> list[Rate]:
    """One provider's rates, checked; a provider that fails is named."""
    try:
        results = kernel.plugins.call_one(name, PROVIDER_HOOK, kernel=kernel, base=base,
                                          currencies=list(currencies), day=day)
    except (peewee.DatabaseError, PluginError):
        raise
    except Exception as exc:  # a provider's failure (network, parsing) names it
        logger.debug("exchange rates provider %s failed", name, exc_info=True)
        raise PluginError(f"the exchange rates provider {name} failed: {exc}", plugin=name,
                          hook=PROVIDER_HOOK) from None
    out: list[Rate] = []
    for result in results or ():
        for item in result or ():
            if not isinstance(item, Rate):
                raise PluginError(f"the exchange rates provider {name} returned {item!r}, "
                                  "not an accord.rates.Rate", plugin=name, hook=PROVIDER_HOOK)
            problems = rate_problems(item.currency, item.quote, item.rate, item.day)
            if problems:
                text = "; ".join(f"{k}: {' '.join(v)}" for k, v in problems.items())
                raise PluginError(f"the exchange rates provider {name} returned a bad rate "
                                  f"{item.currency} {item.quote} on {item.day}: {text}",
                                  plugin=name, hook=PROVIDER_HOOK)
            out.append(item)
    return out
