"""The one table of ``python -m bench``: every figure, its raw baseline of the same run,
the ratio, the target from the issue that asked for it and whether it is met; and
``bench/RESULTS.md`` with the machine facts, the table, the gaps with their causes and
the sections' detailed output.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import platform
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .causes import CAUSES, READINGS

__all__ = ["RESULTS_PATH", "Results", "Row", "Tee", "machine_facts"]

REPO = Path(__file__).resolve().parent.parent
RESULTS_PATH = REPO / "bench" / "RESULTS.md"
#: How a ratio is compared with its target.
OPS = {">=": "≥", "<=": "≤", "<": "<"}


@dataclass
class Row:
    """One figure of the table."""

    #: The benchmark (``--only`` name) and what is measured, as a reader names it.
    bench: str
    figure: str
    engine: str
    #: Accord's figure and the raw baseline's, with their units ("" when none).
    value: str
    baseline: str
    #: The ratio compared with the target (None: a figure without a ratio).
    ratio: float | None
    #: The target and how the ratio is compared with it (None: report only).
    target: float | None = None
    op: str = ">="
    #: The issue that set the target.
    source: str = ""
    #: How the ratio reads ("accord/raw speed", "accord/raw time"...).
    ratio_means: str = ""
    #: The benchmark stopped with this error instead of measuring.
    error: str = ""

    @property
    def met(self) -> bool | None:
        if self.target is None or self.ratio is None:
            return None
        if self.op == ">=":
            return self.ratio >= self.target
        if self.op == "<=":
            return self.ratio <= self.target
        return self.ratio < self.target

    @property
    def verdict(self) -> str:
        if self.error:
            return "FAILED"
        return {None: "report", True: "met", False: "NOT MET"}[self.met]

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "—"
        text = f"{OPS[self.op]} {self.target:g}"
        if self.ratio_means.endswith("%"):
            text += " %"
        return text + (f" ({self.source})" if self.source else "")

    @property
    def ratio_text(self) -> str:
        if self.ratio is None:
            return "—"
        text = f"{self.ratio:.2f}"
        if self.target is not None and float(text) == self.target:
            text = f"{self.ratio:.3f}"  # on the line: the verdict's side shows
        return text

    @property
    def key(self) -> str:
        return f"{self.bench}: {self.figure}"


class Results:
    """The rows collected while the sections run."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.notes: list[str] = []

    def add(self, row: Row) -> None:
        self.rows.append(row)

    def table(self) -> str:
        """The rows as a Markdown table (readable as plain text too)."""
        head = ("benchmark", "figure", "engine", "accord", "raw baseline", "ratio",
                "ratio is", "target", "verdict")
        body = [(r.bench, r.figure, r.engine, r.value, r.baseline, r.ratio_text,
                 r.ratio_means, r.target_text, r.verdict) for r in self.rows]
        widths = [max(len(str(c)) for c in column) for column in zip(head, *body)]

        def line(cells: tuple[str, ...]) -> str:
            return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

        out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        out.extend(line(cells) for cells in body)
        return "\n".join(out)

    def gaps(self) -> list[str]:
        """A line per figure whose target is not met, with its cause when known."""
        out = []
        for row in self.rows:
            if row.error:
                out.append(f"- **{row.bench}**: the benchmark stopped: {row.error}")
            elif row.met is False:
                cause = CAUSES.get(f"{row.bench}/{row.engine}",
                                   CAUSES.get(row.bench, "Cause not profiled yet."))
                out.append(f"- **{row.key} ({row.engine})**: {row.ratio_text} against "
                           f"{row.target_text}. {cause}")
        return out

    def recurrent(self) -> list[str]:
        """A line per figure met in this run that has missed its target in other runs
        (a profiled cause is kept for its engine), with that cause."""
        out = []
        for row in self.rows:
            cause = CAUSES.get(f"{row.bench}/{row.engine}")
            if row.met and cause:
                out.append(f"- **{row.key} ({row.engine})**: {row.ratio_text} against "
                           f"{row.target_text}, met in this run only. {cause}")
        return out

    def counts(self) -> str:
        targeted = [r for r in self.rows if r.met is not None]
        met = sum(1 for r in targeted if r.met)
        return f"{met} of {len(targeted)} targeted figures met"


def _first_line(path: str, prefix: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                              timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _postgres_version() -> str:
    try:
        import psycopg2

        from .api import bench_url

        conn = psycopg2.connect(bench_url(), connect_timeout=3)
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW server_version")
                row = cur.fetchone()
                return str(row[0]) if row else "unknown"
        finally:
            conn.close()
    except Exception as exc:  # any reason: the fact says which
        return f"unreachable ({type(exc).__name__})"


def machine_facts(mode: str, argv: list[str]) -> list[tuple[str, str]]:
    """(name, value) pairs describing the machine and the run."""
    memory = _first_line("/proc/meminfo", "MemTotal")
    ram = f"{int(memory.split()[0]) / 1024 / 1024:.1f} GiB" if memory else "unknown"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return [
        ("Date", dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("Git commit", commit + (" (with uncommitted changes)" if dirty else "")),
        ("Mode", mode + (f" (arguments: {' '.join(argv)})" if argv else "")),
        ("CPU", f"{_first_line('/proc/cpuinfo', 'model name') or platform.processor()}, "
                f"{os.cpu_count()} logical CPUs"),
        ("RAM", ram),
        ("Load average at start (1, 5, 15 min)", load),
        ("OS", f"{platform.system()} {platform.release()} ({platform.machine()})"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL", _postgres_version()),
    ]


class Tee(io.TextIOBase):
    """Writes to the terminal and keeps a copy (the sections' detailed output)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.copy = io.StringIO()

    def write(self, text: str) -> int:
        self.stream.write(text)
        self.copy.write(text)
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def write_results(results: Results, facts: list[tuple[str, str]], detail: str,
                  path: Path | None = None) -> Path:
    """``bench/RESULTS.md``: facts, the table, the gaps, the readings and the detail."""
    gaps = results.gaps()
    parts: list[Any] = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench`); every ratio is against a raw "
        "baseline measured in the same run. Do not edit by hand: run it again.",
        "",
        "## Machine",
        "",
        *[f"- {name}: {value}" for name, value in facts],
        "",
        "## Table",
        "",
        results.counts() + ".",
        "",
        results.table(),
        "",
        "## Gaps and their causes",
        "",
        *(gaps or ["Every targeted figure is met."]),
        "",
        *(["### Met in this run, not in others", "",
           "These figures met their target in this run but missed it in other runs on "
           "the same code; the cause profiled when they miss:", "",
           *results.recurrent(), ""] if results.recurrent() else []),
        "## How to read the figures",
        "",
        *[f"- {text}" for text in READINGS],
        *[f"- {note}" for note in results.notes],
        "",
        "## Detailed output",
        "",
        "```text",
        detail.rstrip(),
        "```",
        "",
    ]
    path = path or RESULTS_PATH
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def print_table(results: Results, stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    stream.write("\n" + results.table() + "\n")
    stream.write(results.counts() + "\n")
    for line in results.gaps():
        stream.write(line + "\n")
