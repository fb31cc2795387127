"""The hook the hook-overhead benchmark calls (declared by its first plugin)."""

from __future__ import annotations

from accord.hooks import hookspec


@hookspec
def bench_ping(value: int) -> int:  # type: ignore[empty-body]
    """Return something derived from ``value`` (the benchmark's 4 implementations)."""
