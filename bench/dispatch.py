"""Hook dispatch per write, with the four shipped plugins enabled.

One kernel with the sales, service, marketing and competitors plugins enabled creates
contacts one by one through ``accord.services.create`` (one transaction per round),
in two modes taking turns, each with its own rows:

- as is: ``kernel.hooks.<name>`` is pluggy's hook caller (the kernel's cache of the
  callers of the active plugins);
- no-op: every hook caller replaced by a function returning ``[]`` (``None`` for a
  ``firstresult`` hook): dispatch AND the implementations' work taken out.

The best round of each gives microseconds per create; their difference is the hooks'
whole cost (the core's own defaults, validation and outbox implementations included,
so it is printed for information, and it is within the noise of a shared machine).

The targeted figure is pluggy's dispatch alone, measured directly: a separate pass
counts the hook calls of one create and keeps each hook's arguments; then each hook
caller, its implementations' functions swapped for a function doing nothing, is
timed (best of 5 x many calls) against a plain Python loop over the same do-nothing
functions in pluggy's order (arguments picked by name, ``None`` dropped,
``firstresult`` honoured). (pluggy − plain) x calls per create, in percent of one
create as is: target ``TARGET`` (< 5 %).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import gc
import time
import timeit
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from .bulk import Engine, engines
from .data import contact_rows

__all__ = ["CREATES", "QUICK_CREATES", "TARGET", "Measurement", "engines", "run"]

TARGET = 5.0
CREATES = 1_000
QUICK_CREATES = 300
ROUNDS = 5
QUICK_ROUNDS = 3
MODES = ("as is", "no-op")
#: Calls per timing of one hook's dispatch.
NUMBER = 20_000


@dataclass
class Measurement:
    engine: str
    creates: int
    #: Microseconds per create, best round, by mode.
    us: dict[str, float]
    #: Hook calls per create, by hook name.
    calls: dict[str, float]
    #: Nanoseconds per call of each hook's dispatch: (pluggy, plain loop).
    dispatch_ns: dict[str, tuple[float, float]]

    @property
    def dispatch_us(self) -> float:
        """pluggy's dispatch beyond a plain loop, microseconds per create."""
        return sum((pluggy - plain) * self.calls[name] for name, (pluggy, plain)
                   in self.dispatch_ns.items()) / 1000

    @property
    def overhead(self) -> float:
        """Pluggy's dispatch, percent of one create."""
        return self.dispatch_us / self.us["as is"] * 100

    @property
    def hooks_share(self) -> float:
        """The hooks' whole cost (dispatch and implementations), percent of one create."""
        return (self.us["as is"] - self.us["no-op"]) / self.us["as is"] * 100


def _kernel(url: str) -> Any:
    import accord_competitors.hooks
    import accord_marketing.hooks
    import accord_sales.hooks
    import accord_service.hooks

    from .data import plugin_kernel

    return plugin_kernel(url, accord_sales.hooks, accord_service.hooks,
                         accord_marketing.hooks, accord_competitors.hooks)


def _plain(caller: Any) -> Callable[..., Any]:
    impls = list(reversed(caller.get_hookimpls()))
    if any(getattr(i, "hookwrapper", False) or getattr(i, "wrapper", False) for i in impls):
        return caller  # type: ignore[no-any-return]
    prepared = [(i.function, tuple(i.argnames)) for i in impls]
    first = bool(caller.spec and caller.spec.opts.get("firstresult"))

    def call(**kwargs: Any) -> Any:
        results = []
        for function, names in prepared:
            result = function(*[kwargs[n] for n in names])
            if result is not None:
                if first:
                    return result
                results.append(result)
        return None if first else results

    return call


def _noop(caller: Any) -> Callable[..., Any]:
    first = bool(caller.spec and caller.spec.opts.get("firstresult"))

    def call(**kwargs: Any) -> Any:
        return None if first else []

    return call


def _counting(caller: Any, name: str, seen: collections.Counter[str],
              arguments: dict[str, dict[str, Any]]) -> Callable[..., Any]:
    def call(**kwargs: Any) -> Any:
        seen[name] += 1
        arguments[name] = kwargs
        return caller(**kwargs)

    return call


def _nothing(*args: Any) -> None:
    return None


def _best_ns(call: Callable[[], Any], number: int) -> float:
    return min(timeit.repeat(call, number=number, repeat=5)) / number * 1e9


def dispatch_ns(kernel: Any, arguments: dict[str, dict[str, Any]],
                number: int = NUMBER) -> dict[str, tuple[float, float]]:
    """Each hook's dispatch, its implementations doing nothing: (pluggy, plain) ns."""
    out = {}
    for name, kwargs in arguments.items():
        caller = kernel.plugins.caller(name)
        impls = caller.get_hookimpls()
        saved = [impl.function for impl in impls]
        try:
            for impl in impls:
                impl.function = _nothing
            plain = _plain(caller)
            out[name] = (_best_ns(functools.partial(caller, **kwargs), number),
                         _best_ns(functools.partial(plain, **kwargs), number))
        finally:
            for impl, function in zip(impls, saved):
                impl.function = function
    return out


@contextlib.contextmanager
def _replaced(kernel: Any, make: Callable[[Any, str], Callable[..., Any]] | None) -> Iterator[None]:
    """Every hook of ``kernel.hooks`` replaced by ``make(caller, name)`` (None: as is)."""
    hooks = kernel.plugins.hooks
    if make is None:
        yield
        return
    for name in kernel.plugins.hook_names():
        caller = kernel.plugins.caller(name)
        if caller.is_historic():
            continue
        hooks.__dict__[name] = make(caller, name)
    try:
        yield
    finally:
        hooks._forget()


def _creates(kernel: Any, rows: list[dict[str, Any]]) -> float:
    from accord.services import Actor, create

    actor = Actor.system("bench")
    gc.collect()
    start = time.perf_counter()
    with kernel.transaction():
        for row in rows:
            create(kernel, "contact", row, actor=actor)
    return time.perf_counter() - start


def measure(engine: Engine, creates: int, rounds: int) -> Measurement:
    makers: dict[str, Callable[[Any, str], Callable[..., Any]] | None] = {
        "as is": None, "no-op": lambda c, n: _noop(c)}
    rows = [{k: v for k, v in row.items() if not k.startswith("x_")}
            for row in contact_rows(creates * (rounds * len(MODES) + 2))]
    chunks = iter(rows[at:at + creates] for at in range(0, len(rows), creates))
    best: dict[str, float] = {}
    gen = engine.fresh()
    url = next(gen)
    try:
        kernel = _kernel(url)
        try:
            _creates(kernel, next(chunks))  # warm-up: caches, statements, the table
            for _ in range(rounds):
                for mode in MODES:
                    with _replaced(kernel, makers[mode]):
                        spent = _creates(kernel, next(chunks))
                    best[mode] = min(best.get(mode, spent), spent)
            seen: collections.Counter[str] = collections.Counter()
            arguments: dict[str, dict[str, Any]] = {}
            with _replaced(kernel, lambda c, n: _counting(c, n, seen, arguments)):
                _creates(kernel, next(chunks))
            with kernel.bound():
                timed = dispatch_ns(kernel, arguments)
        finally:
            kernel.close()
    finally:
        gen.close()
    return Measurement(engine.name, creates, {m: s / creates * 1e6 for m, s in best.items()},
                       {k: v / creates for k, v in seen.most_common()}, timed)


def run(engine_list: list[Engine], creates: int, rounds: int,
        report: Callable[[Measurement], None]) -> list[Measurement]:
    out = []
    for engine in engine_list:
        m = measure(engine, creates, rounds)
        report(m)
        out.append(m)
    return out
