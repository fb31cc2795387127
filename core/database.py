"""Opening the database named by a URL, and the proxy every model is bound through.

Models are declared once and bound to ``db``, a proxy that resolves to the database
of the kernel in use: the one whose ``kernel.bound()`` block is active in this
context. Two kernels on two databases can therefore live in one process (the
services enter ``bound()`` on every call). There is no fallback to "the kernel
started last": a model used outside any ``bound()`` block raises an error saying so.
"""

from __future__ import annotations

import contextlib
import json
import logging
from contextvars import ContextVar
from typing import Any, Iterator
from urllib.parse import urlparse

import peewee
from playhouse.db_url import parse
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from .errors import ConfigError
from .ids import autoincrement

__all__ = ["db", "open_database", "is_postgres", "JSONField", "UnboundModelError", "masked_url",
           "sqlite_file", "CONTAINS_FUNCTION"]

#: The SQL function SQLite is given for case-insensitive search beyond ASCII:
#: ``accord_contains(text, needle)`` is 1 when ``text.lower()`` holds ``needle`` (given
#: in lower case), as PostgreSQL's ILIKE matches (see accord.query).
CONTAINS_FUNCTION = "accord_contains"


def _contains(text: Any, needle: Any) -> int:
    if text is None or needle is None:
        return 0
    return int(str(needle) in str(text).lower())

_SQLITE_PRAGMAS = (
    ("journal_mode", "wal"),
    ("foreign_keys", 1),
    ("synchronous", "normal"),
    ("busy_timeout", 10000),
    ("cache_size", -32000),
)


class _DatabaseRouter(peewee.DatabaseProxy):
    """A DatabaseProxy whose target is chosen per context: the database of the
    kernel whose ``bound()`` block is active."""

    __slots__ = ("_var",)

    def __init__(self) -> None:
        object.__setattr__(self, "_var", ContextVar("accord_database", default=None))
        object.__setattr__(self, "_callbacks", [])

    @property
    def obj(self) -> peewee.Database | None:
        return self._var.get()  # type: ignore[no-any-return]

    def __getattr__(self, attr: str) -> Any:
        target = self._var.get()
        if target is None:
            raise UnboundModelError(
                "a model was used outside a kernel: call it through accord.services, or "
                "inside 'with kernel.bound():' (or kernel.transaction())")
        return getattr(target, attr)

    def initialize(self, obj: peewee.Database | None) -> None:
        raise TypeError("the proxy has no default database; use kernel.bound()")

    @contextlib.contextmanager
    def use(self, database: peewee.Database) -> Iterator[None]:
        token = self._var.set(database)
        try:
            yield
        finally:
            self._var.reset(token)


class UnboundModelError(RuntimeError):
    """A model was queried outside any kernel's ``bound()`` block: a bug in the calling
    code (a plugin reading its tables outside a service call, say), never user input."""


#: The proxy every Accord model (core and plugins) is bound through.
db = _DatabaseRouter()


class _SqliteDatabase(PooledSqliteDatabase):  # type: ignore[misc]  # untyped playhouse
    """The pooled SQLite database, whose tables never give an id twice: every CREATE
    TABLE it runs (peewee's, a migration's raw SQL, the migration runner's) gets
    AUTOINCREMENT on its INTEGER PRIMARY KEY (see ``accord.ids``)."""

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        return super().execute_sql(autoincrement(sql), params)


#: peewee turns a driver's errors into its own inside this context manager.
_driver_errors = getattr(peewee, "__exception_wrapper__")


class _PostgresDatabase(PooledPostgresqlDatabase):  # type: ignore[misc]  # untyped playhouse
    """The pooled PostgreSQL database, which spares a transaction's bookkeeping its own
    round trips to the server.

    BEGIN, SAVEPOINT and RELEASE SAVEPOINT wait in a queue (one per thread, like the
    connection) and go with the next statement, in the same message: psycopg2 sends a
    string of statements as one simple query, which the server runs in order, and the
    cursor holds the last one's rows. A create inside a caller's transaction thus costs
    one round trip (its INSERT, which writes its audit row too), not four; a savepoint
    or a transaction inside which nothing ran costs none. When the statement carrying them
    fails, the ones before it have run, so ROLLBACK TO SAVEPOINT finds its savepoint.
    A rollback drops the queue; COMMIT goes with what is left of it. Anything that
    takes the cursor or the connection itself gets the queue sent first."""

    def _queued(self) -> list[str]:
        state = self._state
        queue: list[str] | None = getattr(state, "queued", None)
        if queue is None:
            queue = state.queued = []
        return queue

    def _take_queue(self, sql: str | None = None) -> str | None:
        queue = self._queued()
        if not queue:
            return sql
        statements = "; ".join([*queue, sql] if sql else queue)
        queue.clear()
        return statements

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        return super().execute_sql(self._take_queue(sql), params)

    def _send_queue(self) -> None:
        queued = self._take_queue()
        if queued:
            super().execute_sql(queued)

    def cursor(self, named_cursor: Any = None) -> Any:
        self._send_queue()
        return super().cursor(named_cursor)

    def connection(self) -> Any:
        self._send_queue()
        return super().connection()

    def begin(self, isolation_level: Any = None) -> None:
        level = isolation_level or self._isolation_level
        if self.is_closed():
            self.connect()
        # No transaction is open here: nothing left in the queue is still owed.
        self._queued()[:] = ["BEGIN TRANSACTION ISOLATION LEVEL "
                             + self._adapter.isolation_level_str(level) if level
                             else "BEGIN"]

    def commit(self) -> None:
        queued = self._take_queue("COMMIT")
        assert queued is not None
        if queued.startswith("BEGIN"):
            return  # the transaction ran nothing: nothing to send
        with _driver_errors:
            super().cursor().execute(queued)

    def rollback(self) -> None:
        queue = self._queued()
        ran_nothing = bool(queue) and queue[0].startswith("BEGIN")
        queue.clear()
        if not ran_nothing:
            super().rollback()

    def close(self) -> bool:
        self._queued().clear()
        return bool(super().close())

    def savepoint(self) -> peewee._savepoint:
        return _QueuedSavepoint(self)


class _QueuedSavepoint(peewee._savepoint):
    """A savepoint whose SAVEPOINT and RELEASE wait in the database's queue."""

    db: _PostgresDatabase

    def _begin(self) -> None:
        self.db._queued().append(f"SAVEPOINT {self.quoted_sid}")

    def _unsent(self) -> bool:
        """Whether its SAVEPOINT is still queued (nothing ran inside): then drop it."""
        queue = self.db._queued()
        if queue and queue[-1] == f"SAVEPOINT {self.quoted_sid}":
            queue.pop()
            return True
        return False

    def commit(self, begin: bool = True) -> None:
        if not self._unsent():
            self.db._queued().append(f"RELEASE SAVEPOINT {self.quoted_sid}")
        if begin:
            self._begin()

    def rollback(self, begin: bool = True) -> None:
        if not self._unsent():
            self.db.execute_sql(f"ROLLBACK TO SAVEPOINT {self.quoted_sid}")
        if begin:
            self._begin()


class _HideParameters(logging.Filter):
    """peewee logs every query at DEBUG as ``(sql, params)``; the values can be a
    webhook's signing secret, a password hash or personal data, and DEBUG logs end up
    in files and log services. The SQL is kept (it says what ran, and query counters
    read it), the values become ``"(parameters hidden)"``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, tuple) and len(record.msg) == 2 and record.msg[1]:
            record.msg = (record.msg[0], "(parameters hidden)")
        return True


def hide_query_parameters() -> None:
    """Keep the values of queries out of peewee's DEBUG log (once per process)."""
    target = logging.getLogger("peewee")
    if not any(isinstance(f, _HideParameters) for f in target.filters):
        target.addFilter(_HideParameters())


def open_database(url: str, *, busy_timeout: float = 10.0) -> peewee.Database:
    """Open (lazily: no connection yet) the database a URL names.

    ``sqlite:///accord.db`` (WAL, foreign keys on) and ``postgresql://user@host/name``
    (pooled) are supported. ``busy_timeout``: seconds a write waits for SQLite's write
    lock, and a PostgreSQL connection may take to open (its ``connect_timeout``),
    before failing with the error accord.unavailable answers 503.
    """
    hide_query_parameters()
    parsed = urlparse(url)
    scheme = parsed.scheme
    database: peewee.Database  # playhouse.db_url is untyped
    if scheme == "sqlite":
        if parsed.path in ("", "/"):
            raise ConfigError(f"database_url: no file in {masked_url(url)!r} "
                              "(e.g. sqlite:///accord.db)")
        # Pooled: a request returns its connection instead of closing it, so the next one
        # skips reconnecting and re-running the pragmas.
        pragmas = {**dict(_SQLITE_PRAGMAS), "busy_timeout": int(busy_timeout * 1000)}
        database = _SqliteDatabase(**parse(url), pragmas=pragmas,
                                   check_same_thread=False, max_connections=16,
                                   stale_timeout=300)
        database.register_function(_contains, CONTAINS_FUNCTION, 2, deterministic=True)
    elif scheme in ("postgres", "postgresql", "postgres+pool", "postgresql+pool"):
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            raise ConfigError(
                "database_url: PostgreSQL needs psycopg2; install accord-crm[postgres]"
            ) from None
        options: dict[str, Any] = parse(url)
        if not options.get("database"):
            raise ConfigError(f"database_url: no database name in {masked_url(url)!r} "
                              "(e.g. postgresql://user@host/accord)")
        options.setdefault("connect_timeout", max(1, round(busy_timeout)))
        database = _PostgresDatabase(**options, max_connections=32, stale_timeout=300,
                                     field_types={"JSON": "JSONB"})
    else:
        raise ConfigError(
            f"database_url: unsupported scheme {scheme!r} in {masked_url(url)!r}; "
            "use sqlite:/// or postgresql://"
        )
    return database


def masked_url(url: str) -> str:
    """``url`` fit to show: its password, if any, replaced by ``***``
    (``postgresql://postgres:***@host/db``). Messages and logs show only this form."""
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    netloc = parsed.netloc
    userinfo, _, hostinfo = netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return parsed._replace(netloc=f"{user}:***@{hostinfo}").geturl()


def sqlite_file(url: str) -> str | None:
    """The file a ``sqlite:///`` URL names (None for other engines and in-memory
    databases), as ``playhouse.db_url`` reads it."""
    parsed = urlparse(url)
    if parsed.scheme not in ("sqlite", "sqlite+pool"):
        return None
    path = parsed.path[1:] if parsed.path.startswith("/") else parsed.path
    return None if path in ("", ":memory:") else path


def is_postgres(database: Any) -> bool:
    """True when ``database`` (or the proxy's target, inside a kernel's ``bound()``)
    is PostgreSQL."""
    if isinstance(database, peewee.Proxy):
        database = database.obj
        if database is None:
            raise UnboundModelError("which engine? the model's database is asked outside "
                                    "a kernel; pass kernel.database instead")
    return isinstance(database, peewee.PostgresqlDatabase)


class JSONField(peewee.Field):
    """A JSON document: JSONB on PostgreSQL, JSON text on SQLite.

    One field class serves both engines because models are declared once and bound
    to either at run time (see docs/architecture.md).
    """

    field_type = "JSON"

    def db_value(self, value: Any) -> Any:
        if value is None:
            return None
        return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)

    def python_value(self, value: Any) -> Any:
        if value is None or not isinstance(value, (str, bytes)):
            return value
        return json.loads(value)
