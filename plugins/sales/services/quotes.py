"""Quotes: draft, sent, then accepted, rejected or expired; revisions; an accepted quote
becomes an order.

A draft's content (lines, customer) may change; once sent it is fixed, and a change
is a new revision (``revise``): a new draft with the same lines, numbered in the
chain of its first revision. Only the latest revision of a chain can be accepted, and
only one.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import peewee

from accord import services
from accord.errors import ValidationError
from accord.models import utcnow
from accord.services.actors import Actor
from accord.services.authz import require

from ..dates import today
from ..jobs import job_summary, plural, set_status_where
from ..models import Opportunity, Quote, QuoteLine
from ..rules import OPPORTUNITY, QUOTE
from . import check_version
from .documents import copy_lines, document_computed, document_defaults, document_rules

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.records import Write

    from ..models import Order

__all__ = ["quote_defaults", "quote_rules", "quote_computed", "send_quote", "accept_quote",
           "reject_quote", "revise_quote", "expire_quotes", "SEND", "ACCEPT", "REJECT",
           "REVISE"]

SEND = "sales.quote.send"
ACCEPT = "sales.quote.accept"
REJECT = "sales.quote.reject"
REVISE = "sales.quote.revise"
_REVISE_HINT = "revise it (POST /api/v1/sales/quotes/<id>/revise) and change the new draft"


# Write path --------------------------------------------------------------------------

def customer_from_opportunity(rows: list[dict[str, Any]]) -> None:
    """A document naming an opportunity but no customer gets the opportunity's."""
    wanted = {row["opportunity_id"] for row in rows if row.get("opportunity_id")
              and row.get("organization_id") is None and row.get("contact_id") is None}
    if not wanted:
        return
    found: dict[int, Any] = {o.id: o for o in Opportunity.select(
        Opportunity.id, Opportunity.organization, Opportunity.contact)
        .where(Opportunity.id.in_(sorted(wanted)))}
    for row in rows:
        deal = found.get(row.get("opportunity_id") or 0)
        if deal is not None and row.get("organization_id") is None \
                and row.get("contact_id") is None:
            row["organization_id"] = deal.organization_id
            row["contact_id"] = deal.contact_id


def quote_defaults(write: Write) -> None:
    document_defaults(write)
    customer_from_opportunity(write.rows)


def quote_rules(write: Write) -> None:
    found = document_rules(write, editable="draft", verb_hint=_REVISE_HINT)
    for (index, row, current), problems in zip(write, found):
        if current is not None and current.status != "draft":
            for name in ("valid_until", "opportunity_id", "name"):
                if name in row and row[name] != getattr(current, name):
                    problems.setdefault(name, [f"the {current.status} quote cannot change; "
                                               f"{_REVISE_HINT}"])
        write.refuse(index, problems)


def quote_computed(write: Write) -> None:
    document_computed(write, hook=True)


# Verbs -------------------------------------------------------------------------------

def _quote(kernel: Accord, quote_id: int, actor: Actor, version: int | None) -> Any:
    """The quote a verb works on, its row and its chain's first revision locked until
    the verb's transaction ends (two verbs on one chain take turns)."""
    quote: Any = services.get(kernel, QUOTE, quote_id, actor=actor, for_update=True)
    if quote.revision_of_id is not None:
        services.get(kernel, QUOTE, quote.revision_of_id, for_update=True)
    check_version(QUOTE, quote, version)
    return quote


def _status(quote: Any, *allowed: str, doing: str) -> None:
    if quote.status not in allowed:
        now = "a draft" if quote.status == "draft" else quote.status
        raise ValidationError({"status": [
            f"quote {quote.id} is {now}; only a {' or '.join(allowed)} quote can be {doing}"]})


def send_quote(kernel: Accord, quote_id: int, *, actor: Actor,
               version: int | None = None) -> Quote:
    """Send a draft: its content is fixed from now on, and it is valid until its
    ``valid_until`` (by default ``quote_validity_days`` from today)."""
    require(actor, SEND)
    with kernel.transaction():
        quote = _quote(kernel, quote_id, actor, version)
        _status(quote, "draft", doing="sent")
        if not QuoteLine.select().where(QuoteLine.quote == quote.id).exists():
            raise ValidationError({"lines": ["add at least one line before sending the quote"]})
        day = today()
        days = kernel.settings("sales")["quote_validity_days"]
        valid_until = quote.valid_until or day + dt.timedelta(days=days)
        if valid_until < day:
            raise ValidationError({"valid_until": [
                f"{valid_until} is past; give a later date before sending the quote"]})
        services.update(kernel, QUOTE, quote.id, {
            "status": "sent", "sent_at": utcnow(), "valid_until": valid_until},
            actor=actor, version=quote.version, verb="send")
    return services.get(kernel, QUOTE, quote_id)  # type: ignore[return-value]


def accept_quote(kernel: Accord, quote_id: int, *, actor: Actor,
                 order_date: dt.date | None = None, reference: str | None = None,
                 version: int | None = None) -> Order:
    """The customer accepted a sent, unexpired quote (its latest revision): the quote is
    accepted and an order with its lines is created, in one transaction. Returns
    the order."""
    from .orders import order_from_quote

    require(actor, ACCEPT)
    with kernel.transaction():
        quote = _quote(kernel, quote_id, actor, version)
        if quote.status == "expired":
            raise ValidationError({"status": [
                f"quote {quote.id} expired on {quote.valid_until}; revise it and send the new "
                "revision"]})
        _status(quote, "sent", doing="accepted")
        if quote.valid_until is not None and quote.valid_until < today():
            raise ValidationError({"valid_until": [
                f"quote {quote.id} expired on {quote.valid_until}; revise it and send the new "
                "revision"]})
        _latest_of_its_chain(quote)
        services.update(kernel, QUOTE, quote.id, {"status": "accepted", "decided_at": utcnow()},
                        actor=actor, version=quote.version, verb="accept")
        order = order_from_quote(kernel, quote, actor=actor, order_date=order_date,
                                 reference=reference)
        if quote.opportunity_id is not None:
            _remember_on_opportunity(kernel, quote, actor)
    return order


def _chain(quote: Any) -> Any:
    root = quote.revision_of_id or quote.id
    return Quote.select().where((Quote.id == root) | (Quote.revision_of == root))


def _latest_of_its_chain(quote: Any) -> None:
    revisions = list(_chain(quote).order_by(Quote.revision))
    accepted = [q for q in revisions if q.status == "accepted"]
    if accepted:
        raise ValidationError({"status": [
            f"revision {accepted[0].revision} of this quote (quote {accepted[0].id}) is "
            "already accepted"]})
    latest = revisions[-1]
    if latest.id != quote.id:
        raise ValidationError({"revision": [
            f"quote {quote.id} is revision {quote.revision}; the latest is revision "
            f"{latest.revision} (quote {latest.id}): accept that one"]})


def _remember_on_opportunity(kernel: Accord, quote: Any, actor: Actor) -> None:
    """An accepted quote sets its opportunity's amount when the deal is still open and
    in the same currency: what was sold is what the deal is worth."""
    from ..settings import pipelines

    deal = Opportunity.get_or_none(Opportunity.id == quote.opportunity_id)
    if deal is None or deal.amount_currency != quote.currency:
        return
    pipeline = pipelines(kernel).get(deal.pipeline)
    stage = pipeline.stage(deal.stage) if pipeline is not None else None
    if stage is not None and not stage.closed and deal.amount != quote.net_total:
        # Written by the plugin on the quote's behalf: the deal may be a colleague's.
        services.update(kernel, OPPORTUNITY, deal.id, {
            "amount": {"amount": str(quote.net_total), "currency": quote.currency}},
            actor=Actor.system(f"sales (quote {quote.id} accepted by {actor.label})"))


def reject_quote(kernel: Accord, quote_id: int, *, actor: Actor, reason: str | None = None,
                 version: int | None = None) -> Quote:
    require(actor, REJECT)
    with kernel.transaction():
        quote = _quote(kernel, quote_id, actor, version)
        _status(quote, "sent", doing="rejected")
        services.update(kernel, QUOTE, quote.id, {
            "status": "rejected", "decided_at": utcnow(),
            "reject_reason": (reason or "").strip() or None},
            actor=actor, version=quote.version, verb="reject")
    return services.get(kernel, QUOTE, quote_id)  # type: ignore[return-value]


def revise_quote(kernel: Accord, quote_id: int, *, actor: Actor,
                 version: int | None = None) -> Quote:
    """A new draft revision of a sent, rejected or expired quote, with its lines (priced
    again). Returns the new quote."""
    require(actor, REVISE)
    with kernel.transaction():
        quote = _quote(kernel, quote_id, actor, version)
        if quote.status == "draft":
            raise ValidationError({"status": [
                f"quote {quote.id} is a draft: change it instead of revising it"]})
        _status(quote, "sent", "rejected", "expired", doing="revised")
        _latest_of_its_chain(quote)
        root = quote.revision_of_id or quote.id
        last = _chain(quote).select(peewee.fn.MAX(Quote.revision)).scalar()
        lines = [{k: v for k, v in line.items() if k not in ("net", "tax", "total")}
                 for line in copy_lines(QuoteLine, QuoteLine.quote, quote.id)]
        data = {"name": quote.name, "opportunity_id": quote.opportunity_id,
                "organization_id": quote.organization_id, "contact_id": quote.contact_id,
                "currency": quote.currency, "notes": quote.notes, "lines": lines,
                **{k: v for k, v in (("owner_id", quote.owner_id),
                                     ("team_id", quote.team_id)) if v}}
        created = services.create(kernel, QUOTE, {
            **data, "revision": int(last) + 1, "revision_of": root}, actor=actor, verb="revise")
    return services.get(kernel, QUOTE, created.id)  # type: ignore[return-value]


def expire_quotes(kernel: Accord, day: dt.date) -> str:
    """The ``sales.quotes_expire`` job: sent quotes valid until before ``day`` expire."""
    actor = Actor.system("sales.quotes_expire")
    with kernel.bound():
        due = [q.id for q in Quote.select(Quote.id).where(Quote.status == "sent",
                                                          Quote.valid_until < day)]

    count, failed = set_status_where(
        kernel, QUOTE, due, "expired", actor=actor, what="quote", verb="expire",
        still=lambda q: q.status == "sent" and q.valid_until is not None
        and q.valid_until < day)
    return job_summary(f"{plural(count, 'quote')} expired", failed)
