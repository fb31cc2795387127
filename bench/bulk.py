"""Bulk create through the service layer against raw ``Contact.insert_many``.

Each measurement gets a fresh database (a new SQLite file; a reset PostgreSQL
schema) and a fresh kernel, with the custom field ``x_tier`` defined through
``add_field``. The raw baseline inserts the same rows, already shaped for the
table (custom values in ``custom``; value lists with ``fields=``, peewee's faster
form), in 500-row statements, one transaction per batch like the service; the service additionally validates every row with the
schema, runs the write hooks, checks references and uniqueness, writes one
audit entry per record and asks for outbox items.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from accord_sdk.databases import reset_postgres

from .data import TIERS, contact_rows, raw_table

__all__ = ["Engine", "engines", "run", "Measurement"]

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
#: Rows per raw INSERT statement (SQLite's limit on variables rules out much more).
RAW_CHUNK = 500


@dataclass
class Engine:
    name: str
    #: A fresh, empty database for one measurement; yields its URL.
    fresh: Callable[[], Any]


class Rates:
    """Rows per second of both sides and their ratio, for a measurement holding
    ``rows``, ``raw_seconds`` and ``service_seconds``."""

    rows: int
    raw_seconds: float
    service_seconds: float

    @property
    def raw_rate(self) -> float:
        return self.rows / self.raw_seconds

    @property
    def service_rate(self) -> float:
        return self.rows / self.service_seconds

    @property
    def ratio(self) -> float:
        return self.raw_seconds / self.service_seconds


@dataclass
class Measurement(Rates):
    engine: str
    mode: str
    rows: int
    raw_seconds: float
    service_seconds: float


class _SqliteFresh:
    def __call__(self) -> Iterator[str]:
        folder = tempfile.mkdtemp(prefix="accord-bench-")
        try:
            yield f"sqlite:///{os.path.join(folder, 'bench.db')}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _postgres_fresh(url: str) -> Callable[[], Iterator[str]]:
    def fresh() -> Iterator[str]:
        reset_postgres(url, connect_timeout=3)
        yield url

    return fresh


def engines(names: list[str]) -> tuple[list[Engine], list[str]]:
    """The engines to measure and notes on those skipped."""
    out: list[Engine] = []
    notes: list[str] = []
    for name in names:
        if name == "sqlite":
            out.append(Engine("sqlite", _SqliteFresh()))
        elif name == "postgres":
            url = os.environ.get("ACCORD_BENCH_DATABASE_URL", DEFAULT_PG_URL)
            try:
                import psycopg2  # noqa: F401

                from .api import bench_url

                url = bench_url()
                reset_postgres(url, connect_timeout=3)
            except Exception as exc:  # any reason: the note says which
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                notes.append(f"PostgreSQL skipped: {url} is unreachable ({first}); "
                             "set ACCORD_BENCH_DATABASE_URL")
                continue
            out.append(Engine("postgres", _postgres_fresh(url)))
    return out, notes


def _kernel(url: str) -> Any:
    from accord.config import Config
    from accord.kernel import Accord
    from accord.services import SYSTEM
    from accord.services.fields import add_field

    kernel = Accord(Config(database_url=url, discover_plugins=False)).start(upgrade=True)
    add_field(kernel, "contact", "x_tier", "choice", choices=list(TIERS), actor=SYSTEM,
              label="Tier")
    return kernel


def _count(kernel: Any) -> tuple[int, int]:
    from accord.models import AuditEntry, Contact

    with kernel.bound():
        return (Contact.select().count(),
                AuditEntry.select().where(AuditEntry.action == "created").count())


def _timed(engine: Engine, body: Callable[[Any], None]) -> tuple[float, tuple[int, int]]:
    gen = engine.fresh()
    url = next(gen)
    try:
        kernel = _kernel(url)
        try:
            gc.collect()
            start = time.perf_counter()
            body(kernel)
            elapsed = time.perf_counter() - start
            counts = _count(kernel)
        finally:
            kernel.close()
    finally:
        gen.close()
    return elapsed, counts


def measure_raw(engine: Engine, rows: list[dict[str, Any]], batch: int) -> float:
    from accord.models import Contact, utcnow

    names, values = raw_table(rows, utcnow())
    fields = [Contact._meta.combined[n] for n in names]

    def body(kernel: Any) -> None:
        with kernel.bound():
            for start in range(0, len(values), batch):
                part = values[start:start + batch]
                with kernel.database.atomic():
                    for at in range(0, len(part), RAW_CHUNK):
                        Contact.insert_many(part[at:at + RAW_CHUNK], fields=fields).execute()

    elapsed, (contacts, _) = _timed(engine, body)
    if contacts != len(rows):
        raise RuntimeError(f"raw insert stored {contacts} contacts, not {len(rows)}")
    return elapsed


def measure_service(engine: Engine, rows: list[dict[str, Any]], batch: int) -> float:
    from accord.services import Actor, bulk_create

    actor = Actor.system("bench")

    def body(kernel: Any) -> None:
        for start in range(0, len(rows), batch):
            bulk_create(kernel, "contact", rows[start:start + batch], actor=actor)

    elapsed, (contacts, audited) = _timed(engine, body)
    if contacts != len(rows) or audited != len(rows):
        raise RuntimeError(f"bulk_create stored {contacts} contacts and {audited} audit "
                           f"entries, not {len(rows)}")
    return elapsed


def run(engine_list: list[Engine], count: int, batch: int,
        report: Callable[[Measurement], None]) -> list[Measurement]:
    rows = contact_rows(count)
    out = []
    for engine in engine_list:
        for mode, size in ((f"{batch:,} per call", batch), ("one call", count)):
            raw = measure_raw(engine, rows, size)
            service = measure_service(engine, rows, size)
            m = Measurement(engine.name, mode, count, raw, service)
            report(m)
            out.append(m)
    return out
