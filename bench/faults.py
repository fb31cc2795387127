"""Faults with real processes (issue 17, part 4): ``python -m bench.faults [--no-write]
[--only NAME]``; results in bench/FAULTS.md.

Each scenario starts its own processes on a fresh database (PostgreSQL:
ACCORD_FAULTS_DATABASE_URL, else ``accord_faults`` on postgresql://postgres@127.0.0.1:5432;
SQLite: a file in a new folder) with a local plugin ``bench_faults`` (in the
installation's plugins folder) that slows the write transaction of contacts named
``Slow…`` (so a kill lands mid-write), refuses with an error of its own those named
``Boom…``, and hangs in a ``record-created`` receiver while a file ``hang`` exists.

- ``web_kill``: gunicorn × 4 takes slow creates from 8 clients; its workers are
  SIGKILLed one after another mid-write; afterwards every contact has exactly its
  audit entry and its outbox message, every 201 a client got is a row, and nothing
  else is there.
- ``worker_kill``: an ``accord worker`` is SIGKILLed while it posts webhooks to a slow
  receiver (its claims leased); a second one started after it delivers every message.
- ``postgres_away``: gunicorn and a worker reach PostgreSQL through a TCP proxy that is
  cut for a few seconds under load: the API answers 503 with Retry-After (never 500),
  and both recover by themselves when it is restored.
- ``sqlite_locked``: a long writer holds SQLite's write lock: writes answer 503 after
  the busy timeout, reads go on, ``PRAGMA integrity_check`` is ok.
- ``plugin_faults``: a plugin raising in a hook (the write refused, the plugin named,
  other writes and reads fine) and a receiver hanging (the request not held).
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

from . import procs
from .procs import Installation, Receiver, call
from .tcpproxy import TcpProxy

__all__ = ["main", "SCENARIOS"]

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/accord_faults"
FAULTS_PATH = Path(__file__).resolve().parent / "FAULTS.md"

PLUGIN = '''"""bench/faults.py's plugin: slow, failing and hanging on purpose."""
import os
import time

from accord import signals
from accord.hooks import hookimpl
from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="bench_faults", version="1.0")


@hookimpl
def validate_records(record_type, rows):
    if record_type.name == "contact" and any(
            str(r.get("last_name", "")).startswith("Boom") for r in rows):
        raise RuntimeError("bench_faults exploded on purpose")


@hookimpl
def outbox_items(record_type, records):
    # After the rows are written, before commit: a kill here lands mid-write.
    if record_type.name == "contact" and any(
            str(r.get("last_name", "")).startswith("Slow") for r in records):
        time.sleep(0.2)
    return []


def _hang(sender, **kwargs):
    while os.path.exists("hang"):
        time.sleep(0.1)


@hookimpl
def kernel_started(kernel):
    signals.record_created.connect(_hang, sender=kernel, weak=False)
'''


Result = list[tuple[str, str, str, bool]]  # (check, measured, target, met)


def _postgres_url() -> str:
    url = os.environ.get("ACCORD_FAULTS_DATABASE_URL", DEFAULT_URL)
    from .load import _database

    _database(url)
    return url


def _installation(url: str | None, *, busy_timeout: float = 10.0,
                  signal_timeout: float = 1.0) -> Installation:
    folder = Path(tempfile.mkdtemp(prefix="accord-faults-"))
    (folder / "plugins").mkdir()
    (folder / "plugins" / "bench_faults.py").write_text(PLUGIN)
    url = url or f"sqlite:///{folder / 'accord.db'}"
    extra = (f'plugins_dir = "{folder / "plugins"}"\nbusy_timeout = {busy_timeout}\n'
             f'signal_timeout = {signal_timeout}\n'
             'enabled_plugins = ["bench_faults"]\ndiscover_plugins = false')
    return Installation(folder, url, extra=extra)


def _set_up(installation: Installation, receiver: Receiver | None = None) -> str:
    import subprocess

    subprocess.run([str(procs.ACCORD), "init"], cwd=installation.folder,
                   env=installation.env(), check=True, capture_output=True)
    from accord import services
    from accord.services import SYSTEM
    from accord.services.tokens import create_token
    from accord.services.webhooks import add_subscription

    kernel = installation.kernel()
    try:
        user = services.create(kernel, "user", {"email": "faults@example.com",
                                                "name": "Faults", "role": "admin"},
                               actor=SYSTEM)
        with kernel.bound():
            _, token = create_token(kernel, user, name="faults", actor=SYSTEM)
        if receiver is not None:
            info = add_subscription(kernel, {"url": receiver.url, "events": ["contact.*"]},
                                    actor=SYSTEM)
            receiver.secret = info.secret or ""
        else:  # every contact write still leaves an outbox message to check
            add_subscription(kernel, {"url": "http://127.0.0.1:9/none",
                                      "events": ["contact.*"], "active": True}, actor=SYSTEM)
    finally:
        kernel.close()
    return token


def _consistency(installation: Installation, created: set[int]) -> dict[str, int]:
    """Rows, audit entries and outbox messages of contacts agree one to one."""
    from accord.models import AuditEntry, Contact, OutboxMessage

    kernel = installation.kernel()
    try:
        with kernel.bound():
            rows = {c.id for c in Contact.select(Contact.id)}
            audited = Counter(a.record_id for a in AuditEntry.select(AuditEntry.record_id).where(
                AuditEntry.record_type == "contact", AuditEntry.action == "created"))
            told = Counter(int(m.payload["id"]) for m in OutboxMessage.select().where(
                OutboxMessage.topic == "contact.created"))
    finally:
        kernel.close()
    return {
        "rows": len(rows),
        "rows_without_audit": len(rows - set(audited)),
        "audit_without_row": len(set(audited) - rows),
        "audit_twice": sum(1 for n in audited.values() if n > 1),
        "rows_without_outbox": len(rows - set(told)),
        "outbox_without_row": len(set(told) - rows),
        "answered_201_but_missing": len(created - rows),
        "rows_not_answered": len(rows - created),
        # Ids taken by an INSERT that the kill rolled back (PostgreSQL's sequences do not
        # go back): proof that the kills landed inside write transactions.
        "ids_rolled_back": (max(rows) - min(rows) + 1 - len(rows)) if rows else 0,
    }


# Scenarios ------------------------------------------------------------------------

def web_kill() -> Result:
    installation = _installation(_postgres_url())
    token = _set_up(installation)
    port = procs.free_port()
    web = procs.gunicorn(installation, port)
    created: set[int] = set()
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    stop = threading.Event()

    def client(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            try:
                answer = call(port, "POST", "/api/v1/contacts", token=token,
                              body={"last_name": f"Slow {n}-{i}"}, timeout=30)
            except OSError:
                with lock:
                    statuses["connection lost"] += 1
                continue
            with lock:
                statuses[str(answer.status)] += 1
                if answer.status == 201:
                    created.add(answer.json()["id"])

    kills = 0
    try:
        procs.wait_ready(port, web)
        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(8)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        for _ in range(6):
            pids = procs.worker_pids(web.pid)
            if pids:
                os.kill(pids[kills % len(pids)], signal.SIGKILL)
                kills += 1
            time.sleep(1.5)
        time.sleep(2)
        stop.set()
        for thread in threads:
            thread.join(60)
    finally:
        web.stop()
    check = _consistency(installation, created)
    partial = sum(v for k, v in check.items()
                  if k not in ("rows", "rows_not_answered", "ids_rolled_back"))
    return [
        ("SIGKILL of web workers mid-write",
         f"{kills} workers killed under 8 clients of slow creates; answers "
         f"{dict(statuses)}; {check['rows']} rows; {check['ids_rolled_back']} ids taken "
         "by inserts the kills rolled back (the kills landed inside transactions)", "", True),
        ("Nothing partial, nothing lost",
         f"rows without audit {check['rows_without_audit']}, audit without row "
         f"{check['audit_without_row']}, rows without outbox {check['rows_without_outbox']}"
         f", outbox without row {check['outbox_without_row']}, 201 answered but missing "
         f"{check['answered_201_but_missing']}; rows whose answer was cut by the kill "
         f"{check['rows_not_answered']} (committed before the kill, complete)", "0", partial == 0),
        ("5xx while workers were killed", str(sum(n for s, n in statuses.items()
                                                   if s.startswith("5"))), "0",
         not any(s.startswith("5") for s in statuses)),
    ]


def worker_kill() -> Result:
    installation = _installation(_postgres_url())
    receiver = Receiver().start()
    token = _set_up(installation, receiver)
    slow = threading.Event()
    slow.set()
    original = receiver.server.RequestHandlerClass.do_POST  # type: ignore[union-attr]

    def slow_post(handler: Any) -> None:
        if slow.is_set():
            time.sleep(0.5)  # the worker is mid-post, holding its leases
        original(handler)

    receiver.server.RequestHandlerClass.do_POST = slow_post  # type: ignore[union-attr]
    port = procs.free_port()
    web = procs.gunicorn(installation, port, workers=2)
    try:
        procs.wait_ready(port, web)
        for i in range(60):
            call(port, "POST", "/api/v1/contacts", token=token, body={"last_name": f"W{i}"})
        first = procs.worker(installation, 1)
        deadline = time.monotonic() + 60
        while receiver.posts < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        first.kill()  # SIGKILL mid-post
        at_kill = receiver.posts
        slow.clear()
        second = procs.worker(installation, 2)
        from .load import _drain

        delivery = _drain(installation, receiver, timeout=90)
        second.stop()
    finally:
        web.stop()
        receiver.stop()
    ok = delivery["missing"] == 0 and delivery["still_open"] == 0
    return [
        ("SIGKILL of a job worker mid-post",
         f"killed after {at_kill} posts of {delivery['messages']} messages; a second worker "
         f"took the expired leases over", "", True),
        ("Every outbox message delivered after restart",
         f"{delivery['received_ids']} of {delivery['messages']} (missing "
         f"{delivery['missing']}; {delivery['duplicates']} redelivered, de-duplicated by "
         f"event id; deliveries {delivery['deliveries']})", "all", ok),
    ]


def postgres_away() -> Result:
    url = _postgres_url()
    parts = urlparse(url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    through = url.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{proxy.port}")
    installation = _installation(through, busy_timeout=2)
    receiver = Receiver().start()
    token = _set_up(installation, receiver)
    port = procs.free_port()
    web = procs.gunicorn(installation, port)
    job = procs.worker(installation, 1)
    statuses: Counter[str] = Counter()
    retry_after: set[str] = set()
    phases: dict[str, Counter[str]] = {"before": Counter(), "away": Counter(),
                                       "after": Counter()}
    phase = ["before"]
    first_ok_after: list[float] = []
    restored_at = [0.0]
    lock = threading.Lock()
    stop = threading.Event()
    bodies: set[str] = set()

    def client(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            method, path, body = (("POST", "/api/v1/contacts", {"last_name": f"P{n}-{i}"})
                                  if i % 2 else ("GET", "/api/v1/contacts?limit=10", None))
            try:
                answer = call(port, method, path, token=token, body=body, timeout=30)
                status = str(answer.status)
            except OSError:
                status = "connection error"
                answer = None
            with lock:
                statuses[status] += 1
                phases[phase[0]][status] += 1
                if answer is not None and answer.status == 503:
                    retry_after.add(answer.headers.get("retry-after", ""))
                    bodies.add(answer.headers.get("content-type", ""))
                if (phase[0] == "after" and answer is not None and answer.status < 300
                        and not first_ok_after):
                    first_ok_after.append(time.monotonic() - restored_at[0])
            if answer is not None and answer.status == 503:
                time.sleep(0.2)

    try:
        procs.wait_ready(port, web)
        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(3)
        phase[0] = "away"
        proxy.cut()
        time.sleep(5)
        proxy.restore()
        restored_at[0] = time.monotonic()
        phase[0] = "after"
        time.sleep(5)
        stop.set()
        for thread in threads:
            thread.join(60)
        from .load import _drain

        delivery = _drain(installation, receiver, timeout=60)
    finally:
        web.stop()
        job.stop()
        receiver.stop()
        proxy.cut()
    after_bad = sum(n for s, n in phases["after"].items() if not s.startswith("2"))
    return [
        ("PostgreSQL unreachable for 5 s under load (TCP proxy cut)",
         f"before {dict(phases['before'])}; away {dict(phases['away'])}; after "
         f"{dict(phases['after'])}", "", True),
        ("Clean 503 while away", f"5xx other than 503: "
         f"{sum(n for s, n in statuses.items() if s.startswith('5') and s != '503')}; "
         f"Retry-After {sorted(retry_after)}; {sorted(bodies)}", "503 only",
         not any(s.startswith("5") and s != "503" for s in statuses)
         and "connection error" not in statuses),
        ("Recovers by itself", f"first success {first_ok_after[0] if first_ok_after else -1:.2f}"
         f" s after restore; failures after it {after_bad}", "yes",
         bool(first_ok_after) and after_bad <= 8),
        ("The job worker recovers too", f"outbox {delivery['received_ids']} of "
         f"{delivery['messages']} delivered (missing {delivery['missing']})", "all",
         delivery["missing"] == 0),
    ]


def sqlite_locked() -> Result:
    installation = _installation(None, busy_timeout=1.0)
    token = _set_up(installation)
    port = procs.free_port()
    web = procs.gunicorn(installation, port, workers=2)
    path = urlparse(installation.database_url).path[1:]
    try:
        procs.wait_ready(port, web)
        call(port, "POST", "/api/v1/contacts", token=token, body={"last_name": "Before"})
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE accord_contact SET first_name = 'Held'")
        started = time.monotonic()
        blocked = call(port, "POST", "/api/v1/contacts", token=token,
                       body={"last_name": "Blocked"})
        waited = time.monotonic() - started
        read = call(port, "GET", "/api/v1/contacts", token=token)
        time.sleep(3)  # the long writer goes on
        writer.execute("ROLLBACK")
        writer.close()
        after = call(port, "POST", "/api/v1/contacts", token=token, body={"last_name": "After"})
    finally:
        web.stop()
    check = sqlite3.connect(path)
    integrity = check.execute("PRAGMA integrity_check").fetchone()[0]
    names = sorted(r[0] for r in check.execute("SELECT last_name FROM accord_contact"))
    check.close()
    return [
        ("SQLite locked by a long writer (busy_timeout = 1 s)",
         f"write answered {blocked.status} after {waited:.2f} s, Retry-After "
         f"{blocked.headers.get('retry-after')}: {blocked.json().get('detail')!r}; a read "
         f"meanwhile {read.status}; the write after the lock {after.status}",
         "503 after ~1 s", blocked.status == 503 and waited < 3 and read.status == 200
         and after.status == 201),
        ("No corruption", f"PRAGMA integrity_check: {integrity}; rows {names}", "ok",
         integrity == "ok" and names == ["After", "Before"]),
    ]


def plugin_faults() -> Result:
    installation = _installation(_postgres_url(), signal_timeout=1.0)
    token = _set_up(installation)
    port = procs.free_port()
    web = procs.gunicorn(installation, port, workers=2)
    try:
        procs.wait_ready(port, web)
        booms = [call(port, "POST", "/api/v1/contacts", token=token,
                      body={"last_name": f"Boom {i}"}) for i in range(5)]
        fine = call(port, "POST", "/api/v1/contacts", token=token, body={"last_name": "Fine"})
        listed = call(port, "GET", "/api/v1/contacts", token=token)
        (installation.folder / "hang").write_text("")
        started = time.monotonic()
        hung = call(port, "POST", "/api/v1/contacts", token=token, body={"last_name": "Hung"})
        held = time.monotonic() - started
        started = time.monotonic()
        again = call(port, "POST", "/api/v1/contacts", token=token, body={"last_name": "Again"})
        held_again = time.monotonic() - started
        (installation.folder / "hang").unlink()
        listed_after = call(port, "GET", "/api/v1/contacts?sort=id", token=token)
    finally:
        web.stop()
    names = [c["last_name"] for c in listed_after.json()["items"]]
    detail = booms[0].json().get("detail", "")
    return [
        ("A plugin raising in a hook on every call", f"{[b.status for b in booms]}: "
         f"{detail!r}; another write {fine.status}, a read {listed.status}",
         "refused, named", all(b.status == 409 and "bench_faults" in b.json()["detail"]
                               for b in booms) and fine.status == 201 and listed.status == 200),
        ("A receiver hanging (signal_timeout = 1 s)",
         f"create answered {hung.status} in {held:.2f} s, the next {again.status} in "
         f"{held_again:.2f} s; stored {names}", "not held",
         hung.status == 201 and held < 3 and again.status == 201 and held_again < 3
         and names == ["Fine", "Hung", "Again"]),
    ]


SCENARIOS: dict[str, Callable[[], Result]] = {
    "web_kill": web_kill, "worker_kill": worker_kill, "postgres_away": postgres_away,
    "sqlite_locked": sqlite_locked, "plugin_faults": plugin_faults}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults",
                                     description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--only", choices=sorted(SCENARIOS), action="append")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/FAULTS.md")
    parser.add_argument("--output", type=Path, default=FAULTS_PATH)
    args = parser.parse_args(argv)
    rows: Result = []
    for name in args.only or list(SCENARIOS):
        print(f"-- {name}", flush=True)
        try:
            got = SCENARIOS[name]()
        except Exception as exc:  # a scenario that breaks is a result too
            got = [(name, f"the scenario failed: {type(exc).__name__}: {exc}", "", False)]
        for check, measured, target, met in got:
            print(f"   {'ok ' if met else 'NO '} {check}: {measured}", flush=True)
        rows += got
    lines = ["| Fault | Result | Target | Met |", "|---|---|---|---|"]
    lines += [f"| {c} | {m} | {t} | {'yes' if ok else '**no**'} |" for c, m, t, ok in rows]
    if not args.no_write:
        from .table import machine_facts

        facts = machine_facts("faults", sys.argv[1:] if argv is None else argv)
        text = ["# Faults (issue 17, part 4)", "",
                "Written by `python -m bench.faults` (see its docstring for each scenario); "
                "the same faults are tested in-process by tests/core/test_faults_*.py.", "",
                *[f"- {name}: {value}" for name, value in facts], "", *lines, ""]
        args.output.write_text("\n".join(text))
        print(f"written to {args.output}")
    return 0 if all(ok for *_, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
