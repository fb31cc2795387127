"""Tags on any record, of the core's types or a plugin's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ValidationError
from ..models import AuditEntry, Tag, Tagging, utcnow
from .actors import Actor

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["tag", "untag", "tags_of", "forget_tags"]


def _clean(name: str) -> str:
    name = name.strip().lower()
    if not name or len(name) > 100:
        raise ValidationError({"tag": ["a tag is 1 to 100 characters"]})
    return name


def tag(kernel: Accord, type_name: str, record_id: int, names: list[str], *,
        actor: Actor) -> list[str]:
    """Put tags on a record (creating unknown tags); returns the record's tags."""
    from .records import get

    get(kernel, type_name, record_id)
    cleaned = sorted({_clean(n) for n in names})
    with kernel.transaction():
        for name in cleaned:
            # get_or_create is unannotated in peewee-stubs.
            tag_row, _ = Tag.get_or_create(name=name)  # type: ignore[no-untyped-call]
            _, created = Tagging.get_or_create(  # type: ignore[no-untyped-call]
                tag=tag_row, record_type=type_name, record_id=record_id)
            if created:
                AuditEntry.create(at=utcnow(), actor_id=actor.user_id, actor_label=actor.label,
                                  action="tagged", record_type=type_name, record_id=record_id,
                                  changes={"tags": [None, name]})
    return tags_of(kernel, type_name, record_id)


def untag(kernel: Accord, type_name: str, record_id: int, names: list[str], *,
          actor: Actor) -> list[str]:
    cleaned = [_clean(n) for n in names]
    with kernel.transaction():
        # Only the tags the record had: the audit names what was really removed.
        present = {t.id: t.name for t in Tag.select().join(Tagging).where(
            Tag.name.in_(cleaned), Tagging.record_type == type_name,
            Tagging.record_id == record_id)}
        if present:
            Tagging.delete().where(Tagging.record_type == type_name,
                                   Tagging.record_id == record_id,
                                   Tagging.tag.in_(list(present))).execute()
            AuditEntry.create(at=utcnow(), actor_id=actor.user_id, actor_label=actor.label,
                              action="untagged", record_type=type_name, record_id=record_id,
                              changes={"tags": [sorted(present.values()), None]})
    return tags_of(kernel, type_name, record_id)


def tags_of(kernel: Accord, type_name: str, record_id: int) -> list[str]:
    with kernel.bound():
        query = (Tag.select(Tag.name).join(Tagging)
                 .where(Tagging.record_type == type_name, Tagging.record_id == record_id)
                 .order_by(Tag.name))
        return [t.name for t in query]


def forget_tags(type_name: str, record_ids: list[int]) -> None:
    """Remove the taggings of deleted records (inside the caller's transaction)."""
    Tagging.delete().where(Tagging.record_type == type_name,
                           Tagging.record_id.in_(record_ids)).execute()
