"""The marketing plugin's value tiers + RFM scores on many customers and orders, against
the same assignment written as one hand-made raw SQL statement per customer type, run
with the DB-API cursor in the same run.

``python -m bench.bench_marketing_tiers [--quick] [--customers N] [--orders N]
[--engines sqlite,postgres] [--repeats N]``

The data, inserted raw: 200,000 customers (180,000 organizations and 20,000 contacts
without an organization; a tenth of each with ``--quick``) and 2,000,000 sales orders
(200,000 with ``--quick``) over two years, skewed towards some customers, 15 % of the
customers never buying, a tenth of the orders cancelled and one in twenty in another
currency. (The tier facts read orders, not their lines: the orders stand for the order
lines of the issue, one line each; lines are not inserted.)

Accord: ``accord_marketing.services.tiers.compute_tiers`` for a day (it replaces that
day's rows: deletes them, one INSERT … SELECT per customer type through the sales
plugin's customer facts, the counts per tier, the run's row). The baseline: the same
DELETE and one INSERT … SELECT per customer type with a single GROUP BY over the
orders and the three NTILE(5) windows, written by hand, into the same table under
another day. The baseline's rows are checked equal to Accord's before timing. Timed as
the median of a few runs, the two taking turns; the ratio printed is raw time / Accord
time (1.0: no overhead); the target is ``TARGET``. SQLite uses a new file; PostgreSQL
the database ``accord_bench`` (or ACCORD_BENCH_DATABASE_URL), reset first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

from .api import Engine, engines
from .sales import _median_ms

__all__ = ["Measurement", "run", "main", "TARGET", "CUSTOMERS", "ORDERS"]

CUSTOMERS = 200_000
ORDERS = 2_000_000
#: The share of customers that are contacts without an organization.
CONTACT_SHARE = 0.1
#: Ratio of the tiers' speed to the same assignment as one raw SQL statement aimed at.
TARGET = 0.8
TODAY = dt.date(2026, 6, 30)
#: The day the baseline's rows are stored under (its recency still counts from TODAY).
RAW_DAY = dt.date(1999, 1, 1)
CHUNK = 5000


@dataclass
class Measurement:
    engine: str
    customers: int
    orders: int
    raw_ms: float
    accord_ms: float
    setup_s: float

    @property
    def ratio(self) -> float:
        return self.raw_ms / self.accord_ms


def _kernel(url: str) -> Any:
    import accord_marketing.hooks
    import accord_sales.hooks

    from .data import plugin_kernel

    return plugin_kernel(url, accord_sales.hooks, accord_marketing.hooks)


def _executemany(kernel: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """Insert ``rows`` raw: executemany on SQLite; on PostgreSQL psycopg2's
    execute_values (many rows per statement; ``sql`` ends with ``VALUES (%s, …)``)."""
    pg = _pg(kernel)
    with kernel.bound(), kernel.database.atomic():
        cursor = kernel.database.connection().cursor()
        try:
            if pg:
                from psycopg2.extras import execute_values

                execute_values(cursor, sql[:sql.rindex("(")] + "%s", rows, page_size=CHUNK)
                return
            for at in range(0, len(rows), CHUNK):
                cursor.executemany(sql, rows[at:at + CHUNK])
        finally:
            cursor.close()


def populate(kernel: Any, customers: int, orders: int) -> None:
    """Customers and orders by raw executemany (what the services would store)."""
    from accord.database import is_postgres
    from accord.models import Contact, Organization

    pg = is_postgres(kernel.database)
    mark = "%s" if pg else "?"
    now = dt.datetime(2026, 6, 30, 12, 0, 0)
    stamp = now if pg else now.isoformat(" ")
    contacts = int(customers * CONTACT_SHARE)
    orgs = customers - contacts
    _executemany(kernel, "INSERT INTO accord_organization (created_at, updated_at, version, "
                         f"custom, name, relationship) VALUES ({', '.join([mark] * 6)})",
                 [(stamp, stamp, 1, "{}", f"Customer {n}", "customer") for n in range(orgs)])
    _executemany(kernel, "INSERT INTO accord_contact (created_at, updated_at, version, "
                         f"custom, last_name, email_opt_out, call_opt_out) "
                         f"VALUES ({', '.join([mark] * 7)})",
                 [(stamp, stamp, 1, "{}", f"Buyer {n}", False, False)
                  for n in range(contacts)])
    with kernel.bound():
        orgs_found: Any = Organization.select(Organization.id).tuples()
        contacts_found: Any = Contact.select(Contact.id).tuples()
        org_ids = [i for (i,) in orgs_found]
        contact_ids = [i for (i,) in contacts_found]
    rng = random.Random(7)
    everyone = [("o", i) for i in org_ids] + [("c", i) for i in contact_ids]
    rng.shuffle(everyone)
    buyers = everyone[:int(len(everyone) * 0.85)]
    rows = []
    for _ in range(orders):
        kind, ident = buyers[int(len(buyers) * rng.random() ** 2)]
        day = TODAY - dt.timedelta(days=rng.randrange(730))
        amount = round(rng.uniform(10, 5000), 2)
        status = rng.choices(("confirmed", "fulfilled", "cancelled"), (30, 60, 10))[0]
        currency = "USD" if rng.random() < 0.05 else "EUR"
        rows.append((stamp, stamp, 1, "{}", ident if kind == "o" else None,
                     ident if kind == "c" else None, currency, amount, 0, amount, 0, amount,
                     day if pg else day.isoformat(), status))
    _executemany(kernel, "INSERT INTO sales_order (created_at, updated_at, version, custom, "
                         "organization_id, contact_id, currency, subtotal, discount_total, "
                         "net_total, tax_total, total, order_date, status) VALUES "
                         f"({', '.join([mark] * 14)})", rows)
    with kernel.bound():
        kernel.database.execute_sql("ANALYZE")


def raw_statements(kernel: Any) -> list[tuple[str, tuple[Any, ...]]]:
    """The assignment for TODAY under RAW_DAY, by hand: a DELETE, then per customer
    type one INSERT … SELECT (one GROUP BY over the orders, three NTILE windows)."""
    from decimal import Decimal

    from accord.database import is_postgres
    from accord.rates import base_currency
    from accord_marketing.services.tiers import period_start

    pg = is_postgres(kernel.database)
    m = "%s" if pg else "?"
    settings = kernel.settings("marketing")
    value = Decimal(settings["tier_value_threshold"])
    threshold: Any = value if pg else float(value)
    many = int(settings["tier_purchases_threshold"])
    since = period_start(TODAY, int(settings["tier_months"]))
    day: Any = RAW_DAY if pg else RAW_DAY.isoformat()
    today: Any = TODAY if pg else TODAY.isoformat()
    since_p: Any = since if pg else since.isoformat()
    days = f"({m}::date - f.last)" if pg else f"CAST(julianday({m}) - julianday(f.last) AS INTEGER)"
    out: list[tuple[str, tuple[Any, ...]]] = [
        (f"DELETE FROM marketing_tier_assignment WHERE computed_on = {m}", (day,))]
    for kind, table, column, where in (
            ("organization", "accord_organization", "organization_id", ""),
            ("contact", "accord_contact", "contact_id", "WHERE c.organization_id IS NULL")):
        sql = f"""
INSERT INTO marketing_tier_assignment (computed_on, customer_type, customer_id, tier, value,
    purchases, recency_days, r_score, f_score, m_score)
SELECT {m}, '{kind}', c.id,
    CASE WHEN COALESCE(f.n, 0) = 0 THEN 'A'
         WHEN COALESCE(f.v, 0) >= {m} AND f.n >= {m} THEN 'E'
         WHEN COALESCE(f.v, 0) >= {m} THEN 'C'
         WHEN f.n >= {m} THEN 'D' ELSE 'B' END,
    COALESCE(f.v, 0), COALESCE(f.n, 0),
    CASE WHEN COALESCE(f.n, 0) > 0 THEN {days} END,
    CASE WHEN COALESCE(f.n, 0) > 0 THEN NTILE(5) OVER (PARTITION BY COALESCE(f.n, 0) > 0
        ORDER BY {days} DESC, c.id) END,
    CASE WHEN COALESCE(f.n, 0) > 0 THEN NTILE(5) OVER (PARTITION BY COALESCE(f.n, 0) > 0
        ORDER BY COALESCE(f.n, 0), c.id) END,
    CASE WHEN COALESCE(f.n, 0) > 0 THEN NTILE(5) OVER (PARTITION BY COALESCE(f.n, 0) > 0
        ORDER BY COALESCE(f.v, 0), c.id) END
FROM {table} c
LEFT JOIN (SELECT {column} AS customer,
                  SUM(CASE WHEN currency = {m} THEN net_total END) AS v,
                  COUNT(*) AS n, MAX(order_date) AS last
           FROM sales_order
           WHERE {column} IS NOT NULL
             AND status IN ('confirmed', 'partially_fulfilled', 'fulfilled')
             AND order_date >= {m}
           GROUP BY {column}) f ON f.customer = c.id
{where}"""
        params = (day, threshold, many, threshold, many, today, today,
                  base_currency(kernel), since_p)
        out.append((sql, params))
    return out


def _raw(kernel: Any) -> Callable[[], None]:
    statements = raw_statements(kernel)

    def call() -> None:
        with kernel.bound(), kernel.database.atomic():
            cursor = kernel.database.connection().cursor()
            try:
                for sql, params in statements:
                    cursor.execute(sql, params)
            finally:
                cursor.close()
    return call


def _accord(kernel: Any) -> Callable[[], None]:
    from accord.services import Actor
    from accord_marketing.services.tiers import compute_tiers

    actor = Actor.system("bench")

    def call() -> None:
        compute_tiers(kernel, actor=actor, day=TODAY)
    return call


def check(kernel: Any) -> None:
    """The baseline's rows are Accord's, column by column."""
    pg = _pg(kernel)
    sql = ("SELECT customer_type, customer_id, tier, ROUND(value, 2), purchases, "
           "recency_days, r_score, f_score, m_score FROM marketing_tier_assignment "
           f"WHERE computed_on = {'%s' if pg else '?'} ORDER BY customer_type, customer_id")
    with kernel.bound():
        accord = kernel.database.execute_sql(
            sql, (TODAY if pg else TODAY.isoformat(),)).fetchall()
        raw = kernel.database.execute_sql(
            sql, (RAW_DAY if pg else RAW_DAY.isoformat(),)).fetchall()
    if accord != raw:
        first = next((i for i, (a, b) in enumerate(zip(accord, raw)) if a != b), None)
        shown = f"{accord[first]} / {raw[first]}" if first is not None else ""
        raise AssertionError(f"the baseline differs: {len(accord)} Accord rows, {len(raw)} "
                             f"raw; first difference at {first}: {shown}")


def _pg(kernel: Any) -> bool:
    from accord.database import is_postgres

    return is_postgres(kernel.database)


def measure(engine: Engine, customers: int, orders: int, repeats: int) -> Measurement:
    for url in engine.fresh():
        kernel = _kernel(url)
        try:
            started = time.perf_counter()
            populate(kernel, customers, orders)
            setup = time.perf_counter() - started
            accord, raw = _accord(kernel), _raw(kernel)
            accord()
            raw()
            check(kernel)
            raw_ms, accord_ms = _median_ms(accord, raw, repeats)
            return Measurement(engine.name, customers, orders, raw_ms, accord_ms, setup)
        finally:
            kernel.close()
    raise RuntimeError("no database")


def run(engine_list: list[Engine], customers: int, orders: int, repeats: int,
        report: Callable[[Measurement], None]) -> list[Measurement]:
    out = []
    for engine in engine_list:
        m = measure(engine, customers, orders, repeats)
        report(m)
        out.append(m)
    return out


def section(engine_names: list[str], customers: int, orders: int,
            repeats: int) -> list[Measurement]:
    """Measure and print the tiers' table (the section of ``python -m bench``)."""
    engine_list, notes = engines(engine_names)
    print(f"Marketing tiers + RFM: {customers:,} customers, {orders:,} orders (raw insert); "
          f"compute_tiers against one hand-written INSERT … SELECT per customer type "
          f"(DB-API cursor), median of {repeats}")
    for note in notes:
        print(f"  note: {note}")
    header = (f"  {'engine':<10}{'setup s':>9}{'raw ms':>10}{'accord ms':>11}"
              f"{'raw/accord':>12}{'target':>8}")
    print(header)
    print("  " + "-" * (len(header) - 2))

    def report(m: Measurement) -> None:
        print(f"  {m.engine:<10}{m.setup_s:>9.1f}{m.raw_ms:>10.0f}{m.accord_ms:>11.0f}"
              f"{m.ratio:>12.2f}{TARGET:>8.2f}", flush=True)

    return run(engine_list, customers, orders, repeats, report)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_marketing_tiers",
        description="Value tiers + RFM against one raw SQL statement per customer type, "
                    "same run.")
    parser.add_argument("--quick", action="store_true",
                        help=f"{CUSTOMERS // 10:,} customers and {ORDERS // 10:,} orders")
    parser.add_argument("--customers", type=int, help="customers (overrides --quick)")
    parser.add_argument("--orders", type=int, help="orders (overrides --quick)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each")
    parser.add_argument("--engines", default="sqlite,postgres",
                        help="comma-separated: sqlite, postgres (default both)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    if set(names) - {"sqlite", "postgres"}:
        sys.exit("--engines: use sqlite, postgres")
    customers = args.customers or (CUSTOMERS // 10 if args.quick else CUSTOMERS)
    orders = args.orders or (ORDERS // 10 if args.quick else ORDERS)
    print(f"Accord benchmarks: Python {platform.python_version()} on {platform.machine()}")
    section(names, customers, orders, args.repeats)


if __name__ == "__main__":
    main()
