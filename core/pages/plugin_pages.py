"""Plugins' own pages (``register_pages``) and the boxes they add to record pages
(``record_panels``).

Each loaded plugin's blueprints are mounted under ``/<plugin>`` inside the pages'
blueprint, so its views run behind the same login, CSRF check and error pages as the
core's. They are mounted when the app is built, whatever the plugin's state, and a
request to the pages of a plugin that is not running (disabled here or by another
process) answers the 404 page naming the plugin: a toggle needs no restart.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask import Blueprint

from ..errors import NotFound
from ..plugins.manager import CORE
from .entries import Panel

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..services.actors import Actor

__all__ = ["mount_plugin_pages", "record_panels", "RESERVED_PATHS"]

logger = logging.getLogger(__name__)

#: First segments of the core's own page paths: a plugin of such a name has its pages
#: refused when it loads (``PluginManager`` checks ``register_pages``).
RESERVED_PATHS = frozenset({"admin", "activities", "api", "dashboard", "login", "logout",
                            "records", "search", "static"})


def mount_plugin_pages(pages: Blueprint, kernel: Accord) -> None:
    """Mount every loaded plugin's blueprints under ``/<plugin>`` in ``pages`` (before
    ``pages`` is registered on the app)."""
    loaded = [name for name, plugin in kernel.plugins.plugins.items()
              if plugin.module is not None and not plugin.failed]
    for plugin in loaded:
        try:
            blueprints = [bp for _, bp in kernel.plugins.collect("register_pages",
                                                                  only=[plugin])]
        except Exception:  # checked when the plugin loaded; the app is built without them
            logger.exception("the pages of %s are left out: register_pages failed", plugin)
            continue
        if not blueprints:
            continue
        mount = Blueprint(plugin, f"accord.pages.{plugin}")
        mount.before_request(_gate(kernel, plugin))
        for blueprint in blueprints:
            mount.register_blueprint(blueprint, url_prefix="")
        pages.register_blueprint(mount, url_prefix=f"/{plugin}")


def _gate(kernel: Accord, plugin: str) -> Any:
    def running() -> None:
        stopped = kernel.plugins.stopped(plugin)
        if stopped is not None:
            raise NotFound(f"The pages of {plugin} are not available: {stopped}.")
    return running


def record_panels(kernel: Accord, actor: Actor, record_type: str,
                  record: dict[str, Any]) -> list[Panel]:
    """The running plugins' panels for one record, by order then title. A plugin whose
    hook raises, or gives something else than a Panel, is logged and left out."""
    panels: list[tuple[str, Panel]] = []
    for plugin in sorted(kernel.plugins.active):
        try:
            given = kernel.plugins.collect("record_panels", only=[plugin], kernel=kernel,
                                           actor=actor, record_type=record_type,
                                           record=record)
        except Exception:  # plugin code drawing a page: the page is drawn without it
            logger.exception("record_panels of %s failed for %s %s", plugin, record_type,
                             record.get("id"))
            continue
        for _, panel in given:
            if isinstance(panel, Panel):
                panels.append((plugin, panel))
            else:
                logger.error("record panel %r of %s ignored: not an accord.pages.Panel",
                             panel, plugin)
    # A plugin's panel titled like one of the core's related-records boxes ("Quotes" on
    # an opportunity) replaces it.
    theirs = {panel.title for plugin, panel in panels if plugin != CORE}
    kept = [panel for plugin, panel in panels if plugin != CORE or panel.title not in theirs]
    return sorted(kept, key=lambda p: (p.order, p.title))
