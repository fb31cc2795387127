"""``python -m bench --profile``: cProfile of the service's bulk create on SQLite.

Prints the functions that take the most time (cumulative, then own time), to see
where the service path spends what it costs beyond the raw insert.
"""

from __future__ import annotations

import cProfile
import io
import pstats
from typing import Any

from .bulk import Engine, _SqliteFresh, _kernel
from .data import contact_rows

__all__ = ["run", "report"]


def run(count: int, batch: int, top: int = 25) -> str:
    from accord.services import Actor, bulk_create

    rows = contact_rows(count)
    engine = Engine("sqlite", _SqliteFresh())
    gen = engine.fresh()
    url = next(gen)
    try:
        kernel = _kernel(url)
        try:
            actor = Actor.system("bench")
            profiler = cProfile.Profile()
            profiler.enable()
            for start in range(0, len(rows), batch):
                bulk_create(kernel, "contact", rows[start:start + batch], actor=actor)
            profiler.disable()
        finally:
            kernel.close()
    finally:
        gen.close()
    return report(profiler, top)


def report(profiler: Any, top: int) -> str:
    """A profile's ``top`` functions by cumulative, then by own time, without blanks."""
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return "\n".join(line for line in out.getvalue().splitlines() if line.strip())
