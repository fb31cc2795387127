"""Several processes under load (issue 17, part 3):
``python -m bench.load [--seconds 60] [--clients 8] [--no-write]``.

Starts gunicorn with 4 sync workers serving ``accord.web`` (``bench.procs:serve()``)
on a fresh PostgreSQL database (ACCORD_LOAD_DATABASE_URL, else ``accord_load`` on
postgresql://postgres@127.0.0.1:5432, created when missing), 2 ``accord worker``
processes with their queue in Redis (ACCORD_LOAD_REDIS_URL, else
redis://127.0.0.1:6379/11, flushed first), and a webhook receiver on loopback that
de-duplicates by event id and checks signatures. Then a bounded load generator
(client threads on loopback, a new connection per request) runs mixed reads and
writes for ``--seconds``: lists, reads, creates, updates and deletes of contacts, and
counter bumps: several clients GET a shared contact and PATCH ``x_hits`` + 1 with
``If-Match``. Halfway, the competitors plugin is disabled through the API, and every
gunicorn worker must answer its first request after that without it; then it is
enabled again, checked the same way.

At the end everything is stopped and it prints (and writes to bench/LOAD.md):
requests, 5xx count (must be 0), lost updates (each counter's final value minus the
successful If-Match updates: must be 0), outbox messages delivered exactly once to
the receiver, and the toggle seen by every worker.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import procs
from .procs import Installation, Receiver, call

__all__ = ["main", "run"]

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/accord_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/11"
LOAD_PATH = Path(__file__).resolve().parent / "LOAD.md"
COUNTERS = 6
TOGGLED = "competitors"
TOGGLED_PATH = "/api/v1/competitors/competitors"


@dataclass
class Stats:
    requests: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    client_errors: list[str] = field(default_factory=list)
    bumps_ok: Counter[int] = field(default_factory=Counter)
    bumps_stale: int = 0
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, answer: procs.Answer, started: float,
             expected: tuple[int, ...]) -> None:
        with self.lock:
            self.requests += 1
            self.by_kind[kind] += 1
            self.statuses[answer.status] += 1
            self.latencies.append(time.perf_counter() - started)
            if answer.status >= 500:
                self.server_errors.append(f"{kind} {answer.status} {answer.body[:200]!r}")
            elif answer.status not in expected:
                self.client_errors.append(f"{kind} {answer.status} {answer.body[:200]!r}")


@dataclass
class Toggle:
    seen: dict[str, dict[int, bool]] = field(default_factory=dict)
    requests_until_all: dict[str, int] = field(default_factory=dict)
    workers: int = 0

    @property
    def ok(self) -> bool:
        return bool(self.seen) and all(
            len(v) == self.workers and all(v.values()) for v in self.seen.values())


def _database(url: str) -> None:
    """Create the database when missing; drop and recreate its schema."""
    from urllib.parse import urlparse

    import psycopg2

    from accord_sdk.databases import reset_postgres

    parts = urlparse(url)
    admin = parts._replace(path="/postgres").geturl()
    conn = psycopg2.connect(admin, connect_timeout=5)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parts.path[1:],))
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{parts.path[1:]}"')
    finally:
        conn.close()
    reset_postgres(url, connect_timeout=5)


def _set_up(installation: Installation, receiver: Receiver) -> dict[str, Any]:
    """`accord init`, then in-process: an admin token, the x_hits field, a webhook
    subscription for every contact event, and the shared counter contacts."""
    import subprocess

    subprocess.run([str(procs.ACCORD), "init"], cwd=installation.folder,
                   env=installation.env(), check=True, capture_output=True)
    from accord import services
    from accord.services import SYSTEM
    from accord.services.fields import add_field
    from accord.services.tokens import create_token
    from accord.services.webhooks import add_subscription

    kernel = installation.kernel()
    try:
        user = services.create(kernel, "user", {"email": "load@example.com",
                                                "name": "Load", "role": "admin"},
                               actor=SYSTEM)
        with kernel.bound():
            _, token = create_token(kernel, user, name="load", actor=SYSTEM)
        add_field(kernel, "contact", "x_hits", "integer", actor=SYSTEM)
        subscription = add_subscription(kernel, {"url": receiver.url,
                                                 "events": ["contact.*"]}, actor=SYSTEM)
        receiver.secret = subscription.secret or ""
        counters = [services.create(kernel, "contact", {"last_name": f"Counter {i}",
                                                        "x_hits": 0}, actor=SYSTEM).id
                    for i in range(COUNTERS)]
        active = sorted(kernel.plugins.active - {"core"})
    finally:
        kernel.close()
    return {"token": token, "counters": counters, "active": active}


def _client(port: int, token: str, counters: list[int], stats: Stats, stop: threading.Event,
            seed: int, budget: list[int], budget_lock: threading.Lock) -> None:
    rng = random.Random(seed)
    mine: list[tuple[int, str]] = []  # (id, etag) of contacts this client created
    while not stop.is_set():
        with budget_lock:
            if budget[0] <= 0:
                return
            budget[0] -= 1
        roll = rng.random()
        started = time.perf_counter()
        try:
            if roll < 0.30:
                answer = call(port, "GET", "/api/v1/contacts?limit=20&sort=-id", token=token)
                stats.note("list", answer, started, (200,))
            elif roll < 0.40 and mine:
                cid, _ = rng.choice(mine)
                answer = call(port, "GET", f"/api/v1/contacts/{cid}", token=token)
                stats.note("read", answer, started, (200,))
            elif roll < 0.60:
                answer = call(port, "POST", "/api/v1/contacts", token=token,
                              body={"last_name": f"Load {seed}-{rng.randrange(10**9)}",
                                    "city": rng.choice(["Berlin", "Lyon", "Porto"])})
                stats.note("create", answer, started, (201,))
                if answer.status == 201:
                    mine.append((answer.json()["id"], answer.headers.get("etag", "")))
            elif roll < 0.70 and mine:
                at = rng.randrange(len(mine))
                cid, etag = mine[at]
                answer = call(port, "PATCH", f"/api/v1/contacts/{cid}", token=token,
                              body={"title": f"T{rng.randrange(1000)}"},
                              headers={"If-Match": etag})
                stats.note("update", answer, started, (200,))
                if answer.status == 200:
                    mine[at] = (cid, answer.headers.get("etag", ""))
            elif roll < 0.75 and mine:
                cid, etag = mine.pop(rng.randrange(len(mine)))
                answer = call(port, "DELETE", f"/api/v1/contacts/{cid}", token=token,
                              headers={"If-Match": etag})
                stats.note("delete", answer, started, (204,))
            else:
                _bump(port, token, rng.choice(counters), stats)
        except OSError as exc:
            with stats.lock:
                stats.requests += 1
                stats.client_errors.append(f"connection: {exc}")


def _bump(port: int, token: str, cid: int, stats: Stats) -> None:
    """GET the counter, PATCH x_hits + 1 with If-Match: 200 counts, 412 is someone
    else's bump in between (not lost: it did not apply)."""
    started = time.perf_counter()
    read = call(port, "GET", f"/api/v1/contacts/{cid}", token=token)
    stats.note("counter read", read, started, (200,))
    if read.status != 200:
        return
    hits = read.json()["x_hits"]
    started = time.perf_counter()
    answer = call(port, "PATCH", f"/api/v1/contacts/{cid}", token=token,
                  body={"x_hits": hits + 1}, headers={"If-Match": read.headers["etag"]})
    stats.note("counter bump", answer, started, (200, 412))
    with stats.lock:
        if answer.status == 200:
            stats.bumps_ok[cid] += 1
        elif answer.status == 412:
            stats.bumps_stale += 1


def _see_everywhere(port: int, token: str, workers: list[int], wanted: bool, label: str,
                    toggle: Toggle, stats: Stats) -> None:
    """Ask until every worker has answered once: each one's first answer must show
    the plugin as ``wanted`` (in /health's plugins and on its resource)."""
    first: dict[int, bool] = {}
    asked = 0
    deadline = time.monotonic() + 30
    while len(first) < len(workers) and time.monotonic() < deadline:
        asked += 1
        started = time.perf_counter()
        health = call(port, "GET", "/api/v1/health")
        stats.note("toggle check", health, started, (200,))
        pid = int(health.headers.get("x-accord-worker", "0"))
        if pid in first or health.status != 200:
            continue
        listed = TOGGLED in health.json()["plugins"]
        first[pid] = listed == wanted
    # And the plugin's resource, on whichever workers answer.
    for _ in range(8):
        started = time.perf_counter()
        answer = call(port, "GET", TOGGLED_PATH, token=token)
        stats.note("toggle check", answer, started, (200, 404))
        pid = int(answer.headers.get("x-accord-worker", "0"))
        if (answer.status == 200) != wanted:
            first[pid] = False
    toggle.seen[label] = first
    toggle.requests_until_all[label] = asked


def run(seconds: float, clients: int, url: str, redis_url: str,
        max_requests: int) -> dict[str, Any]:
    import redis

    _database(url)
    redis.Redis.from_url(redis_url).flushdb()
    folder = Path(tempfile.mkdtemp(prefix="accord-load-"))
    installation = Installation(folder, url, redis_url=redis_url,
                                extra='enabled_plugins = ["sales", "competitors"]')
    receiver = Receiver().start()
    setup = _set_up(installation, receiver)
    token, counters = setup["token"], setup["counters"]
    port = procs.free_port()
    web = procs.gunicorn(installation, port, workers=4)
    workers = [procs.worker(installation, n) for n in (1, 2)]
    stats = Stats()
    toggle = Toggle()
    results: dict[str, Any] = {"folder": str(folder), "seconds": seconds, "clients": clients}
    try:
        procs.wait_ready(port, web)
        pids = procs.worker_pids(web.pid)
        toggle.workers = len(pids)
        stop = threading.Event()
        budget = [max_requests]
        budget_lock = threading.Lock()
        threads = [threading.Thread(target=_client, args=(port, token, counters, stats, stop,
                                                          n, budget, budget_lock), daemon=True)
                   for n in range(clients)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(seconds / 2)
        answer = call(port, "POST", f"/api/v1/plugins/{TOGGLED}/disable", token=token)
        stats.note("toggle", answer, time.perf_counter(), (200,))
        _see_everywhere(port, token, pids, False, "disabled", toggle, stats)
        answer = call(port, "POST", f"/api/v1/plugins/{TOGGLED}/enable", token=token)
        stats.note("toggle", answer, time.perf_counter(), (200,))
        _see_everywhere(port, token, pids, True, "enabled", toggle, stats)
        remaining = seconds - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
        stop.set()
        for thread in threads:
            thread.join(120)
        elapsed = time.monotonic() - started
        results["elapsed"] = elapsed
        results["delivery"] = _drain(installation, receiver)
        results["counters"] = _counters(installation, counters, stats)
    finally:
        web.stop()
        for process in workers:
            process.stop()
        receiver.stop()
    results["stats"] = stats
    results["toggle"] = toggle
    results["logs_with_errors"] = [p.name for p in [web, *workers]
                                   if "Traceback" in p.log_path.read_text(errors="replace")]
    return results


def _drain(installation: Installation, receiver: Receiver,
           timeout: float = 180) -> dict[str, Any]:
    """Wait until every outbox message is routed and every delivery ended, then compare
    the outbox with what the receiver got."""
    from accord.models import OutboxMessage, WebhookDelivery

    kernel = installation.kernel()
    try:
        deadline = time.monotonic() + timeout
        started = time.monotonic()
        while True:
            with kernel.bound():
                pending = OutboxMessage.select().where(OutboxMessage.status == "pending").count()
                open_ = WebhookDelivery.select().where(
                    WebhookDelivery.status.in_(("pending", "failed"))).count()
            if (pending == 0 and open_ == 0) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        with kernel.bound():
            messages = {str(m.id) for m in OutboxMessage.select(OutboxMessage.id)}
            statuses = Counter(d.status for d in WebhookDelivery.select(WebhookDelivery.status))
    finally:
        kernel.close()
    with receiver.lock:
        got = dict(receiver.counts)
    return {"messages": len(messages), "received_ids": len(got),
            "missing": len(messages - set(got)), "unknown": len(set(got) - messages),
            "posts": receiver.posts, "duplicates": receiver.duplicates(),
            "bad_signatures": receiver.bad_signatures, "deliveries": dict(statuses),
            "drain_seconds": time.monotonic() - started, "still_open": pending + open_}


def _counters(installation: Installation, counters: list[int], stats: Stats) -> dict[str, Any]:
    from accord.models import Contact

    kernel = installation.kernel()
    try:
        with kernel.bound():
            final = {c.id: int((c.custom or {}).get("x_hits") or 0)
                     for c in Contact.select().where(Contact.id.in_(counters))}
    finally:
        kernel.close()
    lost = sum(stats.bumps_ok[cid] - final[cid] for cid in counters)
    return {"final": sum(final.values()), "successes": sum(stats.bumps_ok.values()),
            "stale": stats.bumps_stale, "lost": lost,
            "per_counter": {cid: (final[cid], stats.bumps_ok[cid]) for cid in counters}}


def report(results: dict[str, Any]) -> list[str]:
    stats: Stats = results["stats"]
    toggle: Toggle = results["toggle"]
    delivery = results["delivery"]
    counters = results["counters"]
    ordered = sorted(stats.latencies)

    def pct(p: float) -> str:
        return f"{ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000:.0f} ms" \
            if ordered else "-"

    exactly_once = (delivery["missing"] == 0 and delivery["unknown"] == 0
                    and delivery["still_open"] == 0 and delivery["bad_signatures"] == 0)
    rows = [
        ("Requests", f"{stats.requests} in {results['elapsed']:.1f} s "
                     f"({stats.requests / results['elapsed']:.0f}/s), {results['clients']} "
                     f"client threads; p50 {pct(50)}, p95 {pct(95)}, p99 {pct(99)}", "", ""),
        ("5xx answers", str(sum(n for s, n in stats.statuses.items() if s >= 500)), "0",
         _ok(not stats.server_errors)),
        ("Unexpected 4xx / connection errors", str(len(stats.client_errors)), "0",
         _ok(not stats.client_errors)),
        ("Lost updates (If-Match counter bumps)",
         f"{counters['lost']} (final sum {counters['final']} = {counters['successes']} "
         f"successful bumps; {counters['stale']} answered 412 and were not applied)", "0",
         _ok(counters["lost"] == 0)),
        ("Outbox messages delivered exactly once",
         f"{delivery['received_ids']} of {delivery['messages']} (missing "
         f"{delivery['missing']}, redelivered posts {delivery['duplicates']} de-duplicated "
         f"by event id, bad signatures {delivery['bad_signatures']}; drained "
         f"{delivery['drain_seconds']:.1f} s after the load)", "all",
         _ok(exactly_once)),
        ("Plugin toggle seen by every worker within one request",
         "; ".join(f"{label}: {sum(v.values())} of {toggle.workers} workers right on "
                   f"their first request ({toggle.requests_until_all[label]} requests to "
                   f"reach all)" for label, v in toggle.seen.items()), "all",
         _ok(toggle.ok)),
        ("Tracebacks in the process logs", ", ".join(results["logs_with_errors"]) or "none",
         "none", _ok(not results["logs_with_errors"])),
    ]
    lines = ["| Check | Result | Target | Met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    mix = ", ".join(f"{kind} {n}" for kind, n in sorted(stats.by_kind.items()))
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(stats.statuses.items()))
    lines += ["", f"Requests by kind: {mix}.", "", f"Statuses: {statuses}.", "",
              f"Deliveries by status: {delivery['deliveries']}."]
    if stats.server_errors or stats.client_errors:
        lines += ["", "First unexpected answers:", ""]
        lines += [f"- `{e}`" for e in (stats.server_errors + stats.client_errors)[:10]]
    return lines


def _ok(flag: bool) -> str:
    return "yes" if flag else "**no**"


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="how long the load runs (default 60; 10 to try it)")
    parser.add_argument("--clients", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--max-requests", type=int, default=200_000,
                        help="stop after this many requests even before --seconds")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/LOAD.md")
    parser.add_argument("--output", type=Path, default=LOAD_PATH)
    args = parser.parse_args(argv)
    url = os.environ.get("ACCORD_LOAD_DATABASE_URL", DEFAULT_URL)
    redis_url = os.environ.get("ACCORD_LOAD_REDIS_URL", DEFAULT_REDIS)
    results = run(args.seconds, args.clients, url, redis_url, args.max_requests)
    lines = report(results)
    print("\n".join(lines))
    if not args.no_write:
        from .table import machine_facts

        facts = machine_facts("load", sys.argv[1:] if argv is None else argv)
        text = ["# Several processes under load (issue 17, part 3)", "",
                "Written by `python -m bench.load` (see its docstring for what runs: gunicorn "
                "× 4 sync workers, 2 `accord worker` processes on Redis, PostgreSQL, a "
                "webhook receiver, a load generator on loopback).", "",
                *[f"- {name}: {value}" for name, value in facts], "", *lines, ""]
        args.output.write_text("\n".join(text))
        print(f"\nwritten to {args.output}")
    failed = ("**no**" in "\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
