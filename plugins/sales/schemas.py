"""Marshmallow schemas of the sales records (leads, opportunities, quotes, orders,
invoices, contracts, the documents' lines) and of the bodies of their actions.

Values that depend on the settings (pipelines, stages, lead sources, channels) are
checked by the write-path rules (rules.py), which know the settings in force. Money,
currencies, dates and plain decimals follow the core's rules of every record
(``accord.money``, ``accord.schemas.InputSchema``): no rule of their own here. The
computed amounts of a document and its lines are shown with the places of the
document's currency (``accord.money.AmountField``: JPY 0, EUR 2, BHD 3).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from accord.money import AmountField, CurrencyField, Money, MoneyField, format_amount
from accord.schemas import (Between, ExactDecimal, InputSchema, OwnedRecordSchema,
                            decimal_field)

__all__ = ["LeadSchema", "OpportunitySchema", "ConvertSchema", "MoveSchema", "LEAD_STATUSES",
           "QuoteSchema", "OrderSchema", "InvoiceSchema", "ContractSchema", "PaymentSchema",
           "StatusChangeSchema", "QUOTE_STATUSES", "ORDER_STATUSES", "INVOICE_STATUSES",
           "CONTRACT_STATUSES", "BILLING_PERIODS", "ReasonSchema", "AcceptSchema",
           "OrderStatusSchema", "IssueSchema", "PaySchema", "PeriodSchema", "LineSchema",
           "DocumentSchema", "decimal_field"]

#: A lead's statuses; a converted lead stays ``qualified``.
LEAD_STATUSES = ("new", "contacted", "qualified", "disqualified")


def _text(length: int, **kwargs: Any) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(max=length), **kwargs)


def _name(length: int) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=length))


def _ref(**kwargs: Any) -> fields.Integer:
    return fields.Integer(allow_none=True, strict=True,
                          validate=validate.Range(min=1, max=2 ** 63 - 1), **kwargs)


def _not_negative(value: Money) -> None:
    if value.amount < 0:
        raise ma.ValidationError("The amount may not be negative.")


_BY_CONVERT = "Set by the convert action only."


class LeadSchema(OwnedRecordSchema):
    name = _name(200)
    company = _text(200)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = _text(50)
    #: One of the ``lead_sources`` setting.
    source = _text(60, metadata={"description": "One of the lead_sources setting"})
    status = fields.String(load_default="new", validate=validate.OneOf(LEAD_STATUSES))
    disqualify_reason = _text(500, metadata={
        "description": "Required when the status is disqualified"})
    converted_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    contact_id = _ref(metadata={"description": _BY_CONVERT})
    organization_id = _ref(metadata={"description": _BY_CONVERT})
    opportunity_id = _ref(metadata={"description": _BY_CONVERT})


class OpportunitySchema(OwnedRecordSchema):
    name = _name(200)
    organization_id = _ref()
    contact_id = _ref()
    amount = MoneyField(validate=_not_negative, metadata={
        "description": "Defaults to 0 in the currency setting"})
    expected_close_date = fields.Date(allow_none=True)
    pipeline = fields.String(validate=validate.Length(min=1, max=40), metadata={
        "description": "A pipeline of the settings; the default_pipeline setting when left "
                       "out. Fixed once the opportunity exists."})
    stage = fields.String(validate=validate.Length(min=1, max=60), metadata={
        "description": "An open stage of the pipeline (its first when left out); changed "
                       "afterwards by the move action only"})
    probability = fields.Integer(strict=True, validate=validate.Range(0, 100), metadata={
        "description": "Percent; the stage's when left out"})
    channel = _text(60, metadata={"description": "One of the channels setting"})
    loss_reason = _text(500, metadata={"description": "Set when the opportunity is lost"})
    win_reason = _text(500, metadata={"description": "May be set when the opportunity is won"})
    closed_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    close_probability = fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "The probability it had just before it was won or lost"})


class ConvertSchema(InputSchema):
    """The body of ``POST /api/v1/sales/leads/<id>/convert``."""

    create_opportunity = fields.Boolean(load_default=False)
    opportunity = fields.Dict(keys=fields.String(), load_default=None, allow_none=True, metadata={
        "description": "Fields of the new opportunity (name, amount, pipeline, stage, "
                       "expected_close_date, custom fields…), as its create takes them; "
                       "with create_opportunity only"})
    contact = fields.Dict(keys=fields.String(), load_default=None, allow_none=True, metadata={
        "description": "Fields of the new contact (title, custom fields…), as its create "
                       "takes them, over those taken from the lead; not organization_id. "
                       "Refused when the lead's email matches a contact, which is linked"})
    organization = fields.Dict(keys=fields.String(), load_default=None, allow_none=True,
                               metadata={
        "description": "Fields of the new organization (industry, custom fields…), as its "
                       "create takes them; name defaults to the lead's company. Refused "
                       "(but name) when an organization of that name exists, which is linked"})


class MoveSchema(InputSchema):
    """The body of ``POST /api/v1/sales/opportunities/<id>/move``."""

    stage = fields.String(required=True, validate=validate.Length(min=1, max=60))
    loss_reason = fields.String(allow_none=True, validate=validate.Length(max=500), metadata={
        "description": "Required when moving to a lost stage"})
    probability = fields.Integer(strict=True, validate=validate.Range(0, 100), metadata={
        "description": "Percent, for an open stage; the stage's when left out"})
    win_reason = fields.String(allow_none=True, validate=validate.Length(max=500), metadata={
        "description": "Why the deal was won; only with a move to the won stage"})
    details = fields.Dict(keys=fields.String(), load_default=dict, metadata={
        "description": "Values other plugins' close checks read (the competitors plugin: "
                       "lost_to, the id of the competitor the deal was lost to)"})


# Documents -----------------------------------------------------------------------

class LineSchema(InputSchema):
    """One line of a quote, an order or an invoice (amounts in the document's currency)."""

    product_id = fields.Integer(allow_none=True, strict=True,
                                validate=validate.Range(min=1, max=2 ** 63 - 1))
    description = fields.String(validate=validate.Length(min=1, max=500), metadata={
        "description": "The product's name when left out"})
    quantity = decimal_field(4, 0, 99_999_999, above=True, required=True)
    unit_price = decimal_field(4, 0, 99_999_999_999,
                               description="The product's unit price when left out")
    discount_percent = decimal_field(2, 0, 100, load_default=Decimal(0),
                                     description="Percent")
    tax_rate = decimal_field(2, 0, 100, description="Percent; the default_tax_rate setting "
                                                    "when left out")
    net = AmountField(metadata={
        "description": "quantity x unit_price less the discount, rounded half up to the "
                       "minor unit of the document's currency"})
    tax = AmountField(metadata={"description": "net x tax_rate / 100, rounded likewise"})
    total = AmountField(metadata={"description": "net + tax"})


def _total(description: str) -> fields.Decimal:
    return AmountField(metadata={"description": f"{description}; with the places of the "
                                                "document's currency"})


class DocumentSchema(OwnedRecordSchema):
    organization_id = fields.Integer(allow_none=True, strict=True,
                                     validate=validate.Range(min=1, max=2 ** 63 - 1))
    contact_id = fields.Integer(allow_none=True, strict=True,
                                validate=validate.Range(min=1, max=2 ** 63 - 1))
    currency = CurrencyField(metadata={
        "description": "ISO 4217 code of every amount of the document; the currency "
                       "setting when left out; fixed once created"})
    notes = fields.String(allow_none=True, validate=validate.Length(max=10_000))
    lines = fields.List(fields.Nested(LineSchema), validate=validate.Length(max=500), metadata={
        "description": "Given on a write, replaces every line"})
    subtotal = _total("Sum of quantity x unit price, before discounts")
    discount_total = _total("Sum of the lines' discounts")
    net_total = _total("After discounts, before tax")
    tax_total = _total("Sum of the lines' tax")
    total = _total("net_total + tax_total")


QUOTE_STATUSES = ("draft", "sent", "accepted", "rejected", "expired")
ORDER_STATUSES = ("confirmed", "partially_fulfilled", "fulfilled", "cancelled")
INVOICE_STATUSES = ("draft", "issued", "partially_paid", "paid", "overdue", "void")
CONTRACT_STATUSES = ("draft", "active", "expired", "terminated")
#: Billing period -> months.
BILLING_PERIODS = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}
_BY_ACTION = "Changed by the record's actions only"


class QuoteSchema(DocumentSchema):
    name = _name(200)
    opportunity_id = _ref(metadata={
        "description": "The deal quoted; its organization and contact are the quote's when "
                       "left out"})
    status = fields.String(dump_only=True, metadata={
        "description": "draft, sent, accepted, rejected or expired; " + _BY_ACTION})
    revision = fields.Integer(dump_only=True)
    revision_of = fields.Integer(attribute="revision_of_id", dump_only=True, allow_none=True,
                                 metadata={"description": "The quote's first revision"})
    valid_until = fields.Date(allow_none=True, metadata={
        "description": "The quote_validity_days setting after sending when left out"})
    sent_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    decided_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    reject_reason = fields.String(dump_only=True, allow_none=True)


class StatusChangeSchema(ma.Schema):
    """One change of an order's status."""

    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    note = fields.String(allow_none=True)
    at = fields.AwareDateTime()
    actor = fields.String(attribute="actor_label")


class OrderSchema(DocumentSchema):
    quote_id = fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "The accepted quote the order came from"})
    opportunity_id = _ref()
    reference = _text(100, metadata={"description": "The customer's purchase order number"})
    order_date = fields.Date(metadata={"description": "Today when left out"})
    status = fields.String(dump_only=True, metadata={
        "description": "confirmed, partially_fulfilled, fulfilled or cancelled; changed by "
                       "the status action"})
    products = fields.List(fields.Integer(), dump_only=True, metadata={
        "description": "The products of the lines; filter with ?products=ID"})
    status_history = fields.List(fields.Nested(StatusChangeSchema), dump_only=True)


class PaymentAmount(ExactDecimal):
    """A payment's amount: read with up to 4 places (the invoice's currency allows no
    more than its own: ``pay_invoice``), shown with the places of the invoice's
    currency."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else \
            format_amount(Decimal(value), getattr(obj, "currency", None))


class PaymentSchema(InputSchema):
    """A payment received against an invoice."""

    amount = decimal_field(MoneyField.places, 0, 10 ** 11, above=True, required=True,
                           field=PaymentAmount,
                           places_text="the decimal places of the invoice's currency")
    paid_on = fields.Date(metadata={"description": "Today when left out"})
    method = _text(40, metadata={"description": "bank transfer, card, cash…"})
    reference = _text(100)
    at = fields.AwareDateTime(dump_only=True)
    actor = fields.String(attribute="actor_label", dump_only=True)


class InvoiceSchema(DocumentSchema):
    number = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "Given when issued: gapless per year of issue"})
    order_id = fields.Integer(dump_only=True, allow_none=True)
    contract_id = fields.Integer(dump_only=True, allow_none=True)
    period_start = fields.Date(dump_only=True, allow_none=True)
    period_end = fields.Date(dump_only=True, allow_none=True)
    issue_date = fields.Date(dump_only=True, allow_none=True)
    due_date = fields.Date(allow_none=True, metadata={
        "description": "issue_date + payment_terms_days when left out"})
    payment_terms_days = fields.Integer(strict=True, validate=validate.Range(0, 365), metadata={
        "description": "The payment_terms_days setting when left out"})
    status = fields.String(dump_only=True, metadata={
        "description": "draft, issued, partially_paid, paid, overdue or void; " + _BY_ACTION})
    amount_paid = AmountField()
    balance_due = fields.Method("_balance", dump_only=True, metadata={
        "description": "total - amount_paid"})
    void_reason = fields.String(dump_only=True, allow_none=True)
    payments = fields.List(fields.Nested(PaymentSchema), dump_only=True)

    def _balance(self, invoice: Any) -> str:
        return format_amount(Decimal(invoice.total) - Decimal(invoice.amount_paid),
                             invoice.currency)


class ContractSchema(OwnedRecordSchema):
    name = _name(200)
    organization_id = fields.Integer(required=True, strict=True,
                                     validate=validate.Range(min=1, max=2 ** 63 - 1))
    contact_id = _ref()
    opportunity_id = _ref()
    product_id = _ref(metadata={"description": "What the contract sells (its invoices' line)"})
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    value = MoneyField(required=True, validate=_not_negative, metadata={
        "description": "Billed each billing period"})
    billing_period = fields.String(load_default="yearly",
                                   validate=validate.OneOf(list(BILLING_PERIODS)))
    tax_rate = decimal_field(2, 0, 100, description="Percent; the default_tax_rate setting "
                                                    "when left out")
    auto_renew = fields.Boolean(load_default=False, metadata={
        "description": "Renewed for the same term at its end instead of expiring"})
    renewal_notice_days = fields.Integer(load_default=60, strict=True,
                                         validate=validate.Range(0, 3650), metadata={
        "description": "The renewal reminder comes this many days before the end"})
    renewal_terms = fields.String(allow_none=True, validate=validate.Length(max=10_000))
    status = fields.String(dump_only=True, metadata={
        "description": "draft, active, expired or terminated; " + _BY_ACTION})
    terminated_reason = fields.String(dump_only=True, allow_none=True)
    renewal_reminded_at = fields.AwareDateTime(dump_only=True, allow_none=True)


# Action bodies ---------------------------------------------------------------------

class _Body(InputSchema):
    pass


class ReasonSchema(_Body):
    reason = fields.String(allow_none=True, validate=validate.Length(max=500))


class AcceptSchema(_Body):
    order_date = fields.Date(metadata={
        "description": "Of the order it creates; today when left out"})
    reference = fields.String(allow_none=True, validate=validate.Length(max=100), metadata={
        "description": "The customer's purchase order number"})


class OrderStatusSchema(_Body):
    status = fields.String(required=True, validate=validate.OneOf(ORDER_STATUSES[1:]))
    note = fields.String(allow_none=True, validate=validate.Length(max=500))


class IssueSchema(_Body):
    issue_date = fields.Date(metadata={"description": "Today when left out"})


class PaySchema(PaymentSchema):
    pass


class PeriodSchema(_Body):
    period_start = fields.Date(required=True, metadata={
        "description": "First day of the billing period to invoice (the contract's start "
                       "date or a whole number of periods after it)"})
