"""The REST API under load, against a raw Flask + peewee endpoint of the same run.

Throughput: ``GET /api/v1/contacts?limit=50`` (bearer token, role lookup, kernel
sync, schema dump, products of interest) on a database of contacts, served by
gunicorn with two sync workers on 127.0.0.1, against ``bench/raw_app.py`` (the
same page, the same JSON, one plain peewee query plus the link query, no token)
served the same way on the same database. The load comes from a few client threads
of this process (http.client), bounded in requests and seconds; they share the
machine's cores with the servers, alike for both.

Keyset: the first page of a list and a page reached through a cursor near the end
of a large table, timed in-process through the Flask test client, with a raw SQL
``OFFSET`` page beside them for contrast.

SQLite uses a new file per measurement. PostgreSQL uses ACCORD_BENCH_DATABASE_URL
when it is set, else the database ``accord_bench`` of the default server
(postgresql://postgres@127.0.0.1:5432, created when missing), so that the tests'
database is left alone; its schema ``public`` is dropped and recreated before each
measurement.
"""

from __future__ import annotations

import gc
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Generator
from urllib.parse import urlparse, urlunparse

from accord_sdk.databases import reset_postgres

from .data import contact_rows, raw_table

__all__ = ["Engine", "engines", "Sizes", "Load", "Throughput", "DeepPage", "run_throughput",
           "run_keyset"]

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "accord_bench"
REPO = Path(__file__).resolve().parent.parent
PAGE = 50
RAW_CHUNK = 500
#: Products, and every how many contacts one has products of interest.
PRODUCTS = 20
INTEREST_EVERY = 5


@dataclass
class Sizes:
    contacts: int = 100_000
    deep_rows: int = 1_000_000
    #: Requests per measured round (per server), and its time limit in seconds.
    requests: int = 2_000
    seconds: float = 10.0
    rounds: int = 2
    clients: int = 4
    warmup: int = 100
    #: Timed requests per page in the keyset measurement.
    repeats: int = 30

    @classmethod
    def quick(cls) -> Sizes:
        return cls(contacts=10_000, deep_rows=100_000, requests=500, seconds=4.0, rounds=1,
                   warmup=50, repeats=15)


@dataclass
class Engine:
    name: str
    #: A fresh, empty database for one measurement; yields its URL.
    fresh: Callable[[], Generator[str, None, None]]


@dataclass
class Load:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


@dataclass
class Throughput:
    engine: str
    contacts: int
    raw: Load
    accord: Load
    same_page: bool

    @property
    def ratio(self) -> float:
        return self.accord.rate / self.raw.rate


@dataclass
class DeepPage:
    engine: str
    rows: int
    deep_id: int
    first_ms: float
    deep_ms: float
    offset_first_ms: float
    offset_deep_ms: float

    @property
    def ratio(self) -> float:
        return self.deep_ms / self.first_ms


# Databases -------------------------------------------------------------------

def _sqlite_fresh() -> Generator[str, None, None]:
    folder = tempfile.mkdtemp(prefix="accord-bench-api-")
    try:
        yield f"sqlite:///{os.path.join(folder, 'bench.db')}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def bench_url() -> str:
    """ACCORD_BENCH_DATABASE_URL as given, else ``accord_bench`` on the default server
    (created when missing, through the default database)."""
    given = os.environ.get("ACCORD_BENCH_DATABASE_URL")
    if given:
        return given
    import psycopg2

    conn = psycopg2.connect(DEFAULT_PG_URL, connect_timeout=3)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DATABASE,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    finally:
        conn.close()
    return urlunparse(urlparse(DEFAULT_PG_URL)._replace(path=f"/{BENCH_DATABASE}"))


def engines(names: list[str]) -> tuple[list[Engine], list[str]]:
    """The engines to measure and notes on those skipped."""
    out: list[Engine] = []
    notes: list[str] = []
    for name in names:
        if name == "sqlite":
            out.append(Engine("sqlite", _sqlite_fresh))
        elif name == "postgres":
            try:
                import psycopg2  # noqa: F401

                url = bench_url()
                reset_postgres(url, connect_timeout=3)
            except Exception as exc:  # any reason: the note says which
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                notes.append(f"PostgreSQL skipped: unreachable ({first}); "
                             "set ACCORD_BENCH_DATABASE_URL")
                continue

            def fresh(url: str = url) -> Generator[str, None, None]:
                reset_postgres(url, connect_timeout=3)
                yield url

            out.append(Engine("postgres", fresh))
    return out, notes


def _kernel(url: str) -> Any:
    from accord.config import Config
    from accord.kernel import Accord

    return Accord(Config(database_url=url, discover_plugins=False)).start(upgrade=True)


def _admin_token(kernel: Any) -> str:
    from accord import services
    from accord.services import SYSTEM
    from accord.services.tokens import create_token

    user = services.create(kernel, "user", {"email": "bench@example.com", "name": "Bench",
                                            "role": "admin"}, actor=SYSTEM)
    with kernel.bound():
        _, token = create_token(kernel, user, name="bench", actor=SYSTEM)
    return token


def _populate(kernel: Any, count: int) -> None:
    """``count`` varied contacts (raw insert_many, as bench/bulk.py's baseline), some
    products and, for every fifth contact, two products of interest."""
    from accord import services
    from accord.models import Contact, ContactInterest, utcnow
    from accord.services import SYSTEM

    rows = [{k: v for k, v in row.items() if not k.startswith("x_")}
            for row in contact_rows(count)]
    names, values = raw_table(rows, utcnow())
    fields = [Contact._meta.combined[n] for n in names]
    products = [services.create(kernel, "product", {"sku": f"P{i:03}", "name": f"Product {i}"},
                                actor=SYSTEM).id for i in range(PRODUCTS)]
    with kernel.bound(), kernel.database.atomic():
        for at in range(0, len(values), RAW_CHUNK):
            Contact.insert_many(values[at:at + RAW_CHUNK], fields=fields).execute()
        ids = [r[0] for r in Contact.select(Contact.id).order_by(Contact.id).tuples()]
        links = [(cid, products[(cid + k) % PRODUCTS]) for cid in ids[::INTEREST_EVERY]
                 for k in (0, 7)]
        for at in range(0, len(links), RAW_CHUNK):
            ContactInterest.insert_many(links[at:at + RAW_CHUNK],
                                        fields=[ContactInterest.contact,
                                                ContactInterest.product]).execute()
    _analyze(kernel)


def _populate_sequence(kernel: Any, count: int) -> None:
    """``count`` contacts written by one set-based INSERT ... SELECT (fast for 10^6)."""
    from accord.database import is_postgres
    from accord.models import Contact

    table = Contact._meta.table_name
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    columns = ("created_at, updated_at, version, custom, first_name, last_name, email, city, "
               "email_opt_out, call_opt_out")
    if is_postgres(kernel.database):
        sql = (f"INSERT INTO {table} ({columns}) SELECT %s, %s, 1, '{{}}', 'Anna', "
               "'Name' || x, 'c' || x || '@example.com', 'Berlin', false, false "
               "FROM generate_series(1, %s) AS x")
    else:
        sql = (f"WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq "
               f"WHERE x < ?) INSERT INTO {table} ({columns}) SELECT ?, ?, 1, '{{}}', 'Anna', "
               "'Name' || x, 'c' || x || '@example.com', 'Berlin', 0, 0 FROM seq")
    params = (now, now, count) if is_postgres(kernel.database) else (count, now, now)
    with kernel.bound(), kernel.database.atomic():
        kernel.database.execute_sql(sql, params)
    _analyze(kernel)


def _analyze(kernel: Any) -> None:
    with kernel.bound():
        kernel.database.execute_sql("ANALYZE")


# Servers -----------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """gunicorn serving ``app`` with two sync workers on a free port of 127.0.0.1."""

    def __init__(self, app: str, env: dict[str, str], folder: str, workers: int = 2) -> None:
        self.port = _free_port()
        self.log = open(os.path.join(folder, f"gunicorn-{self.port}.log"), "w+")
        environ = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
        environ.update(env)
        environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO),
                                                              environ.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers),
             "--worker-class", "sync", "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "--timeout", "60", app],
            cwd=folder, env=environ, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, path: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n"
                                   f"{self._tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", path)
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{self._tail()}")

    def _tail(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return "".join(self.log.readlines()[-20:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _get(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def load(port: int, path: str, headers: dict[str, str], *, clients: int, requests: int,
         seconds: float) -> Load:
    """``requests`` GETs from ``clients`` threads, stopping early after ``seconds``."""
    lock = threading.Lock()
    issued = 0
    errors = 0
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    def client() -> None:
        nonlocal issued, errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad = 0
        try:
            while True:
                with lock:
                    if issued >= requests:
                        break
                    issued += 1
                start = time.perf_counter()
                if start > deadline:
                    with lock:
                        issued -= 1
                    break
                try:
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    ok = response.status == 200
                except (OSError, http.client.HTTPException):
                    conn.close()
                    ok = False
                mine.append(time.perf_counter() - start)
                bad += not ok
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)
                errors += bad

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.perf_counter() - started
    return Load(len(latencies), errors, elapsed, latencies)


def _best(loads: list[Load]) -> Load:
    return max(loads, key=lambda l: l.rate)


def measure_throughput(engine: Engine, sizes: Sizes) -> Throughput:
    gen = engine.fresh()
    url = next(gen)
    folder = tempfile.mkdtemp(prefix="accord-bench-serve-")
    try:
        kernel = _kernel(url)
        try:
            _populate(kernel, sizes.contacts)
            token = _admin_token(kernel)
        finally:
            kernel.close()
        accord_path = f"/api/v1/contacts?limit={PAGE}"
        raw_path = f"/contacts?limit={PAGE}"
        auth = {"Authorization": f"Bearer {token}"}
        with Server("accord.web:create_app()", {"ACCORD_DATABASE_URL": url,
                                                "ACCORD_DISCOVER_PLUGINS": "false"},
                    folder) as accord, \
                Server("bench.raw_app:create_app()", _raw_env(url), folder) as raw:
            accord.wait_ready("/api/v1/health")
            raw.wait_ready(raw_path)
            same = _same_page(_get(accord.port, accord_path, auth), _get(raw.port, raw_path, {}))
            targets: list[tuple[Server, str, dict[str, str]]] = [
                (raw, raw_path, {}), (accord, accord_path, auth)]
            for server, path, headers in targets:
                load(server.port, path, headers, clients=sizes.clients,
                     requests=sizes.warmup, seconds=sizes.seconds)
            runs: dict[int, list[Load]] = {raw.port: [], accord.port: []}
            for _ in range(sizes.rounds):
                for server, path, headers in targets:
                    gc.collect()
                    runs[server.port].append(load(server.port, path, headers,
                                                  clients=sizes.clients,
                                                  requests=sizes.requests,
                                                  seconds=sizes.seconds))
        return Throughput(engine.name, sizes.contacts, _best(runs[raw.port]),
                          _best(runs[accord.port]), same)
    finally:
        gen.close()
        shutil.rmtree(folder, ignore_errors=True)


def _raw_env(url: str) -> dict[str, str]:
    from accord.models import Contact, ContactInterest

    return {"BENCH_RAW_DATABASE_URL": url,
            "BENCH_RAW_CONTACT_TABLE": Contact._meta.table_name,
            "BENCH_RAW_INTEREST_TABLE": ContactInterest._meta.table_name}


def _same_page(accord: tuple[int, bytes], raw: tuple[int, bytes]) -> bool:
    if accord[0] != 200 or raw[0] != 200:
        raise RuntimeError(f"the first page answered {accord[0]} (Accord) and {raw[0]} "
                           f"(raw): {accord[1][:300]!r} {raw[1][:300]!r}")
    return bool(json.loads(accord[1])["items"] == json.loads(raw[1])["items"])


def run_throughput(engine_list: list[Engine], sizes: Sizes,
                   report: Callable[[Throughput], None]) -> list[Throughput]:
    out = []
    for engine in engine_list:
        m = measure_throughput(engine, sizes)
        report(m)
        out.append(m)
    return out


# Keyset pages ------------------------------------------------------------------

def _median_ms(*calls: Callable[[], Any], repeats: int) -> list[float]:
    """The median time of each call in milliseconds, the calls taking turns."""
    for call in calls:
        call()
    times: list[list[float]] = [[] for _ in calls]
    for _ in range(repeats):
        for call, spent in zip(calls, times):
            start = time.perf_counter()
            call()
            spent.append(time.perf_counter() - start)
    return [statistics.median(spent) * 1000 for spent in times]


def measure_keyset(engine: Engine, sizes: Sizes) -> DeepPage:
    from accord.models import Contact
    from accord.pagination import encode_cursor
    from accord.web import create_app

    gen = engine.fresh()
    url = next(gen)
    try:
        kernel = _kernel(url)
        try:
            _populate_sequence(kernel, sizes.deep_rows)
            token = _admin_token(kernel)
            with kernel.bound():
                last = Contact.select(Contact.id).order_by(Contact.id.desc()).scalar()
            deep_after = last - 2 * PAGE
            kernel_client = create_app(kernel).test_client()
            headers = {"Authorization": f"Bearer {token}"}
            first_path = f"/api/v1/contacts?limit={PAGE}"
            deep_path = f"{first_path}&cursor={encode_cursor([deep_after])}"

            def page(path: str, first_id: int) -> Callable[[], None]:
                def call() -> None:
                    response = kernel_client.get(path, headers=headers)
                    items = response.get_json()["items"]
                    if response.status_code != 200 or len(items) != PAGE or \
                            items[0]["id"] != first_id:
                        raise RuntimeError(f"{path} answered {response.status_code} with "
                                           f"{len(items)} items")
                return call

            with kernel.bound():
                first_id = Contact.select(Contact.id).order_by(Contact.id).scalar()
            first, deep = _median_ms(page(first_path, first_id),
                                     page(deep_path, deep_after + 1), repeats=sizes.repeats)

            table = Contact._meta.table_name
            offset_sql = f"SELECT * FROM {table} ORDER BY id LIMIT {PAGE} OFFSET "

            def offset(skip: int) -> Callable[[], None]:
                def call() -> None:
                    with kernel.bound():
                        rows = kernel.database.execute_sql(offset_sql + str(skip)).fetchall()
                    if len(rows) != PAGE:
                        raise RuntimeError(f"OFFSET {skip} gave {len(rows)} rows")
                return call

            skip = sizes.deep_rows - 2 * PAGE
            offset_first, offset_deep = _median_ms(offset(0), offset(skip),
                                                   repeats=max(3, sizes.repeats // 3))
        finally:
            kernel.close()
    finally:
        gen.close()
    return DeepPage(engine.name, sizes.deep_rows, deep_after + 1, first, deep, offset_first,
                    offset_deep)


def run_keyset(engine_list: list[Engine], sizes: Sizes,
               report: Callable[[DeepPage], None]) -> list[DeepPage]:
    out = []
    for engine in engine_list:
        m = measure_keyset(engine, sizes)
        report(m)
        out.append(m)
    return out
