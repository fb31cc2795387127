"""The service tables: tickets and their comments."""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from accord.models import BaseModel, Contact, Organization, OwnedRecord, User, UTCDateTimeField

__all__ = ["Ticket", "Comment", "STATUSES", "PAUSED", "VISIBILITIES"]

#: A ticket's statuses, in the order of the workflow.
STATUSES = ("new", "open", "pending_customer", "resolved", "closed")
#: Statuses in which the SLA clock stands still: waiting for the customer, or resolved
#: (a reopened ticket's clock goes on from where it stopped).
PAUSED = ("pending_customer", "resolved")
#: Who sees a comment: the customer too, or the firm only.
VISIBILITIES = ("public", "internal")


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
