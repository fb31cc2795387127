"""A CSV import through ``accord.services.importing.run_import`` against raw peewee
``Contact.insert_many`` of the same rows, in the same run.

``python -m bench.bench_import [--quick] [--rows N] [--engines sqlite,postgres] [--profile]``

100,000 contacts (10,000 with ``--quick``) from ``bench.data.contact_rows`` are written
to a CSV file (headers as a user would have them: ``First Name``, ``Email``,
``Tier`` for the custom field ``x_tier``...). The import reads it, maps the columns,
converts and validates every row and writes them through ``services.bulk_create`` in
batches of ``importing.BATCH`` inside one transaction (all-or-nothing), with an audit
entry per record. The raw baseline inserts the same rows, already shaped for the
table, in 500-row statements in one transaction; a second raw figure also reads
them from the CSV file first (what a hand-written raw importer would do). Each side
gets a fresh database (bench/bulk.py: a new SQLite file; PostgreSQL is
ACCORD_BENCH_DATABASE_URL or ``accord_bench``, reset first). The ratio printed is
raw time / import time (target ``TARGET``).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Callable

from .bulk import RAW_CHUNK, Engine, _timed, engines
from .data import contact_rows, raw_table

__all__ = ["Measurement", "run", "section", "main", "ROWS", "QUICK_ROWS", "TARGET"]

ROWS = 100_000
QUICK_ROWS = 10_000
#: Ratio of the import's throughput to raw insert_many aimed at.
TARGET = 0.3
#: The file's headers for the contact fields (the import maps them by name or label).
HEADERS = {"first_name": "First Name", "last_name": "Last Name", "email": "Email",
           "phone": "Phone", "title": "Title", "city": "City", "country": "Country",
           "x_tier": "Tier"}


@dataclass
class Measurement:
    engine: str
    rows: int
    raw_seconds: float
    raw_csv_seconds: float
    import_seconds: float

    @property
    def ratio(self) -> float:
        return self.raw_seconds / self.import_seconds

    @property
    def csv_ratio(self) -> float:
        return self.raw_csv_seconds / self.import_seconds


def write_csv(rows: list[dict[str, Any]], path: str) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([HEADERS[k] for k in rows[0]])
        for row in rows:
            writer.writerow(["" if v is None else v for v in row.values()])


def _raw(engine: Engine, rows: list[dict[str, Any]], path: str | None) -> float:
    from accord.models import Contact, utcnow

    def body(kernel: Any) -> None:
        source = rows
        if path is not None:  # read the file as a raw importer would
            with open(path, newline="", encoding="utf-8") as handle:
                reader = csv.reader(handle)
                keys = list(rows[0])
                next(reader)
                source = [{k: (v or None) for k, v in zip(keys, cells)} for cells in reader]
        names, values = raw_table(source, utcnow())
        fields = [Contact._meta.combined[n] for n in names]
        with kernel.bound(), kernel.database.atomic():
            for at in range(0, len(values), RAW_CHUNK):
                Contact.insert_many(values[at:at + RAW_CHUNK], fields=fields).execute()

    elapsed, (contacts, _) = _timed(engine, body)
    if contacts != len(rows):
        raise RuntimeError(f"raw insert stored {contacts} contacts, not {len(rows)}")
    return elapsed


def _import(engine: Engine, path: str, count: int) -> float:
    from accord.services import Actor
    from accord.services.importing import run_import

    actor = Actor.system("bench")

    def body(kernel: Any) -> None:
        result = run_import(kernel, "contact", path, actor=actor)
        if result.rejected or result.created != count:
            raise RuntimeError(f"the import created {result.created} and rejected "
                               f"{result.rejected}: {result.errors[:3]}")

    elapsed, (contacts, audited) = _timed(engine, body)
    if contacts != count or audited != count:
        raise RuntimeError(f"the import stored {contacts} contacts and {audited} audit "
                           f"entries, not {count}")
    return elapsed


def run(engine_list: list[Engine], count: int,
        report: Callable[[Measurement], None]) -> list[Measurement]:
    rows = contact_rows(count)
    folder = tempfile.mkdtemp(prefix="accord-bench-import-")
    path = os.path.join(folder, "contacts.csv")
    write_csv(rows, path)
    out = []
    try:
        for engine in engine_list:
            raw = _raw(engine, rows, None)
            raw_csv = _raw(engine, rows, path)
            imported = _import(engine, path, count)
            m = Measurement(engine.name, count, raw, raw_csv, imported)
            report(m)
            out.append(m)
    finally:
        os.unlink(path)
        os.rmdir(folder)
    return out


def section(engine_names: list[str], count: int) -> list[Measurement]:
    """Measure and print the import table (a section of ``python -m bench``)."""
    engine_list, notes = engines(engine_names)
    print(f"CSV import: {count:,} contacts (custom field x_tier by its label) from a CSV "
          "file; import = accord.services.importing.run_import (all-or-nothing), raw = "
          "Contact.insert_many of the same rows (raw+csv: read from the file first)")
    for note in notes:
        print(f"  note: {note}")
    header = (f"  {'engine':<9}{'raw rows/s':>12}{'raw+csv rows/s':>16}{'import rows/s':>15}"
              f"{'import/raw':>12}{'import/raw+csv':>16}")
    print(header)
    print("  " + "-" * (len(header) - 2))

    def report(m: Measurement) -> None:
        flag = "" if m.ratio >= TARGET else f"  (target {TARGET})"
        print(f"  {m.engine:<9}{m.rows / m.raw_seconds:>12,.0f}"
              f"{m.rows / m.raw_csv_seconds:>16,.0f}{m.rows / m.import_seconds:>15,.0f}"
              f"{m.ratio:>12.2f}{m.csv_ratio:>16.2f}{flag}", flush=True)

    return run(engine_list, count, report)


def profile(count: int) -> str:
    """cProfile of the import on SQLite: the top functions by cumulative time."""
    import cProfile
    import io
    import pstats

    from .bulk import _SqliteFresh, _kernel

    rows = contact_rows(count)
    folder = tempfile.mkdtemp(prefix="accord-bench-import-")
    path = os.path.join(folder, "contacts.csv")
    write_csv(rows, path)
    fresh = _SqliteFresh()()
    url = next(fresh)
    try:
        kernel = _kernel(url)
        from accord.services import Actor
        from accord.services.importing import run_import

        profiler = cProfile.Profile()
        profiler.enable()
        run_import(kernel, "contact", path, actor=Actor.system("bench"))
        profiler.disable()
        kernel.close()
    finally:
        fresh.close()
        os.unlink(path)
        os.rmdir(folder)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_import",
        description="A CSV import against raw insert_many of the same rows, same run.")
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_ROWS:,} contacts instead of {ROWS:,}")
    parser.add_argument("--rows", type=int, help="contacts to import (overrides --quick)")
    parser.add_argument("--engines", default="sqlite,postgres",
                        help="comma-separated: sqlite, postgres (default both)")
    parser.add_argument("--profile", action="store_true",
                        help="instead: cProfile the import on SQLite (20,000 rows, or --rows)")
    args = parser.parse_args(argv)
    if args.profile:
        print(profile(args.rows or 20_000))
        return
    names = [n.strip() for n in args.engines.split(",") if n.strip()]
    if set(names) - {"sqlite", "postgres"}:
        sys.exit("--engines: use sqlite, postgres")
    count = args.rows or (QUICK_ROWS if args.quick else ROWS)
    started = time.perf_counter()
    print(f"Accord benchmarks: Python {platform.python_version()} on {platform.machine()}")
    section(names, count)
    print(f"\n(done in {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
