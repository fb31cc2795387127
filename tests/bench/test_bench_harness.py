"""``python -m bench`` on tiny sizes: every benchmark runs, lands in the one table and in
the results file with the machine facts. Nothing here asserts a timing."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import __main__ as harness
from bench import api, dispatch, faults, load, rss, sales, scale, startup
from bench import bench_marketing_tiers as tiers
from bench import bench_service_metrics as service
from bench.table import Results, Row, write_results


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every benchmark's --quick sizes shrunk to seconds in all."""
    monkeypatch.setattr(startup, "QUICK_RUNS", 1)
    monkeypatch.setattr(dispatch, "QUICK_CREATES", 5)
    monkeypatch.setattr(dispatch, "QUICK_ROUNDS", 1)
    monkeypatch.setattr(dispatch, "NUMBER", 10)
    monkeypatch.setattr(rss, "CONTACTS", 60)
    monkeypatch.setattr(rss, "ROUNDS", 1)
    monkeypatch.setattr(api.Sizes, "quick", classmethod(lambda cls: cls(
        contacts=120, deep_rows=300, requests=10, seconds=2.0, rounds=1, clients=2,
        warmup=2, repeats=2)))
    monkeypatch.setattr(sales, "QUICK_OPPORTUNITIES", 120)
    for name, value in (("QUICK_TICKETS", 150), ("CUSTOMERS", 20), ("ACTIVITIES", 40),
                        ("ORDERS", 60), ("OWNERS", 4), ("TEAMS", 2)):
        monkeypatch.setattr(service, name, value)
    monkeypatch.setattr(tiers, "CUSTOMERS", 400)
    monkeypatch.setattr(tiers, "ORDERS", 1_000)
    # The runs of whole installations (processes, Redis, minutes each) have their own
    # tests (tests/core/test_faults_*.py, test_scale_*.py); here only their rows.
    monkeypatch.setattr(load, "main", lambda argv: 0)
    monkeypatch.setattr(faults, "main", lambda argv: 1)
    monkeypatch.setattr(scale, "generated", lambda engines, size, repeats: [
        scale.Result(engine, size, written_s=2.0, figures=[scale.Figure(
            "contacts page 10,000 / page 1", 1.0, 1.0)]) for engine in engines])


def test_bench_every_benchmark_lands_in_the_table_and_the_file(
        tiny: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "RESULTS.md"
    harness.main(["--quick", "--engines", "sqlite", "--rows", "30", "--batch", "10",
                  "--output", str(output)])
    printed = capsys.readouterr().out
    written = output.read_text(encoding="utf-8")

    table = [line for line in written.split("## Table", 1)[1].split("##", 1)[0].splitlines()
             if line.startswith("| ") and not line.startswith("| benchmark")]
    benches = {line.split("|")[1].strip() for line in table}
    assert benches == set(harness.NAMES)
    for line in table:
        parts = [c.strip() for c in line.strip("|").split("|")]
        assert parts[-1] in ("met", "NOT MET", "report"), line
        assert parts[3] and parts[4], line  # a figure and its baseline
    # The one table is printed after the sections, as written.
    assert table[0] in printed and table[-1] in printed
    assert "targeted figures met" in printed
    # The new targets.
    cells: dict[tuple[str, str], list[str]] = {}
    for line in table:  # the first row of each benchmark and engine
        row = [x.strip() for x in line.strip("|").split("|")]
        cells.setdefault((row[0], row[2]), row)
    assert cells["create_one", "sqlite"][1] == "services.create x 30, one transaction"
    assert cells["create_one", "sqlite"][7] == "≥ 0.5 (#17)"
    assert cells["api", "sqlite"][7] == "≥ 0.7 (#17)"
    assert cells["startup", "—"][7] == "≤ 0.5 (#17)"
    assert cells["dispatch", "sqlite"][7] == "< 5 % (#17)"
    assert cells["rss", "sqlite"][3].endswith(" MiB")
    assert cells["load", "postgres"][3:] == ["all checks met", "—", "1.000", "checks met",
                                             "≥ 1 (#17)", "met"]
    assert cells["faults", "postgres"][3] == "a check not met (see bench/FAULTS.md)"
    assert cells["faults", "postgres"][-1] == "NOT MET"
    assert cells["scale", "sqlite"][1] == "accord demo --scale 0.01"
    # The machine facts and the run's mode.
    for fact in ("- CPU: ", "- RAM: ", "- Python: CPython", "- SQLite: 3.", "- PostgreSQL: ",
                 "- Date: 2", "- Git commit: ", "- Mode: --quick"):
        assert fact in written
    assert "## Detailed output" in written and "Cold start: `accord --help`" in written


def test_bench_only_one_benchmark_and_no_write(tmp_path: Path, tiny: None,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "RESULTS.md"
    harness.main(["--quick", "--only", "dispatch", "--engines", "sqlite", "--no-write",
                  "--output", str(output)])
    printed = capsys.readouterr().out
    assert not output.exists()
    assert "| dispatch  | hook dispatch per create, 4 plugins | sqlite " in printed
    assert "1 of 1 targeted figures met" in printed or "0 of 1 targeted figures met" in printed
    assert "Bulk create" not in printed


def test_bench_unknown_engine_stops_before_any_work(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        harness.main(["--engines", "sqlite,mysql", "--no-write"])
    assert stopped.value.code == "--engines: unknown engine mysql (use sqlite, postgres)"
    assert "Accord benchmarks" not in capsys.readouterr().out


@pytest.mark.skipif(not os.environ.get("ACCORD_TEST_DATABASE_URL"),
                    reason="ACCORD_TEST_DATABASE_URL is not set")
def test_bench_create_one_on_postgres(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ACCORD_BENCH_DATABASE_URL", os.environ["ACCORD_TEST_DATABASE_URL"])
    output = tmp_path / "RESULTS.md"
    harness.main(["--only", "create_one", "--rows", "20", "--engines", "postgres",
                  "--output", str(output)])
    written = output.read_text(encoding="utf-8")
    assert "| create_one | services.create x 20, one transaction | postgres " in written
    assert "PostgreSQL skipped" not in written


def test_bench_table_verdicts_and_gaps(tmp_path: Path) -> None:
    results = Results()
    rows: list[Any] = [
        Row("api", "list", "postgres", "1 req/s", "2 req/s", 0.5, 0.7, source="#17"),
        Row("startup", "help", "—", "50 ms", "200 ms", 0.25, 0.5, "<="),
        Row("dispatch", "hooks", "sqlite", "5 us", "100 us", 5.0, 5.0, "<",
            ratio_means="dispatch/create %"),
        Row("rss", "peak", "sqlite", "120 MiB", "40 MiB", 3.0, None),
        Row("create_one", "one by one", "sqlite", "2 rows/s", "3 rows/s", 0.6, 0.5),
    ]
    for row in rows:
        results.add(row)
    assert [r.verdict for r in rows] == ["NOT MET", "met", "NOT MET", "report", "met"]
    assert rows[2].target_text == "< 5 %"
    assert results.counts() == "2 of 4 targeted figures met"
    path = write_results(results, [("CPU", "test CPU")], "detail line", tmp_path / "R.md")
    text = path.read_text(encoding="utf-8")
    assert "- CPU: test CPU" in text
    # A known gap carries its profiled cause; an unknown one says it is not profiled.
    from bench.causes import CAUSES

    assert f"- **api: list (postgres)**: 0.50 against ≥ 0.7 (#17). {CAUSES['api/postgres']}" \
        in text
    assert "- **dispatch: hooks (sqlite)**: 5.000 against < 5 %. Cause not profiled yet." in text
    assert "detail line" in text
    # A figure met here that has a profiled gap on its engine is listed apart.
    assert "### Met in this run, not in others" in text
    assert "- **create_one: one by one (sqlite)**: 0.60 against ≥ 0.5, met in this run only." \
        in text


def test_bench_a_benchmark_that_stops_is_named_and_the_rest_still_written(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    def broken(args: Any, results: Results) -> None:
        raise RuntimeError("database went away\nsecond line")

    monkeypatch.setitem(harness.SECTIONS, "rss", broken)
    output = tmp_path / "RESULTS.md"
    harness.main(["--only", "rss", "--output", str(output)])
    printed = capsys.readouterr().out
    assert "  error: RuntimeError: database went away\n" in printed
    written = output.read_text(encoding="utf-8")
    assert "| FAILED  |" in written
    assert "- **rss**: the benchmark stopped: RuntimeError: database went away\n" in written
