"""The global search of the web pages: one text across the record types the core and
the running plugins put into it (``register_search_types``).

Each type is searched with ``list_page``, so the reader's read permission, record
rule and masking apply exactly as in the API's lists (``?q=``): a type the reader may
not read is left out, a record their rule does not reach is never found, and a
personal field they may not read is neither searched nor shown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from .authz import permission_for
from .lists import list_page

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..pages import SearchType
    from ..records import RecordType
    from .actors import Actor

__all__ = ["SearchGroup", "search", "search_types", "title_of", "GROUP_SIZE"]

logger = logging.getLogger(__name__)

#: Results shown per type when every type is searched at once.
GROUP_SIZE = 5
#: Newest changes first: what was touched lately is what people look for.
_SORT = ["-updated_at"]


@dataclass(frozen=True)
class SearchGroup:
    """The records of one type that match: dumped as the API shows them to the reader
    (masked fields None), newest change first, with the cursor of the next page."""

    search: SearchType
    record_type: RecordType
    items: list[dict[str, Any]]
    next_cursor: str | None

    @property
    def label(self) -> str:
        return self.search.label or self.record_type.label or self.record_type.name


def search_types(kernel: Accord) -> list[tuple[SearchType, RecordType]]:
    """The search types of the core and the running plugins, by order then label; a
    record type given twice is taken once (the first), one that is not running (a
    plugin's type whose plugin stopped) is left out."""
    from ..pages import SearchType as SearchTypeClass

    found: dict[str, tuple[SearchType, RecordType]] = {}
    for plugin, search in kernel.plugins.collect("register_search_types"):
        if not isinstance(search, SearchTypeClass):
            logger.warning("search type %r of %s ignored: not an accord.pages.SearchType",
                           search, plugin)
            continue
        if search.record_type in found or search.record_type not in kernel.records:
            continue
        found[search.record_type] = (search, kernel.records.get(search.record_type))
    return sorted(found.values(),
                  key=lambda pair: (pair[0].order, pair[0].label or pair[1].label))


def search(kernel: Accord, q: str | None, *, actor: Actor, record_type: str | None = None,
           cursor: str | None = None, limit: int = GROUP_SIZE) -> list[SearchGroup]:
    """Records matching ``q`` in every search type the actor may read (``limit`` of
    each); with ``record_type``, that type alone, one page from ``cursor`` (and every
    record of it, newest first, when ``q`` is empty).

    A type that is not a search type is ``NotFound`` (naming the plugin when it is not
    running); lacking its read permission is ``PermissionDenied``; a bad ``q`` or
    cursor is ``BadQuery``."""
    q = (q or "").strip()
    types = search_types(kernel)
    if record_type is not None:
        kernel.records.get(record_type)  # NotFound saying why, when its plugin is off
        chosen = [pair for pair in types if pair[1].name == record_type]
        if not chosen:
            names = ", ".join(rt.name for _, rt in types) or "none"
            raise NotFound(f"{record_type!r} is not searched from the pages "
                           f"(searched: {names})")
        search_type, rt = chosen[0]
        page = list_page(kernel, rt, actor=actor, q=q or None, sort=_SORT, cursor=cursor,
                         limit=limit)
        return [SearchGroup(search_type, rt, page["items"], page["next_cursor"])]
    if not q:
        return []
    groups = []
    for search_type, rt in types:
        if not actor.can(permission_for(rt, "read")):
            continue
        page = list_page(kernel, rt, actor=actor, q=q, sort=_SORT, limit=limit)
        if page["items"]:
            groups.append(SearchGroup(search_type, rt, page["items"], page["next_cursor"]))
    return groups


def title_of(record_type: RecordType, item: dict[str, Any]) -> str:
    """A dumped record's title (its type's ``title_fields``), else "<Label> <id>"."""
    keys = record_type.data_keys
    parts = [item.get(keys.get(name, name)) for name in record_type.title_fields]
    title = " ".join(str(part) for part in parts if part not in (None, ""))
    return title or f"{record_type.label or record_type.name} {item.get('id')}"
