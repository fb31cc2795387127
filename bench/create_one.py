"""One record at a time: the path every form and API POST takes, against raw
``Contact.create``.

The same contacts as bench/bulk.py (custom field ``x_tier`` defined through
``add_field``) are created one by one inside ONE transaction, in a fresh database and
a fresh kernel per measurement:

- service: ``accord.services.create(kernel, "contact", row, actor=...)`` per row in
  ``with kernel.transaction():`` (validation, write hooks, reference and uniqueness
  checks, the insert, one audit entry, outbox items, the record read back; the
  signals are sent at the commit, inside the timing);
- raw: ``Contact.create(**row)`` per row, the row already shaped for the table, in
  ``kernel.database.atomic()``.

Statements per create come from a separate, untimed pass on a sample of the rows (a
fresh database again): every ``execute_sql`` of the kernel's database between the
first and the last create is counted, the transaction's own BEGIN and COMMIT
excluded. SQLite uses a new file, PostgreSQL the benchmark database (see bench/api.py).
"""

from __future__ import annotations

import collections
import contextlib
import gc
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from .bulk import Engine, Rates, _kernel, engines
from .data import contact_rows, raw_table

__all__ = ["Measurement", "run", "engines", "ROWS", "QUICK_ROWS", "COUNT_SAMPLE"]

ROWS = 10_000
QUICK_ROWS = 2_000
#: Rows of the untimed pass that counts statements.
COUNT_SAMPLE = 1_000


@dataclass
class Measurement(Rates):
    engine: str
    rows: int
    raw_seconds: float
    service_seconds: float
    #: Statements per create, service and raw, from the counting pass.
    service_statements: float
    raw_statements: float
    #: The service's statements per create by their first word (SELECT, INSERT...).
    kinds: dict[str, float] = field(default_factory=dict)


@contextlib.contextmanager
def counting(database: Any) -> Iterator[collections.Counter[str]]:
    """Count the statements ``database`` runs in the block, by their first word."""
    counter: collections.Counter[str] = collections.Counter()
    original = database.execute_sql

    def execute_sql(sql: str, *args: Any, **kwargs: Any) -> Any:
        counter[sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"] += 1
        return original(sql, *args, **kwargs)

    database.execute_sql = execute_sql
    try:
        yield counter
    finally:
        del database.execute_sql  # the instance attribute: the class's method again


@contextlib.contextmanager
def _fresh_kernel(engine: Engine) -> Iterator[Any]:
    gen = engine.fresh()
    url = next(gen)
    try:
        kernel = _kernel(url)
        try:
            yield kernel
        finally:
            kernel.close()
    finally:
        gen.close()


def _stored(kernel: Any) -> tuple[int, int]:
    from accord.models import AuditEntry, Contact

    with kernel.bound():
        return (Contact.select().count(),
                AuditEntry.select().where(AuditEntry.action == "created").count())


def _raw_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from accord.models import utcnow

    names, values = raw_table(rows, utcnow())
    return [dict(zip(names, v)) for v in values]


def _raw_body(rows: list[dict[str, Any]],
              counter: Callable[[Any], Any] | None = None) -> Callable[[Any], Any]:
    from accord.models import Contact

    prepared = _raw_rows(rows)

    def body(kernel: Any) -> Any:
        with kernel.bound(), kernel.database.atomic():
            with counter(kernel.database) if counter else contextlib.nullcontext() as seen:
                for row in prepared:
                    Contact.create(**row)
        return seen

    return body


def _service_body(rows: list[dict[str, Any]],
                  counter: Callable[[Any], Any] | None = None) -> Callable[[Any], Any]:
    from accord.services import Actor, create

    actor = Actor.system("bench")
    prepared = [dict(row) for row in rows]

    def body(kernel: Any) -> Any:
        with kernel.transaction():
            with counter(kernel.database) if counter else contextlib.nullcontext() as seen:
                for row in prepared:
                    create(kernel, "contact", row, actor=actor)
        return seen

    return body


def _timed(engine: Engine, body: Callable[[Any], Any], rows: int, audited: bool) -> float:
    with _fresh_kernel(engine) as kernel:
        gc.collect()
        start = time.perf_counter()
        body(kernel)
        elapsed = time.perf_counter() - start
        contacts, audit = _stored(kernel)
        if contacts != rows or (audited and audit != rows):
            raise RuntimeError(f"{engine.name}: stored {contacts} contacts and {audit} "
                               f"'created' audit entries, not {rows}")
    return elapsed


def _counted(engine: Engine, body: Callable[[Any], Any]) -> collections.Counter[str]:
    with _fresh_kernel(engine) as kernel:
        seen: collections.Counter[str] = body(kernel)
    return seen


def measure(engine: Engine, rows: list[dict[str, Any]], sample: int) -> Measurement:
    raw = _timed(engine, _raw_body(rows), len(rows), audited=False)
    service = _timed(engine, _service_body(rows), len(rows), audited=True)
    part = rows[:sample]
    raw_seen = _counted(engine, _raw_body(part, counting))
    service_seen = _counted(engine, _service_body(part, counting))
    n = len(part)
    kinds = {k: v / n for k, v in service_seen.most_common()}
    return Measurement(engine.name, len(rows), raw, service, sum(service_seen.values()) / n,
                       sum(raw_seen.values()) / n, kinds)


def run(engine_list: list[Engine], count: int, report: Callable[[Measurement], None],
        sample: int = COUNT_SAMPLE) -> list[Measurement]:
    rows = contact_rows(count)
    sample = min(sample, count)
    out = []
    for engine in engine_list:
        m = measure(engine, rows, sample)
        report(m)
        out.append(m)
    return out


def profile(count: int, top: int = 25) -> str:
    """cProfile of ``count`` service creates in one transaction on SQLite."""
    import cProfile

    from .bulk import _SqliteFresh
    from .profile import report as profile_report

    body = _service_body(contact_rows(count))
    profiler = cProfile.Profile()
    with _fresh_kernel(Engine("sqlite", _SqliteFresh())) as kernel:
        profiler.enable()
        body(kernel)
        profiler.disable()
    return profile_report(profiler, top)
