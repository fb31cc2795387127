"""Messages for other systems, written in the transaction of the change they tell of.

Record writes get theirs from the ``outbox_items`` hook (a batch per write); a plugin's
own event that is no record write (a ticket's SLA breached by a job, a reminder due)
is put with ``enqueue`` inside the transaction that makes the change, so the message
exists exactly when the change does. ``accord worker`` delivers them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable

from ..errors import AccordError
from ..models import OutboxMessage
from ..records import OutboxItem
from .bulk_sql import CHUNK
from .values import jsonable

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["enqueue", "topic_problem"]

#: ``contact.created``, ``acme_dental.appointment.moved``.
_TOPIC = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def topic_problem(topic: str) -> str | None:
    """Why ``topic`` cannot name a message, or None."""
    if len(topic) > 200 or not _TOPIC.match(topic):
        return (f"outbox topic {topic!r} must be dotted lower-case words such as "
                "'acme_dental.appointment.moved' (200 characters at most)")
    return None


def enqueue(kernel: Accord, items: Iterable[OutboxItem]) -> int:
    """Store ``items`` for delivery, in the caller's transaction (refused outside one:
    a message written apart from its change could tell of a change that was rolled
    back). Returns how many were stored."""
    rows = []
    for item in items:
        problem = topic_problem(item.topic)
        if problem:
            raise AccordError(problem)
        rows.append({"topic": item.topic, "payload": jsonable(item.payload)})
    if not rows:
        return 0
    if not kernel.in_transaction():
        raise AccordError("enqueue outbox messages inside kernel.transaction(), with the "
                          "change they tell of")
    for start in range(0, len(rows), CHUNK):  # a bulk write's events: bounded statements
        OutboxMessage.insert_many(rows[start:start + CHUNK]).execute()
    return len(rows)
