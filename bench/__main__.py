"""``python -m bench [--quick] [--only bulk|create_one|hooks|api|sales|service|tiers] [--rows N]
[--engines sqlite,postgres] [--profile]``

Prints figures and ratios against raw baselines measured in the same run; asserts
nothing about timings. PostgreSQL is ACCORD_BENCH_DATABASE_URL when it is set, else the
database ``accord_bench`` of postgresql://postgres@127.0.0.1:5432 (created when
missing), leaving the tests' database alone; it is skipped with a note when
unreachable. Its schema ``public`` is dropped and recreated before every measurement.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

from . import api, bulk, create_one, hooks, sales

#: Ratio of the service layer's throughput to raw insert_many the project aims at.
BULK_TARGET = 0.25
#: create_one (one service create per row against raw Contact.create) has no target yet.
#: Ratio of the API's list throughput to the raw Flask + peewee endpoint aimed at.
API_TARGET = 0.5
#: Ratio of the sales reports' speed to the same report as one raw SQL query.
SALES_TARGET = 0.5


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Accord benchmarks: figures and ratios against raw baselines of the same run.")
    parser.add_argument("--quick", action="store_true",
                        help="10,000 rows instead of 100,000, shorter hook loops, shorter API "
                             "loads on 10,000 contacts (keyset: 100,000 rows), sales reports "
                             "on 20,000 opportunities instead of 200,000, create_one on "
                             "2,000 contacts instead of 10,000, service metrics on 50,000 tickets "
                             "instead of 500,000, tiers on 20,000 customers and 200,000 "
                             "orders instead of 200,000 and 2,000,000")
    parser.add_argument("--only", choices=("bulk", "create_one", "hooks", "api", "sales",
                                           "service", "tiers"),
                        help="run one benchmark")
    parser.add_argument("--rows", type=int,
                        help="rows per bulk or create_one measurement (overrides --quick)")
    parser.add_argument("--batch", type=int, default=5000,
                        help="rows per bulk_create call in the batched mode (default 5,000)")
    parser.add_argument("--engines", default="sqlite,postgres",
                        help="comma-separated: sqlite, postgres (default both)")
    parser.add_argument("--profile", action="store_true",
                        help="instead: cProfile the service's bulk create on SQLite "
                             "(20,000 rows, or --rows) and print the top functions; with "
                             "--only create_one, its one-by-one creates (2,000 rows, or --rows)")
    return parser


def _engine_names(args: argparse.Namespace) -> list[str]:
    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    unknown = sorted(set(names) - {"sqlite", "postgres"})
    if unknown:
        sys.exit(f"--engines: unknown engine {', '.join(unknown)} (use sqlite, postgres)")
    return names


def _bulk(args: argparse.Namespace) -> None:
    count = args.rows or (10_000 if args.quick else 100_000)
    batch = min(args.batch, count)
    engine_list, notes = bulk.engines(_engine_names(args))
    print(f"Bulk create: {count:,} contacts (custom field x_tier); service = "
          "accord.services.bulk_create, raw = Contact.insert_many")
    for note in notes:
        print(f"  note: {note}")
    header = f"  {'engine':<9}{'mode':<18}{'raw rows/s':>12}{'service rows/s':>16}{'service/raw':>13}"
    print(header)
    print("  " + "-" * (len(header) - 2))

    def report(m: bulk.Measurement) -> None:
        flag = "" if m.ratio >= BULK_TARGET else f"  (target {BULK_TARGET})"
        print(f"  {m.engine:<9}{m.mode:<18}{m.raw_rate:>12,.0f}{m.service_rate:>16,.0f}"
              f"{m.ratio:>13.2f}{flag}", flush=True)

    bulk.run(engine_list, count, batch, report)


def _create_one(args: argparse.Namespace) -> None:
    count = args.rows or (create_one.QUICK_ROWS if args.quick else create_one.ROWS)
    sample = min(create_one.COUNT_SAMPLE, count)
    engine_list, notes = create_one.engines(_engine_names(args))
    print(f"Create one by one: {count:,} contacts (custom field x_tier) in one transaction; "
          "service = accord.services.create, raw = Contact.create")
    print(f"  statements per create counted in a separate pass on {sample:,} rows "
          "(BEGIN/COMMIT excluded); target: report only")
    for note in notes:
        print(f"  note: {note}")
    header = (f"  {'engine':<9}{'raw rows/s':>12}{'service rows/s':>16}{'service/raw':>13}"
              f"{'raw stmts':>11}{'service stmts':>15}")
    print(header)
    print("  " + "-" * (len(header) - 2))
    kinds: list[str] = []

    def report(m: create_one.Measurement) -> None:
        print(f"  {m.engine:<9}{m.raw_rate:>12,.0f}{m.service_rate:>16,.0f}{m.ratio:>13.2f}"
              f"{m.raw_statements:>11.2f}{m.service_statements:>15.2f}", flush=True)
        kinds.append(f"  {m.engine}: " + ", ".join(f"{k} {v:g}" for k, v in m.kinds.items()))

    create_one.run(engine_list, count, report, sample=sample)
    if kinds:
        print("  service statements per create by kind:")
        for line in kinds:
            print(f"  {line}")


def _hooks(args: argparse.Namespace) -> None:
    number = 50_000 if args.quick else 200_000
    print(f"Hook overhead: one hook, {hooks.IMPLS} implementations, best of 5 x {number:,} calls")
    results = hooks.run(number=number)
    plain = results[0].ns
    raw = results[1].ns
    header = f"  {'caller':<44}{'ns/call':>9}{'vs plain':>10}{'vs pluggy':>11}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for m in results:
        print(f"  {m.label:<44}{m.ns:>9.0f}{m.ns / plain:>10.2f}{m.ns / raw:>11.2f}")


def _api(args: argparse.Namespace) -> None:
    sizes = api.Sizes.quick() if args.quick else api.Sizes()
    engine_list, notes = api.engines(_engine_names(args))
    print(f"API list: GET /api/v1/contacts?limit={api.PAGE} on {sizes.contacts:,} contacts "
          "(admin token); gunicorn, 2 sync workers on 127.0.0.1; raw = Flask + peewee "
          "(bench/raw_app.py), the same page")
    print(f"  load: {sizes.clients} client threads, best of {sizes.rounds} round(s) of "
          f"{sizes.requests:,} requests (at most {sizes.seconds:.0f} s) per server")
    for note in notes:
        print(f"  note: {note}")
    header = (f"  {'engine':<9}{'server':<8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
              f"{'errors':>8}{'accord/raw':>12}")
    print(header)
    print("  " + "-" * (len(header) - 2))

    def throughput(m: api.Throughput) -> None:
        for name, load in (("raw", m.raw), ("accord", m.accord)):
            ratio = f"{m.ratio:>12.2f}" if name == "accord" else ""
            flag = f"  (target {API_TARGET})" if name == "accord" and m.ratio < API_TARGET else ""
            print(f"  {m.engine:<9}{name:<8}{load.rate:>9,.0f}{load.percentile(50) * 1000:>9.1f}"
                  f"{load.percentile(99) * 1000:>9.1f}{load.errors:>8}{ratio}{flag}", flush=True)
        if not m.same_page:
            print(f"  note: {m.engine}: the two servers' pages differ")

    api.run_throughput(engine_list, sizes, throughput)
    print()
    print(f"Keyset list page: {sizes.deep_rows:,} contacts, GET /api/v1/contacts?limit={api.PAGE} "
          f"in-process, median of {sizes.repeats}; deep = through a cursor {2 * api.PAGE} rows "
          "before the end; raw OFFSET for contrast")
    header = (f"  {'engine':<9}{'first ms':>10}{'deep ms':>10}{'deep/first':>12}"
              f"{'OFFSET 0 ms':>13}{'OFFSET deep ms':>16}")
    print(header)
    print("  " + "-" * (len(header) - 2))

    def keyset(m: api.DeepPage) -> None:
        print(f"  {m.engine:<9}{m.first_ms:>10.2f}{m.deep_ms:>10.2f}{m.ratio:>12.2f}"
              f"{m.offset_first_ms:>13.2f}{m.offset_deep_ms:>16.2f}", flush=True)

    api.run_keyset(engine_list, sizes, keyset)


def _sales(args: argparse.Namespace) -> None:
    count = sales.QUICK_OPPORTUNITIES if args.quick else sales.OPPORTUNITIES
    repeats = 5 if args.quick else 7
    engine_list, notes = sales.engines(_engine_names(args))
    print(f"Sales reports: {count:,} opportunities (raw insert); Accord's call against the same "
          f"report as one raw SQL query (DB-API cursor), median of {repeats}")
    print("  forecast without the product demand (the demand reads quotes and orders)")
    for note in notes:
        print(f"  note: {note}")
    header = f"  {'engine':<9}{'report':<22}{'raw ms':>9}{'accord ms':>11}{'raw/accord':>12}"
    print(header)
    print("  " + "-" * (len(header) - 2))

    def report(m: sales.Measurement) -> None:
        flag = "" if m.ratio >= SALES_TARGET else f"  (target {SALES_TARGET})"
        print(f"  {m.engine:<9}{m.report:<22}{m.raw_ms:>9.1f}{m.accord_ms:>11.1f}"
              f"{m.ratio:>12.2f}{flag}", flush=True)

    sales.run(engine_list, count, repeats, report)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.profile and args.only == "create_one":
        print(create_one.profile(args.rows or 2_000))
        return
    if args.profile:
        from . import profile

        count = args.rows or 20_000
        print(profile.run(count, min(args.batch, count)))
        return
    started = time.perf_counter()
    print(f"Accord benchmarks: Python {platform.python_version()} on {platform.machine()}"
          f"{' (quick)' if args.quick else ''}")
    if args.only in (None, "bulk"):
        _bulk(args)
    if args.only in (None, "create_one"):
        if args.only is None:
            print()
        _create_one(args)
    if args.only in (None, "hooks"):
        if args.only is None:
            print()
        _hooks(args)
    if args.only in (None, "api"):
        if args.only is None:
            print()
        _api(args)
    if args.only in (None, "sales"):
        if args.only is None:
            print()
        _sales(args)
    if args.only in (None, "service"):
        if args.only is None:
            print()
        from . import bench_service_metrics as service

        service.section(_engine_names(args),
                        service.QUICK_TICKETS if args.quick else service.TICKETS,
                        5 if args.quick else 7)
    if args.only in (None, "tiers"):
        if args.only is None:
            print()
        from . import bench_marketing_tiers as tiers

        scale = 10 if args.quick else 1
        tiers.section(_engine_names(args), tiers.CUSTOMERS // scale, tiers.ORDERS // scale,
                      3 if args.quick else 5)
    print(f"\n(done in {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
