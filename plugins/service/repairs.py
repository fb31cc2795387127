"""Repair orders: what a repair costs, and what the warranty covers of it.

A repair is taken on from a ticket (its customer comes from there), diagnosed, and given
the parts used (products, quantity, unit price), the labour time and hourly rate and a
service fee. ``decide(repair, warranty, on)`` is pure: the warranty's dates and terms on
the day of the repair (``warranties.coverage``) decide which of parts and labour the
customer pays; the service fee is billed unless the warranty covers parts and labour.
The write-path rules here read and never write; the actions that write (start, complete,
cancel, and the invoice the completion issues) are in services/repairs.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from marshmallow import fields, validate

from accord.errors import Conflict
from accord.models import Product
from accord.money import AmountField, CurrencyField, places_problem, round_amount
from accord.records import Lines, Permission, RecordType, Transitions, VerbField
from accord.schemas import ExactDecimal, InputSchema, OwnedRecordSchema, decimal_field

from .models import REPAIR_STATUSES, RepairOrder, RepairPart, ServiceInvoice, Ticket, Warranty
from .rules import customer_named
from .warranties import coverage

if TYPE_CHECKING:
    from accord.records import Write

__all__ = ["REPAIR", "INVOICE", "START", "COMPLETE", "CANCEL", "PERMISSIONS", "AGENT",
           "RECORD_TYPES", "TRANSITIONS", "Decision", "decide", "RepairSchema",
           "RepairPartSchema", "ServiceInvoiceSchema", "CompleteSchema", "repair_defaults", "repair_rules",
           "repair_computed", "warranty_for"]

REPAIR = "service.repair"
INVOICE = "service.invoice"
START = "service.repair.start"
COMPLETE = "service.repair.complete"
CANCEL = "service.repair.cancel"
PERMISSIONS = [
    Permission(f"{REPAIR}.read", "Read repair orders"),
    Permission(f"{REPAIR}.write", "Create repair orders and record parts and labour"),
    Permission(f"{REPAIR}.delete", "Delete open repair orders"),
    Permission(START, "Start repairs"),
    Permission(COMPLETE, "Complete repairs: decide the warranty coverage and bill the rest"),
    Permission(CANCEL, "Cancel repairs not done yet"),
    Permission(f"{INVOICE}.read", "Read the service invoices of repairs"),
    Permission(f"{INVOICE}.write", "Write service invoices (only the complete action "
                                   "does)"),
    Permission(f"{INVOICE}.delete", "Delete service invoices (issued ones are kept)")]
#: What the built-in service role holds of them.
AGENT = (f"{REPAIR}.read", f"{REPAIR}.write", START, COMPLETE, CANCEL, f"{INVOICE}.read")
#: The workflow: done only through the complete action (which decides and bills).
TRANSITIONS = {"open": ("in_progress", "cancelled"), "in_progress": ("done", "cancelled")}
#: What a client may change while the repair is open or in progress.
_CONTENT = ("product_id", "serial_number", "warranty_id", "diagnosis", "labour_minutes",
            "labour_rate", "service_fee", "tax_rate", "parts", "organization_id",
            "contact_id")
_MINUTES_PER_HOUR = Decimal(60)
_BY = "Set by the complete action (POST /api/v1/service/repairs/<id>/complete)"


def _amount(description: str, **kwargs: Any) -> Any:
    return decimal_field(4, 0, 99_999_999_999, description=description,
                         places_text="the currency's decimal places", **kwargs)


def _ref(**kwargs: Any) -> fields.Integer:
    return fields.Integer(allow_none=True, strict=True,
                          validate=validate.Range(min=1, max=2 ** 63 - 1), **kwargs)


class RepairPartSchema(InputSchema):
    """A part used in the repair (amounts in the repair's currency)."""

    product_id = fields.Integer(required=True, strict=True,
                                validate=validate.Range(min=1, max=2 ** 63 - 1))
    description = fields.String(validate=validate.Length(min=1, max=500), metadata={
        "description": "The product's name when left out"})
    quantity = decimal_field(4, 0, 99_999_999, above=True, required=True)
    unit_price = _amount("The product's unit price when left out (in the repair's "
                         "currency)")
    total = AmountField(metadata={"description": "quantity x unit_price, rounded half up to "
                                                 "the currency's minor unit"})


class RepairSchema(OwnedRecordSchema):
    ticket_id = fields.Integer(required=True, strict=True,
                               validate=validate.Range(min=1, max=2 ** 63 - 1), metadata={
                                   "description": "The ticket the repair comes from; fixed "
                                                  "once created"})
    organization_id = _ref(metadata={"description": "The customer: the ticket's when left "
                                                    "out"})
    contact_id = _ref()
    product_id = _ref(metadata={"description": "The product repaired"})
    serial_number = fields.String(allow_none=True, validate=validate.Length(min=1, max=100),
                                  metadata={"description": "Its serial number: the warranty "
                                                           "is found by product and serial"})
    warranty_id = _ref(metadata={"description": "The warranty to decide by; found by product "
                                                "and serial number when left out"})
    diagnosis = fields.String(allow_none=True, validate=validate.Length(max=100_000))
    currency = CurrencyField(metadata={"description": "ISO 4217 code of every amount; the "
                                                      "base currency when left out; fixed"})
    labour_minutes = fields.Integer(strict=True, validate=validate.Range(0, 100_000),
                                    metadata={"description": "Labour time in minutes"})
    labour_rate = _amount("Per hour of labour")
    service_fee = _amount("A fee billed unless the warranty covers parts and labour")
    tax_rate = decimal_field(2, 0, 100, description="Percent added to what is billed")
    parts = fields.List(fields.Nested(RepairPartSchema), validate=validate.Length(max=500),
                        metadata={"description": "Given on a write, replaces every part"})
    status = fields.String(validate=validate.OneOf(REPAIR_STATUSES), metadata={
        "description": "open, in_progress, done or cancelled: set by the start, complete "
                       "and cancel actions"})
    parts_total = AmountField(dump_only=True)
    labour_total = AmountField(dump_only=True, metadata={
        "description": "labour_minutes / 60 x labour_rate, rounded"})
    total = AmountField(dump_only=True, metadata={
        "description": "parts_total + labour_total + service_fee, before coverage and tax"})
    repaired_on = fields.Date(allow_none=True, metadata={"description": _BY})
    covered = fields.String(allow_none=True, metadata={
        "description": "What the warranty covered: none, parts, labour or parts_and_labour. "
                       + _BY})
    coverage_reason = fields.String(allow_none=True, metadata={"description": _BY})
    billed_net = AmountField(allow_none=True, metadata={
        "description": "What the customer pays before tax. " + _BY})
    warranty_cost = AmountField(allow_none=True, metadata={
        "description": "What the warranty covered (the firm's cost). " + _BY})
    invoice_type = fields.String(allow_none=True, metadata={
        "description": "sales.invoice (sales enabled) or service.invoice. " + _BY})
    invoice_id = fields.Integer(allow_none=True, strict=True, metadata={"description": _BY})
    invoice_number = fields.String(allow_none=True, metadata={"description": _BY})


class CompleteSchema(InputSchema):
    """The body of ``POST /api/v1/service/repairs/<id>/complete``."""

    repaired_on = fields.Date(metadata={"description": "The day the repair was done (today "
                                                       "when left out): the warranty's "
                                                       "coverage is read for that day"})


class ServiceInvoiceSchema(OwnedRecordSchema):
    """The plugin's own invoice of a repair; written by the repair's complete action."""

    repair_id = fields.Integer(strict=True)
    number = fields.String(metadata={"description": "Gapless per year: <prefix><year>-NNNNN"})
    year = fields.Integer(strict=True)
    sequence = fields.Integer(strict=True)
    organization_id = fields.Integer(strict=True, allow_none=True)
    contact_id = fields.Integer(strict=True, allow_none=True)
    issue_date = fields.Date()
    currency = fields.String()
    net_total = AmountField()
    tax_rate = ExactDecimal(2)
    tax_total = AmountField()
    total = AmountField()
    lines = fields.List(fields.Dict())


# The decision -----------------------------------------------------------------------

@dataclass(frozen=True)
class Decision:
    """What the warranty covered of a repair and what the customer pays (before tax)."""

    covered: str
    reason: str
    billed_net: Decimal
    warranty_cost: Decimal

    def fields(self) -> dict[str, Any]:
        return {"covered": self.covered, "coverage_reason": self.reason[:300],
                "billed_net": self.billed_net, "warranty_cost": self.warranty_cost}


def decide(repair: Any, warranty: Any, on: dt.date) -> Decision:
    """The coverage decision of ``repair`` (its parts_total, labour_total and
    service_fee) by ``warranty`` (or None) on the day ``on``: covered parts and labour
    cost the firm, the rest the customer; the fee is billed unless both are covered."""
    parts, labour = Decimal(repair.parts_total), Decimal(repair.labour_total)
    fee = Decimal(repair.service_fee)
    if warranty is None:
        what = "no serial number given" if not repair.serial_number else \
            f"no warranty for serial number {repair.serial_number!r}"
        return Decision("none", what, parts + labour + fee, Decimal(0))
    answer = coverage(warranty, on)
    if not answer.covered:
        return Decision("none", f"warranty {warranty.id} {answer.reason}",
                        parts + labour + fee, Decimal(0))
    covers = answer.covers or ""
    free_parts, free_labour = "parts" in covers, "labour" in covers
    cost = (parts if free_parts else 0) + (labour if free_labour else 0)
    billed = (0 if free_parts else parts) + (0 if free_labour else labour) \
        + (0 if free_parts and free_labour else fee)
    return Decision(covers, f"warranty {warranty.id} {answer.reason}", Decimal(billed),
                    Decimal(cost))


def warranty_for(repair: Any) -> Any:
    """The warranty a repair is decided by: the one it names, else its product's
    warranty of its serial number (None when there is none)."""
    if repair.warranty_id is not None:
        return Warranty.get_or_none(Warranty.id == repair.warranty_id)
    if repair.product_id is None or not repair.serial_number:
        return None
    return Warranty.get_or_none(Warranty.product == repair.product_id,
                                Warranty.serial_number == repair.serial_number)


# The write path ---------------------------------------------------------------------

def repair_defaults(write: Write) -> None:
    """A new repair takes its ticket's customer, and the base currency."""
    for index, row, current in write:
        if current is not None:
            continue
        row.setdefault("currency", write.kernel.config.base_currency)
        ticket = Ticket.get_or_none(Ticket.id == row.get("ticket_id")) \
            if isinstance(row.get("ticket_id"), int) else None
        if ticket is not None and "organization_id" not in row and "contact_id" not in row:
            row["organization_id"] = ticket.organization_id
            row["contact_id"] = ticket.contact_id


def repair_rules(write: Write) -> None:
    for index, row, current in write:
        problems = customer_named(write, index)
        if current is not None:
            for name, what in (("ticket_id", "ticket"), ("currency", "currency")):
                if name in row and row[name] != getattr(current, name):
                    problems[name] = [f"repair {current.id} keeps its {what}"]
            if current.status in ("done", "cancelled") and write.verb is None:
                changed = [n for n in _CONTENT if n in row]
                for name in changed:
                    problems.setdefault(name, [f"repair {current.id} is {current.status}; "
                                               "it does not change any more"])
        currency = write.value(index, "currency")
        for name in ("labour_rate", "service_fee"):
            value = row.get(name)
            problem = places_problem(value, currency) if value is not None and currency \
                else None
            if problem:
                problems[name] = [problem]
        for number, part in enumerate(row.get("parts") or []):
            price = part.get("unit_price")
            problem = places_problem(price, currency) if price is not None and currency \
                else None
            if problem:
                problems[f"parts.{number}.unit_price"] = [problem]
        _check_warranty(write, index, problems)
        write.refuse(index, problems)


def _check_warranty(write: Write, index: int, problems: dict[str, list[str]]) -> None:
    """A named warranty is for the repair's product and serial number."""
    warranty_id = write.value(index, "warranty_id")
    if warranty_id is None or not ({"warranty_id", "product_id", "serial_number"}
                                   & set(write.rows[index])):
        return
    warranty = Warranty.get_or_none(Warranty.id == warranty_id)
    if warranty is None:
        return  # the core names the missing reference
    product, serial = write.value(index, "product_id"), write.value(index, "serial_number")
    if product is not None and product != warranty.product_id:
        problems["warranty_id"] = [f"warranty {warranty.id} is for product "
                                   f"{warranty.product_id}, not {product}"]
    elif serial and serial != warranty.serial_number:
        problems["warranty_id"] = [f"warranty {warranty.id} is for serial number "
                                   f"{warranty.serial_number!r}, not {serial!r}"]


def repair_computed(write: Write) -> None:
    """Each part's description, price and total; the parts, labour and overall totals."""
    for index, row, current in write:
        currency = write.value(index, "currency")
        parts = row.get("parts")
        if parts is not None:
            _price_parts(write, index, parts, currency)
        elif current is not None and not ({"labour_minutes", "labour_rate", "service_fee"}
                                          & set(row)):
            continue
        if parts is None and current is not None:
            parts_total = sum((Decimal(p.total) for p in RepairPart.select(RepairPart.total)
                               .where(RepairPart.repair == current.id)), Decimal(0))
        else:
            parts_total = sum((Decimal(p["total"]) for p in parts or []), Decimal(0))
        minutes = write.value(index, "labour_minutes", 0) or 0
        rate = Decimal(write.value(index, "labour_rate", 0) or 0)
        labour = round_amount(Decimal(minutes) / _MINUTES_PER_HOUR * rate, currency)
        fee = Decimal(write.value(index, "service_fee", 0) or 0)
        row["parts_total"] = parts_total
        row["labour_total"] = labour
        row["total"] = parts_total + labour + fee


def _price_parts(write: Write, index: int, parts: list[dict[str, Any]],
                 currency: str) -> None:
    ids = {p["product_id"] for p in parts if p.get("product_id")}
    products = {p.id: p for p in Product.select().where(Product.id.in_(ids))} if ids else {}
    problems: dict[str, list[str]] = {}
    for number, part in enumerate(parts):
        product = products.get(part["product_id"])
        if product is None:
            problems[f"parts.{number}.product_id"] = [f"no product {part['product_id']}"]
            continue
        part.setdefault("description", product.name)
        if part.get("unit_price") is None:
            if product.unit_price is None or product.unit_price_currency != currency:
                problems[f"parts.{number}.unit_price"] = [
                    f"give the unit price: product {product.id} has no price in {currency}"]
                continue
            part["unit_price"] = Decimal(product.unit_price)
        part["total"] = round_amount(Decimal(part["quantity"]) * Decimal(part["unit_price"]),
                                     currency)
    write.refuse(index, problems)


def repair_kept(kernel: Any, records: list[Any], actor: Any) -> None:
    """Only an open repair (one taken on by mistake) is deleted."""
    for repair in records:
        if repair.status != "open":
            raise Conflict(f"repair {repair.id} is {repair.status}: only an open repair is "
                           "deleted; cancel it instead")


def invoice_kept(kernel: Any, records: list[Any], actor: Any) -> None:
    """An issued service invoice is never deleted: its number stays used."""
    for invoice in records:
        raise Conflict(f"service invoice {invoice.number} is issued: it is kept, so the "
                       "numbers have no gap")


_DECIDED = ("repaired_on", "covered", "coverage_reason", "billed_net", "warranty_cost",
            "invoice_type", "invoice_id", "invoice_number")

#: Every field of a service invoice: the complete action's "bill" writes them once.
_BILLED = ("repair_id", "number", "year", "sequence", "organization_id", "contact_id",
           "issue_date", "currency", "net_total", "tax_rate", "tax_total", "total", "lines")

RECORD_TYPES = [
    RecordType(
        REPAIR, RepairOrder, RepairSchema, "repairs", "Repair order",
        searchable=("serial_number", "diagnosis", "invoice_number"),
        title_fields=("serial_number",),
        lines=(Lines("parts", RepairPart, "repair", RepairPartSchema),),
        verb_fields=(VerbField("status", ("start", "complete", "cancel")),
                     *(VerbField(name, ("complete",)) for name in _DECIDED)),
        transitions=Transitions("status", TRANSITIONS),
        protects=("organization", "contact"),
        defaults=repair_defaults, validate=repair_rules, compute=repair_computed,
        check_delete=repair_kept),
    RecordType(
        INVOICE, ServiceInvoice, ServiceInvoiceSchema, "invoices", "Service invoice",
        searchable=("number",), title_fields=("number",), written_by=("bill",),
        verb_fields=tuple(VerbField(name, ("bill",)) for name in _BILLED),
        protects=("organization", "contact"), check_delete=invoice_kept),
]


# On the customer's timeline ------------------------------------------------------------

_OUTCOME = {"none": "billed in full", "parts": "parts covered", "labour": "labour covered",
            "parts_and_labour": "covered in full"}


def repair_items(record_type: str, record_ids: list[int]) -> list[Any]:
    """Each repair of the organizations or contacts asked for, when it was taken on,
    with where it stands: ``Repair 4 (SN-77): done, parts covered, billed SRV-2026-00001``."""
    from accord.records import TimelineItem

    column = getattr(RepairOrder, record_type)
    out = []
    repair: Any
    for repair in RepairOrder.select().where(column.in_(record_ids)):
        state = repair.status.replace("_", " ")
        if repair.status == "done":
            state += f", {_OUTCOME.get(repair.covered or '', repair.covered)}"
            if repair.invoice_number:
                state += f", invoice {repair.invoice_number}"
        serial = f" ({repair.serial_number})" if repair.serial_number else ""
        out.append(TimelineItem(
            record_type=record_type, record_id=getattr(repair, column.object_id_name),
            at=repair.created_at, kind="service.repair",
            title=f"Repair {repair.id}{serial}: {state}", source_type=REPAIR,
            source_id=repair.id,
            details={"status": repair.status, "ticket_id": repair.ticket_id,
                     "covered": repair.covered, "invoice_number": repair.invoice_number}))
    return out
