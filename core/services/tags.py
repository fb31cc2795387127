"""Tags on any record, of the core's types or a plugin's.

Tagging is writing to the record: it needs the type's write permission and a record
rule that reaches the record; reading tags needs what reading the record needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ValidationError
from ..models import Tag, Tagging
from .actors import Actor
from .audit import write_audit
from .authz import permission_for, require

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
    _writable(kernel, type_name, record_id, actor)
    cleaned = sorted({_clean(n) for n in names})
    added = []
    with kernel.transaction():
        for name in cleaned:
            # get_or_create is unannotated in peewee-stubs.
            tag_row, _ = Tag.get_or_create(name=name)  # type: ignore[no-untyped-call]
            _, created = Tagging.get_or_create(  # type: ignore[no-untyped-call]
                tag=tag_row, record_type=type_name, record_id=record_id)
            if created:
                added.append(name)
        write_audit(actor, "tagged", type_name,
                    [(record_id, {"tags": [None, name]}) for name in added])
    return _tags(kernel, type_name, record_id)


def untag(kernel: Accord, type_name: str, record_id: int, names: list[str], *,
          actor: Actor) -> list[str]:
    """Take tags off a record; returns the record's tags."""
    _writable(kernel, type_name, record_id, actor)
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
            write_audit(actor, "untagged", type_name,
                        [(record_id, {"tags": [sorted(present.values()), None]})])
    return _tags(kernel, type_name, record_id)


def tags_of(kernel: Accord, type_name: str, record_id: int, *, actor: Actor) -> list[str]:
    """The tags of a record, by name."""
    from .crud import get

    get(kernel, type_name, record_id, actor=actor)
    return _tags(kernel, type_name, record_id)


def _writable(kernel: Accord, type_name: str, record_id: int, actor: Actor) -> None:
    """Refuse an actor who may not change the record (NotFound if out of its reach)."""
    from .crud import get

    require(actor, permission_for(kernel.records.get(type_name), "write"))
    get(kernel, type_name, record_id, actor=actor)


def _tags(kernel: Accord, type_name: str, record_id: int) -> list[str]:
    with kernel.bound():
        query = (Tag.select(Tag.name).join(Tagging)
                 .where(Tagging.record_type == type_name, Tagging.record_id == record_id)
                 .order_by(Tag.name))
        return [t.name for t in query]


def forget_tags(type_name: str, record_ids: list[int]) -> None:
    """Remove the taggings of deleted records (inside the caller's transaction)."""
    Tagging.delete().where(Tagging.record_type == type_name,
                           Tagging.record_id.in_(record_ids)).execute()
