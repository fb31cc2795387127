"""The write-path rules of the competitors plugin, and its veto on closing deals.

The hook implementations call these once per batch (or once per move); they read
(at most a query or two per batch) and never write.

Prices belong to the observe_price verb (services.py): a competing product's
``list_price`` and ``price_observed_on`` change, and price observations are created,
only inside that verb, which unlocks them for the duration of its call
(``unlocked``), so that no price escapes the history.

Opportunities belong to the sales plugin; they are read here only through the core's
record services (``accord.query.find``), never from sales' tables or models.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from contextvars import ContextVar
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterator

import peewee

from accord.errors import Conflict, ValidationError
from accord.money import Money
from accord.query import find

from .models import CompetingProduct, Competitor, Involvement, Outcome

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

__all__ = ["involvement_kept", "COMPETITOR", "PRODUCT", "PRICE", "INVOLVEMENT", "OPPORTUNITY", "unlocked",
           "product_rules", "price_rules", "involvement_rules", "check_close",
           "lost_to", "involved", "opportunities", "competitor_in_use",
           "opportunity_in_use", "price_kept", "NONE"]

COMPETITOR = "competitors.competitor"
PRODUCT = "competitors.product"
PRICE = "competitors.price"
INVOLVEMENT = "competitors.involvement"
#: The sales plugin's record type, read through the core's services.
OPPORTUNITY = "sales.opportunity"
#: ``details.lost_to`` naming no competitor: the deal went to none of those involved.
NONE = "none"
_OBSERVE = "POST /api/v1/competitors/products/{}/observe_price"
_PRICE_FIELDS = ("list_price", "price_observed_on")

#: (record type, id) pairs the observe_price verb is writing in this context (this
#: thread or task only, and only while the verb runs); id None for a creation.
_UNLOCKED: ContextVar[frozenset[tuple[str, int | None]]] = ContextVar(
    "accord_competitors_unlocked", default=frozenset())


@contextlib.contextmanager
def unlocked(type_name: str, record_id: int | None) -> Iterator[None]:
    """Let the price verb write what it owns on one record (or create one), within
    the block."""
    token = _UNLOCKED.set(_UNLOCKED.get() | {(type_name, record_id)})
    try:
        yield
    finally:
        _UNLOCKED.reset(token)


def _is_unlocked(type_name: str, current: Any) -> bool:
    return (type_name, current.id if current is not None else None) in _UNLOCKED.get()


def _refuse(problems: dict[str, list[str]], index: int, rows: list[Any]) -> None:
    if problems:
        raise ValidationError(problems, row=index if len(rows) > 1 else None)


def _value(name: str, row: dict[str, Any], current: Any) -> Any:
    """The value a field will have after the write: the row's, else the stored one."""
    if name in row:
        return row[name]
    return getattr(current, name) if current is not None else None


# Competing products and their prices ---------------------------------------------

def product_rules(rows: list[dict[str, Any]], existing: list[Any]) -> None:
    """Prices only through observe_price; a product name once per competitor (one
    query for the batch)."""
    for index, (row, current) in enumerate(zip(rows, existing)):
        if _is_unlocked(PRODUCT, current):
            continue
        given = [name for name in _PRICE_FIELDS if name in row
                 and row[name] != _stored_price(name, current)]
        if given and current is None:
            _refuse({name: ["create the product first, then record its price with the "
                            "observe_price action (" + _OBSERVE.format("<id>") + "), which "
                            "keeps the price history"] for name in given}, index, rows)
        elif given:
            _refuse({name: ["record a new price with the observe_price action ("
                            + _OBSERVE.format(current.id) + "), which keeps the price "
                            "history"] for name in given}, index, rows)
    _unique_names(rows, existing)


def _unique_names(rows: list[dict[str, Any]], existing: list[Any]) -> None:
    named: dict[tuple[int, str], int] = {}
    for index, (row, current) in enumerate(zip(rows, existing)):
        if "name" in row or "competitor_id" in row:
            key = (_value("competitor_id", row, current), _value("name", row, current))
            if key in named:
                _refuse({"name": [f"{key[1]!r} appears twice for competitor {key[0]} (also "
                                  f"in rows[{named[key]}])"]}, index, rows)
            named[key] = index
    if not named:
        return
    condition = None
    for competitor_id, name in named:
        pair = (CompetingProduct.competitor == competitor_id) & (CompetingProduct.name == name)
        condition = pair if condition is None else condition | pair
    query: Any = (CompetingProduct.select(CompetingProduct.id, CompetingProduct.competitor,
                                          CompetingProduct.name).where(condition).tuples())
    for holder, competitor_id, name in query:
        index = named[(competitor_id, name)]
        current = existing[index]
        if current is None or current.id != holder:
            _refuse({"name": [f"competitor {competitor_id} already has a product named "
                              f"{name!r} (competitors.product {holder})"]}, index, rows)


def _stored_price(name: str, current: Any) -> Any:
    """A product's stored price field as a loaded row has it (Money, a date)."""
    if current is None:
        return None
    if name == "list_price":
        amount = current.list_price
        return None if amount is None else Money(Decimal(amount), current.list_price_currency)
    return current.price_observed_on


def price_rules(rows: list[dict[str, Any]], existing: list[Any]) -> None:
    """Observations are written by observe_price only, and never dated in the future."""
    today = dt.datetime.now(dt.timezone.utc).date()
    for index, (row, current) in enumerate(zip(rows, existing)):
        if not _is_unlocked(PRICE, current):
            where = row.get("product_id") or (current.product_id if current else "<id>")
            _refuse({"_schema": [
                "prices are recorded with the observe_price action of the competing product "
                f"({_OBSERVE.format(where)}) and are not changed afterwards"]}, index, rows)
        day = row.get("observed_on")
        if day is not None and day > today:
            _refuse({"observed_on": [f"{day} is in the future"]}, index, rows)


def price_kept() -> None:
    """Observations are history: a wrong one is corrected by a newer observation."""
    raise Conflict("a price observation is kept in the price history; record a newer "
                   "observation with the observe_price action instead of deleting it")


# Competitors on deals ---------------------------------------------------------------

def opportunities(kernel: Accord, ids: list[int], actor: Actor | None = None) -> dict[int, Any]:
    """Sales opportunities by id, read through the core's record services (with a
    restricted ``actor``, only those it may read); 500 ids per query."""
    out: dict[int, Any] = {}
    unique = sorted(set(ids))
    for start in range(0, len(unique), 500):
        for deal in find(kernel, OPPORTUNITY, {"id__in": unique[start:start + 500]},
                         actor=actor):
            out[deal.id] = deal
    return out


def involvement_rules(kernel: Accord, rows: list[dict[str, Any]], existing: list[Any],
                      actor: Actor) -> None:
    """A competitor is linked once to an open opportunity the actor can read, and the
    link's opportunity and competitor stay what they were."""
    for index, (row, current) in enumerate(zip(rows, existing)):
        if current is None:
            continue
        for name in ("opportunity_id", "competitor_id"):
            if name in row and row[name] != getattr(current, name):
                _refuse({name: ["a link stays between its opportunity and its competitor; "
                                "delete it and link the competitor again"]}, index, rows)
    new = [(index, row) for index, (row, current) in enumerate(zip(rows, existing))
           if current is None]
    if not new:
        return
    deals = opportunities(kernel, [row["opportunity_id"] for _, row in new], actor)
    for index, row in new:
        deal = deals.get(row["opportunity_id"])
        if deal is None:
            _refuse({"opportunity_id": [f"there is no sales opportunity "
                                        f"{row['opportunity_id']}"]}, index, rows)
        elif deal.closed_at is not None:
            _refuse({"opportunity_id": [
                f"opportunity {deal.id} ({deal.name}) is closed ({deal.stage}); competitors "
                "are linked to open deals: reopen it first"]}, index, rows)
    _linked_once(new, rows)


def _linked_once(new: list[tuple[int, dict[str, Any]]], rows: list[Any]) -> None:
    pairs: dict[tuple[int, int], int] = {}
    for index, row in new:
        key = (row["opportunity_id"], row["competitor_id"])
        if key in pairs:
            _refuse({"competitor_id": [f"competitor {key[1]} appears twice for opportunity "
                                       f"{key[0]} (also in rows[{pairs[key]}])"]}, index, rows)
        pairs[key] = index
    query: Any = (Involvement.select(Involvement.id, Involvement.opportunity_id,
                                     Involvement.competitor)
                  .where(Involvement.opportunity_id.in_(sorted({o for o, _ in pairs})))
                  .tuples())
    for holder, opportunity_id, competitor_id in query:
        taken = pairs.get((opportunity_id, competitor_id))
        if taken is not None:
            _refuse({"competitor_id": [
                f"competitor {competitor_id} is already linked to opportunity "
                f"{opportunity_id} (competitors.involvement {holder})"]}, taken, rows)


def involved(opportunity_id: int) -> list[tuple[int, str]]:
    """(id, name) of the competitors linked to an opportunity, by name; one query."""
    query: Any = (Competitor.select(Competitor.id, Competitor.name)
                  .join(Involvement, on=(Involvement.competitor == Competitor.id))
                  .where(Involvement.opportunity_id == opportunity_id)
                  .order_by(Competitor.name).tuples())
    return list(query)


def _listed(competitors: list[tuple[int, str]]) -> str:
    names = [f"{cid} ({name})" for cid, name in competitors]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def lost_to(details: dict[str, Any]) -> int | None:
    """The competitor id ``details["lost_to"]`` names (None: none, or not given)."""
    value = details.get("lost_to")
    if value is None or value == NONE or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.strip().isdigit() else None


def check_close(opportunity: Any, kind: str, data: dict[str, Any]) -> None:
    """Veto closing a contested deal without what win/loss needs: a lost deal names
    the competitor it went to (or ``"none"``), a won deal gives a win reason."""
    competitors = involved(opportunity.id)
    details = data.get("details") or {}
    ids = [cid for cid, _ in competitors]
    if "lost_to" in details:
        value = details["lost_to"]
        named = lost_to(details)
        if value is not None and value != NONE and named is None:
            raise ValidationError({"details.lost_to": [
                f'give the id of a competitor (a number) or "none", not {value!r}']})
        if named is not None and kind != "lost":
            raise ValidationError({"details.lost_to": [
                "only a lost deal is lost to a competitor"]})
        if named is not None and named not in ids:
            hint = (f'use {_listed(competitors)}, or "none"' if competitors else
                    "link it first (POST /api/v1/competitors/involvements) or leave "
                    "details.lost_to out")
            raise ValidationError({"details.lost_to": [
                f"competitor {named} is not linked to this opportunity; {hint}"]})
    if not competitors:
        return
    if kind == "lost" and "lost_to" not in details:
        raise ValidationError({"details.lost_to": [
            f"name the competitor this deal was lost to: {_listed(competitors)}, or "
            '"none" if it went to none of them']})
    if kind == "won" and not data.get("win_reason"):
        names = [name for _, name in competitors]
        contested = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        raise ValidationError({"win_reason": [
            f"give a win reason: the deal was contested by {contested}"]})


# Deletes ---------------------------------------------------------------------------

def competitor_in_use(records: list[Any]) -> None:
    """Refuse deleting competitors that products or deals name (two queries)."""
    ids = [r.id for r in records]
    products: Any = (CompetingProduct.select(CompetingProduct.competitor,
                                             peewee.fn.COUNT(CompetingProduct.id))
                     .where(CompetingProduct.competitor.in_(ids))
                     .group_by(CompetingProduct.competitor).tuples())
    deals: Any = (Involvement.select(Involvement.competitor, peewee.fn.COUNT(Involvement.id))
                  .where(Involvement.competitor.in_(ids))
                  .group_by(Involvement.competitor).tuples())
    counts: dict[int, list[int]] = {}
    for column, query in enumerate((products, deals)):
        for competitor_id, count in query:
            counts.setdefault(competitor_id, [0, 0])[column] = count
    if not counts:
        return
    first = min(counts)
    parts = [f"{n} {what}{'' if n == 1 else 's'}" for n, what in
             zip(counts[first], ("competing product", "opportunity link")) if n]
    raise Conflict(f"competitor {first} has {' and '.join(parts)}; set its status to "
                   "inactive instead, or delete those first")


def opportunity_in_use(records: list[Any]) -> None:
    """Refuse deleting opportunities competitors are linked to (one query)."""
    query: Any = (Involvement.select(Involvement.opportunity_id,
                                     peewee.fn.COUNT(Involvement.id))
                  .where(Involvement.opportunity_id.in_([r.id for r in records]))
                  .group_by(Involvement.opportunity_id).tuples())
    counts: dict[int, int] = dict(query)
    if counts:
        first = min(counts)
        many = counts[first] != 1
        raise Conflict(f"opportunity {first} is contested by {counts[first]} "
                       f"competitor{'s' if many else ''} (competitors plugin); delete "
                       f"{'those links' if many else 'that link'} first (DELETE "
                       "/api/v1/competitors/involvements/<id>)")


def involvement_kept(records: list[Any]) -> None:
    """Refuse unlinking a competitor from a closed deal: the links of a won or lost deal
    are its win/loss history (one query). Reopen the deal to change them."""
    closed = {o.opportunity_id for o in Outcome.select(Outcome.opportunity_id).where(
        Outcome.opportunity_id.in_([r.opportunity_id for r in records]))}
    kept = [r for r in records if r.opportunity_id in closed]
    if kept:
        raise Conflict(f"opportunity {kept[0].opportunity_id} is closed; its competitors are "
                       "its win/loss history: reopen it (move it to an open stage) to change "
                       "them")
