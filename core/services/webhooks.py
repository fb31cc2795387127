"""Webhook subscriptions and their deliveries: add, change, remove, list, redeliver.

Every function needs ``admin.webhooks``. A subscription names a URL (http or https,
checked against private addresses unless the configuration allows them), the events
it wants (``contact.created``, ``contact.*``, ``*``), a secret signing each post
(generated when none is given and shown once, on creation), an active flag and a
description. Changes are audited (record type ``webhook``, never with the secret) and
bump the ``webhooks`` counter, so every process writes the record events the active
subscriptions want from its next write on. Delivery is ``webhooks_delivery``'s part.
"""

from __future__ import annotations

import datetime as dt
import secrets as _secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

import marshmallow as ma

from ..errors import NotFound, ValidationError, flatten_messages
from ..models import (DELIVERY_STATUSES, OutboxMessage, WebhookDelivery,
                      WebhookSubscription, utcnow)
from ..query import text_problem
from ..webhook_events import COUNTER, pattern_problem
from .actors import Actor
from .audit import write_audit
from .authz import require
from .counters import bump
from .paging import DEFAULT_LIMIT, MAX_ID, Page, newest_first
from .webhooks_delivery import url_problem

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["WEBHOOKS", "AUDITED_AS", "SubscriptionInfo", "DeliveryInfo",
           "add_subscription", "update_subscription", "remove_subscription",
           "get_subscription", "list_subscriptions", "list_deliveries", "redeliver",
           "send_test", "TEST_TOPIC"]

#: The permission every webhook function needs.
WEBHOOKS = "admin.webhooks"
#: The audit trail's record type for subscriptions.
AUDITED_AS = "webhook"
_SHOWN = ("url", "events", "active", "description")


@dataclass(frozen=True)
class SubscriptionInfo:
    """A subscription as the faces show it; ``secret`` only right after creation."""

    id: int
    url: str
    events: list[str]
    active: bool
    description: str
    created_at: dt.datetime
    secret: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "url": self.url, "events": self.events,
                               "active": self.active, "description": self.description,
                               "created_at": self.created_at.isoformat()}
        if self.secret is not None:
            out["secret"] = self.secret
        return out


@dataclass(frozen=True)
class DeliveryInfo:
    """One message on its way to one subscription."""

    id: int
    subscription_id: int
    event_id: str
    topic: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None

    def as_dict(self) -> dict[str, Any]:
        def when(value: dt.datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {"id": self.id, "subscription_id": self.subscription_id,
                "event_id": self.event_id, "topic": self.topic, "status": self.status,
                "attempts": self.attempts, "next_attempt_at": when(self.next_attempt_at),
                "last_status_code": self.last_status_code, "last_error": self.last_error,
                "created_at": self.created_at.isoformat(),
                "delivered_at": when(self.delivered_at)}


def _info(row: WebhookSubscription, secret: str | None = None) -> SubscriptionInfo:
    return SubscriptionInfo(row.id, row.url, list(row.events or []), bool(row.active),
                            row.description or "", row.created_at, secret)


def _delivery(row: WebhookDelivery) -> DeliveryInfo:
    open_ = row.status in ("pending", "failed")
    return DeliveryInfo(row.id, row.subscription_id, str(row.message_id), row.topic,
                        row.status, row.attempts, row.next_attempt_at if open_ else None,
                        row.last_status_code, row.last_error, row.created_at,
                        row.delivered_at)


def _text(value: Any) -> Any:
    if isinstance(value, str) and text_problem(value):
        raise ma.ValidationError(str(text_problem(value)))
    return value


class _Body(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    url = ma.fields.String(required=True, validate=[
        ma.validate.Length(min=1, max=2000), _text])
    events = ma.fields.List(ma.fields.Raw(), required=True,
                            validate=ma.validate.Length(min=1, max=100, error=(
                                "name at least one event ('contact.created', "
                                "'contact.*' or '*')")))
    secret = ma.fields.String(validate=[ma.validate.Length(
        min=16, max=200, error="give 16 to 200 characters (or none: one is generated)"),
        _text])
    active = ma.fields.Boolean()
    description = ma.fields.String(validate=[ma.validate.Length(max=500), _text])


def _loaded(kernel: Accord, data: Mapping[str, Any], partial: bool) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ValidationError({"_schema": ["give the subscription as an object"]})
    problems: dict[str, list[str]] = {}
    try:
        loaded: dict[str, Any] = _Body().load(dict(data), partial=partial)
    except ma.ValidationError as exc:
        # Every field is checked, so one answer names all that is wrong.
        problems = flatten_messages(exc.messages)
        loaded = {k: v for k, v in dict(exc.valid_data or {}).items()
                  if not any(p == k or p.startswith(f"{k}.") for p in problems)}
    if "events" in loaded:
        bad = [p for p in (pattern_problem(e) for e in loaded["events"]) if p]
        if bad:  # (an event that is no string cannot be de-duplicated either)
            problems.setdefault("events", []).extend(bad)
        else:
            loaded["events"] = list(dict.fromkeys(loaded["events"]))
    if "url" in loaded:
        problem = url_problem(kernel, loaded["url"])
        if problem:
            problems["url"] = [problem]
    if problems:
        raise ValidationError(problems)
    return loaded


def _shown(row: WebhookSubscription) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _SHOWN}


def add_subscription(kernel: Accord, data: Mapping[str, Any], *,
                     actor: Actor) -> SubscriptionInfo:
    """Store a subscription (url, events; secret, active, description optional). The
    answer holds the secret: the only time it is shown."""
    require(actor, WEBHOOKS)
    loaded = _loaded(kernel, data, partial=False)
    secret = loaded.pop("secret", None) or _secrets.token_urlsafe(32)
    with kernel.transaction():
        row = WebhookSubscription.create(secret=secret, created_at=utcnow(), **loaded)
        write_audit(actor, "created", AUDITED_AS,
                    [(row.id, {k: [None, v] for k, v in _shown(row).items()})])
        bump(COUNTER)
    return _info(row, secret)


def _find(subscription_id: Any) -> WebhookSubscription:
    if isinstance(subscription_id, bool) or not isinstance(subscription_id, int) or \
            not 0 < subscription_id <= MAX_ID:
        raise NotFound(f"no webhook subscription {subscription_id!r}")
    row: WebhookSubscription | None = WebhookSubscription.get_or_none(
        WebhookSubscription.id == subscription_id)
    if row is None:
        raise NotFound(f"no webhook subscription {subscription_id}")
    return row


def update_subscription(kernel: Accord, subscription_id: int, changes: Mapping[str, Any],
                        *, actor: Actor) -> SubscriptionInfo:
    """Change what ``changes`` names (url, events, secret, active, description)."""
    require(actor, WEBHOOKS)
    loaded = _loaded(kernel, changes, partial=True)
    with kernel.transaction():
        row = _find(subscription_id)
        before = _shown(row)
        WebhookSubscription.update(loaded).where(
            WebhookSubscription.id == row.id).execute()
        row = _find(subscription_id)
        diff: dict[str, Any] = {k: [before[k], v] for k, v in _shown(row).items()
                                if before[k] != v}
        if "secret" in loaded:
            diff["secret"] = ["(hidden)", "(changed)"]
        if diff:
            write_audit(actor, "updated", AUDITED_AS, [(row.id, diff)])
            bump(COUNTER)
    return _info(row)


def remove_subscription(kernel: Accord, subscription_id: int, *, actor: Actor) -> None:
    """Delete a subscription and its deliveries (to deactivate, update ``active``)."""
    require(actor, WEBHOOKS)
    with kernel.transaction():
        row = _find(subscription_id)
        WebhookDelivery.delete().where(WebhookDelivery.subscription == row.id).execute()
        WebhookSubscription.delete().where(WebhookSubscription.id == row.id).execute()
        write_audit(actor, "deleted", AUDITED_AS,
                    [(row.id, {k: [v, None] for k, v in _shown(row).items()})])
        bump(COUNTER)


def get_subscription(kernel: Accord, subscription_id: int, *,
                     actor: Actor) -> SubscriptionInfo:
    require(actor, WEBHOOKS)
    with kernel.bound():
        return _info(_find(subscription_id))


def list_subscriptions(kernel: Accord, *, actor: Actor) -> list[SubscriptionInfo]:
    """Every subscription, oldest first."""
    require(actor, WEBHOOKS)
    with kernel.bound():
        return [_info(r) for r in WebhookSubscription.select().order_by(
            WebhookSubscription.id)]


def list_deliveries(kernel: Accord, *, actor: Actor, subscription: int | None = None,
                    status: str | None = None, limit: int = DEFAULT_LIMIT,
                    before: int | None = None) -> Page[DeliveryInfo]:
    """Deliveries newest first, of one subscription and/or in one status."""
    require(actor, WEBHOOKS)
    problems: dict[str, list[str]] = {}
    if status is not None and status not in DELIVERY_STATUSES:
        problems["status"] = [f"{status!r} is not one of {', '.join(DELIVERY_STATUSES)}"]
    if subscription is not None and (isinstance(subscription, bool)
                                     or not 0 < subscription <= MAX_ID):
        problems["subscription"] = [f"{subscription!r} is not an id from 1 to {MAX_ID}"]
    if problems:
        raise ValidationError(problems)
    D = WebhookDelivery
    query = D.select()
    if subscription is not None:
        query = query.where(D.subscription == subscription)
    if status is not None:
        query = query.where(D.status == status)
    with kernel.bound():
        page = newest_first(query, D, limit=limit, before=before)
    return Page([_delivery(r) for r in page.items], page.next_before)


#: The topic of a test event, sent to one subscription only.
TEST_TOPIC = "webhook.test"


def send_test(kernel: Accord, subscription_id: int, *, actor: Actor) -> DeliveryInfo:
    """Queue a ``webhook.test`` event for this subscription alone (active or not): the
    worker's next pass posts it like any event, so the receiver and its signature check
    can be tried. Returns its delivery."""
    require(actor, WEBHOOKS)
    with kernel.transaction():
        row = _find(subscription_id)
        if not row.active:
            raise ValidationError({"active": [
                f"webhook {row.id} is inactive: activate it to send it a test event"]})
        now = utcnow()
        message = OutboxMessage.create(
            topic=TEST_TOPIC, status="routed", created_at=now, next_attempt_at=now,
            payload={"subscription_id": row.id, "actor": {"id": actor.user_id,
                                                          "label": actor.label}})
        delivery = WebhookDelivery.create(message=message.id, subscription=row.id,
                                          topic=TEST_TOPIC, created_at=now,
                                          next_attempt_at=now)
        return _delivery(delivery)


def redeliver(kernel: Accord, delivery_id: int, *, actor: Actor) -> DeliveryInfo:
    """Send a delivery again, whatever its state (a dead one above all): its tries
    start over and the next worker pass posts it, with the same event id."""
    require(actor, WEBHOOKS)
    D = WebhookDelivery
    if isinstance(delivery_id, bool) or not isinstance(delivery_id, int) or \
            not 0 < delivery_id <= MAX_ID:
        raise NotFound(f"no webhook delivery {delivery_id!r}")
    with kernel.transaction():
        row = D.get_or_none(D.id == delivery_id)
        if row is None:
            raise NotFound(f"no webhook delivery {delivery_id}")
        D.update(status="pending", attempts=0, next_attempt_at=utcnow(), lease_owner=None,
                 lease_until=None, delivered_at=None).where(D.id == row.id).execute()
        write_audit(actor, "redelivered", AUDITED_AS,
                    [(row.subscription_id, {"delivery": [row.id, row.id],
                                            "status": [row.status, "pending"]})])
        return _delivery(D.get_by_id(row.id))
