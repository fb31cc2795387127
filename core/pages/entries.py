"""What plugins give the web pages through hooks: navigation entries and search types.

Small frozen values, imported by plugins (``from accord.pages import NavEntry``); this
module imports nothing of Flask, so a plugin's hooks module stays cheap to import.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NavEntry", "SearchType"]


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
