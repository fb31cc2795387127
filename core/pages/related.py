"""Related records on a record page: for each record type with a reference to the
record's type (an organization's contacts, opportunities, tickets…), the first records
that refer to it, as far as the reader's permission and record rule reach; a type with
none gets no box.

Generic, like the list pages: a plugin's type that refers to a core record shows on
the core record's page without a hook. The activities are on the timeline already.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import AccordError
from ..services.authz import permission_for
from ..services.lists import list_page
from ..services.search import title_of
from .entries import Panel

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordType
    from ..services.actors import Actor

__all__ = ["related_panels", "SHOWN"]

#: Records shown per related type; the panel links to the list of all of them.
SHOWN = 10
_LEFT_OUT = frozenset({"activity"})
_STATE = ("stage", "status", "relationship")
_AMOUNT = ("amount", "total", "value")


def related_panels(kernel: Accord, actor: Actor, record_type: str,
                   record: dict[str, Any]) -> list[Panel]:
    target = kernel.records.get(record_type)
    panels = []
    referring = _referring(kernel, target)
    for rt, field in referring:
        if not actor.can(permission_for(rt, "read")):
            continue
        try:
            page = list_page(kernel, rt, actor=actor, filters={field: record["id"]},
                             limit=SHOWN)
        except AccordError:  # a filter the reader may not use (masked): not shown
            continue
        if not page["items"]:
            continue  # no box for a type with nothing to show
        columns = _columns(rt)
        rows = [(title_of(rt, item), *(item.get(c) for c in columns)) for item in page["items"]]
        links: list[str | None] = [f"/records/{rt.name}/{item['id']}" for item in page["items"]]
        title = _plural(rt)
        if sum(1 for other, _ in referring if other is rt) > 1:
            title += f" ({field.removesuffix('_id').replace('_', ' ')})"
        more = f"/records/{rt.name}?{field}={record['id']}"
        if page["next_cursor"]:
            rows.append((f"All {title.lower()} …", *("" for _ in columns)))
            links.append(more)
        panels.append(Panel(title, columns=("Name", *(_heading(c) for c in columns)),
                            rows=tuple(rows), links=tuple(links), order=50))
    return panels


def _referring(kernel: Accord, target: RecordType) -> list[tuple[RecordType, str]]:
    """(type, field) of every reference to ``target``'s records, by type name."""
    found = []
    for rt in sorted(kernel.records, key=lambda t: t.name):
        if rt.name in _LEFT_OUT or rt is target:
            continue
        fields = kernel.schema(rt).fields
        found += [(rt, ref.object_id_name) for ref in rt.model._meta.refs
                  if ref.rel_model is target.model and ref.object_id_name in fields]
    return found


def _columns(rt: RecordType) -> list[str]:
    """Its state (stage, status) and its amount, those it has."""
    fields = rt.schema._declared_fields
    return [name for group in (_STATE, _AMOUNT)
            for name in [next((n for n in group if n in fields), None)] if name]


def _plural(rt: RecordType) -> str:
    text = rt.plural.replace("_", " ")
    return text[:1].upper() + text[1:]


def _heading(name: str) -> str:
    return name[:1].upper() + name[1:].replace("_", " ")
