"""Webhook subscriptions over the API and the CLI: exact errors, the SSRF refusal, the
secret shown once, audit entries, deliveries listed and redelivered."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accord import services
from accord.models import AuditEntry, WebhookDelivery, WebhookSubscription
from accord.services import webhooks as wh
from accord.services.webhooks_delivery import deliver_due

HINT = ("webhooks may not reach private networks unless the configuration allows it "
        "([webhooks] allow_private = true in accord.toml)")


class Sink:
    """A receiver answering ``status`` and noting each request's Host header."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.hosts: list[str] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                sink.hosts.append(self.headers["Host"])
                self.send_response(sink.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def sink():
    made = Sink()
    yield made
    made.server.shutdown()
    made.server.server_close()


@pytest.fixture
def open_kernel(make_kernel):
    return make_kernel(webhooks={"allow_private": True})


@pytest.mark.parametrize("url, problem", [
    ("http://127.0.0.1/hook", f"127.0.0.1 is a loopback address; {HINT}"),
    ("https://10.1.2.3/hook", f"10.1.2.3 is a private address; {HINT}"),
    ("http://169.254.169.254/latest/meta-data", f"169.254.169.254 is a link-local address; "
                                                f"{HINT}"),
    ("http://[::1]:8080/hook", f"::1 is a loopback address; {HINT}"),
    ("http://[::ffff:127.0.0.1]/hook", f"::ffff:127.0.0.1 is a loopback address; {HINT}"),
    ("http://0.0.0.0/hook", f"0.0.0.0 is an unspecified address; {HINT}"),
    ("http://224.0.0.1/hook", f"224.0.0.1 is a multicast address; {HINT}"),
    ("ftp://example.com/hook", "only http:// and https:// URLs are allowed"),
    ("http:///nohost", "'http:///nohost' names no host"),
])
def test_private_and_odd_urls_are_refused(kernel, api_client, url, problem):
    response = api_client.post("/api/v1/webhooks", json={"url": url, "events": ["*"]})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"url": [problem]}
    with kernel.bound():
        assert WebhookSubscription.select().count() == 0


def test_a_name_resolving_to_loopback_is_refused(kernel, api_client):
    response = api_client.post("/api/v1/webhooks", json={
        "url": "http://localhost:9000/hook", "events": ["*"]})
    assert response.status_code == 422
    (message,) = response.get_json()["errors"]["url"]
    assert message.startswith("localhost (resolves to ")
    assert message.endswith(f") is a loopback address; {HINT}")


def test_the_address_is_checked_again_at_delivery(make_kernel, open_kernel, actor, sink):
    """Stored while private hosts were allowed, refused once they are not: the worker
    posts nothing and says why."""
    wh.add_subscription(open_kernel, {"url": f"http://127.0.0.1:{sink.port}/h",
                                      "events": ["contact.created"]}, actor=actor)
    services.create(open_kernel, "contact", {"last_name": "Ng"}, actor=actor)
    closed = make_kernel()
    assert deliver_due(closed) == {"delivered": 0, "failed": 1, "dead": 0}
    assert sink.hosts == []
    with closed.bound():
        (row,) = WebhookDelivery.select()
    assert row.last_error == f"refused: 127.0.0.1 is a loopback address; {HINT}"


def test_the_worker_connects_to_the_address_it_checked(open_kernel, actor, sink,
                                                      monkeypatch):
    """The name is resolved once per post, and the connection goes to that address
    while the request still names the host (DNS rebinding gains nothing)."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def resolve(host, *args, **kwargs):
        if host == "hooks.example.test":
            asked.append(host)
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    wh.add_subscription(open_kernel, {"url": f"http://hooks.example.test:{sink.port}/h",
                                      "events": ["contact.*"]}, actor=actor)
    services.create(open_kernel, "contact", {"last_name": "Ng"}, actor=actor)
    assert deliver_due(open_kernel)["delivered"] == 1
    assert sink.hosts == [f"hooks.example.test:{sink.port}"]
    assert asked == ["hooks.example.test", "hooks.example.test"]  # stored, then posted


def test_api_subscription_lifecycle(open_kernel, make_api_client, actor, sink):
    client = make_api_client("admin", kernel=open_kernel)
    url = f"http://127.0.0.1:{sink.port}/hook"
    created = client.post("/api/v1/webhooks", json={
        "url": url, "events": ["contact.*", "organization.created", "contact.*"],
        "description": "ERP"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    secret = body.pop("secret")
    assert len(secret) >= 40
    sub_id = body["id"]
    assert body == {"id": sub_id, "url": url, "events": ["contact.*", "organization.created"],
                    "active": True, "description": "ERP", "created_at": body["created_at"]}
    read = client.get(f"/api/v1/webhooks/{sub_id}").get_json()
    assert "secret" not in read and read == body
    assert client.get("/api/v1/webhooks").get_json() == {"items": [body]}
    changed = client.patch(f"/api/v1/webhooks/{sub_id}", json={
        "active": False, "secret": "s" * 20})
    assert changed.status_code == 200
    assert changed.get_json()["active"] is False
    with open_kernel.bound():
        assert WebhookSubscription.get_by_id(sub_id).secret == "s" * 20
        audit = [(e.action, e.changes) for e in AuditEntry.select().where(
            AuditEntry.record_type == "webhook").order_by(AuditEntry.id)]
    assert audit[0] == ("created", {"url": [None, url], "events": [
        None, ["contact.*", "organization.created"]], "active": [None, True],
        "description": [None, "ERP"]})
    assert audit[1] == ("updated", {"active": [True, False],
                                    "secret": ["(hidden)", "(changed)"]})
    assert secret not in str(audit)
    assert client.delete(f"/api/v1/webhooks/{sub_id}").status_code == 204
    gone = client.get(f"/api/v1/webhooks/{sub_id}")
    assert gone.status_code == 404
    assert gone.get_json()["detail"] == f"no webhook subscription {sub_id}"


def test_api_errors_are_exact(kernel, api_client, make_api_client):
    bad = api_client.post("/api/v1/webhooks", json={
        "url": "gopher://example.com", "events": ["Contact", "contact.*"], "colour": "red",
        "secret": "short"})
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == {
        "url": ["only http:// and https:// URLs are allowed"],
        "events": ["'Contact' is no event: give a topic such as 'contact.created', a "
                   "prefix such as 'contact.*', or '*' for every event"],
        "secret": ["give 16 to 200 characters (or none: one is generated)"],
        "colour": ["unknown field 'colour'"]}
    missing = api_client.post("/api/v1/webhooks", json={"events": []})
    assert missing.get_json()["errors"] == {
        "url": ["Missing data for required field."],
        "events": ["name at least one event ('contact.created', 'contact.*' or '*')"]}
    wrong_type = api_client.post("/api/v1/webhooks", data="url=x")
    assert wrong_type.status_code == 415
    listed = api_client.get("/api/v1/webhooks/deliveries?status=lost&subscription=x")
    assert listed.status_code == 400
    assert listed.get_json()["errors"] == {
        "subscription": ["'x' is not a whole number from 0 to 9223372036854775807"]}
    listed = api_client.get("/api/v1/webhooks/deliveries?status=lost")
    assert listed.get_json()["errors"] == {
        "status": ["'lost' is not one of pending, failed, delivered, dead"]}
    assert api_client.get("/api/v1/webhooks?x=1").get_json()["errors"] == {
        "x": ["unknown parameter; this list takes none"]}
    nothing = api_client.post("/api/v1/webhooks/deliveries/99/redeliver")
    assert (nothing.status_code, nothing.get_json()["detail"]) == (
        404, "no webhook delivery 99")
    sales = make_api_client("sales")
    refused = sales.get("/api/v1/webhooks")
    assert refused.status_code == 403
    assert refused.get_json()["detail"].endswith("lacks the permission admin.webhooks")
    with kernel.bound():
        assert WebhookSubscription.select().count() == 0


def test_api_deliveries_and_redeliver(open_kernel, make_api_client, actor, sink):
    client = make_api_client("admin", kernel=open_kernel)
    sink.status = 500
    sub = wh.add_subscription(open_kernel, {"url": f"http://127.0.0.1:{sink.port}/h",
                                            "events": ["contact.created"]}, actor=actor)
    services.create(open_kernel, "contact", {"last_name": "Ng"}, actor=actor)
    deliver_due(open_kernel)
    listed = client.get(f"/api/v1/webhooks/deliveries?subscription={sub.id}&status=failed")
    (item,) = listed.get_json()["items"]
    assert (item["topic"], item["status"], item["attempts"], item["last_status_code"],
            item["last_error"]) == ("contact.created", "failed", 1, 500, "HTTP 500")
    sink.status = 200
    again = client.post(f"/api/v1/webhooks/deliveries/{item['id']}/redeliver")
    assert again.status_code == 200
    assert (again.get_json()["status"], again.get_json()["attempts"]) == ("pending", 0)
    deliver_due(open_kernel)
    done = client.get("/api/v1/webhooks/deliveries?status=delivered").get_json()["items"]
    assert [d["id"] for d in done] == [item["id"]]
    assert len(sink.hosts) == 2


def test_cli_add_list_update_deliveries_redeliver_remove(open_kernel, actor, sink):
    from accord_sdk.pytest_plugin import CliRunner

    cli = CliRunner(open_kernel)
    url = f"http://127.0.0.1:{sink.port}/h"
    added = cli("webhooks", "add", url, "-e", "contact.created", "--description", "ERP")
    assert added.exit_code == 0, added.output
    assert f"(active): {url}\n  events: contact.created\n  description: ERP" in added.output
    assert "secret: " in added.output and "shown this once" in added.output
    listed = cli("webhooks", "list")
    assert "contact.created" in listed.output and "ERP" in listed.output
    (sub,) = wh.list_subscriptions(open_kernel, actor=actor)
    refused = cli("webhooks", "update", str(sub.id), "--url", "http://[::1", "--inactive")
    assert refused.exit_code == 1
    assert "url: 'http://[::1' is not a URL: Invalid IPv6 URL" in refused.output
    nothing = cli("webhooks", "update", str(sub.id))
    assert nothing.exit_code == 2 and "nothing to change" in nothing.output
    services.create(open_kernel, "contact", {"last_name": "Ng"}, actor=actor)
    delivered = cli("webhooks", "deliver", "--once")
    assert delivered.output.strip() == "1 delivered, 0 failed, 0 dead"
    shown = cli("webhooks", "deliveries", "--status", "delivered")
    assert "contact.created" in shown.output and "delivered" in shown.output
    with open_kernel.bound():
        (row,) = WebhookDelivery.select()
    again = cli("webhooks", "redeliver", str(row.id))
    assert again.output.strip() == (f"delivery {row.id} (contact.created, event "
                                    f"{row.message_id}) queued again")
    tested = cli("webhooks", "test", str(sub.id))
    with open_kernel.bound():
        probe = WebhookDelivery.select().order_by(WebhookDelivery.id.desc()).first()
    assert (tested.exit_code, probe.topic) == (0, "webhook.test")
    assert tested.output.strip() == (
        f"test event {probe.message_id} queued as delivery {probe.id}; 'accord webhooks "
        f"deliveries --subscription {sub.id}' shows it")
    missing = cli("webhooks", "redeliver", "999")
    assert (missing.exit_code, missing.output.strip()) == (
        1, "Error: no webhook delivery 999")
    removed = cli("webhooks", "remove", str(sub.id))
    assert removed.output.strip() == f"webhook {sub.id} removed"
    assert cli("webhooks", "list").output.strip().startswith("no webhook subscriptions")
    with open_kernel.bound():
        assert WebhookDelivery.select().count() == 0


def test_a_test_event_reaches_one_subscription_and_answers_match_the_document(
        open_kernel, make_api_client, actor, sink):
    import jsonschema

    from accord.web import create_app

    doc = create_app(open_kernel).test_client().get("/api/v1/openapi.json").get_json()

    def conforms(path, method, status, body):
        schema = doc["paths"][f"/api/v1{path}"][method]["responses"][str(status)][
            "content"]["application/json"]["schema"]
        jsonschema.Draft202012Validator({**schema, "components": doc["components"]}
                                        ).validate(body)

    client = make_api_client("admin", kernel=open_kernel)
    url = f"http://127.0.0.1:{sink.port}/h"
    created = client.post("/api/v1/webhooks", json={"url": url, "events": ["*"]})
    conforms("/webhooks", "post", 201, created.get_json())
    other = client.post("/api/v1/webhooks", json={"url": url + "2", "events": ["*"]})
    sub_id = created.get_json()["id"]
    queued = client.post(f"/api/v1/webhooks/{sub_id}/test")
    assert queued.status_code == 202
    conforms("/webhooks/{subscription_id}/test", "post", 202, queued.get_json())
    assert (queued.get_json()["topic"], queued.get_json()["status"]) == (
        "webhook.test", "pending")
    assert deliver_due(open_kernel)["delivered"] == 1
    assert sink.hosts == [f"127.0.0.1:{sink.port}"]  # the other subscription got nothing
    for path in ("/webhooks", f"/webhooks/{sub_id}", "/webhooks/deliveries"):
        answer = client.get(f"/api/v1{path}")
        conforms(path.replace(str(sub_id), "{subscription_id}"), "get", 200,
                 answer.get_json())
    client.patch(f"/api/v1/webhooks/{other.get_json()['id']}", json={"active": False})
    refused = client.post(f"/api/v1/webhooks/{other.get_json()['id']}/test")
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"active": [
        f"webhook {other.get_json()['id']} is inactive: activate it to send it a test "
        "event"]}


def test_an_event_that_is_no_string_is_named_not_a_500(api_client):
    # Found by schemathesis: {"events": [{}]} was a 500 on PATCH.
    created = api_client.post("/api/v1/webhooks", json={
        "url": "https://8.8.8.8/hook", "events": ["contact.*"]}).get_json()
    odd = api_client.patch(f"/api/v1/webhooks/{created['id']}", json={"events": [{}, 3]})
    assert (odd.status_code, odd.get_json()["errors"]) == (422, {"events": [
        "{} is no event: give a topic such as 'contact.created', a prefix such as "
        "'contact.*', or '*' for every event",
        "3 is no event: give a topic such as 'contact.created', a prefix such as "
        "'contact.*', or '*' for every event"]})
    assert api_client.get(f"/api/v1/webhooks/{created['id']}").get_json()["events"] == [
        "contact.*"]
