"""Cold start of the command line: ``accord --help`` against the bare imports of the
stack, ``python -c "import flask, peewee, marshmallow, pluggy, click"``.

Each is a new interpreter (``sys.executable``, so the same virtualenv and the same
bytecode caches), run several times taking turns, after one untimed run of each to
warm the caches; the figure is the median wall time. ``accord --help`` is run as
``python -c "from accord.cli import main; main()" --help``: the console script's
own body, without its wrapper's extra import of ``re``/``sys``. The ratio is accord
time / bare time; the target ``TARGET`` (≤ 0.5) reads "``accord --help`` imports
nothing heavy, so it starts in at most half the time the stack's imports take".
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

__all__ = ["QUICK_RUNS", "RUNS", "TARGET", "Measurement", "measure"]

TARGET = 0.5
RUNS = 21
QUICK_RUNS = 9
ACCORD = ["-c", "import sys; sys.argv[0] = 'accord'; from accord.cli import main; main()",
          "--help"]
BARE = ["-c", "import flask, peewee, marshmallow, pluggy, click"]
#: Modules ``accord --help`` must not import (checked once, untimed).
HEAVY = ("flask", "peewee", "marshmallow", "pluggy", "huey", "openpyxl", "psycopg2")


@dataclass
class Measurement:
    runs: int
    accord_ms: float
    bare_ms: float
    python_ms: float
    #: Heavy modules ``accord --help`` imported (should be none).
    heavy: list[str]

    @property
    def ratio(self) -> float:
        return self.accord_ms / self.bare_ms


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "PYTHON"))}


def _run(args: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], env=_env(), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited with {done.returncode}: "
                           f"{done.stderr.strip()[-300:]}")
    return elapsed


def heavy_imports() -> list[str]:
    """The heavy modules in ``sys.modules`` after ``accord --help``."""
    probe = ("import sys, io, contextlib; sys.argv = ['accord', '--help']\n"
             "from accord.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    try:\n        main()\n    except SystemExit:\n        pass\n"
             f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], env=_env(), capture_output=True,
                          text=True, check=True)
    return [m for m in done.stdout.strip().split(",") if m]


def measure(runs: int = RUNS) -> Measurement:
    commands = (ACCORD, BARE, ["-c", "pass"])
    for args in commands:
        _run(args)
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for args, spent in zip(commands, times):
            spent.append(_run(args))
    accord, bare, python = (statistics.median(t) * 1000 for t in times)
    return Measurement(runs, accord, bare, python, heavy_imports())
