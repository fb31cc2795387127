"""What plugins give the web pages through hooks: navigation entries, search types,
record page panels and dashboard widgets.

Small frozen values, imported by plugins (``from accord.pages import NavEntry``); this
module imports nothing of Flask, so a plugin's hooks module stays cheap to import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Mapping, TypeVar

__all__ = ["NavEntry", "SearchType", "Panel", "Widget", "Series", "WIDGET_KINDS", "public"]

_VIEW = TypeVar("_VIEW", bound=Callable[..., Any])


def public(view: _VIEW) -> _VIEW:
    """Mark a view of a plugin's page blueprint as answered without a login (a web form
    customers fill in). The CSRF check still applies to its forms, ``g.actor`` is None,
    and the view must rate-limit and validate what strangers send it."""
    setattr(view, "accord_public", True)
    return view


def signed_link(view: _VIEW) -> _VIEW:
    """Mark a public view whose URL carries its own proof (a signed token the view
    checks before anything else): answered without a login and without the CSRF check,
    so a mail client's one-click unsubscribe (RFC 8058, a POST with no form token) works.
    Only for views that verify their signed token and refuse (4xx, nothing written) a
    missing, tampered or expired one: the token, not a session, is what allows the POST."""
    setattr(view, "accord_public", True)
    setattr(view, "accord_signed_link", True)
    return view


@dataclass(frozen=True)
class NavEntry:
    """An entry of the navigation bar every page shows (``navigation_entries``).

    ``url`` is a path on the site (``/records/acme_dental.appointment``, a page
    of the plugin's own). The entry is shown only to users holding ``permission`` (None:
    every logged-in user); entries are sorted by ``order``, then ``label``.
    """

    label: str
    url: str
    permission: str | None = None
    order: int = 100


@dataclass(frozen=True)
class SearchType:
    """A record type the global search looks through (``register_search_types``).

    Its records are matched on the type's ``searchable`` fields, with the reader's
    permission, record rule and masking applied. A result shows the record's title
    (``title_fields``) and the values of ``details`` (field names of the type's
    schema, such as ``("email",)`` or ``("stage", "amount")``); ``label`` heads the
    group of results (default: the type's label); groups are sorted by ``order``.
    """

    record_type: str
    label: str = ""
    details: tuple[str, ...] = ()
    order: int = 100

    def __post_init__(self) -> None:
        if isinstance(self.details, str):
            object.__setattr__(self, "details", (self.details,))
        else:
            object.__setattr__(self, "details", tuple(self.details))


@dataclass(frozen=True)
class Panel:
    """A box on a record page (``record_panels``).

    Either a table: ``columns`` (headings) and ``rows`` (tuples of cells, shown as text),
    with ``links`` giving each row's page (a path on the site, or None), and ``empty``
    shown when there are no rows; or a template of the plugin's own (in the
    ``template_folder`` of a blueprint it returns from ``register_pages``), drawn with
    ``context``. Panels are sorted by ``order``, then ``title``.
    """

    title: str
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    links: tuple[str | None, ...] = ()
    empty: str = "Nothing yet."
    template: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    order: int = 100

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "rows", tuple(tuple(row) for row in self.rows))
        object.__setattr__(self, "links", tuple(self.links))


#: What a widget draws: a bar chart (one bar per label and series), one figure, or a
#: table.
WIDGET_KINDS = ("bars", "figure", "table")


@dataclass(frozen=True)
class Series:
    """One row of values of a bar chart, one value per label of its widget."""

    name: str
    values: tuple[Decimal | int | float | None, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))


@dataclass(frozen=True)
class Widget:
    """A box on the dashboard (``dashboard_widgets``).

    ``kind`` is ``bars`` (``labels`` along the axis, one ``Series`` or more), ``figure``
    (``value``, with ``note`` under it) or ``table`` (``columns`` and ``rows``).
    ``currency`` (an ISO code) formats the values as money; ``link`` is a page with the
    details (a path on the site). Widgets are sorted by ``order``, then ``title``.
    """

    title: str
    kind: str
    labels: tuple[str, ...] = ()
    series: tuple[Series, ...] = ()
    value: Decimal | int | float | str | None = None
    note: str = ""
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    currency: str | None = None
    link: str | None = None
    order: int = 100

    def __post_init__(self) -> None:
        if self.kind not in WIDGET_KINDS:
            raise ValueError(f"widget {self.title!r}: kind {self.kind!r} is not one of "
                             f"{', '.join(WIDGET_KINDS)}")
        for name in ("labels", "series", "columns"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "rows", tuple(tuple(row) for row in self.rows))
        for series in self.series:
            if len(series.values) != len(self.labels):
                raise ValueError(f"widget {self.title!r}: series {series.name!r} has "
                                 f"{len(series.values)} values for {len(self.labels)} labels")
