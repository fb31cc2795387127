"""``python -m bench [--quick] [--only bulk|hooks] [--engines sqlite,postgres] [--profile]``

Prints figures and ratios against raw baselines measured in the same run; asserts
nothing about timings. PostgreSQL is read from ACCORD_BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/test) and skipped with a note when unreachable.
Its schema ``public`` is dropped and recreated before every measurement.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

from . import bulk, hooks

#: Ratio of the service layer's throughput to raw insert_many the project aims at.
BULK_TARGET = 0.25


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Accord benchmarks: figures and ratios against raw baselines of the same run.")
    parser.add_argument("--quick", action="store_true",
                        help="10,000 rows instead of 100,000 and shorter hook loops")
    parser.add_argument("--only", choices=("bulk", "hooks"), help="run one benchmark")
    parser.add_argument("--rows", type=int, help="rows per bulk measurement (overrides --quick)")
    parser.add_argument("--batch", type=int, default=5000,
                        help="rows per bulk_create call in the batched mode (default 5,000)")
    parser.add_argument("--engines", default="sqlite,postgres",
                        help="comma-separated: sqlite, postgres (default both)")
    parser.add_argument("--profile", action="store_true",
                        help="instead: cProfile the service's bulk create on SQLite "
                             "(20,000 rows, or --rows) and print the top functions")
    return parser


def _bulk(args: argparse.Namespace) -> None:
    count = args.rows or (10_000 if args.quick else 100_000)
    batch = min(args.batch, count)
    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    unknown = sorted(set(names) - {"sqlite", "postgres"})
    if unknown:
        sys.exit(f"--engines: unknown engine {', '.join(unknown)} (use sqlite, postgres)")
    engine_list, notes = bulk.engines(names)
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


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
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
    if args.only in (None, "hooks"):
        if args.only is None:
            print()
        _hooks(args)
    print(f"\n(done in {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
