"""When the database cannot answer: telling a passing outage from a bug.

A request that meets PostgreSQL unreachable (refused, restarted, a connection cut
mid-query) or SQLite's write lock held past the busy timeout is answered 503 with a
``Retry-After`` by the API (problem+json) and the pages (the error page), never 500:
nothing was written (the transaction did not commit), and the same request succeeds
once the database is back. The pool checks a connection when it lends it out, so dead
connections are dropped and the app recovers by itself. Any other database error
(no such table, a bad statement) is a bug and stays a 500.
"""

from __future__ import annotations

import peewee

__all__ = ["unavailable", "RETRY_AFTER_DOWN", "RETRY_AFTER_BUSY"]

#: Seconds a client is told to wait (``Retry-After``) when the database is unreachable.
RETRY_AFTER_DOWN = 5
#: ... and when SQLite's write lock was held by another writer past the busy timeout.
RETRY_AFTER_BUSY = 1

# SQLSTATE classes and codes of a server going away or refusing for a while:
# 08 connection exception, 57P01-57P03 admin shutdown / crash shutdown / cannot connect
# now, 53300 too many connections.
_PG_DOWN_CLASSES = ("08",)
_PG_DOWN_CODES = ("57P01", "57P02", "57P03", "53300")
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")


def unavailable(exc: BaseException) -> tuple[str, int] | None:
    """``(why, retry after seconds)`` when ``exc`` means the database is away or busy
    for now; None for any other error."""
    if not isinstance(exc, (peewee.OperationalError, peewee.InterfaceError)):
        return None
    text = str(exc).strip().lower()
    if any(busy in text for busy in _SQLITE_BUSY):
        return ("the database is busy with another write; nothing was changed, "
                "try again in a moment", RETRY_AFTER_BUSY)
    code = _sqlstate(exc)
    driver = _driver_error(exc)
    postgres = driver is not None and type(driver).__module__.startswith("psycopg2")
    down = (isinstance(exc, peewee.InterfaceError) and postgres) or (
        postgres and (code is None or code.startswith(_PG_DOWN_CLASSES)
                      or code in _PG_DOWN_CODES))
    if not down:
        return None
    return ("the database cannot be reached; nothing was changed, try again in a "
            "moment", RETRY_AFTER_DOWN)


def _driver_error(exc: BaseException) -> BaseException | None:
    """The driver's exception under peewee's wrapping (peewee re-raises with the
    original as the first argument and as context, sometimes twice over)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if not type(current).__module__.startswith("peewee"):
            return current
        nested = [c for c in (*current.args, current.__cause__, current.__context__)
                  if isinstance(c, BaseException)]
        current = nested[0] if nested else None
    return None


def _sqlstate(exc: BaseException) -> str | None:
    driver = _driver_error(exc)
    code = getattr(driver, "pgcode", None)
    return str(code) if code else None
