"""``/admin/webhooks``: webhook subscriptions (add, edit, deactivate or activate) and
their recent deliveries with status and error, each with a redeliver button, through
``accord.services.webhooks``. A new subscription's secret is shown on the answer to
its creation, once, never again (nor put in a cookie)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, g, render_template, request

from ...errors import AccordError, NotFound, PermissionDenied
from ...models import DELIVERY_STATUSES
from ...services import webhooks as service
from .common import done, messages_of

if TYPE_CHECKING:
    from ...kernel import Accord

__all__ = ["register"]

_URL = "/admin/webhooks"
_REFUSALS = (NotFound, PermissionDenied)


def _form() -> dict[str, Any]:
    form: dict[str, Any] = {k: request.form.get(k, "").strip()
                            for k in ("url", "events", "description", "secret")}
    form["active"] = request.form.get("active") == "1"
    return form


def _data(form: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"url": form["url"], "description": form["description"],
                            "active": form["active"],
                            "events": [e.strip() for e in form["events"].split(",")
                                       if e.strip()]}
    if form["secret"]:
        data["secret"] = form["secret"]
    return data


def register(bp: Blueprint, kernel: Accord) -> None:
    @bp.get(_URL)
    def admin_webhooks() -> Any:
        return _page(kernel)

    @bp.post(_URL)
    def admin_webhook_add() -> Any:
        form = _form()
        try:
            info = service.add_subscription(kernel, _data(form), actor=g.actor)
        except _REFUSALS:
            raise
        except AccordError as exc:
            return _page(kernel, form=form, errors=messages_of(exc), status=exc.status)
        return _page(kernel, created=info, status=201)

    @bp.post(f"{_URL}/<int:subscription_id>")
    def admin_webhook_edit(subscription_id: int) -> Any:
        form = _form()
        try:
            info = service.update_subscription(kernel, subscription_id, _data(form),
                                               actor=g.actor)
        except _REFUSALS:
            raise
        except AccordError as exc:
            return _page(kernel, editing=subscription_id, form=form,
                         errors=messages_of(exc), status=exc.status)
        return done(f"Saved webhook {info.id}.", _URL)

    @bp.post(f"{_URL}/<int:subscription_id>/active")
    def admin_webhook_active(subscription_id: int) -> Any:
        active = request.form.get("active") == "1"
        info = service.update_subscription(kernel, subscription_id, {"active": active},
                                           actor=g.actor)
        state = "active again; it gets new events" if info.active else (
            "inactive; its deliveries wait until it is active again")
        return done(f"Webhook {info.id} is {state}.", _URL)

    @bp.post(f"{_URL}/<int:subscription_id>/test")
    def admin_webhook_test(subscription_id: int) -> Any:
        try:
            info = service.send_test(kernel, subscription_id, actor=g.actor)
        except _REFUSALS:
            raise
        except AccordError as exc:  # it became inactive since the page was drawn
            text = " ".join(p for found in messages_of(exc).values() for p in found)
            return done(f"No test event was sent: {text}.", _URL)
        return done(f"A test event is queued for webhook {subscription_id} (delivery "
                    f"{info.id}); the worker posts it on its next pass.", _URL)

    @bp.post(f"{_URL}/deliveries/<int:delivery_id>/redeliver")
    def admin_webhook_redeliver(delivery_id: int) -> Any:
        info = service.redeliver(kernel, delivery_id, actor=g.actor)
        return done(f"Delivery {info.id} ({info.topic}) is queued again; the worker posts "
                    "it on its next pass.", _URL)


def _page(kernel: Accord, *, form: dict[str, Any] | None = None,
          errors: dict[str, list[str]] | None = None, editing: int | None = None,
          created: service.SubscriptionInfo | None = None, status: int = 200) -> Response:
    subscriptions = service.list_subscriptions(kernel, actor=g.actor)
    if editing is None and request.method == "GET" and request.args.get("edit", "").isdigit():
        editing = int(request.args["edit"])
    problem = None
    chosen = request.args.get("status") or None
    try:
        deliveries = service.list_deliveries(kernel, actor=g.actor, status=chosen).items
    except AccordError as exc:
        deliveries, problem, status = [], messages_of(exc, "status"), 400
    edited = next((s for s in subscriptions if s.id == editing), None)
    if edited is not None and form is None:
        form = {"url": edited.url, "events": ", ".join(edited.events),
                "description": edited.description, "secret": "", "active": edited.active}
    body = render_template(
        "admin/webhooks.html", subscriptions=subscriptions, deliveries=deliveries,
        statuses=DELIVERY_STATUSES, chosen=chosen, problem=problem, edited=edited,
        created=created, errors=errors or {},
        form=form or {"url": "", "events": "", "description": "", "secret": "",
                      "active": True})
    return Response(body, status=status)
