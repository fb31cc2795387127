"""The sales plugin's own event ``sales.opportunity.stage_changed`` reaches webhooks: it
is written to the outbox in the move's transaction (so it exists exactly when the
move does) and routed to a subscription that asks for it."""

from __future__ import annotations

import pytest

import accord_sales.hooks
from accord.errors import ValidationError
from accord.models import OutboxMessage, WebhookDelivery
from accord.services import Actor
from accord.services import webhooks as wh
from accord.services.webhooks_delivery import fan_out
from accord_sales.models import StageChange
from accord_sales.services import move_opportunity

SYSTEM = Actor.system("test")
TOPIC = "sales.opportunity.stage_changed"


def test_a_move_writes_its_outbox_message_and_a_subscription_gets_it(make_kernel, helpers):
    # The receiver's address is on loopback: allowed in the config, as for a local test.
    sales = make_kernel(plugins=[accord_sales.hooks], enable=["sales"],
                        webhooks={"allow_private": True})
    sub = wh.add_subscription(sales, {"url": "http://127.0.0.1:9/hook",
                                      "events": [TOPIC]}, actor=SYSTEM)
    deal = helpers.opportunity(sales, "Seats")
    move_opportunity(sales, deal.id, "Proposal", actor=SYSTEM)
    with sales.bound():
        [message] = OutboxMessage.select().where(OutboxMessage.topic == TOPIC)
    [change] = helpers.rows(sales, StageChange)
    assert message.payload == {"opportunity_id": deal.id, "pipeline": "new_business",
                               "from_stage": "Prospecting", "to_stage": "Proposal",
                               "kind": "open", "at": change.at.isoformat(), "actor": "test"}
    assert fan_out(sales) >= 1
    with sales.bound():
        [delivery] = WebhookDelivery.select().where(WebhookDelivery.topic == TOPIC)
    assert (delivery.subscription_id, delivery.record_key, delivery.status) == (
        sub.id, f"sales.opportunity:{deal.id}", "pending")


@pytest.mark.plugins(accord_sales.hooks)
def test_a_refused_move_leaves_no_message(sales, helpers):
    deal = helpers.opportunity(sales, "Seats")
    with pytest.raises(ValidationError):
        move_opportunity(sales, deal.id, "No such stage", actor=SYSTEM)
    with sales.bound():
        assert OutboxMessage.select().where(OutboxMessage.topic == TOPIC).count() == 0
