"""Deprecating public functions and hook specifications, naming the plugin that uses them.

The policy (docs/compatibility.md): a public function or hookspec is deprecated in one
minor version of the core API and removed in a later one, never sooner; meanwhile it
keeps working and every use warns with an ``AccordDeprecationWarning`` that names the
plugin using it and what to use instead.

- ``@deprecated(since="1.2", removed_in="1.3", use="accord.services.new_thing")`` on a
  public function: each call warns ``plugin 'acme_fees' calls
  accord.services.old_thing, deprecated since 1.2 and removed in 1.3: use
  accord.services.new_thing`` (the plugin is the first one found walking the call
  stack outwards) and logs that line once per plugin and function.
- ``@deprecated_hook(since=..., removed_in=..., use="new_hook")`` under ``@hookspec`` on
  a hook specification: loading a plugin that implements it warns and logs
  ``plugin 'acme_fees' implements hook old_hook, deprecated since 1.2 and removed in
  1.3: use new_hook``.

``DeprecationWarning`` is hidden by Python's default filters outside ``__main__``;
pytest shows it, ``-W error::accord.compat.AccordDeprecationWarning`` turns it into a
failure, and the log line reaches a server's logs either way.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
import types
import warnings
from dataclasses import dataclass
from typing import Any, Callable, ParamSpec, TypeVar

from packaging.version import InvalidVersion, Version

__all__ = ["AccordDeprecationWarning", "Deprecation", "deprecated", "deprecated_hook",
           "deprecation_of", "hook_deprecations", "plugin_loaded", "plugin_of_module",
           "calling_plugin"]

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])

#: The attribute a deprecated function or hookspec carries its ``Deprecation`` in.
ATTRIBUTE = "__accord_deprecated__"


class AccordDeprecationWarning(DeprecationWarning):
    """A plugin uses a function or hook that a later core API version removes."""


@dataclass(frozen=True)
class Deprecation:
    """What is deprecated (``name``), since and until which core API version, and the
    replacement to use."""

    name: str
    since: str
    removed_in: str
    use: str

    def __post_init__(self) -> None:
        for label in ("since", "removed_in"):
            try:
                Version(getattr(self, label))
            except InvalidVersion:
                raise ValueError(f"{self.name}: {label} {getattr(self, label)!r} is not a "
                                 "version number such as '1.2'") from None
        if Version(self.removed_in) <= Version(self.since):
            raise ValueError(f"{self.name}: removed_in {self.removed_in} must come after "
                             f"since {self.since} (deprecated for at least one minor version)")
        if not self.use.strip():
            raise ValueError(f"{self.name}: use must name the replacement")

    def terms(self) -> str:
        return (f"deprecated since {self.since} and removed in {self.removed_in}: "
                f"use {self.use}")


# Which plugin a module belongs to ------------------------------------------------

#: Module prefix (a plugin's package, or a plugin object's module) -> plugin name.
_PACKAGES: dict[str, str] = {}
#: (plugin, deprecated name) pairs logged since the plugin's last load: a hot loop logs
#: once.
_LOGGED: set[tuple[str, str]] = set()
_lock = threading.Lock()


def _package_of(obj: Any) -> str:
    """The modules that count as a plugin's own: the top-level package of its hooks
    module (``accord_acme.hooks`` -> ``accord_acme``), or for a plugin object given
    in code, the module that defines it."""
    if isinstance(obj, types.ModuleType):
        return obj.__name__.split(".", 1)[0]
    module = obj.__module__ if isinstance(obj, type) else type(obj).__module__
    return str(module)


def plugin_loaded(pm: Any, name: str, module: Any) -> None:
    """Called by the plugin manager once a plugin is registered: remember its package
    (so deprecated calls from it are attributed to it) and warn about each deprecated
    hook it implements."""
    package = _package_of(module)
    with _lock:
        if package.split(".", 1)[0] != "accord":  # the core's modules belong to no plugin
            _PACKAGES[package] = name
        # Each load of the plugin (a kernel starting) logs its deprecated calls anew.
        _LOGGED.difference_update([key for key in _LOGGED if key[0] == name])
    for message, impl in _deprecated_impls(pm, name):
        code = getattr(impl.function, "__code__", None)
        logger.warning("%s", message)
        if code is None:
            warnings.warn(message, AccordDeprecationWarning, stacklevel=2)
        else:
            warnings.warn_explicit(message, AccordDeprecationWarning, code.co_filename,
                                   code.co_firstlineno, module=getattr(module, "__name__", None))


def plugin_of_module(module_name: str) -> str | None:
    """The loaded plugin whose package holds the module ``module_name``, or None."""
    name = module_name
    while True:
        plugin = _PACKAGES.get(name)
        if plugin is not None:
            return plugin
        if "." not in name:
            return None
        name = name.rsplit(".", 1)[0]


def calling_plugin(depth: int = 1) -> tuple[str, types.FrameType] | None:
    """The first frame up the stack whose module belongs to a loaded plugin, with that
    plugin's name; None when no plugin is on the stack. The search starts ``depth``
    frames up: 1 is the function calling ``calling_plugin``, 2 its caller…"""
    frame: types.FrameType | None = sys._getframe(depth)
    while frame is not None:
        plugin = plugin_of_module(str(frame.f_globals.get("__name__", "")))
        if plugin is not None:
            return plugin, frame
        frame = frame.f_back
    return None


# Deprecated functions ---------------------------------------------------------------


def deprecated(since: str, removed_in: str, use: str) -> Callable[[Callable[P, R]],
                                                                   Callable[P, R]]:
    """Mark a public function deprecated: it keeps working, and each call warns with an
    ``AccordDeprecationWarning`` naming the calling plugin and ``use``, the dotted
    name of the replacement."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        info = Deprecation(f"{func.__module__}.{func.__qualname__}", since, removed_in, use)

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            _warn_call(info)
            return func(*args, **kwargs)

        setattr(wrapper, ATTRIBUTE, info)
        return wrapper

    return decorate


def _warn_call(info: Deprecation) -> None:
    found = calling_plugin(depth=3)  # _warn_call <- wrapper <- the caller
    if found is None:
        message = f"{info.name} is {info.terms()}"
        warnings.warn(message, AccordDeprecationWarning, stacklevel=3)
        return
    plugin, frame = found
    message = f"plugin {plugin!r} calls {info.name}, {info.terms()}"
    key = (plugin, info.name)
    if key not in _LOGGED:
        with _lock:
            _LOGGED.add(key)
        logger.warning("%s", message)
    # Reported at the plugin's line, with its module's once-per-location registry,
    # as warnings.warn(stacklevel=...) would had the plugin been the direct caller.
    registry = frame.f_globals.setdefault("__warningregistry__", {})
    warnings.warn_explicit(message, AccordDeprecationWarning, frame.f_code.co_filename,
                           frame.f_lineno, module=str(frame.f_globals.get("__name__")),
                           registry=registry, module_globals=frame.f_globals)


# Deprecated hook specifications ------------------------------------------------------


def deprecated_hook(since: str, removed_in: str, use: str) -> Callable[[F], F]:
    """Mark a hook specification deprecated (place it under ``@hookspec``): loading a
    plugin that implements the hook warns and logs, naming the plugin and ``use``,
    the hook to implement instead. Calls of the hook keep reaching the plugin."""

    def decorate(spec: F) -> F:
        setattr(spec, ATTRIBUTE, Deprecation(spec.__name__, since, removed_in, use))
        return spec

    return decorate


def deprecation_of(obj: Any) -> Deprecation | None:
    """The deprecation a function or hookspec carries, or None."""
    info = getattr(obj, ATTRIBUTE, None)
    return info if isinstance(info, Deprecation) else None


def _deprecated_impls(pm: Any, name: str) -> list[tuple[str, Any]]:
    plugin = pm.get_plugin(name)
    out = []
    for caller in pm.get_hookcallers(plugin) or []:
        info = deprecation_of(caller.spec.function) if caller.spec is not None else None
        if info is None:
            continue
        for impl in caller.get_hookimpls():
            if impl.plugin_name == name:
                out.append((f"plugin {name!r} implements hook {info.name}, {info.terms()}",
                            impl))
    return sorted(out, key=lambda pair: pair[0])


def hook_deprecations(pm: Any, name: str) -> list[str]:
    """The deprecated hooks the registered plugin ``name`` implements, as the messages
    loading it warns with (for checks such as ``accord plugin check``)."""
    return [message for message, _ in _deprecated_impls(pm, name)]
