"""Hook overhead: one hook with 4 implementations, called many times.

Compared: a plain Python function calling the 4 functions and collecting their
results; the raw pluggy manager holding the 4 implementations; ``kernel.hooks``
with every plugin active (pluggy's own caller behind the kernel's lookup); and
``kernel.hooks`` while a fifth plugin implementing the hook is installed but
disabled, so the kernel hands out pluggy's subset caller.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import timeit
import types
from dataclasses import dataclass
from typing import Any, Callable, Iterator

__all__ = ["run", "HookMeasurement"]

IMPLS = 4
CALL = "hooks.bench_ping(value=1)"


@dataclass
class HookMeasurement:
    label: str
    ns: float


def _impl(n: int) -> Callable[[int], int]:
    def bench_ping(value: int) -> int:
        return value + n

    return bench_ping


def _plugins(count: int) -> list[types.ModuleType]:
    from accord.hooks import hookimpl
    from accord.plugins.manifest import PluginManifest

    out = []
    for n in range(count):
        module = types.ModuleType(f"bench_hooks_{n}")
        module.MANIFEST = PluginManifest(  # type: ignore[attr-defined]
            name=f"bench_hooks_{n}", version="1.0",
            hookspecs="bench.hookspecs" if n == 0 else None)
        module.bench_ping = hookimpl(_impl(n))  # type: ignore[attr-defined]
        out.append(module)
    return out


def _check(got: list[int], expected: list[int]) -> None:
    if sorted(got) != sorted(expected):
        raise RuntimeError(f"the hook returned {got}, expected the 4 results {expected}")


@contextlib.contextmanager
def _kernel(path: str, plugins: list[types.ModuleType], enabled: int,
            disabled: int = 0) -> Iterator[Any]:
    """A kernel loading ``plugins``: the first ``enabled`` enabled, the next
    ``disabled`` enabled and then disabled."""
    from accord.config import Config
    from accord.kernel import Accord
    from accord.services import Actor
    from accord.services.plugins import disable, enable

    kernel = Accord(Config(database_url=f"sqlite:///{path}", discover_plugins=False),
                    plugins=plugins).start(upgrade=True)
    try:
        actor = Actor.system("bench")
        for module in plugins[:enabled + disabled]:
            enable(kernel, module.__name__, actor=actor)
        for module in plugins[enabled:enabled + disabled]:
            disable(kernel, module.__name__, actor=actor)
        yield kernel
    finally:
        kernel.close()


def _best_ns(stmt: str, names: dict[str, Any], number: int, repeat: int) -> float:
    """The best of ``repeat`` runs, per call (no wrapper: the statement is timed as is)."""
    timer = timeit.Timer(stmt, globals=names)
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e9


def run(number: int = 200_000, repeat: int = 5) -> list[HookMeasurement]:
    import pluggy

    from accord.hooks import PROJECT

    from . import hookspecs

    functions = [_impl(n) for n in range(IMPLS)]
    f0, f1, f2, f3 = functions

    def plain(value: int) -> list[int]:
        return [f3(value), f2(value), f1(value), f0(value)]

    raw = pluggy.PluginManager(PROJECT)
    raw.add_hookspecs(hookspecs)
    for module in _plugins(IMPLS):
        raw.register(module, name=module.__name__)
    raw_hook = raw.hook

    folder = tempfile.mkdtemp(prefix="accord-bench-hooks-")
    try:
        # Exactly the 4 plugins, all enabled: the kernel hands out pluggy's caller.
        with _kernel(os.path.join(folder, "active.db"), _plugins(IMPLS), IMPLS) as kernel:
            if type(kernel.plugins.caller("bench_ping")).__name__ == "_SubsetHookCaller":
                raise RuntimeError("expected pluggy's own caller with every plugin active")
            _check(kernel.hooks.bench_ping(value=1), plain(1))
            active = _best_ns(CALL, {"hooks": kernel.hooks}, number, repeat)
        # A fifth implementation installed but disabled: pluggy's subset caller.
        with _kernel(os.path.join(folder, "subset.db"), _plugins(IMPLS + 1), IMPLS,
                     disabled=1) as kernel:
            if type(kernel.plugins.caller("bench_ping")).__name__ != "_SubsetHookCaller":
                raise RuntimeError("expected pluggy's subset caller with a plugin disabled")
            _check(kernel.hooks.bench_ping(value=1), plain(1))
            subset = _best_ns(CALL, {"hooks": kernel.hooks}, number, repeat)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    return [
        HookMeasurement("plain Python call of the 4 functions",
                        _best_ns("plain(value=1)", {"plain": plain}, number, repeat)),
        HookMeasurement("raw pluggy (pm.hook.<name>)",
                        _best_ns(CALL, {"hooks": raw_hook}, number, repeat)),
        HookMeasurement("kernel.hooks, all plugins active", active),
        HookMeasurement("kernel.hooks, subset caller (1 disabled)", subset),
    ]
