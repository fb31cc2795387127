"""Naming the plugin whose hook implementation raised.

``kernel.hooks.<name>(...)`` calls go through ``Guarded``: an error a plugin raises on
purpose (``AccordError``, such as a validation veto) and the database being away
(accord.unavailable) pass through unchanged; any other exception becomes a
``PluginFailed`` naming the plugin and the hook, logged with its traceback. Raised
inside the write transaction, it rolls the write back like any veto, so a plugin that
fails on every call refuses the writes it takes part in, and nothing else.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

import marshmallow as ma

from ..errors import AccordError, PluginFailed
from ..unavailable import unavailable

__all__ = ["Guarded", "culprit"]

logger = logging.getLogger(__name__)


class Guarded:
    """A hook caller whose plugins' own errors are named (see the module)."""

    __slots__ = ("_caller", "_name")

    def __init__(self, caller: Any, name: str) -> None:
        self._caller = caller
        self._name = name

    def __call__(self, **kwargs: Any) -> Any:
        try:
            return self._caller(**kwargs)
        except (AccordError, ma.ValidationError):
            raise
        except Exception as exc:
            if unavailable(exc) is not None:
                raise
            plugin = culprit(self._caller, exc.__traceback__)
            if plugin is None:
                raise
            logger.exception("plugin %s failed in hook %s", plugin, self._name)
            detail = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:200]
            raise PluginFailed(
                f"the plugin {plugin} failed in its hook {self._name} ({detail}); "
                "nothing was changed; disable the plugin or tell its author",
                plugin=plugin, hook=self._name) from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._caller, name)


def culprit(caller: Any, tb: TracebackType | None) -> str | None:
    """The plugin whose implementation of ``caller``'s hook is on the traceback
    (the outermost one: the implementation that was running when it raised)."""
    codes: dict[Any, str] = {}
    for impl in caller.get_hookimpls():
        code = getattr(impl.function, "__code__", None)
        if code is not None:
            codes[code] = str(impl.plugin_name)
    while tb is not None:
        name = codes.get(tb.tb_frame.f_code)
        if name is not None:
            return name
        tb = tb.tb_next
    return None
