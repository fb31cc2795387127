"""Webhook delivery from the outbox: retries, exactly-once to a de-duplicating receiver,
signatures checked with the documented snippet, dead letters, order per record, a
worker killed mid-delivery, and no outbox rows when nobody subscribes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playhouse.test_utils import count_queries

from accord import services
from accord.models import OutboxMessage, WebhookDelivery
from accord.services import webhooks as wh
from accord.services.outbox import enqueue
from accord.records import OutboxItem
from accord.services.webhooks_delivery import deliver_due

DOC = Path(__file__).parents[2] / "docs" / "webhooks.md"
FAST = {"allow_private": True, "retry_base_seconds": 0.01, "retry_max_seconds": 0.05,
        "timeout_seconds": 5}


def documented_verify() -> Any:
    """The verification snippet of docs/webhooks.md, run as a receiver would."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    (snippet,) = [b for b in blocks if "def verify" in b]
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)
    return namespace["verify"]


class Receiver:
    """A local endpoint that checks signatures, fails the first ``failures`` requests,
    may hold a request, and keeps each event id once (what a good receiver does)."""

    def __init__(self, secret: str | None = None, failures: int = 0) -> None:
        self.secret = secret
        self.failures = failures
        self.hits: list[str] = []           # every request's event id, in arrival order
        self.events: dict[str, dict[str, Any]] = {}   # event id -> body, kept once
        self.order: list[str] = []          # event ids as first kept
        self.bad_signatures = 0
        self.hold_first: threading.Event | None = None
        self.holding = threading.Event()
        self.lock = threading.Lock()
        verify = documented_verify()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event_id = self.headers["Accord-Event-Id"]
                with receiver.lock:
                    receiver.hits.append(event_id)
                    if receiver.secret and not verify(receiver.secret, self.headers, body):
                        receiver.bad_signatures += 1
                        status = 401
                    elif receiver.failures > 0:
                        receiver.failures -= 1
                        status = 503
                    else:
                        status = 200
                        if event_id not in receiver.events:
                            receiver.events[event_id] = json.loads(body)
                            receiver.order.append(event_id)
                    hold = receiver.hold_first
                    if hold is not None and status == 200:
                        receiver.hold_first = None
                if hold is not None and status == 200:
                    receiver.holding.set()
                    hold.wait(30)
                try:
                    self.send_response(status)
                    self.end_headers()
                except OSError:  # the worker is gone
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    if made.hold_first is not None:
        made.hold_first.set()
    made.close()


@pytest.fixture
def hook_kernel(make_kernel):
    return make_kernel(webhooks=FAST)


def subscribe(kernel, actor, receiver, events=("contact.*",), **extra):
    info = wh.add_subscription(kernel, {"url": receiver.url, "events": list(events),
                                        **extra}, actor=actor)
    receiver.secret = info.secret
    return info


def drain(kernel, until=lambda: False, seconds=15.0):
    """Run delivery passes until nothing is open (or ``until()``), within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        deliver_due(kernel)
        with kernel.bound():
            open_ = WebhookDelivery.select().where(
                WebhookDelivery.status.in_(["pending", "failed"])).count()
        if until() or not open_:
            return
        time.sleep(0.02)
    raise AssertionError("deliveries still open")


def deliveries(kernel):
    with kernel.bound():
        return list(WebhookDelivery.select().order_by(WebhookDelivery.id))


def test_retries_then_exactly_once_with_valid_signatures(hook_kernel, actor, receiver):
    sub = subscribe(hook_kernel, actor, receiver)
    receiver.failures = 3
    ana = services.create(hook_kernel, "contact", {"last_name": "Ana", "email": "a@example.com"},
                          actor=actor)
    services.create(hook_kernel, "contact", {"last_name": "Bo"}, actor=actor)
    services.update(hook_kernel, "contact", ana.id, {"first_name": "Ana"}, actor=actor)
    services.delete(hook_kernel, "contact", ana.id, actor=actor)
    drain(hook_kernel)
    assert receiver.bad_signatures == 0
    kept = [receiver.events[e] for e in receiver.order]
    assert sorted((b["topic"], b["payload"]["id"]) for b in kept) == sorted([
        ("contact.created", ana.id), ("contact.created", ana.id + 1),
        ("contact.updated", ana.id), ("contact.deleted", ana.id)])
    assert len(receiver.hits) == 4 + 3  # three failures were tried again
    assert len(set(receiver.hits)) == 4
    rows = deliveries(hook_kernel)
    assert [r.status for r in rows] == ["delivered"] * 4
    assert sum(r.attempts for r in rows) == 7
    assert all(r.subscription_id == sub.id and r.last_status_code == 200 for r in rows)
    created = next(b for b in kept if b["topic"] == "contact.created"
                   and b["payload"]["id"] == ana.id)
    assert created["payload"] == {
        "record_type": "contact", "id": ana.id, "action": "created",
        "values": {"last_name": "Ana", "email": "a@example.com", "call_opt_out": False,
                   "email_opt_out": False},
        "actor": {"id": None, "label": "test"}}
    updated = next(b for b in kept if b["topic"] == "contact.updated")
    assert updated["payload"]["changes"] == {"first_name": "Ana"}
    assert set(created) == {"id", "topic", "created_at", "payload"}


def test_a_wrong_secret_fails_the_documented_check(hook_kernel, actor, receiver):
    subscribe(hook_kernel, actor, receiver)
    receiver.secret = "another secret, not the subscription's"
    services.create(hook_kernel, "contact", {"last_name": "Ng"}, actor=actor)
    deliver_due(hook_kernel)
    assert receiver.bad_signatures == 1
    (row,) = deliveries(hook_kernel)
    assert (row.status, row.last_status_code, row.last_error) == ("failed", 401, "HTTP 401")


def test_dead_after_max_attempts_then_redelivered(make_kernel, actor, receiver):
    kernel = make_kernel(webhooks={**FAST, "max_attempts": 3})
    subscribe(kernel, actor, receiver)
    receiver.failures = 100
    contact = services.create(kernel, "contact", {"last_name": "Ng"}, actor=actor)
    drain(kernel)
    (row,) = deliveries(kernel)
    assert (row.status, row.attempts, row.last_status_code) == ("dead", 3, 503)
    assert row.last_error == "HTTP 503"
    page = wh.list_deliveries(kernel, actor=actor, status="dead")
    assert [d.id for d in page.items] == [row.id]
    receiver.failures = 0
    info = wh.redeliver(kernel, row.id, actor=actor)
    assert (info.status, info.attempts) == ("pending", 0)
    drain(kernel)
    (row,) = deliveries(kernel)
    assert (row.status, row.attempts, row.last_error) == ("delivered", 1, None)
    assert [b["payload"]["id"] for b in receiver.events.values()] == [contact.id]
    assert len(receiver.hits) == 4


def test_events_of_one_record_arrive_in_order(hook_kernel, actor, receiver):
    subscribe(hook_kernel, actor, receiver)
    receiver.failures = 1  # the first event of ana fails once
    ana = services.create(hook_kernel, "contact", {"last_name": "Ana"}, actor=actor)
    for phone in ("1", "2", "3"):
        services.update(hook_kernel, "contact", ana.id, {"phone": phone}, actor=actor)
    bo = services.create(hook_kernel, "contact", {"last_name": "Bo"}, actor=actor)
    deliver_due(hook_kernel)
    rows = deliveries(hook_kernel)
    # Ana's first event failed; her later ones waited, untried; Bo's did not wait.
    assert [(r.status, r.attempts) for r in rows] == [
        ("failed", 1), ("pending", 0), ("pending", 0), ("pending", 0), ("delivered", 1)]
    drain(hook_kernel)
    kept = [receiver.events[e]["payload"] for e in receiver.order]
    anas = [(p["action"], p.get("changes", {}).get("phone")) for p in kept
            if p["id"] == ana.id]
    assert anas == [("created", None), ("updated", "1"), ("updated", "2"), ("updated", "3")]
    assert kept[0]["id"] == bo.id


def test_no_outbox_rows_when_nobody_subscribes(hook_kernel, actor, receiver):
    services.create(hook_kernel, "contact", {"last_name": "Warm"}, actor=actor)
    subscribe(hook_kernel, actor, receiver, events=("organization.created",))
    services.create(hook_kernel, "contact", {"last_name": "Warm"}, actor=actor)
    with count_queries() as counter:  # the subscribed topics are cached: no query
        services.create(hook_kernel, "contact", {"last_name": "Ng"}, actor=actor)
    tables = " ".join(q.msg[0] for q in counter.get_queries())
    assert "accord_outbox" not in tables and "accord_webhook" not in tables
    with hook_kernel.bound():
        assert OutboxMessage.select().count() == 0
    services.create(hook_kernel, "organization", {"name": "Acme"}, actor=actor)
    with hook_kernel.bound():
        assert [m.topic for m in OutboxMessage.select()] == ["organization.created"]


def test_a_subscription_made_by_another_process_is_seen(make_kernel, hook_kernel, actor,
                                                        receiver):
    other = make_kernel(webhooks=FAST)
    services.create(hook_kernel, "contact", {"last_name": "Before"}, actor=actor)
    sub = subscribe(other, actor, receiver)
    services.create(hook_kernel, "contact", {"last_name": "After"}, actor=actor)
    wh.update_subscription(other, sub.id, {"active": False}, actor=actor)
    services.create(hook_kernel, "contact", {"last_name": "Inactive"}, actor=actor)
    with hook_kernel.bound():
        assert [m.payload["values"]["last_name"] for m in OutboxMessage.select()] == ["After"]


def test_plugin_events_are_delivered_and_ordered_with_their_record(hook_kernel, actor,
                                                                   receiver):
    subscribe(hook_kernel, actor, receiver, events=("*",))
    contact = services.create(hook_kernel, "contact", {"last_name": "Ng"}, actor=actor)
    with hook_kernel.transaction():
        enqueue(hook_kernel, [OutboxItem("acme.contact.greeted", {"contact_id": contact.id}),
                              OutboxItem("acme.ping.sent", {"note": "no record"})])
    drain(hook_kernel)
    rows = deliveries(hook_kernel)
    assert [(r.topic, r.record_key) for r in rows] == [
        ("contact.created", f"contact:{contact.id}"),
        ("acme.contact.greeted", f"acme.contact:{contact.id}"),
        ("acme.ping.sent", None)]
    assert {b["topic"] for b in receiver.events.values()} == {
        "contact.created", "acme.contact.greeted", "acme.ping.sent"}


def _worker(tmp_path: Path, database_url: str) -> subprocess.Popen[bytes]:
    config = tmp_path / "worker.toml"
    config.write_text(
        f'[database]\nurl = "{database_url}"\n\n[webhooks]\nallow_private = true\n'
        "timeout_seconds = 2\nlease_seconds = 1\nretry_base_seconds = 0.1\n"
        "retry_max_seconds = 0.2\n", encoding="utf-8")
    env = {**os.environ, "ACCORD_CONFIG": str(config), "ACCORD_DISCOVER_PLUGINS": "false"}
    return subprocess.Popen(
        [sys.executable, "-c", "from accord.cli import main; main()", "webhooks",
         "deliver", "--poll", "0.1"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_a_worker_killed_mid_delivery_loses_nothing_and_doubles_nothing(
        hook_kernel, actor, receiver, tmp_path):
    subscribe(hook_kernel, actor, receiver)
    receiver.hold_first = threading.Event()
    release = receiver.hold_first
    ids = [services.create(hook_kernel, "contact", {"last_name": f"C{i}"}, actor=actor).id
           for i in range(3)]
    first = _worker(tmp_path, hook_kernel.config.database_url)
    try:
        assert receiver.holding.wait(30), first.stderr.read().decode() if first.stderr else ""
        first.send_signal(signal.SIGKILL)  # mid-delivery: the receiver has the request
        first.wait(10)
    finally:
        release.set()
    second = _worker(tmp_path, hook_kernel.config.database_url)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            rows = deliveries(hook_kernel)
            if rows and all(r.status == "delivered" for r in rows):
                break
            time.sleep(0.1)
    finally:
        second.send_signal(signal.SIGKILL)
        second.wait(10)
    rows = deliveries(hook_kernel)
    assert [r.status for r in rows] == ["delivered"] * 3
    kept = [receiver.events[e]["payload"]["id"] for e in receiver.order]
    assert sorted(kept) == ids  # each once, none lost
    assert len(receiver.hits) >= 4  # the held one was posted again after the kill
    assert receiver.hits.count(receiver.order[0]) == 2


def test_a_bulk_write_tells_of_every_record(hook_kernel, actor, receiver):
    """33,000 events (more parameters than one PostgreSQL statement takes) are stored
    with their write, one event per record."""
    subscribe(hook_kernel, actor, receiver, events=("contact.created",))
    ids = services.bulk_create(hook_kernel, "contact",
                               [{"last_name": f"N{i}"} for i in range(33_000)], actor=actor)
    with hook_kernel.bound():
        stored = [m.payload["id"] for m in OutboxMessage.select().order_by(OutboxMessage.id)]
    assert stored == list(ids)
