"""``python -m bench [--quick] [--only NAME] [--rows N] [--engines sqlite,postgres]
[--profile] [--no-write]``

Runs every benchmark of bench/ (or the one ``--only`` names), printing each section's
detail as it goes, then ONE table: each figure, its raw baseline measured in the same
run, the ratio, the target from the issue that asked for it and whether it is met.
The table, the machine facts, the gaps with their causes and the detail are written
to bench/RESULTS.md (or ``--output``; not with ``--no-write``). Asserts nothing about timings. PostgreSQL is ACCORD_BENCH_DATABASE_URL when it is set, else the
database ``accord_bench`` of postgresql://postgres@127.0.0.1:5432 (created when
missing), leaving the tests' database alone; it is skipped with a note when
unreachable. Its schema ``public`` is dropped and recreated before every measurement.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

from . import api, bulk, create_one, dispatch, hooks, rss, sales, startup
from .table import (
    RESULTS_PATH,
    Results,
    Row,
    Tee,
    machine_facts,
    print_table,
    write_results,
)

#: Ratio of the service layer's throughput to raw insert_many the project aims at (issue 3).
BULK_TARGET = 0.25
#: Ratio of one-by-one service creates to raw Contact.create in one transaction (issue 17).
CREATE_ONE_TARGET = 0.5
#: Ratio of the API's list throughput to the raw Flask + peewee endpoint (issue 17;
#: issue 4 asked 0.5).
API_TARGET = 0.7
#: Ratio of the sales reports' speed to the same report as one raw SQL query (issue 5).
SALES_TARGET = 0.5
#: The benchmarks, in the order they run.
NAMES = ("startup", "bulk", "create_one", "dispatch", "hooks", "api", "rss", "sales",
         "service", "tiers", "import", "scale", "load", "faults")


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
                             "orders instead of 200,000 and 2,000,000, imports 10,000 rows "
                             "instead of 100,000, fewer startup runs and dispatch rounds")
    parser.add_argument("--only", choices=NAMES, help="run one benchmark")
    parser.add_argument("--no-write", action="store_true",
                        help="print the table without writing bench/RESULTS.md")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH,
                        help="where to write the results (default bench/RESULTS.md)")
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


def _bulk(args: argparse.Namespace, results: Results) -> None:
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
        results.add(Row("bulk", f"bulk_create {count:,} contacts, {m.mode}", m.engine,
                        f"{m.service_rate:,.0f} rows/s", f"{m.raw_rate:,.0f} rows/s", m.ratio,
                        BULK_TARGET, source="#3", ratio_means="accord/raw speed"))

    bulk.run(engine_list, count, batch, report)


def _create_one(args: argparse.Namespace, results: Results) -> None:
    count = args.rows or (create_one.QUICK_ROWS if args.quick else create_one.ROWS)
    sample = min(create_one.COUNT_SAMPLE, count)
    engine_list, notes = create_one.engines(_engine_names(args))
    print(f"Create one by one: {count:,} contacts (custom field x_tier) in one transaction; "
          "service = accord.services.create, raw = Contact.create")
    print(f"  calls to the database per create counted in a separate pass on {sample:,} "
          "rows (BEGIN/COMMIT excluded; on PostgreSQL a call is one round trip and may "
          f"carry several statements); target ≥ {CREATE_ONE_TARGET}")
    for note in notes:
        print(f"  note: {note}")
    header = (f"  {'engine':<9}{'raw rows/s':>12}{'service rows/s':>16}{'service/raw':>13}"
              f"{'raw calls':>11}{'service calls':>15}")
    print(header)
    print("  " + "-" * (len(header) - 2))
    kinds: list[str] = []

    def report(m: create_one.Measurement) -> None:
        flag = "" if m.ratio >= CREATE_ONE_TARGET else f"  (target {CREATE_ONE_TARGET})"
        print(f"  {m.engine:<9}{m.raw_rate:>12,.0f}{m.service_rate:>16,.0f}{m.ratio:>13.2f}"
              f"{m.raw_statements:>11.2f}{m.service_statements:>15.2f}{flag}", flush=True)
        results.add(Row("create_one", f"services.create x {count:,}, one transaction",
                        m.engine, f"{m.service_rate:,.0f} rows/s "
                        f"({m.service_statements:.1f} calls/create)",
                        f"{m.raw_rate:,.0f} rows/s ({m.raw_statements:.1f})", m.ratio,
                        CREATE_ONE_TARGET, source="#17", ratio_means="accord/raw speed"))
        kinds.append(f"  {m.engine}: " + ", ".join(f"{k} {v:g}" for k, v in m.kinds.items()))

    create_one.run(engine_list, count, report, sample=sample)
    if kinds:
        print("  service calls per create by their first statement:")
        for line in kinds:
            print(f"  {line}")


def _startup(args: argparse.Namespace, results: Results) -> None:
    runs = startup.QUICK_RUNS if args.quick else startup.RUNS
    print(f"Cold start: `accord --help` against `python -c \"import flask, peewee, "
          f"marshmallow, pluggy, click\"`, each a new interpreter, median of {runs} runs "
          f"taking turns; target accord/bare ≤ {startup.TARGET}")
    m = startup.measure(runs)
    header = f"  {'command':<44}{'median ms':>10}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for label, ms in (("python -c pass (the interpreter alone)", m.python_ms),
                      ("python -c 'import flask, peewee, ...'", m.bare_ms),
                      ("accord --help", m.accord_ms)):
        print(f"  {label:<44}{ms:>10.1f}")
    print(f"  accord/bare: {m.ratio:.2f}; heavy modules imported by accord --help: "
          f"{', '.join(m.heavy) or 'none'}", flush=True)
    results.add(Row("startup", "`accord --help` cold start", "—", f"{m.accord_ms:.0f} ms",
                    f"{m.bare_ms:.0f} ms (bare imports)", m.ratio, startup.TARGET, "<=",
                    source="#17", ratio_means="accord/raw time"))


def _dispatch(args: argparse.Namespace, results: Results) -> None:
    creates = dispatch.QUICK_CREATES if args.quick else dispatch.CREATES
    rounds = dispatch.QUICK_ROUNDS if args.quick else dispatch.ROUNDS
    engine_list, notes = dispatch.engines(_engine_names(args))
    print(f"Hook dispatch per write: services.create of a contact with the four shipped "
          f"plugins enabled, best of {rounds} rounds of {creates:,} creates; pluggy's "
          f"dispatch of the hooks one create calls, timed against a plain loop over the "
          f"same (do-nothing) implementations; target < {dispatch.TARGET:g} % of one create")
    for note in notes:
        print(f"  note: {note}")
    header = (f"  {'engine':<9}{'us/create':>10}{'no-op hooks':>12}{'hook calls':>11}"
              f"{'dispatch us':>12}{'dispatch %':>11}{'all hooks %':>12}")
    print(header)
    print("  " + "-" * (len(header) - 2))

    def report(m: dispatch.Measurement) -> None:
        print(f"  {m.engine:<9}{m.us['as is']:>10.0f}{m.us['no-op']:>12.0f}"
              f"{sum(m.calls.values()):>11.0f}{m.dispatch_us:>12.2f}{m.overhead:>11.2f}"
              f"{m.hooks_share:>12.1f}", flush=True)
        print("    ns per call, pluggy / plain: " + ", ".join(
            f"{name} {pluggy:.0f}/{plain:.0f}" for name, (pluggy, plain)
            in m.dispatch_ns.items()))
        results.add(Row("dispatch", "hook dispatch per create, 4 plugins", m.engine,
                        f"{m.dispatch_us:.2f} us dispatch",
                        f"{m.us['as is']:.0f} us/create", m.overhead, dispatch.TARGET, "<",
                        source="#17", ratio_means="dispatch/create %"))

    dispatch.run(engine_list, creates, rounds, report)


def _rss(args: argparse.Namespace, results: Results) -> None:
    print("Peak RSS of a web worker (VmHWM): create_app() in a new interpreter with the "
          "four shipped plugins enabled, serving API lists and logged-in pages (Flask test "
          "client, SQLite); beside it the bare Flask + peewee app (bench/raw_app.py) and "
          "an interpreter importing flask and peewee only")
    m = rss.measure()
    print(f"  accord worker:        {m.accord_mib:>7.1f} MiB after {m.requests} requests")
    print(f"  bare Flask + peewee:  {m.raw_mib:>7.1f} MiB")
    print(f"  import flask, peewee: {m.imports_mib:>7.1f} MiB", flush=True)
    results.add(Row("rss", "peak RSS of a web worker, 4 plugins", "sqlite",
                    f"{m.accord_mib:.0f} MiB", f"{m.raw_mib:.0f} MiB (bare Flask + peewee)",
                    m.ratio, None, ratio_means="accord/raw memory"))


def _hooks(args: argparse.Namespace, results: Results) -> None:
    number = 50_000 if args.quick else 200_000
    print(f"Hook overhead: one hook, {hooks.IMPLS} implementations, best of 5 x {number:,} calls")
    measured = hooks.run(number=number)
    plain = measured[0].ns
    raw = measured[1].ns
    header = f"  {'caller':<44}{'ns/call':>9}{'vs plain':>10}{'vs pluggy':>11}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for m in measured:
        print(f"  {m.label:<44}{m.ns:>9.0f}{m.ns / plain:>10.2f}{m.ns / raw:>11.2f}")
    for m in measured[2:]:
        results.add(Row("hooks", m.label.replace("kernel.hooks, ", "kernel.hooks: "), "—",
                        f"{m.ns:.0f} ns/call", f"{raw:.0f} ns/call (raw pluggy)", raw / m.ns,
                        None, ratio_means="accord/raw speed"))


def _api(args: argparse.Namespace, results: Results) -> None:
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
        results.add(Row("api", f"GET /api/v1/contacts?limit={api.PAGE}, gunicorn 2 workers",
                        m.engine, f"{m.accord.rate:,.0f} req/s "
                        f"(p50 {m.accord.percentile(50) * 1000:.1f} ms)",
                        f"{m.raw.rate:,.0f} req/s (p50 {m.raw.percentile(50) * 1000:.1f} ms)",
                        m.ratio, API_TARGET, source="#17", ratio_means="accord/raw speed"))

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
        results.add(Row("api", f"keyset page deep in {m.rows:,} rows", m.engine,
                        f"{m.deep_ms:.2f} ms deep", f"{m.first_ms:.2f} ms first page",
                        m.ratio, None, ratio_means="deep/first time"))

    api.run_keyset(engine_list, sizes, keyset)


def _sales(args: argparse.Namespace, results: Results) -> None:
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
        results.add(Row("sales", f"{m.report}, {count:,} opportunities", m.engine,
                        f"{m.accord_ms:.1f} ms", f"{m.raw_ms:.1f} ms", m.ratio, SALES_TARGET,
                        source="#5", ratio_means="accord/raw speed"))

    sales.run(engine_list, count, repeats, report)


def _service(args: argparse.Namespace, results: Results) -> None:
    from . import bench_service_metrics as service

    count = service.QUICK_TICKETS if args.quick else service.TICKETS
    for m in service.section(_engine_names(args), count, 5 if args.quick else 7):
        results.add(Row("service", f"{m.metric}, {count:,} tickets", m.engine,
                        f"{m.accord_ms:.1f} ms", f"{m.raw_ms:.1f} ms", m.ratio, service.TARGET,
                        source="#13", ratio_means="accord/raw speed"))


def _tiers(args: argparse.Namespace, results: Results) -> None:
    from . import bench_marketing_tiers as tiers

    scale = 10 if args.quick else 1
    customers, orders = tiers.CUSTOMERS // scale, tiers.ORDERS // scale
    for m in tiers.section(_engine_names(args), customers, orders, 3 if args.quick else 5):
        results.add(Row("tiers", f"compute_tiers, {customers:,} customers, {orders:,} orders",
                        m.engine, f"{m.accord_ms:.0f} ms", f"{m.raw_ms:.0f} ms", m.ratio,
                        tiers.TARGET, source="#14", ratio_means="accord/raw speed"))


def _import(args: argparse.Namespace, results: Results) -> None:
    from . import bench_import

    count = args.rows or (bench_import.QUICK_ROWS if args.quick else bench_import.ROWS)
    for m in bench_import.section(_engine_names(args), count):
        results.add(Row("import", f"CSV import of {count:,} contacts", m.engine,
                        f"{m.rows / m.import_seconds:,.0f} rows/s",
                        f"{m.rows / m.raw_seconds:,.0f} rows/s", m.ratio, bench_import.TARGET,
                        source="#16", ratio_means="accord/raw speed"))


def _scale(args: argparse.Namespace, results: Results) -> None:
    from . import scale

    size = 0.01 if args.quick else 0.1
    for result in scale.generated(_engine_names(args), size, 3 if args.quick else 5):
        for row in scale.table_rows(result):
            results.add(Row(**row))


def _checks(name: str, figure: str, code: int, details: str, results: Results) -> None:
    """A run of pass/fail checks as one row: its share of checks met (1 or less)."""
    results.add(Row(name, figure, "postgres", "all checks met" if code == 0 else
                    f"a check not met (see {details})", "—", 1.0 if code == 0 else 0.0, 1.0,
                    source="#17", ratio_means="checks met"))


def _load(args: argparse.Namespace, results: Results) -> None:
    from . import load

    seconds = "10" if args.quick else "60"
    code = load.main(["--seconds", seconds])
    _checks("load", f"{seconds} s mixed load: 4 web + 2 job workers, Redis, webhooks "
            "(0 5xx, 0 lost updates, each event once, toggle seen)", code,
            "bench/LOAD.md", results)


def _faults(args: argparse.Namespace, results: Results) -> None:
    from . import faults

    code = faults.main([])
    _checks("faults", "SIGKILLed workers, PostgreSQL away, SQLite locked, failing and "
            "hanging plugins", code, "bench/FAULTS.md", results)


SECTIONS = {"startup": _startup, "bulk": _bulk, "create_one": _create_one,
            "dispatch": _dispatch, "hooks": _hooks, "api": _api, "rss": _rss,
            "sales": _sales, "service": _service, "tiers": _tiers, "import": _import,
            "scale": _scale, "load": _load, "faults": _faults}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    if args.profile and args.only == "create_one":
        print(create_one.profile(args.rows or 2_000))
        return
    if args.profile:
        from . import profile

        count = args.rows or 20_000
        print(profile.run(count, min(args.batch, count)))
        return
    _engine_names(args)  # an unknown engine stops here, before any work
    mode = "--quick" if args.quick else "full"
    facts = machine_facts(mode, argv)
    started = time.perf_counter()
    results = Results()
    tee = Tee(sys.stdout)
    sys.stdout = tee
    try:
        print(f"Accord benchmarks: Python {platform.python_version()} on {platform.machine()}"
              f"{' (quick)' if args.quick else ''}")
        for name in NAMES:
            if args.only in (None, name):
                print()
                try:
                    SECTIONS[name](args, results)
                except Exception as exc:  # any: the table says which benchmark stopped
                    error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
                    print(f"  error: {error}", flush=True)
                    results.add(Row(name, "(stopped)", "—", "—", "—", None, error=error))
        print(f"\n(done in {time.perf_counter() - started:.0f} s)")
    finally:
        sys.stdout = tee.stream
    print_table(results)
    if not args.no_write:
        path = write_results(results, facts, tee.copy.getvalue(), args.output)
        print(f"Written to {path}")


if __name__ == "__main__":
    main()
