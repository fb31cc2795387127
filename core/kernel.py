"""The Accord kernel: configuration, database, plugins, record types and signals.

Python code, the CLI and the web app are thin faces over one ``Accord`` object.
The constructor does no I/O; ``start()`` opens the database and loads plugins.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from typing import Any, Iterator
from urllib.parse import urlparse

import marshmallow as ma
import peewee
from blinker import NamedSignal

from . import signals as _signals
from .config import Config
from .customfields import CustomFields, from_json
from .database import db, is_postgres, masked_url, open_database, sqlite_file
from .errors import AccordError, ConfigError, describe_messages
from .migrating import Migrations
from .plugins.discovery import Candidate, from_entry_points, from_folder, from_object
from .plugins.manager import CORE, PluginManager
from .records import Permission, RecordAction, RecordType, RecordTypes, TimelineItem
from .rolegrants import RoleGrants, collect_role_grants

__all__ = ["Accord"]

logger = logging.getLogger(__name__)


class Accord:
    """One CRM instance: owns its config, database, plugin manager and registries.

    Two kernels on two databases can live in one process: each owns its state, and
    what is shared routes per kernel (models go through the ``accord.database.db``
    proxy to the database of the kernel whose ``bound()`` block is active; signals are
    sent with ``sender=kernel``).
    """

    def __init__(self, config: Config | None = None, *, plugins: list[Any] | None = None) -> None:
        self.config = config or Config()
        self.database: peewee.Database | None = None
        self.plugins = PluginManager(self)
        self.hooks = self.plugins.hooks
        self.records = RecordTypes(unavailable=self._not_running)
        self.fields = CustomFields(self)
        self.migrations = Migrations(self)
        self.permissions: dict[str, tuple[str, Permission]] = {}
        #: What the running plugins give the built-in roles, by role (register_role_grants).
        self.role_grants: dict[str, RoleGrants] = {}
        #: The running plugins' record actions by (record type, action name).
        self.actions: dict[tuple[str, str], RecordAction] = {}
        #: Free room for plugins' per-kernel state, keyed by their own names.
        self.stash: dict[str, Any] = {}
        self.started = False
        self._code_plugins = list(plugins or [])
        self._seen: dict[str, int] = {}
        #: Plugins told ``kernel_started``; None until start() has told the first ones.
        self._announced: set[str] | None = None
        self._schemas: dict[tuple[str, Any], ma.Schema] = {}
        self._stored_settings: dict[str, dict[str, Any]] = {}
        self._settings: dict[str, dict[str, Any]] = {}
        self._local = threading.local()
        self._reloading = threading.RLock()
        #: Sends this kernel's signals on a few threads, waiting signal_timeout at most.
        self.signals = _signals.Dispatcher(self.config.signal_timeout,
                                           cleanup=self.release_connection)

    # Life cycle -----------------------------------------------------------

    def start(self, *, upgrade: bool = False) -> Accord:
        """Open the database, load plugins, and (with ``upgrade``) apply the core's
        pending migrations. Raises ConfigError when the database is not set up."""
        if self.started:
            return self
        logging.getLogger("accord").setLevel(self.config.log_level)
        url = self.config.database_url
        shown = masked_url(url)
        path = sqlite_file(url)
        if not upgrade and path is not None and not os.path.exists(path):
            # Connecting would create an empty file: only init and db upgrade create one.
            raise ConfigError(f"no database at {path}; run 'accord init'")
        self.database = open_database(url, busy_timeout=self.config.busy_timeout)
        try:
            with self.bound():
                self.database.connect(reuse_if_open=True)
        except peewee.OperationalError as exc:
            detail = str(exc).strip().splitlines()[0]
            password = urlparse(url).password
            if password:
                detail = detail.replace(password, "***")
            raise ConfigError(f"database_url: cannot connect to {shown}: {detail}") from None
        from . import builtin

        self.plugins.register_core(builtin)
        self.plugins.load(self._candidates())
        if os.environ.get("ACCORD_TRACE_HOOKS") == "1":
            self._trace_hooks()
        with self.bound():
            if upgrade:
                self.migrations.upgrade("core")
            if not self.is_initialised():
                raise ConfigError(f"the database {shown} is not set up; "
                                  "run 'accord init' (or 'accord db upgrade')")
            self.started = True
            self._refresh(force=True)
            self.fields.create_config_indexes()
        self.plugins.caller("kernel_started").call_historic(kwargs={"kernel": self})
        self._announced = set(self.plugins.active)
        return self

    def close(self) -> None:
        """Release the database connections."""
        self.signals.close()
        if self.database is not None and not self.database.is_closed():
            self.database.close()
        if isinstance(self.database, peewee.Database) and hasattr(self.database, "close_all"):
            self.database.close_all()
        self.started = False

    def __enter__(self) -> Accord:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _candidates(self) -> list[Candidate]:
        found = [from_object(obj) for obj in self._code_plugins]
        if self.config.plugins_dir:
            if not os.path.isdir(self.config.plugins_dir):
                raise ConfigError(f"plugins_dir: {self.config.plugins_dir!r} is not a folder")
            found += from_folder(self.config.plugins_dir)
        if self.config.discover_plugins:
            found += from_entry_points()
        return found

    def _trace_hooks(self) -> None:
        def before(hook_name: str, impls: Any, kwargs: Any) -> None:
            logger.warning("hook %s -> %s", hook_name, [i.plugin_name for i in impls])

        def after(outcome: Any, hook_name: str, impls: Any, kwargs: Any) -> None:
            logger.warning("hook %s done", hook_name)

        self.plugins.pm.add_hookcall_monitoring(before, after)

    # Database ---------------------------------------------------------------

    @contextlib.contextmanager
    def bound(self) -> Iterator[None]:
        """Route every model to this kernel's database within the block."""
        assert self.database is not None, "start() the kernel first"
        with db.use(self.database):
            yield

    @contextlib.contextmanager
    def transaction(self, *, toggle: bool = False) -> Iterator[None]:
        """One transaction; signals emitted inside wait for the outermost commit.

        The outermost one holds the plugin-state lock until it ends and syncs the
        kernel under it: shared by writes, exclusive for a transaction that changes
        plugin states (``toggle``). A toggle therefore waits for the writes in
        progress, and a write that begins after a toggle works with the states it
        left (services refuse a write whose record type stopped running)."""
        with self.bound():
            outermost = not getattr(self._local, "depth", 0)
            if outermost:
                self._local.pending = []
            self._local.depth = getattr(self._local, "depth", 0) + 1
            assert self.database is not None  # bound() has checked it
            # SQLite: take the write lock when the transaction begins (BEGIN IMMEDIATE),
            # so concurrent writers wait their turn (busy_timeout) instead of failing
            # with "database is locked" when one that read first then writes.
            postgres = is_postgres(self.database)
            options = {} if postgres else {"lock_type": "IMMEDIATE"}
            try:
                with self.database.atomic(**options):
                    if self.started and (outermost or toggle):
                        self._hold_plugin_states(postgres, toggle)
                    yield
            except BaseException:
                if outermost:
                    self._local.pending = []
                raise
            finally:
                self._local.depth -= 1
        if outermost:
            pending, self._local.pending = self._local.pending, []
            for signal, kwargs in pending:
                self.signals.send(signal, self, **kwargs)

    def in_transaction(self) -> bool:
        """Whether this thread is inside ``transaction()``."""
        return bool(getattr(self._local, "depth", 0))

    def _hold_plugin_states(self, postgres: bool, exclusive: bool) -> None:
        """Take the plugin-state lock for the rest of the transaction, then sync.

        PostgreSQL: a transaction-scoped advisory lock (nothing written, no row
        locked), taken before the counters are read, so the read sees every toggle
        that finished. SQLite: the transaction's IMMEDIATE write lock serialises
        writers and toggles already."""
        assert self.database is not None
        if postgres:
            kind = "" if exclusive else "_shared"
            self.database.execute_sql(f"SELECT pg_advisory_xact_lock{kind}(%s)",
                                      (_PLUGIN_STATE_LOCK,))
        self._refresh()

    def emit(self, signal: NamedSignal, **kwargs: Any) -> None:
        """Send a signal now, or after the outermost commit when in a transaction."""
        if getattr(self._local, "depth", 0):
            self._local.pending.append((signal, kwargs))
        else:
            self.signals.send(signal, self, **kwargs)

    def release_connection(self) -> None:
        """Give this thread's database connection back to the pool (outside a
        transaction). Long-lived threads (job and delivery loops, signal threads) call it
        after each unit of work, as a web request does at its end: the pool checks a
        connection when it lends it, so one that died meanwhile (the database restarted)
        is replaced instead of failing every later pass."""
        database = self.database
        if database is not None and not database.is_closed() and not database.in_transaction():
            database.close()

    def is_initialised(self) -> bool:
        from .models import KernelMeta

        # table_exists is unannotated in peewee-stubs.
        return bool(KernelMeta.table_exists())  # type: ignore[no-untyped-call]

    # Keeping every process in step -----------------------------------------

    def sync(self, seen: dict[str, int] | None = None) -> None:
        """Pick up plugin toggles and field changes made by any process: one cheap
        read of two counters, and a reload only when one moved. ``seen``: the counters
        (the rows of ``accord_meta``) as a caller read them in a statement of its own
        (the API's token lookup), so that nothing is read here unless one moved."""
        if not self.started:
            raise AccordError("the kernel is not started; call start() first")
        with self.bound():
            self._refresh(seen=seen)

    def _refresh(self, force: bool = False, seen: dict[str, int] | None = None) -> None:
        # Asked on every request and service call: a fixed statement, never re-rendered.
        assert self.database is not None
        if seen is None:
            seen = dict(self.database.execute_sql(_COUNTERS_SQL).fetchall())
        if not force and seen == self._seen:
            return
        # Threads sharing this kernel (a threaded web worker) reload one at a time, and
        # the counters count as seen only once the reload is done: a thread that finds
        # them equal (a write checking its record type in its transaction) finds the
        # states they stand for loaded, never half-way.
        with self._reloading:
            if not force and seen == self._seen:
                return  # another thread reloaded meanwhile
            self._reload(seen, force)

    def _reload(self, seen: dict[str, int], force: bool) -> None:
        from .models import PluginState

        rows = list(PluginState.select())
        self._stored_settings = {row.name: dict(row.settings or {}) for row in rows}
        self._settings.clear()
        if force:
            self._check_settings()
        self.plugins.set_states({row.name: row.state for row in rows})
        self._rebuild()
        self._seen = seen
        if self._announced is not None:
            # A plugin that starts running later (enabled here or by another process)
            # is told once too, so it connects its receivers without a restart.
            newly = self.plugins.active - self._announced
            if newly:
                self._announced |= newly
                self.plugins.collect("kernel_started", only=newly, kernel=self)

    def _not_running(self, type_name: str) -> str | None:
        """Why a record type named after a loaded plugin (``acme_dental.appointment``) is
        not available: its plugin is not running. None for any other name."""
        name = type_name.split(".", 1)[0] if "." in type_name else ""
        if name not in self.plugins.plugins:
            return None
        stopped = self.plugins.stopped(name)
        return None if stopped is None else str(stopped)

    def _rebuild(self) -> None:
        types: dict[str, RecordType] = {}
        for plugin, record_type in self.plugins.collect("register_record_types"):
            if record_type.name in types:
                logger.error("record type %s of %s ignored: %s declared it first",
                             record_type.name, plugin, types[record_type.name].plugin)
                continue
            types[record_type.name] = record_type
        self.records.replace(types)
        perms: dict[str, tuple[str, Permission]] = {}
        for plugin, permission in self.plugins.collect("register_permissions"):
            if permission.name in perms:
                logger.warning("permission %s of %s ignored: %s declared it first",
                               permission.name, plugin, perms[permission.name][0])
                continue
            perms[permission.name] = (plugin, permission)
        self.permissions = perms
        self.role_grants = collect_role_grants(self, self.plugins.collect("register_role_grants"))
        actions: dict[tuple[str, str], RecordAction] = {}
        for plugin, action in self.plugins.collect("register_actions"):
            key = (action.record_type, action.name)
            if key in actions:
                logger.warning("action %s/%s of %s ignored: declared twice", *key, plugin)
                continue
            actions[key] = action
        self.actions = actions
        self.fields.load()
        self.fields.check_config()
        self._schemas.clear()

    # Plugin settings ---------------------------------------------------------

    def settings(self, name: str) -> dict[str, Any]:
        """A plugin's settings: ``[plugins.settings.NAME]`` of the config, overridden by
        values set through ``accord plugins settings``, loaded by its settings schema."""
        # Read once: a thread sharing this kernel may clear the cache meanwhile (a reload).
        settings = self._settings.get(name)
        if settings is None:
            settings = self.load_settings(name, self._stored_settings.get(name, {}))
            self._settings[name] = settings
        return settings

    def _check_settings(self) -> None:
        """A plugin whose configured settings are invalid is marked failed at start."""
        for name in self.config.plugin_settings:
            if name not in self.plugins.plugins:
                logger.warning("plugins.settings.%s: no plugin %s is installed", name, name)
        for name, plugin in self.plugins.plugins.items():
            if plugin.module is None or plugin.failed:
                continue
            try:
                self.load_settings(name, self._stored_settings.get(name, {}))
            except ConfigError as exc:
                plugin.error = f"bad settings: {exc}"

    def load_settings(self, name: str, stored: dict[str, Any]) -> dict[str, Any]:
        """Validate settings for ``name``; a bad value is a ConfigError naming the key."""
        plugin = self.plugins.get(name)
        raw = {**self.config.plugin_settings.get(name, {}), **stored}
        schema = plugin.manifest.settings_schema if plugin.manifest else None
        if schema is None:
            if raw:
                raise ConfigError(f"plugins.settings.{name}: {name} takes no settings")
            return {}
        try:
            loaded: dict[str, Any] = schema(unknown=ma.RAISE).load(raw)
        except ma.ValidationError as exc:
            raise ConfigError(describe_messages(exc.messages, f"plugins.settings.{name}",
                                                unknown="unknown setting")) from None
        return loaded

    # Records ---------------------------------------------------------------

    def schema(self, record_type: RecordType) -> ma.Schema:
        """The schema of a record type with its custom fields (cached per definition)."""
        key = (record_type.name, self.fields.version_key(record_type.name))
        schema = self._schemas.get(key)
        if schema is None:
            extra = self.fields.schema_fields(record_type.name)
            for name, field in extra.items():
                kind = self.fields.get(record_type.name, name).kind
                field.get_value = _custom_getter(kind)  # type: ignore[method-assign]
            cls = type(f"{record_type.schema.__name__}WithFields", (record_type.schema,), extra)
            schema = cls()
            self._schemas[key] = schema
        return schema

    def personal_fields(self, record_type: RecordType) -> tuple[str, ...]:
        """Fields holding personal data: the type's own and custom fields marked so."""
        custom = tuple(n for n, d in self.fields.of(record_type.name).items() if d.personal)
        return record_type.personal + custom


_COUNTERS_SQL = 'SELECT "key", "value" FROM "accord_meta"'
#: The key of the PostgreSQL advisory lock that orders plugin toggles and writes
#: ("accord" in ASCII; advisory locks are per database).
_PLUGIN_STATE_LOCK = 0x6163636F7264


def _custom_getter(kind: str) -> Any:
    """Custom values are read from the record's ``custom`` column, typed back."""

    def get_value(obj: Any, attr: str, accessor: Any = None, default: Any = ma.missing) -> Any:
        if isinstance(obj, dict):
            return obj.get(attr, default)
        return from_json(kind, (getattr(obj, "custom", None) or {}).get(attr))

    return get_value
