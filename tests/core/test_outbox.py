"""``accord.services.outbox.enqueue``: a plugin's own events go to the outbox with the
change they tell of, or not at all."""

from __future__ import annotations

import pytest

from accord import services
from accord.errors import AccordError
from accord.models import OutboxMessage
from accord.records import OutboxItem
from accord.services import Actor
from accord.services.outbox import enqueue

SYSTEM = Actor.system("test")


def _topics(kernel):
    with kernel.bound():
        return [(m.topic, m.payload) for m in OutboxMessage.select().order_by(OutboxMessage.id)]


def test_messages_are_stored_with_the_change_or_not_at_all(kernel):
    with kernel.transaction():
        contact = services.create(kernel, "contact", {"first_name": "Ada", "last_name": "L"},
                                  actor=SYSTEM)
        assert enqueue(kernel, [OutboxItem("acme.contact.welcomed", {"id": contact.id})]) == 1
    assert _topics(kernel) == [("acme.contact.welcomed", {"id": contact.id})]
    with pytest.raises(RuntimeError), kernel.transaction():
        enqueue(kernel, [OutboxItem("acme.contact.welcomed", {"id": 99})])
        raise RuntimeError("the change failed")
    assert len(_topics(kernel)) == 1  # rolled back with it


def test_outside_a_transaction_or_with_a_bad_topic_nothing_is_stored(kernel):
    with pytest.raises(AccordError, match=r"inside kernel.transaction\(\)"), kernel.bound():
        enqueue(kernel, [OutboxItem("acme.thing.done", {})])
    with pytest.raises(AccordError, match="must be dotted lower-case words"), \
            kernel.transaction():
        enqueue(kernel, [OutboxItem("acme.ok", {}), OutboxItem("Bad Topic", {})])
    assert _topics(kernel) == []
    with kernel.transaction():
        assert enqueue(kernel, []) == 0
