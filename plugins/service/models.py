"""The service tables: tickets and their comments, the routing's round-robin turns,
the request form's attempts per address and the email messages taken in."""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from accord.database import JSONField
from accord.models import (BaseModel, Contact, MoneyAmountField, Organization, OwnedRecord,
                           Product, Team, User, UTCDateTimeField)

__all__ = ["Ticket", "Comment", "Rotation", "IntakeAttempt", "InboundMessage", "Warranty",
           "STATUSES", "PAUSED", "VISIBILITIES", "COVERS", "Return", "ReturnItem",
           "RETURN_STATUSES", "RESOLUTIONS", "Survey", "SURVEY_KINDS",
           "RepairOrder", "RepairPart", "ServiceInvoice", "REPAIR_STATUSES"]

#: A ticket's statuses, in the order of the workflow.
STATUSES = ("new", "open", "pending_customer", "resolved", "closed")
#: Statuses in which the SLA clock stands still: waiting for the customer, or resolved
#: (a reopened ticket's clock goes on from where it stopped).
PAUSED = ("pending_customer", "resolved")
#: Who sees a comment: the customer too, or the firm only.
VISIBILITIES = ("public", "internal")
#: A repair's statuses: open (diagnosing), in_progress (being repaired), done (decided
#: and billed) or cancelled.
REPAIR_STATUSES = ("open", "in_progress", "done", "cancelled")
#: What a warranty covers.
COVERS = ("parts", "labour", "parts_and_labour")


# References to core tables declare no backref ("+"): a plugin adds no attributes to
# the core's models. The owner of a ticket is its assignee; its team is the team whose
# queue it is in (the record rule "team" lets that team's agents see it).

class Ticket(OwnedRecord):
    """A customer's case: a question, an incident, a complaint, with its SLA clock."""

    organization = peewee.ForeignKeyField(Organization, null=True, backref="+",
                                          on_delete="SET NULL")
    contact = peewee.ForeignKeyField(Contact, null=True, backref="+", on_delete="SET NULL")
    channel = peewee.CharField(max_length=60, index=True)
    category = peewee.CharField(max_length=60, null=True, index=True)
    priority = peewee.CharField(max_length=10, default="normal", index=True)
    subject = peewee.CharField(max_length=200)
    description = peewee.TextField(null=True)
    status = peewee.CharField(max_length=20, default="new", index=True)
    queue = peewee.CharField(max_length=60, index=True)
    #: When the customer got in touch: the SLA clock starts here.
    received_at = UTCDateTimeField(index=True)
    first_responded_at = UTCDateTimeField(null=True, index=True)
    last_comment_at = UTCDateTimeField(null=True)
    resolved_at = UTCDateTimeField(null=True, index=True)
    closed_at = UTCDateTimeField(null=True)
    #: Set while the clock stands still (pending customer, resolved).
    sla_paused_at = UTCDateTimeField(null=True)
    #: Business seconds the clock stood still in earlier pauses.
    sla_paused_seconds = peewee.IntegerField(default=0)
    first_response_due_at = UTCDateTimeField(null=True, index=True)
    resolution_due_at = UTCDateTimeField(null=True, index=True)
    #: The SLA policy the due times came from: default, contract, tier:<tier> or hook.
    sla_policy = peewee.CharField(max_length=100, null=True)
    #: Whether the first response or the resolution came (or is) later than due.
    first_response_breached = peewee.BooleanField(default=False, index=True)
    resolution_breached = peewee.BooleanField(default=False, index=True)
    #: Business seconds from receipt to the first public reply, and to the resolution
    #: less the time the clock stood still: set when they happen (the metrics' figures).
    first_response_seconds = peewee.IntegerField(null=True)
    resolution_seconds = peewee.IntegerField(null=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        organization_id: peewee.ForeignKeyField[int | None]
        contact_id: peewee.ForeignKeyField[int | None]

    class Meta:
        table_name = "service_ticket"
        # The queue page lists a queue's open tickets by due time.
        indexes = ((("queue", "status"), False),)


class Comment(BaseModel):
    """A comment on a ticket, written by the ticket's ``comment`` action and read with
    the ticket (its ``comments``), so whoever may read the ticket reads them."""

    ticket = peewee.ForeignKeyField(Ticket, backref="+", on_delete="CASCADE")
    body = peewee.TextField()
    visibility = peewee.CharField(max_length=10)
    at = UTCDateTimeField(index=True)
    author = peewee.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    author_label = peewee.CharField(max_length=254)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        ticket_id: peewee.ForeignKeyField[int]
        author_id: peewee.ForeignKeyField[int | None]

    class Meta:
        table_name = "service_comment"


class Rotation(BaseModel):
    """When the routing last gave a member of a team a ticket (the round-robin's
    turns, accord_service.routing); a member without a row was never given one."""

    team = peewee.ForeignKeyField(Team, backref="+", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="+", on_delete="CASCADE")
    assigned_at = UTCDateTimeField()
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        team_id: peewee.ForeignKeyField[int]
        user_id: peewee.ForeignKeyField[int]

    class Meta:
        table_name = "service_rotation"
        indexes = ((("team", "user"), True),)


class IntakeAttempt(BaseModel):
    """A request sent through the public form, by client address: what the form's rate
    limit counts (rows older than its window are removed as new ones come)."""

    address = peewee.CharField(max_length=64)
    at = UTCDateTimeField()

    class Meta:
        table_name = "service_intake_attempt"
        indexes = ((("address", "at"), False),)


class InboundMessage(BaseModel):
    """An email message taken in (by its Message-ID, unique): the same message posted
    again finds its row and creates nothing."""

    message_id = peewee.CharField(max_length=998, unique=True)
    ticket = peewee.ForeignKeyField(Ticket, null=True, backref="+", on_delete="SET NULL")
    #: "created" (a new ticket) or "comment" (a reply threaded onto the ticket).
    outcome = peewee.CharField(max_length=10)
    received_at = UTCDateTimeField()
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]
        ticket_id: peewee.ForeignKeyField[int | None]

    class Meta:
        table_name = "service_inbound_message"


class Warranty(OwnedRecord):
    """A product's warranty, by its serial number (one per product and serial), for a
    customer, from ``starts_on`` to ``ends_on`` (both days covered)."""

    product = peewee.ForeignKeyField(Product, backref="+")
    serial_number = peewee.CharField(max_length=100, index=True)
    organization = peewee.ForeignKeyField(Organization, null=True, backref="+",
                                          on_delete="SET NULL")
    contact = peewee.ForeignKeyField(Contact, null=True, backref="+", on_delete="SET NULL")
    starts_on = peewee.DateField(index=True)
    ends_on = peewee.DateField(index=True)
    covers = peewee.CharField(max_length=20, default="parts_and_labour")
    terms = peewee.TextField(null=True)
    #: The sales order line it came from (free text: the plugin reads no sales table).
    order_line_ref = peewee.CharField(max_length=100, null=True)
    #: When the reminder job gave the owner a task about its end (set by "remind").
    reminded_at = UTCDateTimeField(null=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        product_id: peewee.ForeignKeyField[int]
        organization_id: peewee.ForeignKeyField[int | None]
        contact_id: peewee.ForeignKeyField[int | None]

    class Meta:
        table_name = "service_warranty"
        indexes = ((("product", "serial_number"), True),)


#: A satisfaction survey's kinds: about one resolved ticket, or about the firm.
SURVEY_KINDS = ("csat", "nps")


class Survey(OwnedRecord):
    """A satisfaction survey sent to a customer, answered through a signed link: a CSAT
    one (score 1-5) per resolution of a ticket, or an NPS one (0-10) per contact
    (accord_service.surveys; written by its services only)."""

    kind = peewee.CharField(max_length=10, index=True)
    ticket = peewee.ForeignKeyField(Ticket, null=True, backref="+", on_delete="SET NULL")
    organization = peewee.ForeignKeyField(Organization, null=True, backref="+",
                                          on_delete="SET NULL")
    contact = peewee.ForeignKeyField(Contact, null=True, backref="+", on_delete="SET NULL")
    score = peewee.SmallIntegerField(null=True)
    comment = peewee.TextField(null=True)
    sent_at = UTCDateTimeField(index=True)
    answered_at = UTCDateTimeField(null=True, index=True)
    #: The link is refused from this moment on (sent_at + survey_link_days; set to the
    #: new resolution's moment when a re-resolved ticket's unanswered survey is replaced).
    expires_at = UTCDateTimeField(index=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        ticket_id: peewee.ForeignKeyField[int | None]
        organization_id: peewee.ForeignKeyField[int | None]
        contact_id: peewee.ForeignKeyField[int | None]

    class Meta:
        table_name = "service_survey"


#: A return's statuses, in the order of the workflow, and how it is settled.
RETURN_STATUSES = ("requested", "approved", "rejected", "resolved", "closed")
RESOLUTIONS = ("refund", "replacement", "repair", "credit")


class Return(OwnedRecord):
    """A customer's return or claim (RMA): items sent back, why, what was decided
    (approved or rejected, with a reason) and how it is settled. It names the sales
    order line the items were bought on (by the order's id and the line's position:
    the plugin reads no sales table) or a warranty, or neither."""

    organization = peewee.ForeignKeyField(Organization, null=True, backref="+",
                                          on_delete="SET NULL")
    contact = peewee.ForeignKeyField(Contact, null=True, backref="+", on_delete="SET NULL")
    ticket = peewee.ForeignKeyField(Ticket, null=True, backref="+", on_delete="SET NULL")
    #: The sales order (its id) and its line (position, from 1) the items came from.
    order_id = peewee.IntegerField(null=True, index=True)
    order_line = peewee.IntegerField(null=True)
    warranty = peewee.ForeignKeyField(Warranty, null=True, backref="+", on_delete="SET NULL")
    reason = peewee.TextField()
    #: The currency of ``unit_paid`` and ``refund_amount``.
    currency = peewee.CharField(max_length=3)
    status = peewee.CharField(max_length=20, default="requested", index=True)
    decision = peewee.CharField(max_length=10, null=True)
    decision_reason = peewee.TextField(null=True)
    decided_at = UTCDateTimeField(null=True)
    resolution = peewee.CharField(max_length=20, null=True)
    refund_amount = MoneyAmountField(null=True)
    resolved_at = UTCDateTimeField(null=True)
    closed_at = UTCDateTimeField(null=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        organization_id: peewee.ForeignKeyField[int | None]
        contact_id: peewee.ForeignKeyField[int | None]
        ticket_id: peewee.ForeignKeyField[int | None]
        warranty_id: peewee.ForeignKeyField[int | None]

    class Meta:
        table_name = "service_return"
        indexes = ((("order_id", "order_line"), False),)


class ReturnItem(BaseModel):
    """An item of a return (its ``items``, written with it): a product, how many, what
    was paid for each."""

    rma = peewee.ForeignKeyField(Return, backref="+", on_delete="CASCADE")
    position = peewee.IntegerField()
    product = peewee.ForeignKeyField(Product, null=True, backref="+", on_delete="RESTRICT",
                                     index=True)
    description = peewee.CharField(max_length=500, null=True)
    quantity = peewee.DecimalField(max_digits=12, decimal_places=4, auto_round=True)
    unit_paid = MoneyAmountField()
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        rma_id: peewee.ForeignKeyField[int]
        product_id: peewee.ForeignKeyField[int | None]

    class Meta:
        table_name = "service_return_item"
        indexes = ((("rma", "position"), True),)


class RepairOrder(OwnedRecord):
    """A repair taken on from a ticket: the diagnosis, the parts used, the labour and a
    service fee. When done, the warranty's dates and terms at ``repaired_on`` decide
    what the customer pays, and a service invoice bills it."""

    ticket = peewee.ForeignKeyField(Ticket, backref="+", on_delete="RESTRICT")
    organization = peewee.ForeignKeyField(Organization, null=True, backref="+",
                                          on_delete="SET NULL")
    contact = peewee.ForeignKeyField(Contact, null=True, backref="+", on_delete="SET NULL")
    product = peewee.ForeignKeyField(Product, null=True, backref="+", on_delete="RESTRICT")
    serial_number = peewee.CharField(max_length=100, null=True, index=True)
    #: The warranty looked at (by product and serial number, or given).
    warranty = peewee.ForeignKeyField(Warranty, null=True, backref="+", on_delete="SET NULL")
    diagnosis = peewee.TextField(null=True)
    status = peewee.CharField(max_length=20, default="open", index=True)
    currency = peewee.CharField(max_length=3)
    labour_minutes = peewee.IntegerField(default=0)
    #: Per hour of labour.
    labour_rate = MoneyAmountField(default=0)
    service_fee = MoneyAmountField(default=0)
    tax_rate = peewee.DecimalField(max_digits=5, decimal_places=2, auto_round=True, default=0)
    parts_total = MoneyAmountField(default=0)
    labour_total = MoneyAmountField(default=0)
    #: Parts, labour and fee before what the warranty covers, before tax.
    total = MoneyAmountField(default=0)
    #: The day the repair was done: the day the warranty's coverage is read for.
    repaired_on = peewee.DateField(null=True, index=True)
    #: What the warranty covered ("parts", "labour", "parts_and_labour") or "none".
    covered = peewee.CharField(max_length=20, null=True)
    coverage_reason = peewee.CharField(max_length=300, null=True)
    #: Parts, labour and fee the warranty did not cover, before tax.
    billed_net = MoneyAmountField(null=True)
    #: What covering it cost the firm (the covered parts and labour).
    warranty_cost = MoneyAmountField(null=True)
    #: The invoice that billed it: "sales.invoice" or "service.invoice", its id, number.
    invoice_type = peewee.CharField(max_length=60, null=True)
    invoice_id = peewee.IntegerField(null=True)
    invoice_number = peewee.CharField(max_length=40, null=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        ticket_id: peewee.ForeignKeyField[int]
        organization_id: peewee.ForeignKeyField[int | None]
        contact_id: peewee.ForeignKeyField[int | None]
        product_id: peewee.ForeignKeyField[int | None]
        warranty_id: peewee.ForeignKeyField[int | None]

    class Meta:
        table_name = "service_repair"


class RepairPart(BaseModel):
    """A part used in a repair (its ``parts``, written with it)."""

    repair = peewee.ForeignKeyField(RepairOrder, backref="+", on_delete="CASCADE")
    position = peewee.IntegerField()
    product = peewee.ForeignKeyField(Product, backref="+", on_delete="RESTRICT", index=True)
    description = peewee.CharField(max_length=500)
    quantity = peewee.DecimalField(max_digits=12, decimal_places=4, auto_round=True)
    unit_price = MoneyAmountField()
    total = MoneyAmountField()
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        repair_id: peewee.ForeignKeyField[int]
        product_id: peewee.ForeignKeyField[int]

    class Meta:
        table_name = "service_repair_part"
        indexes = ((("repair", "position"), True),)


class ServiceInvoice(OwnedRecord):
    """The plugin's own bill of a repair, used when the sales plugin is not enabled:
    numbered from a gapless yearly sequence when issued (``SRV-2026-00001``)."""

    repair = peewee.ForeignKeyField(RepairOrder, backref="+", on_delete="RESTRICT",
                                    unique=True)
    number = peewee.CharField(max_length=40, unique=True)
    year = peewee.IntegerField()
    sequence = peewee.IntegerField()
    organization = peewee.ForeignKeyField(Organization, null=True, backref="+",
                                          on_delete="SET NULL")
    contact = peewee.ForeignKeyField(Contact, null=True, backref="+", on_delete="SET NULL")
    issue_date = peewee.DateField(index=True)
    currency = peewee.CharField(max_length=3)
    net_total = MoneyAmountField()
    tax_rate = peewee.DecimalField(max_digits=5, decimal_places=2, auto_round=True)
    tax_total = MoneyAmountField()
    total = MoneyAmountField()
    #: One line per billed item: {"description", "quantity", "unit_price", "total"}.
    lines = JSONField(default=list)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        repair_id: peewee.ForeignKeyField[int]

    class Meta:
        table_name = "service_invoice"
        indexes = ((("year", "sequence"), True),)
