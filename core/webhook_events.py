"""Record events for webhooks: the core's ``outbox_items`` and the topic patterns.

A write tells of itself as ``<record type>.created|updated|deleted`` (``contact.created``,
``acme_dental.appointment.updated``) only when an active subscription wants that topic,
so a write nobody listens to costs nothing: the subscribed patterns are cached per
kernel and read again only when the ``webhooks`` counter of ``accord_meta`` moved (a
subscription added, changed or removed by any process; the write transaction has read
the counters when it began).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable

from .hooks import hookimpl
from .records import OutboxItem

if TYPE_CHECKING:
    from .kernel import Accord
    from .records import RecordType
    from .services.actors import Actor

__all__ = ["outbox_items", "matches", "pattern_problem", "subscribed_patterns",
           "record_key", "COUNTER", "ACTIONS"]

#: The ``accord_meta`` counter bumped by every subscription change.
COUNTER = "webhooks"
ACTIONS = ("created", "updated", "deleted")
_STASH = "accord.webhooks.patterns"
_WORDS = r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*"
_PATTERN = re.compile(rf"^(\*|{_WORDS}\.\*|{_WORDS}\.[a-z][a-z0-9_]*)$")


def pattern_problem(pattern: Any) -> str | None:
    """Why ``pattern`` cannot name events (None when it can): an exact topic
    (``contact.created``), everything under a prefix (``contact.*``) or ``*``."""
    if not isinstance(pattern, str) or len(pattern) > 200 or not _PATTERN.match(pattern):
        return (f"{pattern!r} is no event: give a topic such as 'contact.created', "
                "a prefix such as 'contact.*', or '*' for every event")
    return None


def matches(patterns: Iterable[str], topic: str) -> bool:
    """Whether any of ``patterns`` takes ``topic``."""
    for pattern in patterns:
        if pattern == "*" or pattern == topic:
            return True
        if pattern.endswith(".*") and topic.startswith(pattern[:-1]):
            return True
    return False


def subscribed_patterns(kernel: Accord) -> frozenset[str]:
    """The patterns of the active subscriptions, read once per change of the counter.
    Call inside ``kernel.bound()`` (a write transaction is)."""
    from .models import WebhookSubscription

    seen = kernel._seen.get(COUNTER, 0)
    cached = kernel.stash.get(_STASH)
    if cached is not None and cached[0] == seen:
        patterns: frozenset[str] = cached[1]
        return patterns
    rows = WebhookSubscription.select(WebhookSubscription.events).where(
        WebhookSubscription.active == True)  # noqa: E712 (peewee builds SQL from ==)
    patterns = frozenset(p for row in rows for p in (row.events or ()))
    kernel.stash[_STASH] = (seen, patterns)
    return patterns


def record_key(topic: str, payload: Any) -> str | None:
    """The record a message tells of (``contact:12``), which orders its deliveries: the
    payload's ``record_type`` and ``id``; else, for ``<plugin>.<thing>.<event>``, its
    ``<thing>_id`` or ``id`` (``acme_dental.appointment.moved`` with ``appointment_id``
    5 is ``acme_dental.appointment:5``, the appointment's own record events' key).
    None: unordered."""
    if not isinstance(payload, dict):
        return None
    kind, ident = payload.get("record_type"), payload.get("id")
    if isinstance(kind, str) and _is_id(ident):
        return f"{kind}:{ident}"[:200]
    words = topic.split(".")
    if len(words) < 2:
        return None
    owner = ".".join(words[:-1])
    for key in (f"{words[-2]}_id", "id"):
        if _is_id(payload.get(key)):
            return f"{owner}:{payload[key]}"[:200]
    return None


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@hookimpl
def outbox_items(kernel: Accord, record_type: RecordType, action: str,
                 records: list[dict[str, Any]], actor: Actor) -> list[OutboxItem]:
    topic = f"{record_type.name}.{action}"
    if not matches(subscribed_patterns(kernel), topic):
        return []
    who = {"id": actor.user_id, "label": actor.label}
    key = "values" if action == "created" else "changes"
    items = []
    for record in records:
        payload: dict[str, Any] = {"record_type": record_type.name, "id": record["id"],
                                   "action": action}
        if action != "deleted":
            payload[key] = {k: v for k, v in record.items() if k != "id"}
        payload["actor"] = who
        items.append(OutboxItem(topic, payload))
    return items
