"""What the core keeps about records of given types besides their rows: the activities
on them, their tags and their audit entries. A purge counts these (its dry run), writes
them into its export and deletes them with the plugin's tables, so nothing is left
that a later record could be taken for.

An activity on one of the records goes whole, even when it also names an organization
or a contact, and so do its own tags and audit entries; a tag goes when no other
record carries it any more.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..models import Activity, AuditEntry, Tag, Tagging
from .values import jsonable_row

__all__ = ["count_traces", "export_traces", "delete_traces", "TRACES"]

#: What a purge reports, in this order.
TRACES = ("activities", "tag links", "tags", "audit entries")


def _activities(types: Sequence[str]) -> Any:
    return Activity.select(Activity.id).where(Activity.record_type.in_(list(types)))


def _on_records(model: Any, types: Sequence[str]) -> Any:
    """Rows of ``model`` (Tagging, AuditEntry) about the records or their activities."""
    return (model.record_type.in_(list(types))
            | ((model.record_type == "activity") & model.record_id.in_(_activities(types))))


def _lone_tags(types: Sequence[str]) -> Any:
    """Tags on the records that no other record carries."""
    gone = Tagging.select(Tagging.tag).where(_on_records(Tagging, types))
    kept = Tagging.select(Tagging.tag).where(~_on_records(Tagging, types))
    return Tag.select(Tag.id).where(Tag.id.in_(gone), Tag.id.not_in(kept))


def count_traces(types: Sequence[str]) -> dict[str, int]:
    """How many of each (``TRACES``) the records of ``types`` have. Inside ``bound()``."""
    if not types:
        return dict.fromkeys(TRACES, 0)
    return {"activities": _activities(types).count(),
            "tag links": Tagging.select().where(_on_records(Tagging, types)).count(),
            "tags": _lone_tags(types).count(),
            "audit entries": AuditEntry.select().where(_on_records(AuditEntry, types)).count()}


def export_traces(types: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Those rows by table, as JSON-ready dicts (a tag link with its ``tag_name``)."""
    if not types:
        return {}
    links = (Tagging.select(Tagging, Tag.name.alias("tag_name")).join(Tag)
             .where(_on_records(Tagging, types)).order_by(Tagging.id))
    tables: dict[str, Any] = {
        "accord_activity": Activity.select().where(Activity.record_type.in_(list(types)))
                                   .order_by(Activity.id),
        "accord_tagging": links,
        "accord_tag": Tag.select().where(Tag.id.in_(_lone_tags(types))).order_by(Tag.id),
        "accord_audit": AuditEntry.select().where(_on_records(AuditEntry, types))
                                  .order_by(AuditEntry.id),
    }
    return {table: [jsonable_row(row) for row in query.dicts()]
            for table, query in tables.items()}


def delete_traces(types: Sequence[str]) -> None:
    """Delete those rows; call inside the purge's transaction."""
    if not types:
        return
    lone = [row[0] for row in _lone_tags(types).tuples()]
    Tagging.delete().where(_on_records(Tagging, types)).execute()
    AuditEntry.delete().where(_on_records(AuditEntry, types)).execute()
    Activity.delete().where(Activity.record_type.in_(list(types))).execute()
    if lone:
        Tag.delete().where(Tag.id.in_(lone)).execute()
