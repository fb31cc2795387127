"""Who is calling: the bearer token of a request, turned into a restricted actor.

Wrong tokens are throttled per client address: after ``MAX_BAD_TOKENS`` wrong tokens
within ``BAD_TOKEN_WINDOW`` seconds, every request of that client sending a token
is answered 429 with ``Retry-After`` (the seconds until the oldest of those failures
leaves the window), the right token included, so guessing gains no answer; requests
refused so are not counted. A valid request costs one dictionary lookup. The counts
live in the web worker's memory (``app.extensions["accord.bad_tokens"]``): each
worker counts its own, which bounds guessing to ``MAX_BAD_TOKENS`` per window per
worker (tokens carry 256 random bits; the throttle keeps a scanner from hammering
the database, it is not what keeps tokens secret). Behind a reverse proxy, give the
app the client's address (werkzeug's ``ProxyFix``), or every client shares one count.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Callable

from flask import current_app, g, request

from ..services.tokens import actor_for_token
from .problems import ApiError

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..services.actors import Actor

__all__ = ["authenticate", "current_actor", "BadTokenThrottle", "MAX_BAD_TOKENS",
           "BAD_TOKEN_WINDOW"]

#: Wrong bearer tokens one client address may send within ``BAD_TOKEN_WINDOW``.
MAX_BAD_TOKENS = 20
#: Seconds.
BAD_TOKEN_WINDOW = 60.0
#: Client addresses a worker keeps counts for; past it, the idle ones are forgotten.
_MAX_CLIENTS = 10_000
_EXTENSION = "accord.bad_tokens"


class BadTokenThrottle:
    """Wrong tokens per client address within a sliding window, in memory."""

    def __init__(self, limit: int = MAX_BAD_TOKENS, window: float = BAD_TOKEN_WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Whole seconds (at least 1) until ``client`` may send a token again; 0 now."""
        if client not in self._failures:  # the common case, without the lock
            return 0
        with self._lock:
            times = self._failures.get(client)
            if times is None:
                return 0
            now = self.clock()
            self._expire(times, now)
            if not times:
                del self._failures[client]
            if len(times) < self.limit:
                return 0
            return max(1, math.ceil(times[0] + self.window - now))

    def failed(self, client: str) -> None:
        """Count one wrong token of ``client``."""
        with self._lock:
            now = self.clock()
            times = self._failures.setdefault(client, deque())
            self._expire(times, now)
            times.append(now)
            if len(self._failures) > _MAX_CLIENTS:
                for key in [k for k, v in self._failures.items()
                            if not v or v[-1] <= now - self.window]:
                    del self._failures[key]

    def _expire(self, times: deque[float], now: float) -> None:
        while times and times[0] <= now - self.window:
            times.popleft()


def _throttle() -> BadTokenThrottle:
    throttle = current_app.extensions.get(_EXTENSION)
    if throttle is None:
        throttle = current_app.extensions.setdefault(_EXTENSION, BadTokenThrottle())
    return throttle  # type: ignore[no-any-return]


def authenticate(kernel: Accord) -> None:
    """Set ``g.actor`` from ``Authorization: Bearer <token>``, or answer 401 (429 to a
    client that sent too many wrong tokens)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "send an API token: Authorization: Bearer <token> "
                            "(create one with 'accord tokens create USER')",
                       WWW_Authenticate='Bearer realm="accord"')
    throttle = _throttle()
    client = request.remote_addr or "unknown"
    wait = throttle.retry_after(client)
    if wait:
        raise ApiError(429, f"too many wrong API tokens from this address; try again in "
                            f"{wait} s", Retry_After=str(wait))
    actor = actor_for_token(kernel, token.strip())
    if actor is None:
        throttle.failed(client)
        raise ApiError(401, "the token is unknown, revoked, or its user is deactivated",
                       WWW_Authenticate='Bearer realm="accord", error="invalid_token"')
    g.actor = actor


def current_actor() -> Actor:
    return g.actor  # type: ignore[no-any-return]
