"""The webhooks admin page: subscriptions added (secret shown once), edited, refused
beside the field, deactivated; deliveries with status and error; redeliver."""

from __future__ import annotations

import re

import pytest

from accord import services
from accord.models import WebhookDelivery, WebhookSubscription
from accord.services import Actor
from accord.services.webhooks import add_subscription
from accord.services.webhooks_delivery import deliver_due

SYSTEM = Actor.system("test")


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


@pytest.fixture
def kernel(make_kernel):
    return make_kernel(webhooks={"allow_private": True, "max_attempts": 1})


@pytest.fixture
def admin(make_page_client):
    return make_page_client("admin", email="ada@example.com")


def test_add_shows_the_secret_once_and_refusals_beside_the_field(kernel, admin):
    response = admin.post("/admin/webhooks", {"url": "ftp://x.example", "events": "Contact",
                                              "description": "", "secret": "",
                                              "active": "1"})
    assert response.status_code == 422
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert re.search(r'id="wh-url-err">Only http:// and https:// URLs are allowed', html)
    assert re.search(r'id="wh-events-err">\'Contact\' is no event', html)
    assert 'value="ftp://x.example"' in html  # what was typed stays
    with kernel.bound():
        assert WebhookSubscription.select().count() == 0
    response = admin.post("/admin/webhooks", {"url": "http://127.0.0.1:9/h",
                                              "events": "contact.*, organization.created",
                                              "description": "ERP", "secret": "",
                                              "active": "1"})
    assert response.status_code == 201
    with kernel.bound():
        (row,) = WebhookSubscription.select()
    text = _text(response.get_data(as_text=True))
    assert "Its secret, shown this once" in text and row.secret in text
    assert row.events == ["contact.*", "organization.created"]
    again = admin.get("/admin/webhooks").get_data(as_text=True)
    assert row.secret not in again
    assert "contact.*, organization.created" in _text(again)


def test_edit_and_deactivate(kernel, admin):
    sub = add_subscription(kernel, {"url": "http://127.0.0.1:9/h", "events": ["*"]},
                           actor=SYSTEM)
    form = admin.get(f"/admin/webhooks?edit={sub.id}").get_data(as_text=True)
    assert f"Edit webhook {sub.id}" in form and 'value="http://127.0.0.1:9/h"' in form
    refused = admin.post(f"/admin/webhooks/{sub.id}", {
        "url": "http://127.0.0.1:9/h", "events": "", "description": "", "secret": "",
        "active": "1"})
    assert refused.status_code == 422
    assert "Name at least one event" in refused.get_data(as_text=True)
    saved = admin.post(f"/admin/webhooks/{sub.id}", {
        "url": "http://127.0.0.1:9/other", "events": "contact.created",
        "description": "CRM sync", "secret": "", "active": "1"})
    assert saved.status_code == 302
    tested = admin.post(f"/admin/webhooks/{sub.id}/test", {})
    assert "A test event is queued for webhook" in _text(
        admin.get(tested.headers["Location"]).get_data(as_text=True))
    off = admin.post(f"/admin/webhooks/{sub.id}/active", {"active": "0"})
    page = admin.get(off.headers["Location"]).get_data(as_text=True)
    assert f"Webhook {sub.id} is inactive" in _text(page)
    with kernel.bound():
        row = WebhookSubscription.get_by_id(sub.id)
    assert (row.url, row.events, row.description, row.active, row.secret) == (
        "http://127.0.0.1:9/other", ["contact.created"], "CRM sync", False, sub.secret)
    page = admin.get("/admin/webhooks").get_data(as_text=True)
    assert "Send a test" not in page  # not for an inactive one
    refused = admin.post(f"/admin/webhooks/{sub.id}/test", {})
    assert "No test event was sent: webhook" in _text(
        admin.get(refused.headers["Location"]).get_data(as_text=True))


def test_deliveries_with_their_error_and_redeliver(kernel, admin):
    add_subscription(kernel, {"url": "http://127.0.0.1:9/h", "events": ["*"]}, actor=SYSTEM)
    services.create(kernel, "contact", {"last_name": "Ng"}, actor=SYSTEM)
    deliver_due(kernel)  # port 9 (discard) refuses: dead after the one attempt allowed
    page = _text(admin.get("/admin/webhooks?status=dead").get_data(as_text=True))
    assert "contact.created" in page and "dead" in page and "ConnectionRefusedError" in page
    with kernel.bound():
        (row,) = WebhookDelivery.select()
    done = admin.post(f"/admin/webhooks/deliveries/{row.id}/redeliver", {})
    assert f"Delivery {row.id} (contact.created) is queued again" in _text(
        admin.get(done.headers["Location"]).get_data(as_text=True))
    with kernel.bound():
        assert WebhookDelivery.get_by_id(row.id).status == "pending"
    bad = admin.get("/admin/webhooks?status=lost")
    assert bad.status_code == 400
    assert "'lost' is not one of pending, failed, delivered, dead" in bad.get_data(
        as_text=True).replace("&#39;", "'")


def test_the_page_needs_admin_webhooks(kernel, make_page_client):
    sales = make_page_client("sales", email="sam@example.com")
    response = sales.get("/admin/webhooks")
    assert response.status_code == 403
    assert "admin.webhooks" in response.get_data(as_text=True)
