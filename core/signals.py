"""Signals: the core announcing what already happened, after commit.

One blinker namespace, like Flask's ``signals.py``. Every signal is sent with
``sender=kernel`` by the service layer through ``send()``, which logs and swallows
a receiver's exception so a receiver can never break the caller or the outcome.

A kernel sends through its ``Dispatcher``: the receivers run in turn on a small pool
of threads (in the caller's context, so a receiver sees the kernel it was bound to),
and the caller waits for them at most ``signal_timeout`` seconds in all. A receiver
still running then is logged as hung and left to finish on its own; the receivers
after it still run, in order, without anyone waiting. So a plugin hanging in a
receiver never holds a request, a command or a job.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable

from blinker import NamedSignal, Namespace

__all__ = [
    "signals", "send", "record_created", "record_updated", "record_deleted",
    "plugin_enabled", "plugin_disabled", "plugin_purged", "records_transferred",
    "goal_behind", "Dispatcher",
]

logger = logging.getLogger(__name__)

signals = Namespace()

#: Records were created. kwargs: record_type (str), ids (list[int]), actor.
record_created = signals.signal("record-created")
#: Records were updated. kwargs: record_type, ids, changes (list of {field: [before, after]}), actor.
record_updated = signals.signal("record-updated")
#: Records were deleted. kwargs: record_type, ids, actor.
record_deleted = signals.signal("record-deleted")
#: A user's records were moved to another owner. kwargs: from_user, to_user, counts, actor.
records_transferred = signals.signal("records-transferred")
#: A plugin was enabled / disabled / purged. kwargs: name.
plugin_enabled = signals.signal("plugin-enabled")
plugin_disabled = signals.signal("plugin-disabled")
plugin_purged = signals.signal("plugin-purged")
#: A goal fell behind its pace (found by the core job ``core.goal_pace``; sent once per
#: fall, again only after it was back on pace). kwargs: goal_id, metric, scope,
#: owner_id, team_id, day (the job's date), actual, expected, target (Decimals).
goal_behind = signals.signal("goal-behind")


def send(signal: NamedSignal, sender: Any, **kwargs: Any) -> None:
    """Send ``signal`` to each receiver in turn; a receiver's error is logged only."""
    if not signal.receivers:
        return
    for receiver in signal.receivers_for(sender):
        try:
            receiver(sender, **kwargs)
        except Exception:  # signal-receiver boundary: never break the caller
            logger.exception("receiver %r of signal %r failed", receiver, signal.name)


class Dispatcher:
    """Sends a kernel's signals on a pool of ``workers`` threads, waiting at most
    ``timeout`` seconds for the receivers of one signal. ``cleanup`` runs on the pool
    thread after each receiver (the kernel returns the thread's database connection)."""

    def __init__(self, timeout: float, *, workers: int = 4,
                 cleanup: Callable[[], None] | None = None) -> None:
        self.timeout = timeout
        self._workers = workers
        self._cleanup = cleanup
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._local = threading.local()

    def send(self, signal: NamedSignal, sender: Any, **kwargs: Any) -> None:
        if not signal.receivers:
            return
        receivers = list(signal.receivers_for(sender))
        if not receivers:
            return
        if getattr(self._local, "inside", False):
            # A receiver's own write: the caller waiting for that receiver bounds it.
            send(signal, sender, **kwargs)
            return
        deadline = time.monotonic() + self.timeout
        waiting = True
        for receiver in receivers:
            future = self._submit(receiver, signal, sender, kwargs)
            if not waiting:
                continue
            try:
                future.result(timeout=max(deadline - time.monotonic(), 0))
            except FutureTimeout:
                waiting = False
                logger.error("receiver %r of signal %r is hung: still running after %.1f "
                             "s (signal_timeout); the caller goes on without it",
                             receiver, signal.name, self.timeout)

    def _submit(self, receiver: Any, signal: NamedSignal, sender: Any,
                kwargs: dict[str, Any]) -> Future[None]:
        context = contextvars.copy_context()
        return self._executor().submit(context.run, self._run, receiver, signal, sender,
                                       kwargs)

    def _run(self, receiver: Any, signal: NamedSignal, sender: Any,
             kwargs: dict[str, Any]) -> None:
        self._local.inside = True
        try:
            receiver(sender, **kwargs)
        except Exception:  # signal-receiver boundary: never break the caller
            logger.exception("receiver %r of signal %r failed", receiver, signal.name)
        finally:
            self._local.inside = False
            if self._cleanup is not None:
                try:
                    self._cleanup()
                except Exception:  # the receiver's outcome is logged already
                    logger.exception("cleaning up after receiver %r failed", receiver)

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers,
                                                thread_name_prefix="accord-signals")
            return self._pool

    def close(self) -> None:
        """Stop taking receivers; those running finish on their own."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=False)
