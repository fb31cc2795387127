"""How the pages show values: Jinja filters for dates, money and a record's title."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

from ..money import Money
from ..services.search import title_of

__all__ = ["FILTERS", "when", "shown", "sentence", "money"]


def _parse(value: Any) -> dt.datetime | dt.date | None:
    if isinstance(value, (dt.datetime, dt.date)):
        return value
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def when(value: Any, today: dt.date | None = None) -> str:
    """A moment as people read it: ``14:30`` today, ``3 Mar 14:30`` this year, else
    ``3 Mar 2025`` (times in UTC: users have no time zone yet)."""
    moment = _parse(value)
    if moment is None:
        return "" if value is None else str(value)
    today = today or dt.datetime.now(dt.timezone.utc).date()
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(dt.timezone.utc)
        day, clock = moment.date(), moment.strftime("%H:%M")
        if day == today:
            return f"today {clock}"
        if day.year == today.year:
            return f"{day.day} {day:%b} {clock}"
        return f"{day.day} {day:%b %Y}"
    return f"{moment.day} {moment:%b %Y}"


def shown(value: Any) -> str:
    """A dumped field value as text: money as ``1,250.00 EUR``, lists joined, dates
    read, nothing for None."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, Money):
        value = {"amount": value.amount, "currency": value.currency}
    if isinstance(value, dict) and set(value) == {"amount", "currency"}:
        try:
            amount = Decimal(str(value["amount"]))
        except InvalidOperation:
            return f"{value['amount']} {value['currency']}"
        return f"{amount:,.2f} {value['currency']}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and _parse(value):
        return when(value)
    return str(value)


def money(amount: Any, currency: str) -> str:
    """An amount in ``currency`` as the pages show money: ``1,250.00 EUR`` (``amount |
    money(currency)`` in a template); nothing for None."""
    return "" if amount is None else shown({"amount": amount, "currency": currency})


def _is_overdue(value: Any, today: dt.date) -> bool:
    moment = _parse(value)
    if isinstance(moment, dt.datetime):
        return moment.astimezone(dt.timezone.utc).date() < today
    return False


def sentence(message: Any) -> str:
    """A service's message as a sentence on a page: a capital for a plain first word
    (an email or a name starting it stays as it is), a full stop last."""
    text = str(message).strip()
    if not text:
        return text
    first = text.split(" ", 1)[0]
    if first.isalpha() and first.islower():
        text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _details(item: dict[str, Any], search: Any) -> list[str]:
    """The shown values of a search result's detail fields, empty ones left out."""
    return [text for text in (shown(item.get(name)) for name in search.details) if text]


FILTERS: dict[str, Callable[..., Any]] = {"when": when, "shown": shown,
                                          "title_of": lambda item, rt: title_of(rt, item),
                                          "overdue": _is_overdue, "details": _details,
                                          "sentence": sentence, "money": money}
