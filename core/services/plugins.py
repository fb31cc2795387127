"""Enabling, disabling and purging plugins: states shared through the database.

Every change bumps the ``plugin_state`` counter, so every process and web worker
picks the toggle up on its next request, without a restart.
"""

from __future__ import annotations


import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import peewee

from .. import signals
from ..errors import ConfigError, PluginError, ValidationError
from ..models import PluginState, utcnow
from ..plugins.manager import CORE
from .actors import Actor
from .audit import write_audit
from .authz import require
from .counters import bump
from .traces import count_traces, delete_traces, export_traces
from .values import jsonable

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["enable", "disable", "purge_plan", "purge", "PurgePlan", "set_settings",
           "patch_settings", "merge_patch",
           "downgrade_plan", "downgrade", "DowngradePlan",
           "PluginInfo", "list_plugins", "plugin_info", "plugin_settings", "PLUGINS"]

logger = logging.getLogger(__name__)

#: The permission every function here needs.
PLUGINS = "admin.plugins"


@dataclass(frozen=True)
class PluginInfo:
    """A plugin as the CLI and the API list it."""

    name: str
    version: str
    state: str
    source: str
    requires: dict[str, str]
    #: Why it failed to load, or why it does not run although enabled; else None.
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "state": self.state,
                "source": self.source, "requires": dict(self.requires), "error": self.error}


def list_plugins(kernel: Accord, *, actor: Actor) -> list[PluginInfo]:
    """Every plugin found, by name."""
    require(actor, PLUGINS)
    kernel.sync()
    return [_info(kernel, name) for name in sorted(kernel.plugins.plugins)]


def plugin_info(kernel: Accord, name: str, *, actor: Actor) -> PluginInfo:
    """One plugin; NotFound for an unknown name."""
    require(actor, PLUGINS)
    kernel.sync()
    return _info(kernel, name)


def plugin_settings(kernel: Accord, name: str, *, actor: Actor) -> dict[str, Any]:
    """The settings of a plugin now in force (its schema's defaults filled in)."""
    require(actor, PLUGINS)
    kernel.sync()
    kernel.plugins.get(name)
    return kernel.settings(name)


def _info(kernel: Accord, name: str) -> PluginInfo:
    p = kernel.plugins.get(name)
    return PluginInfo(name, p.version, p.state, p.source, dict(p.requires),
                      p.error or kernel.plugins.inactive_reason(name))


def enable(kernel: Accord, name: str, *, actor: Actor, with_deps: bool = False) -> list[str]:
    """Enable a plugin (and, with ``with_deps``, what it requires). Returns the names
    enabled, in order.

    Each one's migrations are applied first. Then one transaction, holding the
    plugin-state lock (``Accord.transaction(toggle=True)``), checks the requirements
    again on the states as they are now, stores every state and runs each plugin's
    ``plugin_enabled``: writes wait for it, a toggle elsewhere cannot slip between the
    check and the change, and a failure leaves every state as it was."""
    require(actor, PLUGINS)
    kernel.sync()
    _not_core(name, "enable")
    for target in _to_enable(kernel, name, with_deps):
        _check_record_types(kernel, target)
        kernel.load_settings(target, kernel._stored_settings.get(target, {}))
        with kernel.bound():
            kernel.migrations.upgrade(target)
    done: list[str] = []
    with _toggling(kernel):
        for target in _to_enable(kernel, name, with_deps):
            if kernel.migrations.status(target).pending:
                # Its tables went (a purge elsewhere) after the migrations above ran.
                raise PluginError(f"cannot enable {name}: {target} changed while it was "
                                  "being enabled; enable it again", plugin=target)
            _check_record_types(kernel, target)
            _set_state(kernel, target, "enabled", actor)
            kernel.sync()  # reads this transaction's states: the plugin now runs
            if target in kernel.plugins.implementations("plugin_enabled"):
                kernel.plugins.call_one(target, "plugin_enabled", kernel=kernel,
                                        name=target)
            done.append(target)
    for target in done:
        kernel.emit(signals.plugin_enabled, name=target)
    return done


def _to_enable(kernel: Accord, name: str, with_deps: bool) -> list[str]:
    """What enabling ``name`` enables, in order, on the kernel's states; refused when
    requirements are off and ``with_deps`` is not given."""
    plugin = kernel.plugins.get(name)
    needed = kernel.plugins.check_enable(name)
    if needed and not with_deps:
        wanted = ", ".join(f"{n} ({plugin.requires.get(n, 'indirectly')})" for n in needed)
        raise PluginError(f"cannot enable {name}: it requires {wanted}, not enabled; enable "
                          f"{'it' if len(needed) == 1 else 'them'} first", plugin=name,
                          option="with_deps")
    return [target for target in [*needed, name]
            if kernel.plugins.get(target).stored_state != "enabled"]


@contextlib.contextmanager
def _toggling(kernel: Accord) -> Iterator[None]:
    """One transaction holding the plugin-state lock exclusively; the kernel then
    runs with the states it stored, or, when it failed, reads the stored ones again."""
    try:
        with kernel.transaction(toggle=True):
            yield
    except BaseException:
        _reload_states(kernel)
        raise
    kernel.sync()


def _reload_states(kernel: Accord) -> None:
    """After a toggle rolled back: the kernel read that transaction's own states; read
    the stored ones again, whatever the counters say."""
    with kernel.bound():
        kernel._refresh(force=True)


def disable(kernel: Accord, name: str, *, actor: Actor, cascade: bool = False) -> list[str]:
    """Disable a plugin; its tables and rows stay untouched. Refused while enabled
    plugins require it, unless ``cascade`` disables them first. Returns the names.

    The check and every change are one transaction holding the plugin-state lock, so
    a plugin enabled elsewhere meanwhile is seen (cascaded or named) and writes
    in progress finish first."""
    require(actor, PLUGINS)
    kernel.sync()
    _not_core(name, "disable")
    with _toggling(kernel):
        order = _to_disable(kernel, name, cascade)
        for target in order:
            _set_state(kernel, target, "disabled", actor)
    for target in order:
        kernel.emit(signals.plugin_disabled, name=target)
    return order


def _to_disable(kernel: Accord, name: str, cascade: bool) -> list[str]:
    """What disabling ``name`` disables, dependents first, on the kernel's states."""
    plugin = kernel.plugins.get(name)
    if plugin.stored_state != "enabled":
        stopped = kernel.plugins.stopped(name)
        state = stopped.state if stopped is not None else f"is {plugin.state}"
        raise PluginError(f"{name} is not enabled" + (
            "" if state == "is not enabled" else f" (it {state})"), plugin=name)
    dependents = kernel.plugins.dependents(name)
    if dependents and not cascade:
        raise PluginError(f"cannot disable {name}: {', '.join(dependents)} "
                          f"{'requires' if len(dependents) == 1 else 'require'} it; disable "
                          f"{'it' if len(dependents) == 1 else 'them'} first", plugin=name,
                          option="cascade")
    return [*dependents, name]


@dataclass(frozen=True)
class PurgePlan:
    name: str
    tables: dict[str, int]  # table name -> rows
    dependents: list[str]
    migrations: list[str]
    #: What the core keeps about the plugin's records, deleted with them: "activities",
    #: "tag links", "tags" (carried by no other record) and "audit entries" -> rows.
    traces: dict[str, int] = field(default_factory=dict)


def purge_plan(kernel: Accord, name: str, *, actor: Actor | None = None) -> PurgePlan:
    """What purging ``name`` would remove: tables with row counts, the activities, tags
    and audit entries of its records (``traces``), and who depends on it.

    With an ``actor`` (every face passes one) it needs admin.plugins; without one the
    caller is trusted code, as for ``records.get``."""
    if actor is not None:
        require(actor, PLUGINS)
    kernel.sync()
    _not_core(name, "purge")
    plugin = kernel.plugins.get(name)
    if plugin.failed:
        raise PluginError(f"{name} failed to load ({plugin.error}); fix it before purging, so "
                          "its data can be exported", plugin=name)
    with kernel.bound():
        models = _models_of(kernel, name)
        assert kernel.database is not None  # bound() has checked it
        existing = set(kernel.database.get_tables())
        tables = {m._meta.table_name: m.select().count() for m in models
                  if m._meta.table_name in existing}
        migrations = list(kernel.migrations.status(name).applied)
        found = count_traces(_types_of(kernel, name))
    dependents = [d for d in kernel.plugins.dependents(name, enabled_only=False)
                  if kernel.plugins.get(d).stored_state != "purged"]
    return PurgePlan(name, tables, dependents, migrations, found)


def purge(kernel: Accord, name: str, *, export_to: str | Path, actor: Actor) -> PurgePlan:
    """Export every row of the plugin, and the activities, tags and audit entries of its
    records, to a new archive (the backup's format); then drop its tables (its
    migrations run backward), delete those traces and mark it purged. Its tables, if created again, start their ids above
    the highest they gave (``accord.ids``), so no id of a purged record names another."""
    plan = purge_plan(kernel, name, actor=actor)
    plugin = kernel.plugins.get(name)
    if plugin.stored_state == "enabled":
        raise PluginError(f"{name} is enabled; disable it before purging", plugin=name)
    enabled_dependents = kernel.plugins.dependents(name)
    if enabled_dependents:
        raise PluginError(f"cannot purge {name}: {', '.join(enabled_dependents)} "
                          f"{'requires' if len(enabled_dependents) == 1 else 'require'} it and "
                          f"{'is' if len(enabled_dependents) == 1 else 'are'} enabled",
                          plugin=name)
    # A disabled dependent still keeps rows that name this plugin's records (deal links
    # name opportunities): purging under it would leave them pointing at ids a new
    # record may take.
    keeping = [d for d in kernel.plugins.dependents(name, enabled_only=False)
               if kernel.plugins.get(d).stored_state not in ("purged", "discovered")]
    if keeping:
        raise PluginError(f"cannot purge {name}: {', '.join(keeping)} "
                          f"{'requires' if len(keeping) == 1 else 'require'} it and "
                          f"{'keeps' if len(keeping) == 1 else 'keep'} data that may name its "
                          f"records; purge {' and '.join(keeping)} first", plugin=name)
    types = _types_of(kernel, name)
    target = _export(kernel, name, plugin.version, _models_of(kernel, name), export_to,
                     traces=types)
    with kernel.bound():
        kernel.migrations.downgrade(name, 0)
        kernel.migrations.forget(name)
    with kernel.transaction(toggle=True):
        delete_traces(types)
        _set_state(kernel, name, "purged", actor,
                   details={"export": [None, str(target)], "rows": [plan.tables, None],
                            "traces": [plan.traces, None]})
    kernel.sync()
    kernel.emit(signals.plugin_purged, name=name)
    return plan


def _export(kernel: Accord, owner: str, version: str, models: list[type[peewee.Model]],
            export_to: str | Path, traces: list[str] | None = None) -> Path:
    """Every row of ``models`` (those whose table exists) into a new archive of the
    backup's format (``accord.services.backup``); with ``traces`` (record type names),
    also their activities, tags and audit entries."""
    from .backup import export_tables

    found = None
    if traces is not None:
        with kernel.bound():
            found = export_traces(traces)
    return export_tables(kernel, owner, version, [m._meta.table_name for m in models],
                         export_to, traces=found)


@dataclass(frozen=True)
class DowngradePlan:
    """What ``accord db downgrade`` would do: the migrations it would revert (newest
    first) and the owner's tables with their rows, which reverting may drop or change."""

    owner: str
    to: int
    migrations: list[str]
    tables: dict[str, int]


def downgrade_plan(kernel: Accord, owner: str, to: int, *, actor: Actor) -> DowngradePlan:
    """Check that ``owner``'s migrations above ``to`` may be reverted and say what that
    touches. An enabled plugin is refused (its code expects its newest tables), and so
    is reverting every core migration."""
    require(actor, PLUGINS)
    kernel.sync()
    if to < 0:
        raise ValidationError({"to": ["give 0 or the number of a migration"]})
    if owner == "core":
        if to == 0:
            raise PluginError("reverting every core migration would drop all data; export "
                              "it and delete the database instead", plugin=owner)
        from ..models import CORE_MODELS

        models: list[type[peewee.Model]] = list(CORE_MODELS)
    else:
        plugin = kernel.plugins.get(owner)
        if plugin.stored_state == "enabled":
            raise PluginError(f"{owner} is enabled and its code expects its newest tables; "
                              f"disable it first (accord plugins disable {owner})",
                              plugin=owner)
        models = _models_of(kernel, owner)
    with kernel.bound():
        status = kernel.migrations.status(owner)
        applied = list(status.applied)
        assert kernel.database is not None  # bound() has checked it
        existing = set(kernel.database.get_tables())
        tables = {m._meta.table_name: m.select().count() for m in models
                  if m._meta.table_name in existing}
    later = [name for name in applied if int(name.split("_", 1)[0]) > to]
    return DowngradePlan(owner, to, list(reversed(later)), tables)


def downgrade(kernel: Accord, owner: str, to: int, *, export_to: str | Path,
              actor: Actor) -> DowngradePlan:
    """Export the owner's tables to a new archive (the backup's format), then revert its
    migrations above ``to`` (see ``downgrade_plan`` for what is refused). Audited on the plugin."""
    plan = downgrade_plan(kernel, owner, to, actor=actor)
    if not plan.migrations:
        return plan
    if owner == "core":
        from ..models import CORE_MODELS

        models: list[type[peewee.Model]] = list(CORE_MODELS)
        version = "core"
    else:
        models = _models_of(kernel, owner)
        version = kernel.plugins.get(owner).version
    target = _export(kernel, owner, version, models, export_to)
    with kernel.bound():
        kernel.migrations.downgrade(owner, to)
    with kernel.transaction():
        write_audit(actor, "downgraded", "plugin", [(0, {
            "plugin": [owner, owner], "migrations": [plan.migrations, None],
            "export": [None, str(target)], "rows": [plan.tables, None]})])
    return plan


def set_settings(kernel: Accord, name: str, values: dict[str, Any], *,
                 actor: Actor, reset: Sequence[str] = ()) -> dict[str, Any]:
    """Change some of a plugin's settings (``reset``: keys that go back to what
    accord.toml or the default gives); the plugin's schema and the
    ``validate_settings`` hook may refuse. Returns the settings now in force."""
    require(actor, PLUGINS)
    kernel.sync()
    _not_core(name, "configure")
    plugin = kernel.plugins.get(name)
    kernel.plugins._refuse_failed(plugin)
    stored = kernel._stored_settings.get(name, {})
    previous = kernel.settings(name) if plugin.stored_state != "purged" else {}
    merged = {k: v for k, v in {**stored, **values}.items() if k not in reset}
    try:
        loaded = kernel.load_settings(name, merged)
    except ConfigError as exc:
        raise ValidationError({"settings": [str(exc)]}) from None
    with kernel.transaction(toggle=True):
        if name in kernel.plugins.implementations("validate_settings"):
            kernel.plugins.call_one(name, "validate_settings", kernel=kernel, plugin=name,
                                    settings=loaded, previous=previous)
        (PluginState.insert(name=name, state=plugin.stored_state, version=plugin.version,
                            settings=merged)
         .on_conflict(conflict_target=[PluginState.name],
                      update={PluginState.settings: merged})
         .execute())
        write_audit(actor, "settings", "plugin", [(0, {
            "plugin": [name, name], "settings": [jsonable(stored), jsonable(merged)]})])
        bump("plugin_state")
    kernel.sync()
    return kernel.settings(name)


def patch_settings(kernel: Accord, name: str, patch: dict[str, Any], *,
                   actor: Actor) -> dict[str, Any]:
    """Change part of a plugin's settings with a JSON merge patch (RFC 7396), applied to
    the settings in force: an object is merged into the setting's object (one pipeline
    of the sales ``pipelines``, the others kept), ``null`` removes a key (a top-level
    one goes back to what accord.toml or the default gives), anything else replaces.
    The result is checked as a whole, like ``set_settings``. Returns the settings now
    in force."""
    require(actor, PLUGINS)
    kernel.sync()
    _not_core(name, "configure")
    plugin = kernel.plugins.get(name)
    kernel.plugins._refuse_failed(plugin)
    current = kernel.settings(name) if plugin.stored_state != "purged" else {}
    unknown = sorted(k for k, v in patch.items() if v is None and k not in current)
    if unknown:
        raise ValidationError({k: [f"{name} has no setting {k!r}"] for k in unknown})
    values = {k: merge_patch(current.get(k), v) for k, v in patch.items() if v is not None}
    return set_settings(kernel, name, jsonable(values), actor=actor,
                        reset=[k for k, v in patch.items() if v is None])


def merge_patch(target: Any, patch: Any) -> Any:
    """``patch`` applied to ``target`` as RFC 7396 says: objects merge key by key,
    ``null`` removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def _models_of(kernel: Accord, name: str) -> list[type[peewee.Model]]:
    models: list[type[peewee.Model]] = [
        rt.model for _, rt in kernel.plugins.collect("register_record_types", only=[name])]
    models += [m for _, m in kernel.plugins.collect("register_models", only=[name])]
    return list(dict.fromkeys(models))


def _types_of(kernel: Accord, name: str) -> list[str]:
    """The names of the record types a plugin declares, whatever its state."""
    return [rt.name for _, rt in kernel.plugins.collect("register_record_types", only=[name])]


def _check_record_types(kernel: Accord, name: str) -> None:
    for _, record_type in kernel.plugins.collect("register_record_types", only=[name]):
        if record_type.name in kernel.records:
            owner = kernel.records.get(record_type.name).plugin
            raise PluginError(f"cannot enable {name}: record type {record_type.name} is "
                              f"already declared by {owner}", plugin=name)


def _set_state(kernel: Accord, name: str, state: str, actor: Actor,
               details: dict[str, Any] | None = None) -> None:
    plugin = kernel.plugins.get(name)
    previous = plugin.stored_state
    (PluginState.insert(name=name, state=state, version=plugin.version, changed_at=utcnow())
     .on_conflict(conflict_target=[PluginState.name],
                  update={PluginState.state: state, PluginState.version: plugin.version,
                          PluginState.changed_at: utcnow()})
     .execute())
    changes = {"plugin": [name, name], "state": [previous, state], **(details or {})}
    write_audit(actor, state, "plugin", [(0, changes)])
    bump("plugin_state")


def _not_core(name: str, verb: str) -> None:
    if name == CORE:
        raise PluginError(f"the core cannot be {verb}d; it is not a plugin", plugin=CORE)


