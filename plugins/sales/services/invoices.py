"""Invoices: drafted from an order, a contract period or by hand; issued with a number
from a gapless yearly sequence; paid (partly or fully); overdue; void.

Numbers: ``<invoice_prefix><year>-<sequence>`` (``INV-2026-00001``), the year of the
issue date. The sequence is a row per year updated in the issuing transaction:
the row lock serializes concurrent issuing, and a rolled-back issue gives its
number back, so the numbers of a year have no gaps. An issued invoice is never
deleted (void it instead: its number stays used).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from accord import services
from accord.errors import Conflict, ValidationError
from accord.models import utcnow
from accord.money import format_amount, places_problem
from accord.services.authz import require

from ..dates import add_months, today
from ..jobs import job_summary, plural, set_status_where
from ..models import Invoice, InvoiceLine, InvoiceSequence, OrderLine, Payment
from ..rules import CONTRACT, INVOICE, ORDER
from ..schemas import BILLING_PERIODS
from . import check_version
from .documents import copy_lines, document_computed, document_defaults, document_rules

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.records import Write
    from accord.services.actors import Actor

__all__ = ["invoice_defaults", "invoice_rules", "invoice_computed", "invoice_order",
           "invoice_contract_period", "issue_invoice", "pay_invoice", "void_invoice",
           "mark_overdue", "next_number", "INVOICE_ORDER", "ISSUE", "PAY", "VOID", "OPEN"]

INVOICE_ORDER = "sales.order.invoice"
ISSUE = "sales.invoice.issue"
PAY = "sales.invoice.pay"
VOID = "sales.invoice.void"
#: Issued invoices not paid in full: what payments and the overdue job apply to.
OPEN = ("issued", "partially_paid", "overdue")


def invoice_defaults(write: Write) -> None:
    document_defaults(write)
    terms = write.kernel.settings("sales")["payment_terms_days"]
    for row in write.rows:
        row.setdefault("payment_terms_days", terms)


def invoice_rules(write: Write) -> None:
    found = document_rules(write, editable="draft",
                           verb_hint="void it and draft a new invoice")
    for (index, row, current), problems in zip(write, found):
        if current is not None and current.status != "draft":
            for name in ("due_date", "payment_terms_days"):
                if name in row and row[name] != getattr(current, name):
                    problems.setdefault(name, [f"the {current.status} invoice cannot change; "
                                               "void it and draft a new invoice"])
        write.refuse(index, problems)


def invoice_computed(write: Write) -> None:
    document_computed(write)


# Drafting ----------------------------------------------------------------------------

def _owners(record: Any) -> dict[str, int]:
    return {k: v for k, v in (("owner_id", record.owner_id), ("team_id", record.team_id)) if v}


def invoice_order(kernel: Accord, order_id: int, *, actor: Actor,
                  version: int | None = None) -> Invoice:
    """A draft invoice of an order with the order's lines; one invoice per order (a
    void one does not count)."""
    from .orders import _invoiced

    require(actor, INVOICE_ORDER)
    with kernel.transaction():
        order: Any = services.get(kernel, ORDER, order_id, actor=actor, for_update=True)
        check_version(ORDER, order, version)
        if order.status == "cancelled":
            raise ValidationError({"status": [f"order {order.id} is cancelled; it is not "
                                              "invoiced"]})
        taken = _invoiced([order.id])
        if taken:
            raise ValidationError({"order_id": [f"order {order.id} is already invoiced "
                                                f"(invoice {taken[order.id]})"]})
        lines = [{k: v for k, v in line.items() if k not in ("net", "tax", "total")}
                 for line in copy_lines(OrderLine, OrderLine.order, order.id)]
        data = {"organization_id": order.organization_id, "contact_id": order.contact_id,
                "currency": order.currency, "lines": lines, **_owners(order)}
        created = services.create(kernel, INVOICE, {**data, "order_id": order.id},
                                  actor=actor, verb="invoice")
    return services.get(kernel, INVOICE, created.id)  # type: ignore[return-value]


def invoice_contract_period(kernel: Accord, contract_id: int, period_start: dt.date, *,
                            actor: Actor, version: int | None = None) -> Invoice:
    """A draft invoice of one billing period of a contract: one line, the contract's
    value for the period. A period is invoiced once (a void invoice does not count)."""
    require(actor, "sales.contract.invoice")
    with kernel.transaction():
        contract: Any = services.get(kernel, CONTRACT, contract_id, actor=actor,
                                     for_update=True)
        check_version(CONTRACT, contract, version)
        if contract.status == "draft":
            raise ValidationError({"status": [f"contract {contract.id} is a draft; activate "
                                              "it before invoicing it"]})
        period_end = _period_end(contract, period_start)
        taken = (Invoice.select(Invoice.id, Invoice.number)
                 .where(Invoice.contract == contract.id, Invoice.period_start == period_start,
                        Invoice.status != "void").first())
        if taken is not None:
            raise ValidationError({"period_start": [
                f"the period from {period_start} is already invoiced (invoice "
                f"{taken.number or f'draft {taken.id}'})"]})
        line = {"product_id": contract.product_id,
                "description": f"{contract.name}: {period_start} to {period_end}",
                "quantity": Decimal(1), "unit_price": Decimal(contract.value),
                "tax_rate": Decimal(contract.tax_rate)}
        data = {"organization_id": contract.organization_id, "contact_id": contract.contact_id,
                "currency": contract.value_currency, "lines": [line], **_owners(contract)}
        created = services.create(kernel, INVOICE, {
            **data, "contract_id": contract.id, "period_start": period_start,
            "period_end": period_end}, actor=actor, verb="invoice")
    return services.get(kernel, INVOICE, created.id)  # type: ignore[return-value]


def _period_end(contract: Any, start: dt.date) -> dt.date:
    months = BILLING_PERIODS[contract.billing_period]
    day, k = contract.start_date, 0
    while day < start:
        k += 1
        day = add_months(contract.start_date, k * months)
    if day != start or start > contract.end_date:
        first = contract.start_date
        raise ValidationError({"period_start": [
            f"{start} does not start a {contract.billing_period} billing period of contract "
            f"{contract.id} (periods start on {first}, {add_months(first, months)}, … until "
            f"{contract.end_date})"]})
    return add_months(contract.start_date, (k + 1) * months) - dt.timedelta(days=1)


# Issuing, paying, voiding ------------------------------------------------------------

def next_number(year: int) -> int:
    """The next number of ``year``'s sequence; call inside the issuing transaction."""
    InvoiceSequence.insert(year=year, last=0).on_conflict_ignore().execute()
    InvoiceSequence.update(last=InvoiceSequence.last + 1).where(
        InvoiceSequence.year == year).execute()
    return int(InvoiceSequence.select(InvoiceSequence.last)
               .where(InvoiceSequence.year == year).scalar())


def _invoice(kernel: Accord, invoice_id: int, actor: Actor, version: int | None) -> Any:
    invoice = services.get(kernel, INVOICE, invoice_id, actor=actor, for_update=True)
    check_version(INVOICE, invoice, version)
    return invoice


def issue_invoice(kernel: Accord, invoice_id: int, *, actor: Actor,
                  issue_date: dt.date | None = None, version: int | None = None) -> Invoice:
    """Issue a draft: it takes the next number of its issue year and its due date."""
    require(actor, ISSUE)
    with kernel.transaction():
        invoice = _invoice(kernel, invoice_id, actor, version)
        if invoice.status != "draft":
            raise ValidationError({"status": [
                f"invoice {invoice.number or invoice.id} is {invoice.status}; only a draft is "
                "issued"]})
        if not InvoiceLine.select().where(InvoiceLine.invoice == invoice.id).exists():
            raise ValidationError({"lines": ["add at least one line before issuing the "
                                             "invoice"]})
        day = issue_date or today()
        due = invoice.due_date or day + dt.timedelta(days=invoice.payment_terms_days)
        if due < day:
            raise ValidationError({"due_date": [f"{due} is before the issue date {day}"]})
        sequence = next_number(day.year)
        prefix = kernel.settings("sales")["invoice_prefix"]
        # Nothing to pay (every line discounted in full): paid as soon as issued.
        status = "paid" if Decimal(invoice.total) == 0 else "issued"
        services.update(kernel, INVOICE, invoice.id, {
            "status": status, "issue_date": day, "due_date": due, "year": day.year,
            "sequence": sequence, "number": f"{prefix}{day.year}-{sequence:05d}"},
            actor=actor, version=invoice.version, verb="issue")
    return services.get(kernel, INVOICE, invoice_id)  # type: ignore[return-value]


def pay_invoice(kernel: Accord, invoice_id: int, amount: Decimal, *, actor: Actor,
                paid_on: dt.date | None = None, method: str | None = None,
                reference: str | None = None, version: int | None = None) -> Invoice:
    """Record a payment against an issued invoice; never more than the balance due."""
    require(actor, PAY)
    with kernel.transaction():
        invoice = _invoice(kernel, invoice_id, actor, version)
        name = invoice.number or invoice.id
        if invoice.status not in OPEN:
            what = {"paid": "is paid in full", "void": "is void",
                    "draft": "is a draft; issue it first"}[invoice.status]
            raise ValidationError({"status": [f"invoice {name} {what}"]})
        # The one Money rule: no more decimals than the invoice currency's minor unit.
        problem = places_problem(amount, invoice.currency)
        if problem is not None:
            raise ValidationError({"amount": [problem]})
        due = Decimal(invoice.total) - Decimal(invoice.amount_paid)
        if amount > due:
            raise ValidationError({"amount": [
                f"{format_amount(amount, invoice.currency)} {invoice.currency} is more than "
                f"the {format_amount(due, invoice.currency)} {invoice.currency} due on "
                f"invoice {name}"]})
        day = paid_on or today()
        if day < invoice.issue_date:
            raise ValidationError({"paid_on": [f"{day} is before the invoice's issue date "
                                               f"{invoice.issue_date}"]})
        Payment.insert(invoice=invoice.id, amount=amount, paid_on=day, method=method,
                       reference=reference, at=utcnow(), actor=actor.user_id,
                       actor_label=actor.label).execute()
        paid = Decimal(invoice.amount_paid) + amount
        status = "paid" if paid == Decimal(invoice.total) else (
            "overdue" if invoice.due_date < today() else "partially_paid")
        services.update(kernel, INVOICE, invoice.id, {"amount_paid": paid, "status": status},
                        actor=actor, version=invoice.version, verb="pay")
    return services.get(kernel, INVOICE, invoice_id)  # type: ignore[return-value]


def void_invoice(kernel: Accord, invoice_id: int, *, actor: Actor, reason: str | None = None,
                 version: int | None = None) -> Invoice:
    """Void an issued invoice nobody paid; its number stays used."""
    require(actor, VOID)
    with kernel.transaction():
        invoice = _invoice(kernel, invoice_id, actor, version)
        if invoice.status == "draft":
            raise ValidationError({"status": [f"invoice {invoice.id} is a draft: delete it "
                                              "instead"]})
        nothing_due = invoice.status == "paid" and Decimal(invoice.total) == 0
        if invoice.status not in OPEN and not nothing_due:
            raise ValidationError({"status": [f"invoice {invoice.number} is {invoice.status}; "
                                              "only an issued, unpaid invoice is voided"]})
        if Decimal(invoice.amount_paid) > 0:
            raise ValidationError({"status": [
                f"invoice {invoice.number} has payments "
                f"({format_amount(Decimal(invoice.amount_paid), invoice.currency)} "
                f"{invoice.currency}); it cannot be voided"]})
        text = (reason or "").strip()
        if not text:
            raise ValidationError({"reason": ["give the reason the invoice is voided"]})
        services.update(kernel, INVOICE, invoice.id, {"status": "void", "void_reason": text},
                        actor=actor, version=invoice.version, verb="void")
    return services.get(kernel, INVOICE, invoice_id)  # type: ignore[return-value]


def mark_overdue(kernel: Accord, day: dt.date) -> str:
    """The ``sales.invoices_overdue`` job: open invoices due before ``day`` are overdue."""
    from accord.services.actors import Actor

    actor = Actor.system("sales.invoices_overdue")
    with kernel.bound():
        due = [i.id for i in Invoice.select(Invoice.id).where(
            Invoice.status.in_(("issued", "partially_paid")), Invoice.due_date < day)]

    count, failed = set_status_where(
        kernel, INVOICE, due, "overdue", actor=actor, what="invoice", verb="overdue",
        still=lambda i: i.status in ("issued", "partially_paid") and i.due_date < day)
    return job_summary(f"{plural(count, 'invoice')} marked overdue", failed)


def refuse_deleting_issued(kernel: Accord, records: list[Any], actor: Actor) -> None:
    """An issued invoice is kept: deleting it would leave a gap in the numbers."""
    issued = [r for r in records if r.status != "draft"]
    if issued:
        raise Conflict(f"invoice {issued[0].number} is {issued[0].status}; issued invoices "
                       "are never deleted (void it instead)")
