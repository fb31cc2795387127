"""Webhook subscriptions and deliveries under /api/v1/webhooks.

``GET/POST /webhooks`` list and add subscriptions (the answer to a POST holds the
secret, the only time it is shown); ``GET/PATCH/DELETE /webhooks/<id>`` read, change
and remove one; ``GET /webhooks/deliveries`` lists deliveries (``subscription``,
``status``), newest first; ``POST /webhooks/deliveries/<id>/redeliver`` sends one
again; ``POST /webhooks/<id>/test`` queues a test event for one subscription. The webhooks service checks ``admin.webhooks`` and every value, for the CLI
alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

from ..errors import ValidationError
from ..services.webhooks import WEBHOOKS
from .admin import _before, _int_param, _next_cursor, _only_params
from .auth import current_actor
from .bodies import json_object
from .lists import limit_arg
from .problems import ApiError

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["register", "WEBHOOKS"]


def register(bp: Blueprint, kernel: Accord) -> None:
    from ..services import webhooks as service

    @bp.route("/webhooks", methods=["GET", "POST"], endpoint="webhooks")
    def webhooks() -> Any:
        if request.method == "POST":
            info = service.add_subscription(kernel, json_object(), actor=current_actor())
            return jsonify(info.as_dict()), 201
        if request.args:
            raise ApiError(400, "unknown list parameters; see errors", errors={
                k: ["unknown parameter; this list takes none"] for k in request.args})
        found = service.list_subscriptions(kernel, actor=current_actor())
        return jsonify({"items": [s.as_dict() for s in found]})

    @bp.route("/webhooks/<int:subscription_id>", methods=["GET", "PATCH", "DELETE"],
              endpoint="webhook")
    def webhook(subscription_id: int) -> Any:
        actor = current_actor()
        if request.method == "PATCH":
            info = service.update_subscription(kernel, subscription_id, json_object(),
                                               actor=actor)
        elif request.method == "DELETE":
            service.remove_subscription(kernel, subscription_id, actor=actor)
            return Response(status=204)
        else:
            info = service.get_subscription(kernel, subscription_id, actor=actor)
        return jsonify(info.as_dict())

    @bp.post("/webhooks/<int:subscription_id>/test", endpoint="webhook_test")
    def webhook_test(subscription_id: int) -> Any:
        info = service.send_test(kernel, subscription_id, actor=current_actor())
        return jsonify(info.as_dict()), 202

    @bp.get("/webhooks/deliveries", endpoint="webhook_deliveries")
    def deliveries() -> Any:
        _only_params("subscription", "status")
        try:
            page = service.list_deliveries(
                kernel, actor=current_actor(), subscription=_int_param("subscription"),
                status=request.args.get("status"), limit=limit_arg(), before=_before())
        except ValidationError as exc:
            raise ApiError(400, "bad list parameters; see errors",
                           errors=exc.flat()) from None
        return jsonify({"items": [d.as_dict() for d in page.items],
                        "next_cursor": _next_cursor(page)})

    @bp.post("/webhooks/deliveries/<int:delivery_id>/redeliver",
             endpoint="webhook_redeliver")
    def redeliver(delivery_id: int) -> Any:
        info = service.redeliver(kernel, delivery_id, actor=current_actor())
        return jsonify(info.as_dict())


def webhook_endpoints() -> tuple[Any, ...]:
    """The webhook routes as the OpenAPI document shows them."""
    from .openapi_admin import NULLABLE_STRING, STRING, AdminEndpoint, links_to, object_schema

    when = {"type": "string", "format": "date-time"}
    events = {"type": "array", "items": STRING, "minItems": 1, "description": (
        "Topics (contact.created), prefixes (contact.*) or * for every event")}
    body = object_schema({
        "url": {"type": "string", "format": "uri", "description": "http or https; a "
                "private, loopback or link-local host is refused unless [webhooks] "
                "allow_private is set"},
        "events": events,
        "secret": {"type": "string", "minLength": 16, "maxLength": 200,
                   "description": "Signs each post (default: a generated one)"},
        "active": {"type": "boolean", "default": True},
        "description": {"type": "string", "maxLength": 500}},
        additionalProperties=False)
    subscription = object_schema({
        "id": {"type": "integer"}, "url": STRING, "events": events,
        "active": {"type": "boolean"}, "description": STRING, "created_at": when},
        required=["id", "url", "events", "active", "description", "created_at"])
    created = object_schema({**subscription["properties"], "secret": {
        "type": "string", "description": "The signing secret; shown this once only"}},
        required=[*subscription["required"], "secret"])
    delivery = object_schema({
        "id": {"type": "integer"}, "subscription_id": {"type": "integer"},
        "event_id": {"type": "string", "description": "The Accord-Event-Id header"},
        "topic": STRING,
        "status": {"type": "string", "enum": ["pending", "failed", "delivered", "dead"]},
        "attempts": {"type": "integer"},
        "next_attempt_at": {**when, "type": ["string", "null"]},
        "last_status_code": {"type": ["integer", "null"]}, "last_error": NULLABLE_STRING,
        "created_at": when, "delivered_at": {**when, "type": ["string", "null"]}},
        required=["id", "subscription_id", "event_id", "topic", "status", "attempts",
                  "next_attempt_at", "last_status_code", "last_error", "created_at",
                  "delivered_at"])
    query = [{"name": "subscription", "in": "query", "schema": {"type": "integer"},
              "description": "Only this subscription's deliveries"},
             {"name": "status", "in": "query", "schema": delivery["properties"]["status"],
              "description": "Only deliveries in this state"}]
    a = AdminEndpoint
    return (
        a("get", "/webhooks", "List the webhook subscriptions", "list_webhooks", WEBHOOKS,
          response=object_schema({"items": {"type": "array", "items": subscription}},
                                 required=["items"]), errors=(400, 403)),
        a("post", "/webhooks", "Subscribe a URL to events", "add_webhook", WEBHOOKS,
          body=body, response=created, status=201, errors=(403, 415, 422),
          description="The answer holds the secret, the only time it is shown. See "
                      "docs/webhooks.md for the payloads and the signature.",
          links=links_to({"path.subscription_id": "$response.body#/id"}, Get="get_webhook",
                         Update="update_webhook", Delete="remove_webhook",
                         Test="test_webhook")),
        a("get", "/webhooks/{subscription_id}", "Read a webhook subscription",
          "get_webhook", WEBHOOKS, response=subscription, errors=(403, 404)),
        a("patch", "/webhooks/{subscription_id}", "Change a webhook subscription",
          "update_webhook", WEBHOOKS, body={**body, "required": []},
          response=subscription, errors=(403, 404, 415, 422),
          description="Changes what the body names; `events` replaces them all."),
        a("delete", "/webhooks/{subscription_id}", "Remove a webhook subscription",
          "remove_webhook", WEBHOOKS, status=204, errors=(403, 404),
          description="Its deliveries go too; set `active` to false to keep them."),
        a("post", "/webhooks/{subscription_id}/test", "Send a test event to a webhook",
          "test_webhook", WEBHOOKS, response=delivery, status=202, errors=(403, 404, 422),
          description="Queues a `webhook.test` event for this subscription alone; the "
                      "worker's next pass posts it, signed like any event. 422 for an "
                      "inactive subscription."),
        a("get", "/webhooks/deliveries", "List webhook deliveries, newest first",
          "list_webhook_deliveries", WEBHOOKS, parameters=("Limit", "Cursor", *query),
          response=object_schema({"items": {"type": "array", "items": delivery},
                                  "next_cursor": NULLABLE_STRING}, required=["items"]),
          errors=(400, 403)),
        a("post", "/webhooks/deliveries/{delivery_id}/redeliver", "Send a delivery again",
          "redeliver_webhook", WEBHOOKS, response=delivery, errors=(403, 404),
          description="Its attempts start over (a dead one comes back); the worker's next "
                      "pass posts it with the same event id."),
    )
