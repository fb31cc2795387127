"""The service metrics on many tickets, against the same figures written as one raw SQL
query each, run with the DB-API cursor in the same run.

``python -m bench.bench_service_metrics [--quick] [--tickets N] [--engines sqlite,postgres]
[--metrics NAME,…]``

The tickets (500,000; 50,000 with ``--quick``) are inserted raw, with what the services
would have stored on them (first response and resolution times in business seconds,
breach flags): two years of receipt dates, 40 owners in 8 teams, three queues, four
categories (a quarter complaints), about 85 % answered and 75 % resolved. Beside them,
5,000 customer organizations with 30,000 activities (the active customers of the
complaint rate) and 50,000 sales orders (the rate per 100 orders), inserted raw too.

Each metric is computed through ``accord.metrics.compute`` by month over the last two
years, timed as the median of a few runs taking turns with its baseline, after the
baseline's result was checked against the metric's points. The ratio printed is raw
time / Accord time (1.0: no overhead); the target is ``TARGET``. SQLite uses a new
file; PostgreSQL the database ``accord_bench`` (or ACCORD_BENCH_DATABASE_URL), reset
first, as bench/api.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import sys
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable

from .api import Engine, engines
from .sales import _at, _median_ms, _raw

__all__ = ["Measurement", "run", "TICKETS", "QUICK_TICKETS", "TARGET", "main"]

TICKETS = 500_000
QUICK_TICKETS = 50_000
CUSTOMERS = 5_000
ACTIVITIES = 30_000
ORDERS = 50_000
OWNERS = 40
TEAMS = 8
RAW_CHUNK = 1000
#: Ratio of the metrics' speed to the same figure as one raw SQL query aimed at.
TARGET = 0.8
QUEUES = ("general", "billing", "technical")
CATEGORIES = ("question", "incident", "complaint", "request")
_TENTH, _CENT = Decimal("0.1"), Decimal("0.01")


@dataclass
class Measurement:
    engine: str
    metric: str
    raw_ms: float
    accord_ms: float

    @property
    def ratio(self) -> float:
        return self.raw_ms / self.accord_ms


# Data ---------------------------------------------------------------------------------

def _kernel(url: str) -> Any:
    import accord_sales.hooks
    import accord_service.hooks

    from .data import plugin_kernel

    return plugin_kernel(url, accord_sales.hooks, accord_service.hooks)


def _insert(kernel: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    with kernel.bound(), kernel.database.atomic():
        for at in range(0, len(rows), RAW_CHUNK):
            model.insert_many(rows[at:at + RAW_CHUNK]).execute()


def ticket_rows(count: int, owners: list[tuple[int, int]], now: dt.datetime,
                seed: int = 13) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        received = now - dt.timedelta(days=rng.uniform(0, 730), seconds=rng.randrange(86_400))
        row: dict[str, Any] = {
            "created_at": received, "updated_at": received, "channel": "email",
            "category": rng.choice(CATEGORIES), "priority": "normal",
            "subject": f"Ticket {i}", "queue": rng.choice(QUEUES), "received_at": received,
            "status": "new"}
        owner, team = owners[i % len(owners)] if rng.random() > 0.05 else (None, None)
        row["owner"], row["team"] = owner, team
        if rng.random() < 0.85:
            answered = min(now, received + dt.timedelta(minutes=rng.uniform(5, 4320)))
            row.update(first_responded_at=answered, status="open",
                       first_response_seconds=rng.randrange(60, 8 * 3600),
                       first_response_breached=rng.random() < 0.15)
            if rng.random() < 0.88:
                resolved = min(now, answered + dt.timedelta(hours=rng.uniform(1, 240)))
                row.update(resolved_at=resolved, sla_paused_at=resolved,
                           status="closed" if rng.random() < 0.6 else "resolved",
                           resolution_seconds=rng.randrange(600, 40 * 3600),
                           resolution_breached=rng.random() < 0.2)
            elif rng.random() < 0.3:
                row.update(status="pending_customer", sla_paused_at=answered)
        rows.append(row)
    return rows


def populate(kernel: Any, tickets: int, now: dt.datetime) -> None:
    """Teams and users through the services; the rest by raw insert_many."""
    from accord import services
    from accord.models import Activity, Organization
    from accord.services import Actor
    from accord_sales.models import Order
    from accord_service.models import Ticket

    actor = Actor.system("bench")
    teams = [services.create(kernel, "team", {"name": f"Team {t}"}, actor=actor).id
             for t in range(TEAMS)]
    owners = [(services.create(kernel, "user", {"email": f"agent{u}@example.com",
                                                "name": f"Agent {u}", "role": "service"},
                               actor=actor).id, teams[u % TEAMS]) for u in range(OWNERS)]
    rng = random.Random(5)
    _insert(kernel, Organization, [{"name": f"Customer {n}", "relationship": "customer"}
                                   for n in range(CUSTOMERS)])
    with kernel.bound():
        orgs = [o.id for o in Organization.select(Organization.id)]
    _insert(kernel, Activity, [
        {"kind": "call", "subject": "Check-in", "organization": rng.choice(orgs),
         "done_at": now - dt.timedelta(days=rng.uniform(0, 730))} for _ in range(ACTIVITIES)])
    _insert(kernel, Order, [
        {"organization": rng.choice(orgs), "currency": "EUR",
         "order_date": (now - dt.timedelta(days=rng.uniform(0, 730))).date(),
         "status": rng.choices(("confirmed", "fulfilled", "cancelled"), (30, 60, 10))[0]}
        for _ in range(ORDERS)])
    _insert(kernel, Ticket, ticket_rows(tickets, owners, now))
    with kernel.bound():
        kernel.database.execute_sql("ANALYZE")


# Raw baselines ---------------------------------------------------------------------------

def _sql(kernel: Any) -> dict[str, str]:
    """Each metric as one SQL query, for the kernel's engine; parameters: the range's
    start and end (exclusive) as stored, then what each names."""
    from accord.database import is_postgres

    pg = is_postgres(kernel.database)
    mark = "%s" if pg else "?"

    def month(column: str) -> str:
        return f"to_char({column}, 'YYYY-MM')" if pg else f"strftime('%Y-%m', {column})"

    def statistic(at: str, seconds: str, kind: str) -> str:
        where = f"{at} >= {mark} AND {at} < {mark} AND {seconds} IS NOT NULL"
        if pg:
            figure = ("percentile_cont(0.5)" if kind == "median" else "percentile_disc(0.9)")
            return (f"SELECT {month(at)}, {figure} WITHIN GROUP (ORDER BY {seconds})"
                    f" FROM service_ticket WHERE {where} GROUP BY 1")
        pick = ("rn IN ((n + 1) / 2, (n + 2) / 2)" if kind == "median"
                else "rn = (9 * n + 9) / 10")
        return (f"SELECT m, AVG(s) FROM (SELECT {month(at)} AS m, {seconds} AS s,"
                f" ROW_NUMBER() OVER (PARTITION BY {month(at)} ORDER BY {seconds}) AS rn,"
                f" COUNT(*) OVER (PARTITION BY {month(at)}) AS n"
                f" FROM service_ticket WHERE {where}) AS t WHERE {pick} GROUP BY m")

    complaints = (f"SELECT {month('received_at')} AS m, COUNT(*) AS n FROM service_ticket"
                  f" WHERE received_at >= {mark} AND received_at < {mark}"
                  f" AND category = 'complaint' GROUP BY 1")
    activity_at = "COALESCE(a.done_at, a.created_at)"
    return {
        "service.ticket_volume": (
            f"SELECT {month('received_at')}, COUNT(*) FROM service_ticket"
            f" WHERE received_at >= {mark} AND received_at < {mark} GROUP BY 1"),
        "service.first_response_median": statistic(
            "first_responded_at", "first_response_seconds", "median"),
        "service.first_response_p90": statistic(
            "first_responded_at", "first_response_seconds", "p90"),
        "service.resolution_median": statistic("resolved_at", "resolution_seconds", "median"),
        "service.resolution_p90": statistic("resolved_at", "resolution_seconds", "p90"),
        "service.sla_attainment": (
            f"SELECT {month('resolved_at')}, SUM(CASE WHEN NOT first_response_breached"
            f" AND NOT resolution_breached THEN 1 ELSE 0 END), COUNT(*) FROM service_ticket"
            f" WHERE resolved_at >= {mark} AND resolved_at < {mark} GROUP BY 1"),
        "service.complaint_rate": (
            f"SELECT c.m, c.n, k.k FROM ({complaints}) AS c JOIN ("
            f"SELECT {month(activity_at)} AS m, COUNT(DISTINCT o.id) AS k"
            f" FROM accord_activity a JOIN accord_organization o ON o.id = COALESCE("
            f"a.organization_id, CASE WHEN a.record_type = 'organization' THEN a.record_id END)"
            f" WHERE o.relationship = 'customer' AND {activity_at} >= {mark}"
            f" AND {activity_at} < {mark} GROUP BY 1) AS k ON k.m = c.m"),
        "service.complaints_per_100_orders": (
            f"SELECT c.m, c.n, o.k FROM ({complaints}) AS c JOIN ("
            f"SELECT {month('order_date')} AS m, COUNT(*) AS k FROM sales_order"
            f" WHERE order_date >= {mark} AND order_date <= {mark}"
            f" AND status IN ('confirmed', 'partially_fulfilled', 'fulfilled')"
            f" GROUP BY 1) AS o ON o.m = c.m"),
        "service.backlog_by_age": (
            f"SELECT CASE WHEN received_at > {mark} THEN '0-1 days'"
            f" WHEN received_at > {mark} THEN '1-3 days' WHEN received_at > {mark}"
            f" THEN '3-7 days' ELSE '7+ days' END, COUNT(*) FROM service_ticket"
            f" WHERE received_at < {mark} AND (resolved_at IS NULL OR resolved_at >= {mark})"
            f" GROUP BY 1"),
    }


def _params(kernel: Any, name: str, start: dt.date, end: dt.date) -> tuple[Any, ...]:
    start_at = dt.datetime.combine(start, dt.time(0), tzinfo=dt.timezone.utc)
    end_at = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0),
                                 tzinfo=dt.timezone.utc)
    span = (_at(kernel, start_at), _at(kernel, end_at))
    if name == "service.complaint_rate":
        return span + span
    if name == "service.complaints_per_100_orders":
        return span + (start, end)
    if name == "service.backlog_by_age":
        return tuple(_at(kernel, end_at - dt.timedelta(days=d)) for d in (1, 3, 7)) + (
            _at(kernel, end_at), _at(kernel, end_at))
    return span


# Checks: each baseline gives the metric's figures ----------------------------------------

def _expected(name: str, rows: list[Any]) -> dict[Any, Decimal]:
    """The raw rows as the metric's points: {(group, period): value}, zeros left out."""
    if name in ("service.ticket_volume",):
        return {(None, m): Decimal(n) for m, n in rows if n}
    if name.endswith(("_median", "_p90")):
        return {(None, m): (Decimal(str(v)) / 60).quantize(_TENTH, ROUND_HALF_UP)
                for m, v in rows if v is not None}
    if name == "service.sla_attainment":
        return {(None, m): (Decimal(int(ok) * 100) / n).quantize(_CENT, ROUND_HALF_UP)
                for m, ok, n in rows if n and ok}
    if name.startswith("service.complaint"):
        return {(None, m): (Decimal(n * 100) / k).quantize(_CENT, ROUND_HALF_UP)
                for m, n, k in rows if k and n}
    return {(group, "total"): Decimal(n) for group, n in rows if n}


def _check(name: str, points: list[Any], rows: list[Any], total: bool) -> None:
    mine = {(p.group, p.period): p.value for p in points if p.value}
    raw = _expected(name, rows)
    if name == "service.backlog_by_age" and not total:
        raw = {(g, max(p.period for p in points)): v for (g, _), v in raw.items()}
    if mine != raw:
        raise RuntimeError(f"{name}: the raw baseline and Accord disagree:\n{mine}\n{raw}")


# Runs ------------------------------------------------------------------------------------

def measure(engine: Engine, tickets: int, repeats: int,
            report: Callable[[Measurement], None],
            only: tuple[str, ...] = ()) -> list[Measurement]:
    from accord.metrics import MetricQuery, compute

    now = dt.datetime.now(dt.timezone.utc)
    today = now.date()
    start = dt.date(today.year - 2, today.month, 1)
    gen = engine.fresh()
    url = next(gen)
    out = []
    try:
        kernel = _kernel(url)
        try:
            populate(kernel, tickets, now)
            sql = _sql(kernel)
            span = MetricQuery(start, today)
            for name, text in sql.items():
                if only and name not in only:
                    continue
                params = _params(kernel, name, start, today)
                raw = _raw(kernel, text, params)
                accord: Callable[[], Any] = (
                    lambda name=name: compute(kernel, name, span))  # type: ignore[misc]
                _check(name, accord(), raw(), total=False)
                raw_ms, accord_ms = _median_ms(accord, raw, repeats)
                m = Measurement(engine.name, name, raw_ms, accord_ms)
                report(m)
                out.append(m)
        finally:
            kernel.close()
    finally:
        gen.close()
    return out


def run(engine_list: list[Engine], tickets: int, repeats: int,
        report: Callable[[Measurement], None], only: tuple[str, ...] = ()) -> list[Measurement]:
    out = []
    for engine in engine_list:
        out.extend(measure(engine, tickets, repeats, report, only))
    return out


def section(engine_names: list[str], count: int, repeats: int,
            only: tuple[str, ...] = ()) -> list[Measurement]:
    """Measure and print the service metrics' table (the section of ``python -m bench``)."""
    engine_list, notes = engines(engine_names)
    print(f"Service metrics: {count:,} tickets (raw insert), by month over two years; "
          f"accord.metrics.compute against the same figures as one raw SQL query (DB-API "
          f"cursor), median of {repeats}")
    for note in notes:
        print(f"  note: {note}")
    header = (f"  {'engine':<9}{'metric':<36}{'raw ms':>9}{'accord ms':>11}"
              f"{'raw/accord':>12}")
    print(header)
    print("  " + "-" * (len(header) - 2))

    def report(m: Measurement) -> None:
        flag = "" if m.ratio >= TARGET else f"  (target {TARGET})"
        print(f"  {m.engine:<9}{m.metric:<36}{m.raw_ms:>9.1f}{m.accord_ms:>11.1f}"
              f"{m.ratio:>12.2f}{flag}", flush=True)

    return run(engine_list, count, repeats, report, only)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_service_metrics",
        description="The service metrics against one raw SQL query each, same run.")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_TICKETS:,} tickets instead of {TICKETS:,}")
    parser.add_argument("--tickets", type=int, help="tickets to insert (overrides --quick)")
    parser.add_argument("--engines", default="sqlite,postgres",
                        help="comma-separated: sqlite, postgres (default both)")
    parser.add_argument("--metrics", default="",
                        help="comma-separated metric names to time (default all)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    if set(names) - {"sqlite", "postgres"}:
        sys.exit("--engines: use sqlite, postgres")
    count = args.tickets or (QUICK_TICKETS if args.quick else TICKETS)
    started = time.perf_counter()
    print(f"Accord benchmarks: Python {platform.python_version()} on {platform.machine()}")
    only = tuple(n.strip() for n in args.metrics.split(",") if n.strip())
    section(names, count, 5 if args.quick else 7, only)
    print(f"\n(done in {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
