"""The write-path rules of the competitors plugin, and its veto on closing deals.

The record types (hooks.py) carry these and the core calls them once per batch; the
sales hooks call the rest once per move. They read (at most a query or two per
batch) and never write.

Prices belong to the observe_price verb (services.py): the record types declare a
competing product's ``list_price`` and ``price_observed_on`` as fields that verb
owns, and price observations as written by it only, so that no price escapes the
history.

Opportunities belong to the sales plugin; they are read here only through the core's
record services (``accord.query.find``), never from sales' tables or models.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import peewee

from accord.errors import Conflict, ValidationError
from accord.query import find

from .models import CompetingProduct, Competitor, Involvement, Outcome

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.records import Write
    from accord.services.actors import Actor

__all__ = ["involvement_kept", "COMPETITOR", "PRODUCT", "PRICE", "INVOLVEMENT", "OPPORTUNITY",
           "price_defaults", "product_rules", "price_rules", "involvement_rules", "check_close",
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
#: The fields of a competing product that the observe_price verb owns.
PRICE_FIELDS = ("list_price", "price_observed_on")

def _refuse(problems: dict[str, list[str]], index: int, rows: list[Any]) -> None:
    if problems:
        raise ValidationError(problems, row=index if len(rows) > 1 else None)


# Competing products and their prices ---------------------------------------------

def product_rules(write: Write) -> None:
    """A product name once per competitor (one query for the batch); prices are the
    observe_price verb's (declared on the record type)."""
    _unique_names(write)


def _unique_names(write: Write) -> None:
    rows, existing = write.rows, write.existing
    named: dict[tuple[int, str], int] = {}
    for index, (row, current) in enumerate(zip(rows, existing)):
        if "name" in row or "competitor_id" in row:
            key = (write.value(index, "competitor_id"), write.value(index, "name"))
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


def price_defaults(write: Write) -> None:
    """An observation records who saw the price."""
    for row in write.rows:
        row["recorded_by_id"] = write.actor.user_id
        row["recorded_by_label"] = write.actor.label


def price_rules(write: Write) -> None:
    """Observations are never dated in the future."""
    today = dt.datetime.now(dt.timezone.utc).date()
    for index, row, _ in write:
        day = row.get("observed_on")
        if day is not None and day > today:
            write.refuse(index, {"observed_on": [f"{day} is in the future"]})


def price_kept(kernel: Accord, records: list[Any], actor: Actor) -> None:
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


def involvement_rules(write: Write) -> None:
    """A competitor is linked once to an open opportunity the actor can read, and the
    link's opportunity and competitor stay what they were."""
    kernel, rows, existing, actor = write.kernel, write.rows, write.existing, write.actor
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

def competitor_in_use(kernel: Accord, records: list[Any], actor: Actor) -> None:
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


def involvement_kept(kernel: Accord, records: list[Any], actor: Actor) -> None:
    """Refuse unlinking a competitor from a closed deal: the links of a won or lost deal
    are its win/loss history (one query). Reopen the deal to change them."""
    closed = {o.opportunity_id for o in Outcome.select(Outcome.opportunity_id).where(
        Outcome.opportunity_id.in_([r.opportunity_id for r in records]))}
    kept = [r for r in records if r.opportunity_id in closed]
    if kept:
        raise Conflict(f"opportunity {kept[0].opportunity_id} is closed; its competitors are "
                       "its win/loss history: reopen it (move it to an open stage) to change "
                       "them")
