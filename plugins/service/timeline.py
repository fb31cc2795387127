"""The service's entries on a customer's timeline (the core's ``timeline_items`` hook):
its tickets, and their public replies and internal notes, on the timeline of the
organization and of the contact they name.

Each kind of service record has one function in ``SOURCES``, taking the timeline's
record type (``organization`` or ``contact``) and ids and returning its entries with
one query for all the ids; repairs, returns and survey answers add theirs there. An
entry's ``source_type`` is a record type (``service.ticket`` for a comment too), so a
reader who may not read that record does not see the entry.
"""

from __future__ import annotations

from typing import Any, Callable

from accord.hooks import hookimpl
from accord.records import TimelineItem

from .intake import reference
from .models import Comment, Ticket
from .rules import TICKET
from .repairs import repair_items
from .returns import return_items
from .surveys import survey_items

__all__ = ["SOURCES", "CUSTOMERS", "ticket_items", "comment_items", "items",
           "timeline_items"]

#: The timelines the service adds to: the record type -> the column naming it.
CUSTOMERS = {"organization": "organization", "contact": "contact"}
#: How long a comment's excerpt on the timeline is.
_EXCERPT = 120

Source = Callable[[str, list[int]], list[TimelineItem]]


def _column(model: Any, record_type: str) -> Any:
    return getattr(model, CUSTOMERS[record_type])


def ticket_items(record_type: str, record_ids: list[int]) -> list[TimelineItem]:
    """Each ticket, when it was received: ``T-12: subject``."""
    column = _column(Ticket, record_type)
    out = []
    ticket: Any
    for ticket in Ticket.select().where(column.in_(record_ids)):
        out.append(TimelineItem(
            record_type=record_type, record_id=getattr(ticket, column.object_id_name),
            at=ticket.received_at, kind="service.ticket",
            title=f"{reference(ticket.id)}: {ticket.subject}", source_type=TICKET,
            source_id=ticket.id,
            details={"status": ticket.status, "priority": ticket.priority,
                     "channel": ticket.channel, "category": ticket.category,
                     "sla_policy": ticket.sla_policy}))
    return out


def _excerpt(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _EXCERPT else line[:_EXCERPT - 1] + "\u2026"


def comment_items(record_type: str, record_ids: list[int]) -> list[TimelineItem]:
    """Each comment on a ticket, when it was written: a public reply
    (``service.comment.public``) or an internal note (``service.comment.internal``)."""
    column = _column(Ticket, record_type)
    query: Any = (Comment.select(Comment, Ticket.subject, column.alias("target"))
                  .join(Ticket).where(column.in_(record_ids)))
    out = []
    for comment in query.objects():
        public = comment.visibility == "public"
        what = "reply" if public else "internal note"
        out.append(TimelineItem(
            record_type=record_type, record_id=comment.target, at=comment.at,
            kind=f"service.comment.{comment.visibility}",
            title=f"{reference(comment.ticket_id)} {what} by {comment.author_label}: "
                  f"{_excerpt(comment.body)}",
            source_type=TICKET, source_id=comment.ticket_id,
            details={"ticket": reference(comment.ticket_id), "subject": comment.subject,
                     "visibility": comment.visibility, "author": comment.author_label}))
    return out


#: One function per kind of service record on a customer's timeline.
SOURCES: list[Source] = [ticket_items, comment_items, survey_items, repair_items,
                         return_items]


def items(record_type: str, record_ids: list[int]) -> list[TimelineItem]:
    """Every source's entries for the organizations or contacts asked for."""
    if record_type not in CUSTOMERS or not record_ids:
        return []
    return [item for source in SOURCES for item in source(record_type, record_ids)]


@hookimpl
def timeline_items(record_type: str, record_ids: list[int]) -> list[TimelineItem]:
    return items(record_type, record_ids)
