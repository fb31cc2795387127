"""Accord's hook specifications and the markers plugins use.

A plugin imports one name: ``from accord.hooks import hookimpl``. The specs are
grouped by concern in the modules of ``SPEC_MODULES``, in the order the hook
reference (docs/reference/hooks.md) lists them.
"""

from __future__ import annotations

import pluggy

__all__ = ["hookimpl", "hookspec", "SPEC_MODULES", "PROJECT"]

PROJECT = "accord"

#: Marks a plugin's implementation of a hook.
hookimpl = pluggy.HookimplMarker(PROJECT)
#: Marks a hook specification (the core's, or one a plugin declares for others).
hookspec = pluggy.HookspecMarker(PROJECT)

#: The spec modules, in reference order.
SPEC_MODULES = (
    "accord.hooks.lifecycle",
    "accord.hooks.declarations",
    "accord.hooks.writes",
    "accord.hooks.contributions",
    "accord.hooks.web",
)
