"""Hooks through which plugins contribute to the web pages: navigation entries, the
record types of the global search, whole pages, record page panels and dashboard
widgets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import hookspec

if TYPE_CHECKING:
    from flask import Blueprint

    from accord.kernel import Accord
    from accord.metrics import MetricQuery
    from accord.pages import NavEntry, Panel, SearchType, Widget
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


@hookspec
def register_pages() -> list[Blueprint]:
    """Add whole pages of a plugin's own, under ``/<plugin>/…``.

    Called: once, when the web app is built, for every plugin that loaded (enabled or
        not), so enabling a plugin later shows its pages without a restart. A request to
        the pages of a plugin that is not running answers the 404 page naming the
        plugin. When a plugin loads, each item is checked to be a Flask ``Blueprint``,
        or the plugin fails to load with the reason.
    Returns: a list of ``flask.Blueprint``; each is mounted at ``/<plugin name>`` (its
        own ``url_prefix`` is ignored), so a view of the blueprint ``calendar`` of acme_dental is
        ``url_for("pages.acme_dental.calendar.<view>")``. A plugin named like a path of the
        core's pages (``admin``, ``records``, ``search``…) fails to load. Its ``template_folder`` (in the plugin
        package) is searched for templates; a page template extends ``base.html``.
        Its views run like the core's pages: the user is logged in (``flask.g.actor``
        is the restricted actor), every unsafe request carries the CSRF token
        (``{{ csrf_token() }}`` in a form's hidden ``csrf_token`` field), and an
        ``AccordError`` raised by a service becomes the error page with its message.
    Order: every implementation runs; a plugin's blueprints are mounted in the order it
        returns them.
    Since: 0.3
    """


@hookspec
def record_panels(kernel: Accord, actor: Actor, record_type: str,
                  record: dict[str, Any]) -> list[Panel]:
    """Add boxes to the page of a record (related records, figures, a plugin's items).

    Called: each time a record page is drawn, outside any transaction; only for
        running plugins.
    Args: record_type: the name of the record's type (``contact``,
        ``acme_dental.appointment``). record: the record as the reader may see it (the
        API's JSON of it, masked fields left out). actor: the reader; a panel shows
        only what the actor may read (apply ``reading(kernel, actor, type)`` or the
        services, which do).
    Returns: a list of ``accord.pages.Panel``, empty for a record the plugin has nothing
        to add to. A panel that is not a ``Panel``, or raises, is logged and left out;
        the page is drawn without it.
    Order: every implementation runs; panels are shown by ``order``, then title. The
        core adds a box per record type that refers to the record (an organization's
        contacts, a plugin's records pointing at it); a plugin's panel with the same
        title replaces the core's box.
    Since: 0.3
    """


@hookspec
def dashboard_widgets(kernel: Accord, actor: Actor, query: MetricQuery) -> list[Widget]:
    """Add charts and figures to the dashboard, besides the KPI of each metric.

    Called: each time the dashboard is drawn, outside any transaction; only for running
        plugins.
    Args: query: the dashboard's filters as a metric query: ``start`` and ``end`` (the
        date range), ``owner_id`` and ``team_id`` (None: all the reader may see), and
        ``reader``, the actor. Count only what the reader's record rules reach: use
        ``accord.metrics.scoped`` (or ``reading``/``reaches``), which also refuse an
        owner or team filter outside them.
    Returns: a list of ``accord.pages.Widget``, figures in the base currency. A widget
        that is not a ``Widget``, or a hook that raises, is logged and shown as a box
        saying it could not be drawn; an ``AccordError`` shows its message there.
    Order: every implementation runs; widgets are shown by ``order``, then title, after
        the metrics' KPI.
    Since: 0.3
    """
