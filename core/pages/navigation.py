"""The navigation bar: the entries of the core and the running plugins
(``navigation_entries``) that the user may follow."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from .entries import NavEntry

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..services.actors import Actor

__all__ = ["ShownEntry", "navigation", "entry_problem"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShownEntry:
    """An entry as the bar shows it: whether it is the page being shown."""

    label: str
    url: str
    current: bool
    plugin: str


def navigation(kernel: Accord, actor: Actor, path: str,
               args: dict[str, str]) -> list[ShownEntry]:
    """The entries ``actor`` may follow, by order then label; the one for the page at
    ``path`` with query ``args`` marked current."""
    kept: list[tuple[str, NavEntry]] = []
    urls: set[str] = set()
    for plugin, entry in kernel.plugins.collect("navigation_entries", kernel=kernel,
                                                actor=actor):
        problem = entry_problem(kernel, entry)
        if problem is None and entry.url in urls:
            problem = "another entry has its url"
        if problem:
            logger.warning("navigation entry %r of %s ignored: %s", entry, plugin, problem)
            continue
        urls.add(entry.url)
        if entry.permission is None or actor.can(entry.permission):
            kept.append((plugin, entry))
    kept.sort(key=lambda pair: (pair[1].order, pair[1].label))
    return [ShownEntry(e.label, e.url, _is_current(e.url, path, args), plugin)
            for plugin, e in kept]


def entry_problem(kernel: Accord, entry: object) -> str | None:
    """Why an entry cannot be shown, or None."""
    if not isinstance(entry, NavEntry):
        return "not an accord.pages.NavEntry"
    if not entry.label.strip():
        return "no label"
    if not entry.url.startswith("/") or entry.url.startswith("//"):
        return f"url {entry.url!r} is not a path on the site (/…)"
    if entry.permission is not None and entry.permission not in kernel.permissions:
        return f"no running plugin declares the permission {entry.permission}"
    return None


def _is_current(url: str, path: str, args: dict[str, str]) -> bool:
    """The entry's path is the page's, and its query values are the page's too (the
    Contacts entry stays current while its list is searched)."""
    parts = urlsplit(url)
    if parts.path != path:
        return False
    wanted = dict(parse_qsl(parts.query))
    return all(args.get(key) == value for key, value in wanted.items())
