"""Accord: a plugin-based CRM framework. ``from accord import Accord`` gives the kernel.

Heavy modules are imported on first use so that ``accord --help`` starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Accord", "Config", "load_config", "__version__"]

if TYPE_CHECKING:
    from .config import Config, load_config
    from .kernel import Accord


def __getattr__(name: str) -> Any:
    if name == "Accord":
        from .kernel import Accord

        return Accord
    if name in ("Config", "load_config"):
        from . import config

        return getattr(config, name)
    raise AttributeError(f"module 'accord' has no attribute {name!r}")
