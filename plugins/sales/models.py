"""The sales tables: leads, opportunities, and the history of opportunities' stages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

import peewee

from accord.models import (BaseModel, Contact, MoneyAmountField, Organization, OwnedRecord,
                           Product, User, UTCDateTimeField)

__all__ = ["Opportunity", "StageChange", "Lead", "Quote", "QuoteLine", "Order", "OrderLine",
           "OrderStatusChange", "Contract", "Invoice", "InvoiceLine", "InvoiceSequence",
           "Payment", "QuantityField", "PercentField"]


# References to core tables declare no backref ("+"): a plugin adds no attributes to
# the core's models, so two plugins can never clash over a name there.


class Opportunity(OwnedRecord):
    """A deal being worked on, in one stage of one pipeline (see settings.py)."""

    name = peewee.CharField(max_length=200, index=True)
    organization = peewee.ForeignKeyField(Organization, null=True, backref="+",
                                          on_delete="SET NULL")
    contact = peewee.ForeignKeyField(Contact, null=True, backref="+",
                                     on_delete="SET NULL")
    amount = MoneyAmountField(index=True)
    amount_currency = peewee.CharField(max_length=3)
    expected_close_date = peewee.DateField(null=True, index=True)
    pipeline = peewee.CharField(max_length=40)
    stage = peewee.CharField(max_length=60, index=True)
    probability = peewee.IntegerField()
    channel = peewee.CharField(max_length=60, null=True, index=True)
    loss_reason = peewee.CharField(max_length=500, null=True)
    win_reason = peewee.CharField(max_length=500, null=True)
    closed_at = UTCDateTimeField(null=True, index=True)
    #: The probability the opportunity had just before it was closed (won or lost):
    #: what the forecast counted on, for forecast against actual.
    close_probability = peewee.IntegerField(null=True)

    class Meta:
        table_name = "sales_opportunity"
        # The pipeline report and the settings check group by both.
        indexes = ((("pipeline", "stage"), False),)


class StageChange(BaseModel):
    """One move of an opportunity from a stage to another, written with the move."""

    opportunity = peewee.ForeignKeyField(Opportunity, backref="stage_changes",
                                         on_delete="CASCADE")
    pipeline = peewee.CharField(max_length=40)
    from_stage = peewee.CharField(max_length=60)
    to_stage = peewee.CharField(max_length=60)
    at = UTCDateTimeField(index=True)
    actor = peewee.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    actor_label = peewee.CharField(max_length=254)

    class Meta:
        table_name = "sales_stage_change"


class Lead(OwnedRecord):
    """A prospect not yet qualified; once converted, it links to what it became."""

    name = peewee.CharField(max_length=200, index=True)
    company = peewee.CharField(max_length=200, null=True, index=True)
    email = peewee.CharField(max_length=254, null=True, index=True)
    phone = peewee.CharField(max_length=50, null=True)
    source = peewee.CharField(max_length=60, null=True, index=True)
    status = peewee.CharField(max_length=20, default="new", index=True)
    disqualify_reason = peewee.CharField(max_length=500, null=True)
    converted_at = UTCDateTimeField(null=True, index=True)
    contact = peewee.ForeignKeyField(Contact, null=True, backref="+", on_delete="SET NULL")
    organization = peewee.ForeignKeyField(Organization, null=True, backref="+",
                                          on_delete="SET NULL")
    opportunity = peewee.ForeignKeyField(Opportunity, null=True, backref="+",
                                         on_delete="SET NULL")

    class Meta:
        table_name = "sales_lead"


class QuantityField(peewee.DecimalField):
    """A quantity: up to 8 digits before the point and 4 after it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 4)
        kwargs.setdefault("auto_round", True)
        super().__init__(**kwargs)


class PercentField(peewee.DecimalField):
    """A percentage such as a discount or a tax rate, to two places (0 to 100)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 5)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("auto_round", True)
        kwargs.setdefault("default", Decimal(0))
        super().__init__(**kwargs)


class Document(OwnedRecord):
    """What quotes, orders and invoices share: a customer, a currency and totals
    computed from their lines (rules.py), all amounts in the document's currency."""

    organization = peewee.ForeignKeyField(Organization, null=True, backref="+",
                                          on_delete="RESTRICT", index=True)
    contact = peewee.ForeignKeyField(Contact, null=True, backref="+", on_delete="RESTRICT",
                                     index=True)
    currency = peewee.CharField(max_length=3)
    #: Sum of quantity x unit price over the lines, before discounts.
    subtotal = MoneyAmountField(default=Decimal(0))
    discount_total = MoneyAmountField(default=Decimal(0))
    #: After discounts, before tax.
    net_total = MoneyAmountField(default=Decimal(0), index=True)
    tax_total = MoneyAmountField(default=Decimal(0))
    total = MoneyAmountField(default=Decimal(0))
    notes = peewee.TextField(null=True)


class Line(BaseModel):
    """One line of a document: a product (or a free description), quantity and price."""

    position = peewee.IntegerField()
    product = peewee.ForeignKeyField(Product, null=True, backref="+", on_delete="RESTRICT",
                                     index=True)
    description = peewee.CharField(max_length=500)
    quantity = QuantityField()
    unit_price = MoneyAmountField()
    discount_percent = PercentField()
    tax_rate = PercentField()
    #: quantity x unit price less the discount, to the minor unit of the currency.
    net = MoneyAmountField()
    tax = MoneyAmountField()
    total = MoneyAmountField()
    #: The name of the foreign key to the line's document.
    document_key: ClassVar[str]

    @property
    def currency(self) -> str:
        """The currency of the line's amounts: its document's (read with the lines)."""
        return str(getattr(self, self.document_key).currency)


class Quote(Document):
    """An offer to a customer; revised as new revisions of the same quote."""

    name = peewee.CharField(max_length=200, index=True)
    opportunity = peewee.ForeignKeyField(Opportunity, null=True, backref="+",
                                         on_delete="SET NULL", index=True)
    status = peewee.CharField(max_length=20, default="draft", index=True)
    #: The first revision of this quote (None for the first revision itself).
    revision_of = peewee.ForeignKeyField("self", null=True, backref="+", on_delete="RESTRICT",
                                         index=True)
    revision = peewee.IntegerField(default=1)
    valid_until = peewee.DateField(null=True, index=True)
    sent_at = UTCDateTimeField(null=True)
    decided_at = UTCDateTimeField(null=True)
    reject_reason = peewee.CharField(max_length=500, null=True)

    class Meta:
        table_name = "sales_quote"


class QuoteLine(Line):
    quote = peewee.ForeignKeyField(Quote, backref="+", on_delete="CASCADE")
    document_key = "quote"

    class Meta:
        table_name = "sales_quote_line"
        indexes = ((("quote", "position"), True),)


class Order(Document):
    """A confirmed sale, from an accepted quote or entered directly."""

    quote = peewee.ForeignKeyField(Quote, null=True, unique=True, backref="+",
                                   on_delete="SET NULL")
    opportunity = peewee.ForeignKeyField(Opportunity, null=True, backref="+",
                                         on_delete="SET NULL", index=True)
    reference = peewee.CharField(max_length=100, null=True, index=True)
    order_date = peewee.DateField(index=True)
    status = peewee.CharField(max_length=30, default="confirmed", index=True)

    class Meta:
        table_name = "sales_order"


class OrderLine(Line):
    order = peewee.ForeignKeyField(Order, backref="+", on_delete="CASCADE")
    document_key = "order"

    class Meta:
        table_name = "sales_order_line"
        indexes = ((("order", "position"), True),)


class OrderStatusChange(BaseModel):
    """One change of an order's status, written with the change."""

    order = peewee.ForeignKeyField(Order, backref="+", on_delete="CASCADE")
    from_status = peewee.CharField(max_length=30, null=True)
    to_status = peewee.CharField(max_length=30)
    note = peewee.CharField(max_length=500, null=True)
    at = UTCDateTimeField(index=True)
    actor = peewee.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    actor_label = peewee.CharField(max_length=254)

    class Meta:
        table_name = "sales_order_status_change"


class Contract(OwnedRecord):
    """An agreement with an organization over a term, billed each period."""

    name = peewee.CharField(max_length=200, index=True)
    organization = peewee.ForeignKeyField(Organization, backref="+", on_delete="RESTRICT",
                                          index=True)
    contact = peewee.ForeignKeyField(Contact, null=True, backref="+", on_delete="RESTRICT")
    opportunity = peewee.ForeignKeyField(Opportunity, null=True, backref="+",
                                         on_delete="SET NULL")
    product = peewee.ForeignKeyField(Product, null=True, backref="+", on_delete="RESTRICT")
    start_date = peewee.DateField(index=True)
    end_date = peewee.DateField(index=True)
    #: Billed each billing period.
    value = MoneyAmountField()
    value_currency = peewee.CharField(max_length=3)
    billing_period = peewee.CharField(max_length=20, default="yearly")
    tax_rate = PercentField()
    auto_renew = peewee.BooleanField(default=False)
    renewal_notice_days = peewee.IntegerField(default=60)
    renewal_terms = peewee.TextField(null=True)
    status = peewee.CharField(max_length=20, default="draft", index=True)
    terminated_reason = peewee.CharField(max_length=500, null=True)
    #: When the renewal reminder for the current end date was given (None: not yet).
    renewal_reminded_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "sales_contract"


class Invoice(Document):
    """A bill, from an order or a contract period; numbered gaplessly per year when
    issued."""

    number = peewee.CharField(max_length=20, null=True, unique=True)
    year = peewee.IntegerField(null=True)
    sequence = peewee.IntegerField(null=True)
    order = peewee.ForeignKeyField(Order, null=True, backref="+", on_delete="RESTRICT",
                                   index=True)
    contract = peewee.ForeignKeyField(Contract, null=True, backref="+", on_delete="RESTRICT",
                                      index=True)
    period_start = peewee.DateField(null=True)
    period_end = peewee.DateField(null=True)
    issue_date = peewee.DateField(null=True, index=True)
    due_date = peewee.DateField(null=True, index=True)
    payment_terms_days = peewee.IntegerField(default=30)
    status = peewee.CharField(max_length=20, default="draft", index=True)
    amount_paid = MoneyAmountField(default=Decimal(0))
    void_reason = peewee.CharField(max_length=500, null=True)

    class Meta:
        table_name = "sales_invoice"
        indexes = ((("year", "sequence"), True),)


class InvoiceLine(Line):
    invoice = peewee.ForeignKeyField(Invoice, backref="+", on_delete="CASCADE")
    document_key = "invoice"

    class Meta:
        table_name = "sales_invoice_line"
        indexes = ((("invoice", "position"), True),)


class InvoiceSequence(BaseModel):
    """The last invoice number given in a year; its row lock makes issuing serial."""

    year = peewee.IntegerField(primary_key=True)
    last = peewee.IntegerField()

    class Meta:
        table_name = "sales_invoice_sequence"


class Payment(BaseModel):
    """A payment received against an invoice."""

    invoice = peewee.ForeignKeyField(Invoice, backref="+", on_delete="CASCADE")
    amount = MoneyAmountField()
    paid_on = peewee.DateField(index=True)
    method = peewee.CharField(max_length=40, null=True)
    reference = peewee.CharField(max_length=100, null=True)
    at = UTCDateTimeField()
    actor = peewee.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    actor_label = peewee.CharField(max_length=254)

    @property
    def currency(self) -> str:
        """The currency of the payment: its invoice's (read with the payments)."""
        return str(self.invoice.currency)

    class Meta:
        table_name = "sales_payment"
