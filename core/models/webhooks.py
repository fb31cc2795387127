"""Webhook subscriptions and their deliveries: one row per (outbox message, subscription)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from ..database import JSONField
from .base import BaseModel, UTCDateTimeField, utcnow
from .system import OutboxMessage

__all__ = ["WebhookSubscription", "WebhookDelivery", "DELIVERY_STATUSES"]

#: pending: not tried yet; failed: tried, retried later; delivered; dead: given up.
DELIVERY_STATUSES = ("pending", "failed", "delivered", "dead")


class WebhookSubscription(BaseModel):
    """An endpoint of another system and the topics (patterns) it wants."""

    url = peewee.CharField(max_length=2000)
    events = JSONField(default=list)
    secret = peewee.CharField(max_length=200)
    active = peewee.BooleanField(default=True)
    description = peewee.CharField(max_length=500, default="")
    created_at = UTCDateTimeField(default=utcnow)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]

    class Meta:
        table_name = "accord_webhook"


class WebhookDelivery(BaseModel):
    """One message on its way to one subscription: its state, tries and lease."""

    message = peewee.ForeignKeyField(OutboxMessage, on_delete="CASCADE")
    subscription = peewee.ForeignKeyField(WebhookSubscription, on_delete="CASCADE")
    topic = peewee.CharField(max_length=200)
    #: ``contact:12``: messages of one record reach a subscription in order.
    record_key = peewee.CharField(max_length=200, null=True)
    status = peewee.CharField(max_length=20, default="pending")
    attempts = peewee.IntegerField(default=0)
    next_attempt_at = UTCDateTimeField(default=utcnow)
    lease_owner = peewee.CharField(max_length=64, null=True)
    lease_until = UTCDateTimeField(null=True)
    last_status_code = peewee.IntegerField(null=True)
    last_error = peewee.TextField(null=True)
    created_at = UTCDateTimeField(default=utcnow)
    delivered_at = UTCDateTimeField(null=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        id: peewee.AutoField[int]
        message_id: int
        subscription_id: int

    class Meta:
        table_name = "accord_webhook_delivery"
        indexes = ((("message", "subscription"), True),
                   (("status", "next_attempt_at"), False),
                   (("subscription", "record_key", "status"), False))
