"""Hooks through which plugins contribute to the web pages: navigation entries and the
record types of the global search."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import hookspec

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.pages import NavEntry, SearchType
    from accord.services.actors import Actor


@hookspec
def navigation_entries(kernel: Accord, actor: Actor) -> list[NavEntry]:
    """Add entries to the navigation bar of the web pages.

    Called: for every page drawn for a logged-in user, outside any transaction; only
        for running plugins, so a plugin disabled in any process loses its entries on
        the next page.
    Args: actor: the user the page is drawn for (restricted by their role).
    Returns: a list of ``accord.pages.NavEntry(label, url, permission, order)``; the
        core shows an entry only to users holding its ``permission``. An entry whose
        url is not a path on the site (``/…``) or whose permission no running plugin
        declares is logged and left out.
    Order: every implementation runs (pluggy's call order: the plugin registered last
        first, the core last); of entries with the same url the first wins, the
        others are logged and left out. The bar shows the entries by ``order``, then
        ``label`` (the core's Home is 0, its record types 10 to 19).
    Since: 0.2
    """


@hookspec
def register_search_types() -> list[SearchType]:
    """Put a plugin's record types into the global search of the web pages.

    Called: whenever a page searches (the search box of every page, ``/search``);
        only for running plugins. When a plugin loads, its search types are checked:
        each must name one of its own record types, and its ``details`` fields of
        that type's schema, or the plugin fails to load with the reason.
    Returns: a list of ``accord.pages.SearchType(record_type, label, details, order)``.
        The search matches the type's ``searchable`` fields, reaching only the
        records the reader may read (permission, record rule, masking).
    Order: every implementation runs; result groups are shown by ``order``, then
        label; a record type given twice is searched once (the first wins).
    Since: 0.2
    """
