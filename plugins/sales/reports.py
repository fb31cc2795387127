"""Read-only views over the sales tables: the pipeline by stage, timeline entries.

Set-based: each function runs one query whatever the number of opportunities.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import peewee

from accord.errors import NotFound
from accord.metrics import exact_sum
from accord.money import Money, format_amount
from accord.records import TimelineItem

from .models import Invoice, Opportunity, Order, Quote, StageChange
from .settings import pipelines

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["StageTotal", "PipelineTotals", "pipeline_totals", "stage_change_items",
           "document_items"]

@dataclass
class StageTotal:
    """The opportunities in one stage: how many, and their amounts by currency."""

    name: str
    kind: str
    probability: int | None
    count: int = 0
    amounts: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class PipelineTotals:
    name: str
    stages: list[StageTotal]

    @property
    def open_count(self) -> int:
        return sum(s.count for s in self.stages if s.kind == "open")

    @property
    def open_amounts(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for stage in self.stages:
            if stage.kind == "open":
                for currency, amount in stage.amounts.items():
                    out[currency] = out.get(currency, Decimal(0)) + amount
        return out


def pipeline_totals(kernel: Accord, only: str | None = None) -> list[PipelineTotals]:
    """Every pipeline (or the one named ``only``) with each stage's count and amounts,
    stages in settings order; one grouped query."""
    known = pipelines(kernel)
    if only is not None and only not in known:
        raise NotFound(f"no pipeline {only!r} (pipelines: {', '.join(known)})")
    total, to_decimal = exact_sum(kernel, Opportunity.amount)
    query: Any = (Opportunity.select(Opportunity.pipeline, Opportunity.stage,
                                     Opportunity.amount_currency,
                                     peewee.fn.COUNT(Opportunity.id), total)
                  .group_by(Opportunity.pipeline, Opportunity.stage,
                            Opportunity.amount_currency))
    if only is not None:
        query = query.where(Opportunity.pipeline == only)
    out = {name: PipelineTotals(name, [StageTotal(s.name, s.kind, s.probability)
                                       for s in p.stages])
           for name, p in known.items() if only in (None, name)}
    with kernel.bound():
        rows = list(query.tuples())
    for pipeline_name, stage_name, currency, count, amount in rows:
        totals = out.setdefault(pipeline_name, PipelineTotals(pipeline_name, []))
        stage = next((s for s in totals.stages if s.name == stage_name), None)
        if stage is None:  # a stage dropped from settings edited outside Accord
            stage = StageTotal(stage_name, "unknown", None)
            totals.stages.append(stage)
        stage.count += count
        stage.amounts[currency] = stage.amounts.get(currency, Decimal(0)) + to_decimal(amount)
    return list(out.values())


def stage_change_items(record_type: str, record_ids: list[int]) -> list[TimelineItem]:
    """Stage changes as timeline entries of the organizations, contacts or
    opportunities asked for; one query for all the ids."""
    target: Any = {"organization": Opportunity.organization, "contact": Opportunity.contact,
                   "sales.opportunity": Opportunity.id}.get(record_type)
    if target is None or not record_ids:
        return []
    query: Any = (StageChange.select(StageChange, Opportunity.name, target.alias("target"))
                  .join(Opportunity)
                  .where(target.in_(record_ids))
                  .order_by(StageChange.at, StageChange._meta.primary_key))
    items = []
    change: Any
    for change in query.objects():
        items.append(TimelineItem(
            record_type=record_type, record_id=change.target, at=change.at,
            kind="sales.stage_change",
            title=f"{change.name}: {change.from_stage} \u2192 {change.to_stage}",
            source_type="sales.opportunity", source_id=change.opportunity_id,
            details={"pipeline": change.pipeline, "from_stage": change.from_stage,
                     "to_stage": change.to_stage, "actor": change.actor_label}))
    return items


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def _quote_entry(quote: Any) -> tuple[dt.datetime, str]:
    at = quote.decided_at or quote.sent_at or quote.created_at
    return at, f"Quote {quote.name} (revision {quote.revision}): {quote.status}"


def _order_entry(order: Any) -> tuple[dt.datetime, str]:
    return order.created_at, f"Order {order.reference or order.id}: {order.status}"


def _invoice_entry(invoice: Any) -> tuple[dt.datetime, str]:
    at = _midnight(invoice.issue_date) if invoice.issue_date else invoice.created_at
    return at, f"Invoice {invoice.number or 'draft'}: {invoice.status}"


_DOCUMENTS: tuple[tuple[Any, str, str, Any], ...] = (
    (Quote, "sales.quote", "sales.quote", _quote_entry),
    (Order, "sales.order", "sales.order", _order_entry),
    (Invoice, "sales.invoice", "sales.invoice", _invoice_entry),
)


def document_items(record_type: str, record_ids: list[int]) -> list[TimelineItem]:
    """Quotes, orders and invoices on the timeline of their organization, contact or
    opportunity (one query per kind of document), each at its latest milestone."""
    if record_type not in ("organization", "contact", "sales.opportunity") or not record_ids:
        return []
    column = {"organization": "organization", "contact": "contact",
              "sales.opportunity": "opportunity"}[record_type]
    items = []
    for model, kind, source, entry in _DOCUMENTS:
        if not hasattr(model, column):
            continue
        target = getattr(model, column)
        for document in model.select().where(target.in_(record_ids)):
            at, title = entry(document)
            total = Money(Decimal(document.total), document.currency)
            items.append(TimelineItem(
                record_type=record_type, record_id=getattr(document, target.object_id_name),
                at=at, kind=kind, title=f"{title}, {total}", source_type=source,
                source_id=document.id,
                details={"status": document.status,
                         "total": format_amount(total.amount, total.currency),
                         "currency": document.currency}))
    return items
