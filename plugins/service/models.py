"""The service tables: tickets and their comments, the routing's round-robin turns,
the request form's attempts per address and the email messages taken in."""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from accord.models import (BaseModel, Contact, Organization, OwnedRecord, Product, Team,
                           User, UTCDateTimeField)

__all__ = ["Ticket", "Comment", "Rotation", "IntakeAttempt", "InboundMessage", "Warranty",
           "STATUSES", "PAUSED", "VISIBILITIES", "COVERS"]

#: A ticket's statuses, in the order of the workflow.
STATUSES = ("new", "open", "pending_customer", "resolved", "closed")
#: Statuses in which the SLA clock stands still: waiting for the customer, or resolved
#: (a reopened ticket's clock goes on from where it stopped).
PAUSED = ("pending_customer", "resolved")
#: Who sees a comment: the customer too, or the firm only.
VISIBILITIES = ("public", "internal")
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
    first_responded_at = UTCDateTimeField(null=True)
    last_comment_at = UTCDateTimeField(null=True)
    resolved_at = UTCDateTimeField(null=True, index=True)
    closed_at = UTCDateTimeField(null=True)
    #: Set while the clock stands still (pending customer, resolved).
    sla_paused_at = UTCDateTimeField(null=True)
    #: Business seconds the clock stood still in earlier pauses.
    sla_paused_seconds = peewee.IntegerField(default=0)
    first_response_due_at = UTCDateTimeField(null=True, index=True)
    resolution_due_at = UTCDateTimeField(null=True, index=True)
    #: Whether the first response or the resolution came (or is) later than due.
    first_response_breached = peewee.BooleanField(default=False, index=True)
    resolution_breached = peewee.BooleanField(default=False, index=True)
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
