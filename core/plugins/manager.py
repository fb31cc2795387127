"""The plugin manager of one kernel: loading, states, and hook calls limited to the
plugins that are active (enabled, loaded, and with their requirements active)."""

from __future__ import annotations

import contextlib
import difflib
import importlib
import inspect
import logging
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Literal

import pluggy
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from playhouse.migrations import Migration

from .. import compat
from ..errors import NotFound, PluginError, PluginLoadError
from ..hooks import PROJECT, SPEC_MODULES
from .discovery import Candidate
from .guard import Guarded
from .manifest import CORE_API_VERSION, PluginManifest, check_manifest

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["PluginManager", "Plugin", "Stopped", "CORE", "refusal_in_terms"]

logger = logging.getLogger(__name__)

CORE = "core"


@dataclass
class Plugin:
    """A plugin the kernel knows of, with what its loading found."""

    name: str
    source: str
    manifest: PluginManifest | None
    folder: Path | None = None
    module: Any = None
    loader: Any = None
    error: str | None = None
    failed_hook: str | None = None
    #: The traceback of the exception that made it fail, if one did (plugins info shows it).
    traceback: str | None = None
    #: The state stored in the database: discovered, enabled, disabled or purged.
    stored_state: str = "discovered"

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def version(self) -> str:
        return self.manifest.version if self.manifest else "?"

    @property
    def requires(self) -> dict[str, str]:
        return dict(self.manifest.requires) if self.manifest else {}

    @property
    def state(self) -> str:
        return "failed" if self.failed else self.stored_state

    @property
    def migrations_folder(self) -> Path | None:
        if self.manifest and self.manifest.migrations:
            path = Path(self.manifest.migrations)
            return path if path.is_absolute() or self.folder is None else self.folder / path
        if self.folder is not None and (self.folder / "migrations").is_dir():
            return self.folder / "migrations"
        return None


class Hooks:
    """``kernel.hooks.<name>(**kwargs)``: call a hook on the active plugins only.

    A caller found once is kept as an attribute (no lookup on later calls) until the
    plugin states change.
    """

    def __init__(self, manager: PluginManager) -> None:
        self._manager = manager

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        manager = self._manager
        callers = manager._callers
        # A plugin's own error in its implementation is named (accord.plugins.guard).
        caller = Guarded(manager.caller(name), name)
        # Kept only if the states did not change meanwhile (another thread sharing the
        # kernel may have reloaded them): a caller kept after ``_forget`` would call the
        # plugins of the states before, until the next change.
        with manager._cache_lock:
            if manager._callers is callers:
                self.__dict__[name] = caller
        return caller

    def _forget(self) -> None:
        for name in [n for n in self.__dict__ if not n.startswith("_")]:
            del self.__dict__[name]


class PluginManager:
    """Owns one pluggy PluginManager; no module globals (two kernels, two managers)."""

    def __init__(self, kernel: Accord) -> None:
        self.kernel = kernel
        self.pm = pluggy.PluginManager(PROJECT)
        for module in SPEC_MODULES:
            self.pm.add_hookspecs(importlib.import_module(module))
        self.plugins: dict[str, Plugin] = {}
        self._active: frozenset[str] = frozenset({CORE})
        #: Hook callers of the active set; a new dict, never emptied, on each change.
        self._callers: dict[str, Any] = {}
        self._cache_lock = threading.Lock()
        #: (hook, plugin) -> a caller of that plugin's implementation alone.
        self._solo: dict[tuple[str, str], Any] = {}
        #: Loaded plugins, each after the plugins it requires.
        self.load_order: list[str] = []
        self.hooks = Hooks(self)

    # Loading -------------------------------------------------------------

    def register_core(self, module: Any) -> None:
        self.pm.register(module, name=CORE)

    def load(self, candidates: Iterable[Candidate]) -> None:
        """Read manifests, then import and register plugins in dependency order.

        A plugin that fails is recorded with its error and left out; the rest load.
        """
        for cand in candidates:
            if cand.name in self.plugins:
                other = self.plugins[cand.name]
                logger.warning("plugin %s from %s ignored: already found at %s",
                               cand.name, cand.source, other.source)
                continue
            plugin = Plugin(cand.name, cand.source, None, cand.folder)
            self.plugins[cand.name] = plugin
            try:
                manifest = cand.load_manifest()
            except Exception as exc:  # a broken third-party package must not stop the kernel
                plugin.error = f"cannot import: {type(exc).__name__}: {exc}"
                _report_failure(plugin)
                continue
            problems = check_manifest(manifest, cand.name)
            if problems:
                plugin.error = "bad manifest: " + "; ".join(problems)
                continue
            plugin.manifest = manifest
            plugin.loader = cand.load_hooks
        for name in self._load_order():
            self._import_and_register(self.plugins[name])
        self.load_order = [n for n in self._load_order() if self.plugins[n].module is not None]

    def _load_order(self) -> list[str]:
        """Names in an order where a plugin comes after what it requires; cycles fail."""
        order: list[str] = []
        state: dict[str, str] = {}

        def visit(name: str, path: list[str]) -> None:
            plugin = self.plugins.get(name)
            if plugin is None or plugin.failed or state.get(name) == "done":
                return
            if state.get(name) == "visiting":
                cycle = path[path.index(name):] + [name]
                message = "dependency cycle: " + " -> ".join(cycle)
                for member in cycle:
                    self.plugins[member].error = message
                return
            state[name] = "visiting"
            for required in plugin.requires:
                visit(required, path + [name])
            state[name] = "done"
            if not plugin.failed:
                order.append(name)

        for name in sorted(self.plugins):
            visit(name, [])
        return [n for n in order if not self.plugins[n].failed]

    def _import_and_register(self, plugin: Plugin) -> None:
        manifest = plugin.manifest
        assert manifest is not None
        try:
            if manifest.hookspecs:
                self.pm.add_hookspecs(importlib.import_module(manifest.hookspecs))
            module = plugin.loader()
        except Exception as exc:  # plugin import boundary: record, log, keep starting
            plugin.error = f"cannot import: {type(exc).__name__}: {exc}"
            _report_failure(plugin)
            return
        self._solo.clear()  # the plugins each cached caller leaves out change
        try:
            self.pm.register(module, name=plugin.name)
        except pluggy.PluginValidationError as exc:
            hook = _hook_named_in(str(exc))
            plugin.error = f"hook {hook}: {_first_line(exc)}" if hook else str(exc)
            plugin.failed_hook = hook
            return
        except ValueError as exc:
            plugin.error = f"cannot register: {exc}"
            return
        if plugin.folder is None and getattr(module, "__file__", None):
            # Installed packages: migrations/ sits beside the hooks module.
            plugin.folder = Path(module.__file__).parent
        try:
            self._check_hooks(plugin)
            _check_migrations(plugin)
        except PluginLoadError as exc:
            self.pm.unregister(name=plugin.name)
            self._solo.clear()
            plugin.error = exc.message
            plugin.failed_hook = exc.hook
            return
        plugin.module = module
        compat.plugin_loaded(self.pm, plugin.name, module)  # deprecated hooks warn here

    # Load-time checks: each raises PluginLoadError naming the culprit ----------

    def _check_hooks(self, plugin: Plugin) -> None:
        """Refuse unknown hooks, impl arguments with defaults, and actions whose
        permission is not declared where the plugin can rely on it."""
        name = plugin.name
        unknown = self._unknown_hooks(name)
        if unknown:
            close = difflib.get_close_matches(unknown[0], self.hook_names(), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "check its spelling"
            raise PluginLoadError(
                f"unknown hook {unknown[0]!r}" + (
                    f" (and {', '.join(unknown[1:])})" if unknown[1:] else "") +
                f": no such hook specification; {hint}", plugin=name, hook=unknown[0])
        impls = self._impls_of(name)
        for hook, impl in impls:
            # pluggy passes only the arguments without a default: a default is never
            # overridden, so the impl silently sees it instead of the real value.
            try:
                params = inspect.signature(impl.function).parameters.values()
            except (TypeError, ValueError):  # no signature: pluggy passes it nothing either
                continue
            for param in params:
                if param.default is not inspect.Parameter.empty:
                    raise PluginLoadError(
                        f"hook {hook}: argument {param.name!r} has a default; hook arguments "
                        "are passed by name and never take defaults", plugin=name, hook=hook)
        if any(hook == "register_actions" for hook, _ in impls):
            self._check_action_permissions(plugin)
        if any(hook == "register_search_types" for hook, _ in impls):
            self._check_search_types(plugin)
        if any(hook == "register_pages" for hook, _ in impls):
            self._check_pages(plugin)
        if any(hook == "register_api_routes" for hook, _ in impls):
            self._check_api_routes(plugin)

    def _impls_of(self, name: str) -> list[tuple[str, Any]]:
        """(hook name, HookImpl) of one registered plugin, by hook name."""
        out: list[tuple[str, Any]] = []
        for caller in self.pm.get_hookcallers(self.pm.get_plugin(name)) or []:
            out += [(caller.name, impl) for impl in caller.get_hookimpls()
                    if impl.plugin_name == name]
        return sorted(out, key=lambda pair: pair[0])

    def _check_action_permissions(self, plugin: Plugin) -> None:
        """Every action's permission is declared by the plugin, the core or a plugin it
        requires (the ones sure to be running whenever the plugin runs)."""
        declared = self._declared_permissions(plugin)
        if declared is None:
            return
        for action in self._contributions("register_actions", plugin, {plugin.name}):
            if action.permission not in declared:
                raise PluginLoadError(
                    f"action {action.record_type}/{action.name} needs permission "
                    f"{action.permission}, which neither the plugin, the core nor a plugin it "
                    "requires declares; declare it in register_permissions",
                    plugin=plugin.name, hook="register_actions")
            problem = _handler_problem(action)
            if problem:
                raise PluginLoadError(f"action {action.record_type}/{action.name}: {problem}",
                                      plugin=plugin.name, hook="register_actions")

    def _check_search_types(self, plugin: Plugin) -> None:
        """Every search type names one of the plugin's own record types, and its
        details are fields of that type's schema."""
        own = {t.name: t for t in self._contributions("register_record_types", plugin,
                                                      {plugin.name})}
        for search in self._contributions("register_search_types", plugin, {plugin.name}):
            record_type = own.get(getattr(search, "record_type", None))
            if record_type is None:
                raise PluginLoadError(
                    f"search type {getattr(search, 'record_type', search)!r} is not one of "
                    f"the plugin's record types ({', '.join(sorted(own)) or 'none'})",
                    plugin=plugin.name, hook="register_search_types")
            fields = record_type.schema._declared_fields
            unknown = [name for name in search.details if name not in fields]
            if unknown:
                raise PluginLoadError(
                    f"search type {record_type.name}: details {', '.join(unknown)} are not "
                    f"fields of {record_type.name}", plugin=plugin.name,
                    hook="register_search_types")

    def _declared_permissions(self, plugin: Plugin) -> set[str] | None:
        """The permissions sure to exist whenever the plugin runs: its own, the core's
        and those of the plugins it requires (None when a requirement is missing or
        failed: enabling the plugin is refused with that reason)."""
        if any(self.plugins.get(r) is None or self.plugins[r].module is None
               for r in plugin.requires):
            return None
        return {p.name for p in self._contributions(
            "register_permissions", plugin, {plugin.name, CORE, *plugin.requires})}

    def _check_api_routes(self, plugin: Plugin) -> None:
        from ..routes import route_problem

        declared = self._declared_permissions(plugin)
        if declared is None:
            return
        for route in self._contributions("register_api_routes", plugin, {plugin.name}):
            problem = route_problem(route, plugin.name, declared)
            if problem:
                raise PluginLoadError(problem, plugin=plugin.name, hook="register_api_routes")

    def _check_pages(self, plugin: Plugin) -> None:
        """Pages are Flask blueprints, mounted at ``/<plugin>``: the plugin's name must
        not be a path of the core's pages."""
        from flask import Blueprint

        from ..pages.plugin_pages import RESERVED_PATHS

        blueprints = self._contributions("register_pages", plugin, {plugin.name})
        if blueprints and plugin.name in RESERVED_PATHS:
            raise PluginLoadError(
                f"its pages would be mounted at /{plugin.name}, a path of the core's "
                "pages; rename the plugin", plugin=plugin.name, hook="register_pages")
        for blueprint in blueprints:
            if not isinstance(blueprint, Blueprint):
                raise PluginLoadError(f"{blueprint!r} is not a flask.Blueprint",
                                      plugin=plugin.name, hook="register_pages")

    def _contributions(self, hook: str, plugin: Plugin, names: set[str]) -> list[Any]:
        try:
            return [item for _, item in self.collect(hook, only=names)]
        except Exception as exc:  # plugin code at the load boundary: record, log, keep starting
            error = PluginLoadError(f"hook {hook}: {type(exc).__name__}: {exc}",
                                    plugin=plugin.name, hook=hook)
            _report_failure(plugin, error.message)
            raise error from None

    def _unknown_hooks(self, name: str) -> list[str]:
        out = []
        for hook_name in list(self.pm.hook.__dict__):
            if hook_name.startswith("_"):
                continue
            caller = getattr(self.pm.hook, hook_name)
            if caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.plugin_name == name and not impl.optionalhook:
                    out.append(hook_name)
        return sorted(out)

    # Lookup -------------------------------------------------------------

    def get(self, name: str) -> Plugin:
        try:
            return self.plugins[name]
        except KeyError:
            known = ", ".join(sorted(self.plugins)) or "none installed"
            raise NotFound(f"unknown plugin {name!r} (known: {known})") from None

    @property
    def active(self) -> frozenset[str]:
        """Names whose hooks run: the core and enabled, loaded plugins whose
        requirements are active too."""
        return self._active

    def set_states(self, states: dict[str, str]) -> None:
        """Apply the states read from the database and recompute the active set."""
        for plugin in self.plugins.values():
            plugin.stored_state = states.get(plugin.name, "discovered")
        active = {CORE}
        changed = True
        candidates = {n for n, p in self.plugins.items()
                      if p.stored_state == "enabled" and not p.failed}
        while changed:
            changed = False
            for name in sorted(candidates - active):
                if all(r in active and self._satisfies(r, spec)
                       for r, spec in self.plugins[name].requires.items()):
                    active.add(name)
                    changed = True
        with self._cache_lock:
            self._active = frozenset(active)
            self._callers = {}
            self._solo.clear()
            self.hooks._forget()

    def _satisfies(self, name: str, spec: str) -> bool:
        plugin = self.plugins.get(name)
        return bool(plugin and plugin.manifest and
                    SpecifierSet(spec).contains(Version(plugin.manifest.version),
                                                prereleases=True))

    def inactive_reason(self, name: str) -> str | None:
        """Why an enabled plugin is not running (a requirement missing), else None."""
        plugin = self.get(name)
        if plugin.failed or plugin.stored_state != "enabled" or name in self._active:
            return None
        for req, spec in plugin.requires.items():
            if req not in self._active:
                return f"requires {req} ({spec}), which is not running"
            if not self._satisfies(req, spec):
                return f"requires {req} {spec}, found {self.plugins[req].version}"
        return None

    def stopped(self, name: str) -> Stopped | None:
        """Why ``name`` is not running, and which plugin to act on; None when it runs."""
        plugin = self.get(name)
        if name in self._active:
            return None
        if plugin.failed:
            return Stopped(name, f"failed to load: {plugin.error}", name, "repair")
        if plugin.stored_state != "enabled":
            state = {"discovered": "is not enabled", "purged": "was purged"}.get(
                plugin.stored_state, f"is {plugin.stored_state}")
            return Stopped(name, state, name, "enable")
        for req, spec in plugin.requires.items():
            needs = f"is enabled but cannot run: it requires {req} ({spec}), which"
            dep = self.plugins.get(req)
            if dep is None or dep.module is None and not dep.failed:
                return Stopped(name, f"{needs} is not installed", req, "install", spec)
            if req not in self._active:
                cause = self.stopped(req)
                assert cause is not None
                return Stopped(name, f"{needs} {cause.state}", cause.culprit, cause.fix,
                               cause.wanted)
            if not self._satisfies(req, spec):
                return Stopped(name, f"{needs} is at {dep.version}", req, "install", spec)
        return Stopped(name, "is not running", name, "enable")

    # Calling hooks ------------------------------------------------------

    def caller(self, hook_name: str) -> Any:
        """The hook caller limited to active plugins, cached until the states change."""
        # The cache is read before the active set: a thread sharing the kernel that
        # changes the states replaces the active set first, so a caller is never kept
        # in the cache of states newer than the set it was made for.
        callers = self._callers
        caller = callers.get(hook_name)
        if caller is None:
            active = self._active
            inactive = [p.module for n, p in self.plugins.items()
                        if p.module is not None and n not in active]
            caller = self.pm.subset_hook_caller(hook_name, remove_plugins=inactive)
            callers[hook_name] = caller
        return caller

    def collect(self, hook_name: str, only: Iterable[str] | None = None,
                **kwargs: Any) -> list[tuple[str, Any]]:
        """Call each plugin's implementation separately, through pluggy (so hook
        tracing sees it and arguments are passed as for any call), and pair each item
        it returns with the plugin that returned it. ``only`` names plugins to ask
        whatever their state; by default the active ones are asked."""
        names = set(only) if only is not None else self._active
        hook = getattr(self.pm.hook, hook_name)
        out: list[tuple[str, Any]] = []
        for plugin_name in dict.fromkeys(i.plugin_name for i in reversed(hook.get_hookimpls())):
            if plugin_name not in names:
                continue
            for result in self.call_one(plugin_name, hook_name, **kwargs) or ():
                for item in result or ():
                    out.append((plugin_name, item))
        return out

    def call_one(self, plugin_name: str, hook_name: str, **kwargs: Any) -> Any:
        """Call a hook on one plugin only, through pluggy; the list of its results.
        (A historic hook is called as a notification: nothing is kept for plugins
        registered later.)"""
        key = (hook_name, plugin_name)
        caller = self._solo.get(key)
        if caller is None:
            others = [plugin for name, plugin in self.pm.list_name_plugin()
                      if name != plugin_name and plugin is not None]
            caller = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
            self._solo[key] = caller
        if caller.is_historic():
            return [impl.function(**{a: kwargs[a] for a in impl.argnames})
                    for impl in caller.get_hookimpls()]
        return caller(**kwargs)

    def implementations(self, hook_name: str) -> list[str]:
        """Plugin names implementing a hook, in call order."""
        hook = getattr(self.pm.hook, hook_name)
        return [impl.plugin_name for impl in reversed(hook.get_hookimpls())]

    def hook_names(self) -> list[str]:
        return sorted(n for n in self.pm.hook.__dict__ if not n.startswith("_")
                      and getattr(self.pm.hook, n).has_spec())

    def hooks_of(self, name: str) -> list[str]:
        module = self.plugins[name].module if name != CORE else self.pm.get_plugin(CORE)
        if module is None:
            return []
        return sorted(c.name for c in self.pm.get_hookcallers(module) or [])

    # Dependency checks --------------------------------------------------

    def check_enable(self, name: str) -> list[str]:
        """What ``name`` needs enabled first, in enabling order; raise if it cannot run."""
        plugin = self.get(name)
        self._refuse_failed(plugin)
        assert plugin.manifest is not None
        if not SpecifierSet(plugin.manifest.core_api).contains(Version(CORE_API_VERSION)):
            raise PluginError(
                f"{name} {plugin.version} needs core API {plugin.manifest.core_api}, but this "
                f"Accord provides {CORE_API_VERSION}", plugin=name)
        order: list[str] = []
        missing: list[str] = []

        def walk(current: str) -> None:
            for req, spec in self.plugins[current].requires.items():
                dep = self.plugins.get(req)
                if dep is None or dep.stored_state == "purged" and dep.module is None:
                    missing.append(f"{req} ({spec}) is not installed")
                    continue
                if dep.failed:
                    missing.append(f"{req} failed to load: {dep.error}")
                    continue
                if not self._satisfies(req, spec):
                    missing.append(f"{req} {spec} is required, but {req} {dep.version} "
                                   "is installed")
                    continue
                walk(req)
                if dep.stored_state != "enabled" and req not in order:
                    order.append(req)

        walk(name)
        if missing:
            raise PluginError(f"cannot enable {name}: " + "; ".join(dict.fromkeys(missing)),
                              plugin=name)
        return order

    def dependents(self, name: str, *, enabled_only: bool = True) -> list[str]:
        """Plugins that require ``name`` (directly or not), those depending on others first."""
        out: list[str] = []

        def walk(target: str) -> None:
            for other, plugin in sorted(self.plugins.items()):
                if target in plugin.requires and other not in out:
                    if enabled_only and plugin.stored_state != "enabled":
                        continue
                    walk(other)
                    out.append(other)

        walk(name)
        return out

    def _refuse_failed(self, plugin: Plugin) -> None:
        if plugin.failed:
            raise as_load_error(plugin)


@dataclass(frozen=True)
class Stopped:
    """Why a plugin is not running (``state``: "is disabled", "failed to load: …", "is
    enabled but cannot run: it requires sales (>=1,<2), which is disabled") and what
    would make it run: ``fix`` (enable, repair or install) the plugin ``culprit`` (itself
    or a requirement; for install, in a version within ``wanted``). Each face words the
    fix in its own terms: ``cli_fix()``, ``api_fix()``."""

    name: str
    state: str
    culprit: str
    fix: str
    wanted: str = ""

    def __str__(self) -> str:
        return f"the {self.name} plugin {self.state}"

    def cli_fix(self) -> str:
        """What to do, in the CLI's terms."""
        if self.fix == "enable":
            return f"'accord plugins enable {self.culprit}' first"
        if self.fix == "repair":
            return (f"fix or reinstall {self.culprit} ('accord plugins info {self.culprit}' "
                    "shows why it failed)")
        return f"install {self.culprit} {self.wanted}"

    def api_fix(self) -> str:
        """What to do, in the API's terms."""
        if self.fix == "enable":
            return (f"an admin can enable {self.culprit}: POST /api/v1/plugins/"
                    f"{self.culprit}/enable")
        if self.fix == "repair":
            return (f"the server's administrator must fix or reinstall {self.culprit} "
                    f"(GET /api/v1/plugins/{self.culprit} shows why it failed)")
        return f"the server's administrator must install {self.culprit} {self.wanted}"

    def for_cli(self) -> str:
        return f"{self}; {self.cli_fix()}"


@contextlib.contextmanager
def refusal_in_terms(manager: PluginManager, face: Literal["cli", "api"]) -> Iterator[None]:
    """A refusal to enable or disable, with what to do said in the face's own terms: the
    option (``--with-deps``) or body field (``{"with_deps": true}``) that would do it
    anyway, or who must repair a plugin that failed to load and how."""
    try:
        yield
    except PluginError as exc:
        if exc.option:
            anyway = (f"use --{exc.option.replace('_', '-')}" if face == "cli"
                      else f'send {{"{exc.option}": true}}')
            raise PluginError(f"{exc} or {anyway}", plugin=exc.plugin) from None
        stopped = manager.stopped(exc.plugin) if isinstance(exc, PluginLoadError) else None
        if stopped is not None and stopped.fix == "repair":
            fix = stopped.cli_fix() if face == "cli" else stopped.api_fix()
            raise PluginError(f"{exc}; {fix}", plugin=exc.plugin) from None
        raise


def _handler_problem(action: Any) -> str | None:
    """Why an action's handler cannot be called the way the core calls it:
    ``handler(kernel, record_id, actor=..., version=..., **body)``, the body holding
    the fields its schema loads (None: it can)."""
    try:
        signature = inspect.signature(action.handler)
    except (TypeError, ValueError):
        return None  # a builtin or a callable without a signature: nothing to check
    body = [name for name, field in (action.schema._declared_fields.items()
                                     if action.schema is not None else ())
            if not field.dump_only]
    name = getattr(action.handler, "__qualname__", repr(action.handler))
    try:
        signature.bind(None, 0, actor=None, version=None, **{f: None for f in body})
    except TypeError as exc:
        return (f"the handler {name}() cannot take the call handler(kernel, record_id, "
                f"*, actor, version{''.join(', ' + f for f in body)}): {exc}")
    return None


def _hook_named_in(message: str) -> str | None:
    # pluggy: "Plugin 'x' for hook 'validate_records'\nhookimpl definition: ..."
    marker = "for hook '"
    if marker in message:
        return message.split(marker, 1)[1].split("'", 1)[0]
    return None


def _first_line(exc: Exception) -> str:
    text = str(exc)
    lines = [line for line in text.splitlines() if line.strip()]
    detail = [line for line in lines if "Argument" in line]
    return detail[0] if detail else lines[-1] if lines else text


def _check_migrations(plugin: Plugin) -> None:
    """Every migration file defines up() and down(), read with the loader the
    migration runner uses (by path, outside sys.modules)."""
    folder = plugin.migrations_folder
    if folder is None:
        return
    for migration in Migration.load_directory(str(folder)):
        filename = Path(migration.path).name
        try:
            module = migration.load()
        except Exception as exc:  # plugin code at the load boundary: record, log, keep starting
            error = PluginLoadError(f"migration {filename} cannot be imported: "
                                    f"{type(exc).__name__}: {exc}", plugin=plugin.name)
            _report_failure(plugin, error.message)
            raise error from None
        if not callable(getattr(module, "up", None)):
            raise PluginLoadError(f"migration {filename} has no up(); every migration must "
                                  "define up() and down()", plugin=plugin.name)
        if not callable(getattr(module, "down", None)):
            raise PluginLoadError(f"migration {filename} has no down(); every migration must "
                                  "be reversible", plugin=plugin.name)


def _report_failure(plugin: Plugin, error: str | None = None) -> None:
    """Inside an ``except`` block: keep the traceback on the plugin and log one line
    naming it; the traceback itself only at DEBUG (``accord --verbose``)."""
    plugin.traceback = traceback.format_exc()
    logger.warning("plugin %s failed to load: %s (accord plugins info %s)",
                   plugin.name, error or plugin.error, plugin.name)
    logger.debug("plugin %s failed to load:\n%s", plugin.name, plugin.traceback.rstrip())


def as_load_error(plugin: Plugin) -> PluginLoadError:
    """The error of a plugin that failed to load, as enable and the test fixtures raise it."""
    return PluginLoadError(f"{plugin.name} failed to load: {plugin.error}", plugin=plugin.name,
                           hook=plugin.failed_hook)
