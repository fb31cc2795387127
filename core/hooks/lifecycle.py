"""Hooks about the kernel's own life: start and plugin state changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import hookspec

if TYPE_CHECKING:
    from typing import Any

    from accord.kernel import Accord


@hookspec(historic=True)
def kernel_started(kernel: Accord) -> None:
    """Learn that a kernel has opened its database and loaded its plugins.

    Called: once per kernel, at the end of ``Accord.start()``, outside any transaction;
        historic, so a plugin registered later is called on registration. A plugin
        that starts running later (enabled in this or another process) is called
        once, when the kernel picks the change up.
    Returns: None. Use it to connect signal receivers or fill ``kernel.stash``.
    Order: every implementation runs.
    Since: 0.1
    """


@hookspec
def plugin_enabled(kernel: Accord, name: str) -> None:
    """React to a plugin having just been enabled (its migrations applied).

    Called: once per enable, after the state is committed, in the enabling process.
        Implementations of the plugin just enabled run as well.
    Args: name: the plugin just enabled.
    Returns: None.
    Order: every implementation runs.
    Since: 0.1
    """


@hookspec
def validate_settings(kernel: Accord, plugin: str, settings: dict[str, Any],
                      previous: dict[str, Any]) -> None:
    """Veto a change of a plugin's settings (a pipeline stage still in use, say).

    Called: when settings are changed through ``accord plugins settings`` (or the admin
        API), inside the transaction that stores them, after the plugin's settings
        schema accepted them. ``plugin`` names the plugin whose settings change;
        implementations check it themselves.
    Returns: None. Raise accord.errors.ValidationError naming the setting to refuse.
    Order: every implementation runs; the first error aborts the change.
    Since: 0.1
    """
