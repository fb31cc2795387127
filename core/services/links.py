"""Many-to-many fields (a contact's products of interest): lists of ids in link tables.

Checked set-based, written after the records inside the same transaction, and
audited with the records' other changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ValidationError

if TYPE_CHECKING:
    from ..records import RecordType, Write

__all__ = ["pop_links", "check_links", "write_links", "links_of"]

CHUNK = 500


def pop_links(record_type: RecordType, rows: list[dict[str, Any]]) -> list[dict[str, list[int]]]:
    """Take the link fields out of loaded rows (what remains are columns)."""
    out = []
    for row in rows:
        out.append({link.name: sorted(set(row.pop(link.name) or ()))
                    for link in record_type.links if link.name in row})
    return out


def check_links(record_type: RecordType, values: list[dict[str, list[int]]], single: bool,
                *, write: Write | None = None) -> None:
    """Every id named in a link field must exist. With ``write`` by a restricted actor
    as a client (no verb), it must also be a record the actor can read (permission and
    record rule), else it is answered like an id that does not exist; ids a record
    already links stay without being asked again."""
    from .authz import permission_for, scoped

    actor = write.actor if write is not None else None
    reach = actor is not None and actor.restricted and write is not None and write.verb is None
    kept: dict[int, dict[str, list[int]]] = {}
    if reach and write is not None:
        stored = [r.id for r, v in zip(write.existing, values) if r is not None and v]
        kept = links_of(record_type, stored) if stored else {}
    for link in record_type.links:
        wanted = {i for v in values for i in v.get(link.name, ())}
        target = getattr(link.through, link.target).rel_model
        target_type = write.kernel.records.for_model(target) if write is not None else None
        asked = reach and target_type is not None
        if asked and write is not None:
            wanted -= {i for index, v in enumerate(values)
                       for i in v.get(link.name, ())
                       if write.existing[index] is not None
                       and i in kept.get(write.existing[index].id, {}).get(link.name, ())}
        if not wanted:
            continue
        found: set[int] = set()
        ids = sorted(wanted)
        if not asked or (actor is not None and target_type is not None
                         and actor.can(permission_for(target_type, "read"))):
            for start in range(0, len(ids), CHUNK):
                query = target.select(target.id).where(target.id.in_(ids[start:start + CHUNK]))
                if asked and actor is not None and target_type is not None:
                    query = scoped(query, target_type, actor)
                found.update(r[0] for r in query.tuples())
        for index, v in enumerate(values):
            missing = [i for i in v.get(link.name, ()) if i in wanted and i not in found]
            if missing:
                label = target._meta.table_name.split("_", 1)[-1]
                raise ValidationError({link.name: [
                    f"there is no {label} {', '.join(map(str, missing))}"]},
                    row=None if single else index)


def links_of(record_type: RecordType, ids: list[int]) -> dict[int, dict[str, list[int]]]:
    """The link values of records, one query per link field (and CHUNK ids)."""
    out: dict[int, dict[str, list[int]]] = {i: {l.name: [] for l in record_type.links} for i in ids}
    for link in record_type.links:
        through = link.through
        database = through._meta.database
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            sql = _links_sql(through, link.source, link.target, len(chunk))
            for src, dst in database.execute_sql(sql, chunk).fetchall():
                out[src][link.name].append(dst)
    return out


#: (table, source, target, ids, database class) -> the SQL of ``links_of``: every list
#: page runs it, and rendering it cost more than running it.
_LINKS_SQL: dict[tuple[Any, ...], str] = {}


def _links_sql(through: Any, source_name: str, target_name: str, count: int) -> str:
    target_db = getattr(through._meta.database, "obj", through._meta.database)
    key = (through, source_name, target_name, count, type(target_db))
    sql = _LINKS_SQL.get(key)
    if sql is None:
        source, target = getattr(through, source_name), getattr(through, target_name)
        query = (through.select(source, target)
                 .where(source.in_(list(range(count))), target.is_null(False))
                 .order_by(source, target))
        # DISTINCT where a table may hold a pair twice (an order's products, read from
        # its lines); not where a unique index says it cannot (a contact's interests).
        if not _unique_pair(through, source, target):
            query = query.distinct()
        sql, params = query.sql()
        assert params == list(range(count)), params
        if len(_LINKS_SQL) > 256:
            _LINKS_SQL.clear()
        _LINKS_SQL[key] = sql
    return sql


def _unique_pair(through: Any, source: Any, target: Any) -> bool:
    """Whether a unique index of ``through`` is on exactly the two columns."""
    pair = {source.name, target.name}
    for fields, unique in through._meta.indexes:
        if unique and isinstance(fields, (tuple, list)) and {
                getattr(f, "name", f) for f in fields} == pair:
            return True
    return False


def write_links(record_type: RecordType, ids: list[int], values: list[dict[str, list[int]]],
                *, replace: bool) -> dict[int, dict[str, list[Any]]]:
    """Store link values for records (replacing what they had); returns per record the
    ``{field: [before, after]}`` of the link fields that changed."""
    changes: dict[int, dict[str, list[Any]]] = {}
    touched = [i for i, v in zip(ids, values) if v]
    if not touched:
        return changes
    before = links_of(record_type, touched) if replace else {}
    for link in record_type.links:
        source = getattr(link.through, link.source)
        target = getattr(link.through, link.target)
        pairs = []
        for record_id, v in zip(ids, values):
            if link.name not in v:
                continue
            old = before.get(record_id, {}).get(link.name, [])
            if replace and old == v[link.name]:
                continue
            changes.setdefault(record_id, {})[link.name] = [old if replace else None, v[link.name]]
            if replace:
                link.through.delete().where(source == record_id).execute()
            pairs += [(record_id, t) for t in v[link.name]]
        for start in range(0, len(pairs), CHUNK):
            link.through.insert_many(pairs[start:start + CHUNK], fields=[source, target]).execute()
    return changes
