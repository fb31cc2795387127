"""Reading records as their reader may see them: dumped to JSON-ready data (custom,
link and line fields included), personal data masked, and merged timelines.

Every face (API, CLI, pages) reads through these, so masking is written once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import marshmallow as ma
from marshmallow.decorators import POST_DUMP, PRE_DUMP

from .actors import Actor
from .authz import PERSONAL_DATA, permission_for, scoped
from .lines import lines_of
from .links import links_of

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordType, TimelineItem

__all__ = ["dump", "dump_many", "masked_fields", "mask", "timeline", "TIMELINE_LIMIT"]

#: Timeline entries answered when no limit is asked for.
TIMELINE_LIMIT = 100


def masked_fields(kernel: Accord, record_type: RecordType,
                  actor: Actor | None) -> frozenset[str]:
    """The fields of a type ``actor`` sees as null: its personal fields (custom ones
    marked personal included), unless the actor may read personal data. None (code
    acting for itself) sees everything."""
    if actor is None or actor.can(PERSONAL_DATA):
        return frozenset()
    return frozenset(kernel.personal_fields(record_type))


def mask(values: dict[str, Any], hidden: frozenset[str]) -> dict[str, Any]:
    """``values`` with the ``hidden`` keys it has set to None (a new dict)."""
    if not hidden:
        return values
    return {k: (None if k in hidden else v) for k, v in values.items()}


def dump(kernel: Accord, record_type: RecordType | str, record: Any, *,
         actor: Actor | None = None) -> dict[str, Any]:
    """A record as JSON-ready data, custom fields included (see ``dump_many``)."""
    return dump_many(kernel, record_type, [record], actor=actor)[0]


def dump_many(kernel: Accord, record_type: RecordType | str, records: list[Any], *,
              actor: Actor | None = None) -> list[dict[str, Any]]:
    """Records as JSON-ready data; link and line fields read with one query per field.
    Personal data is masked (null) for an actor without core.personal_data.read."""
    rt = kernel.records.get(record_type) if isinstance(record_type, str) else record_type
    out = _dump(kernel.schema(rt), records)
    if records and (rt.links or rt.lines):
        ids = [r.id for r in records]
        with kernel.bound():
            extra: list[dict[int, dict[str, Any]]] = [links_of(rt, ids)] if rt.links else []
            if rt.lines:
                extra.append(lines_of(rt, ids))
        for values in extra:
            for data, record in zip(out, records):
                data.update(values[record.id])
    hidden = masked_fields(kernel, rt, actor)
    return [mask(data, hidden) for data in out] if hidden else out


#: The field classes whose dump of a value of the listed types is the value itself.
_PLAIN: dict[type, tuple[type, ...]] = {ma.fields.String: (str,), ma.fields.Email: (str,),
                                        ma.fields.Integer: (int,), ma.fields.Boolean: (bool,)}


def _dump(schema: ma.Schema, records: list[Any]) -> list[dict[str, Any]]:
    """``schema.dump(records, many=True)``, with the fields whose dump is the stored
    value itself (text, integers, booleans: most of a record) read straight from the
    record. A list page dumps some thousand fields; marshmallow's per-field machinery
    was a third of its time. Anything else, and a value of an unexpected type, goes
    through the field as marshmallow would."""
    if schema._hooks[PRE_DUMP] or schema._hooks[POST_DUMP]:
        return schema.dump(records, many=True)  # type: ignore[no-any-return]
    plan = _plan(schema)
    accessor = schema.get_attribute
    out = []
    for record in records:
        data: dict[str, Any] = {}
        for key, attr, field, plain in plan:
            if plain:
                value = getattr(record, attr, ma.missing)
                if value is None or type(value) in plain:
                    data[key] = value
                    continue
            value = field.serialize(attr, record, accessor=accessor)
            if value is not ma.missing:
                data[key] = value
        out.append(data)
    return out


def _plan(schema: ma.Schema) -> list[tuple[str, str, ma.fields.Field[Any], tuple[type, ...]]]:
    """(key, attribute, field, plain types or ()) per dumped field, kept on the schema
    (the kernel keeps one schema per record type and custom-field definition)."""
    plan: list[tuple[str, str, ma.fields.Field[Any], tuple[type, ...]]] | None = \
        schema.__dict__.get("_accord_dump_plan")
    if plan is None:
        plan = []
        for name, field in schema.dump_fields.items():
            plain = _PLAIN.get(type(field), ())
            if (plain and (getattr(field, "as_string", False) or "get_value" in field.__dict__
                           or not field._CHECK_ATTRIBUTE)):
                plain = ()
            plan.append((field.data_key or name, field.attribute or name, field, plain))
        schema.__dict__["_accord_dump_plan"] = plan
    return plan


def timeline(kernel: Accord, type_name: str, record_id: int, *, limit: int = TIMELINE_LIMIT,
             actor: Actor | None = None) -> list[TimelineItem]:
    """The merged timeline of a record, newest first, from every active plugin.
    With a restricted ``actor``, an entry whose source is a record the actor may not
    read (its permission or its record rule) is left out: one query per source type."""
    kernel.records.get(type_name)
    with kernel.bound():
        items = [item for _, item in kernel.plugins.collect(
            "timeline_items", kernel=kernel, record_type=type_name, record_ids=[record_id])]
        if actor is not None and actor.restricted:
            items = _readable(kernel, items, actor)
    items.sort(key=lambda i: i.at, reverse=True)
    return items[:limit]


def _readable(kernel: Accord, items: list[TimelineItem], actor: Actor) -> list[TimelineItem]:
    wanted: dict[str, set[int]] = {}
    for item in items:
        if item.source_type in kernel.records and item.source_id is not None:
            wanted.setdefault(item.source_type, set()).add(item.source_id)
    seen: dict[str, set[int]] = {}
    for name, ids in wanted.items():
        rt = kernel.records.get(name)
        if not actor.can(permission_for(rt, "read")):
            seen[name] = set()
            continue
        query = rt.model.select(rt.model.id).where(rt.model.id.in_(sorted(ids)))
        seen[name] = {row[0] for row in scoped(query, rt, actor).tuples()}
    return [item for item in items if item.source_type not in wanted
            or item.source_id in seen[item.source_type]]
