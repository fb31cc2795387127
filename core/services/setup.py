"""Setting up a database: the core's tables, then the plugins the config enables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..models import PluginState
from .actors import Actor
from .authz import require
from .plugins import PLUGINS, enable

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["initialise"]


def initialise(kernel: Accord, *, actor: Actor) -> list[str]:
    """On a fresh database, enable the plugins named in ``enabled_plugins`` (with what
    they require). Returns the names enabled; nothing on a database set up before.
    Needs admin.plugins."""
    require(actor, PLUGINS)
    with kernel.bound():
        fresh = not PluginState.select().exists()
    if not fresh:
        return []
    enabled: list[str] = []
    for name in kernel.config.enabled_plugins:
        if name not in kernel.plugins.plugins:
            raise ConfigError(f"enabled_plugins: unknown plugin {name!r} (installed: "
                              f"{', '.join(sorted(kernel.plugins.plugins)) or 'none'})")
        if kernel.plugins.get(name).stored_state != "enabled":
            enabled += enable(kernel, name, actor=actor, with_deps=True)
    return enabled
