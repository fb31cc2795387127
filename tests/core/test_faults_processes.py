"""Faults of whole processes (issue 17, part 4): a process SIGKILLed mid-write leaves
nothing partial and loses nothing it answered for; the webhook delivery loop and the
jobs survive the database going away and coming back."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

from accord import services
from accord.models import AuditEntry, Contact, OutboxMessage, WebhookDelivery
from accord.services.webhooks import add_subscription
from accord.services.webhooks_delivery import run_deliveries

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.tcpproxy import TcpProxy  # noqa: E402

WRITER = textwrap.dedent('''
    import sys, time
    from accord import services
    from accord.config import Config
    from accord.hooks import hookimpl
    from accord.kernel import Accord
    from accord.plugins import PluginManifest
    from accord.records import OutboxItem
    from accord.services import Actor

    class Slow:
        MANIFEST = PluginManifest(name="slow_writer", version="1.0")

        @staticmethod
        @hookimpl
        def outbox_items(record_type, records):
            # After the rows are written, before commit: the kill lands here mostly.
            time.sleep(0.05)
            return [OutboxItem("slow_writer.wrote", {"id": r["id"]}) for r in records]

    kernel = Accord(Config(database_url=sys.argv[1], discover_plugins=False),
                    plugins=[Slow]).start()
    actor = Actor.system("writer")
    i = 0
    while True:
        i += 1
        services.create(kernel, "contact", {"last_name": f"K{i}"}, actor=actor)
        print(i, flush=True)
''')


def _state(kernel) -> tuple[set[int], Counter[int], Counter[int]]:
    with kernel.bound():
        rows = {c.id for c in Contact.select(Contact.id)}
        audited = Counter(a.record_id for a in AuditEntry.select(AuditEntry.record_id).where(
            AuditEntry.record_type == "contact", AuditEntry.action == "created"))
        told = Counter(int(m.payload["id"]) for m in OutboxMessage.select().where(
            OutboxMessage.topic == "slow_writer.wrote"))
    return rows, audited, told


def test_a_process_killed_mid_write_leaves_nothing_partial(make_kernel, database_url,
                                                          tmp_path, actor):
    from accord.plugins import PluginManifest

    class Slow:  # the same name as the writer's, enabled here once
        MANIFEST = PluginManifest(name="slow_writer", version="1.0")

    kernel = make_kernel(plugins=[Slow], enable=["slow_writer"])
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get(
        "PYTHONPATH", "")])}
    answered = 0
    for round_ in range(3):
        child = subprocess.Popen([sys.executable, str(script), database_url], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert child.stdout is not None
        for _ in range(5 + round_ * 3):  # some creates answered, then kill mid-way
            line = child.stdout.readline()
            assert line, child.stderr.read() if child.stderr else ""
        time.sleep(0.02 + 0.015 * round_)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        answered += len([n for n in child.stdout.read().split()]) + 5 + round_ * 3
    rows, audited, told = _state(kernel)
    # Every row has exactly its audit entry and its outbox message, and nothing else is.
    assert set(audited) == rows and set(told) == rows
    assert max(audited.values()) == 1 and max(told.values()) == 1
    # Nothing answered is lost: each create the writers printed is a row.
    assert len(rows) >= answered
    # The database takes writes at once afterwards (no lock left behind), and SQLite's
    # file is whole.
    services.create(kernel, "contact", {"last_name": "After"}, actor=actor)
    if database_url.startswith("sqlite"):
        check = sqlite3.connect(urlparse(database_url).path[1:])
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        check.close()


class _Receiver:
    def __init__(self) -> None:
        self.ids: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.ids.append(self.headers["Accord-Event-Id"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, seconds: float = 15) -> bool:
        deadline = time.monotonic() + seconds
        while len(set(self.ids)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return len(set(self.ids)) >= count


@pytest.mark.postgres_only
def test_webhook_delivery_goes_on_after_the_database_came_back(make_kernel, database_url,
                                                               actor):
    hooks = {"allow_private": True, "retry_base_seconds": 0.1, "retry_max_seconds": 0.2}
    direct = make_kernel(webhooks=hooks)
    receiver = _Receiver()
    add_subscription(direct, {"url": receiver.url, "events": ["contact.*"]}, actor=actor)
    parts = urlparse(database_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    url = database_url.replace(f":{parts.port}/", f":{proxy.port}/")
    worker = make_kernel(database_url=url, webhooks=hooks, busy_timeout=1)
    stop = threading.Event()
    thread = threading.Thread(target=run_deliveries, args=(worker, stop),
                              kwargs={"poll": 0.05}, daemon=True)
    thread.start()
    try:
        services.create(direct, "contact", {"last_name": "Before"}, actor=actor)
        assert receiver.wait_for(1)
        proxy.cut()
        services.create(direct, "contact", {"last_name": "While away"}, actor=actor)
        time.sleep(0.5)  # passes fail meanwhile, logged
        proxy.restore()
        services.create(direct, "contact", {"last_name": "After"}, actor=actor)
        assert receiver.wait_for(3), receiver.ids
    finally:
        stop.set()
        thread.join(10)
        proxy.cut()
        receiver.server.shutdown()
    with direct.bound():
        assert [d.status for d in WebhookDelivery.select()] == ["delivered"] * 3
