"""The audit trail: the one place audit rows are written, and read back for the faces.

``write_audit`` is called inside the service's write transaction, so an entry exists
exactly when its change does. Reading masks personal data for whoever may not see it,
so the API, the CLI and the pages show the same entries the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from ..errors import ValidationError
from ..models import AuditEntry, utcnow
from .actors import Actor
from .authz import permission_for, require, scoped
from .bulk_sql import insert_rows
from .paging import DEFAULT_LIMIT, MAX_ID, Page, newest_first, parse_limit

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["AuditRecord", "write_audit", "audit_along", "audit_entries", "record_history",
           "AUDIT"]

#: The permission to read the whole audit trail.
AUDIT = "admin.audit"

_FIELDS = [AuditEntry.at, AuditEntry.actor_id, AuditEntry.actor_label, AuditEntry.action,
           AuditEntry.record_type, AuditEntry.record_id, AuditEntry.changes]


def write_audit(actor: Actor, action: str, record_type: str,
                entries: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """One audit row per ``(record_id, changes)``, all by ``actor`` at the same instant,
    in multi-row INSERTs. Call inside the write's transaction. ``changes`` maps a field
    to ``[before, after]``; ``record_id`` is 0 for things keyed by name (roles, plugins)."""
    if not entries:
        return
    now = utcnow()
    insert_rows(AuditEntry, _FIELDS, [
        (now, actor.user_id, actor.label, action, record_type, record_id, changes)
        for record_id, changes in entries])


#: The audit row of a record read from ``written`` (see ``audit_along``): the
#: record's id in place of ``record_id``, the other values given.
_ALONG = ('INSERT INTO "{table}" ({columns}) SELECT %s, %s, %s, %s, %s, "id", %s '
          'FROM written').format(table=AuditEntry._meta.table_name,
                                 columns=", ".join(f'"{f.column_name}"' for f in _FIELDS))
_ALONG_FIELDS = [f for f in _FIELDS if f is not AuditEntry.record_id]


def audit_along(actor: Actor, action: str, record_type: str,
                changes: dict[str, Any]) -> tuple[str, list[Any]]:
    """The audit row ``write_audit`` would write for the record an INSERT writes, as
    the statement that goes along with that INSERT (``insert_rows(..., along=...)``,
    PostgreSQL only): the row exists exactly when the record does, one round trip
    fewer."""
    values = (utcnow(), actor.user_id, actor.label, action, record_type, changes)
    return _ALONG, [field.db_value(value) for field, value in zip(_ALONG_FIELDS, values)]


@dataclass(frozen=True)
class AuditRecord:
    """An audit entry as its reader may see it: personal data masked (None) for
    whoever lacks ``core.personal_data.read``."""

    id: int
    at: dt.datetime
    action: str
    record_type: str
    record_id: int
    actor_id: int | None
    actor_label: str | None
    changes: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "action": self.action,
                "record_type": self.record_type, "record_id": self.record_id,
                "actor": {"id": self.actor_id, "label": self.actor_label},
                "changes": self.changes}


def audit_entries(kernel: Accord, *, actor: Actor, record_type: str | None = None,
                  record_id: int | None = None, actor_id: int | None = None,
                  action: str | None = None, since: dt.datetime | None = None,
                  until: dt.datetime | None = None, limit: int = DEFAULT_LIMIT,
                  before: int | None = None) -> Page[AuditRecord]:
    """One page of the audit trail, newest first, filtered by what is given: ``since``
    inclusive, ``until`` exclusive (aware datetimes). Needs ``admin.audit``."""
    require(actor, AUDIT)
    problems: dict[str, list[str]] = {}
    for name, number in (("record_id", record_id), ("actor_id", actor_id)):
        if number is not None and (isinstance(number, bool) or not 0 <= number <= MAX_ID):
            problems[name] = [f"{number!r} is not a whole number from 0 to {MAX_ID}"]
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            problems[name] = [f"{moment.isoformat()!r} has no time zone"]
    if problems:
        raise ValidationError(problems)
    query = AuditEntry.select()
    wanted: dict[str, Any] = {"record_type": record_type, "record_id": record_id,
                              "actor_id": actor_id, "action": action}
    for name, value in wanted.items():
        if value is not None:
            query = query.where(getattr(AuditEntry, name) == value)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    limit = parse_limit(limit)
    if not actor.restricted:
        with kernel.bound():
            page = newest_first(query, AuditEntry, limit=limit, before=before)
        return Page(_readable(kernel, page.items, actor), page.next_before)
    query = _within_rules(kernel, query, actor)
    entries: list[AuditEntry] = []
    with kernel.bound():
        # Entries of deleted records are judged in Python, by the owner and team their
        # "deleted" entry recorded, so a page can lose some: read on until it is full.
        for _ in range(_MAX_ROUNDS):
            page = newest_first(query, AuditEntry, limit=limit, before=before)
            entries += _deleted_in_reach(kernel, page.items, actor)
            if len(entries) >= limit or page.next_before is None:
                break
            before = page.next_before
    # Below the last entry shown when more than a page passed; else below what was read.
    after = entries[limit - 1].id if len(entries) > limit else page.next_before
    return Page(_readable(kernel, entries[:limit], actor), after)


#: Pages read for one answer when entries of deleted records drop out; past it the
#: answer is short and its cursor goes on where the reading stopped.
_MAX_ROUNDS = 10


def _within_rules(kernel: Accord, query: Any, actor: Actor) -> Any:
    """``query`` without the entries of record types the actor may not read, and of
    records outside its record rule. Entries of records that no longer exist pass, for
    ``_deleted_in_reach``; so do entries about a type as a whole (record id 0)."""
    for record_type in kernel.records:
        name = record_type.name
        if not actor.can(permission_for(record_type, "read")):
            query = query.where(AuditEntry.record_type != name)
        elif record_type.owned and actor.scope(name) != "all":
            model = record_type.model
            reachable = scoped(model.select(model.id), record_type, actor)
            query = query.where((AuditEntry.record_type != name)
                                | (AuditEntry.record_id == 0)
                                | AuditEntry.record_id.in_(reachable)
                                | AuditEntry.record_id.not_in(model.select(model.id)))
    return query


def _deleted_in_reach(kernel: Accord, entries: list[AuditEntry],
                      actor: Actor) -> list[AuditEntry]:
    """``entries`` without those of deleted records the actor's rule did not reach when
    they were deleted: the owner and team their "deleted" entry holds decide."""
    gone: dict[str, set[int]] = {}
    for entry in entries:
        rt = kernel.records.get(entry.record_type) if entry.record_type in kernel.records \
            else None
        if rt is not None and rt.owned and entry.record_id and actor.scope(rt.name) != "all":
            gone.setdefault(rt.name, set()).add(entry.record_id)
    if not gone:
        return entries
    candidates = {(name, rid) for name, ids in gone.items() for rid in ids}
    live: set[tuple[str, int]] = set()
    for name, ids in gone.items():
        model = kernel.records.get(name).model
        rows: Any = model.select(model.id).where(model.id.in_(sorted(ids))).tuples()
        live |= {(name, row[0]) for row in rows}
    deleted = candidates - live
    reach: set[tuple[str, int]] = set()
    if deleted:
        rows = (AuditEntry.select(AuditEntry.record_type, AuditEntry.record_id,
                                  AuditEntry.changes)
                .where(AuditEntry.action == "deleted",
                       AuditEntry.record_type.in_(sorted({n for n, _ in deleted})),
                       AuditEntry.record_id.in_(sorted({i for _, i in deleted}))))
        for row in rows:
            key = (row.record_type, row.record_id)
            if key in deleted and _reached(actor, row.record_type, row.changes or {}):
                reach.add(key)
    return [e for e in entries if (e.record_type, e.record_id) not in deleted
            or (e.record_type, e.record_id) in reach]


def _reached(actor: Actor, type_name: str, changes: dict[str, Any]) -> bool:
    """Whether the actor's rule reached a record with the owner and team a "deleted"
    entry holds (``owner_id``/``team_id``; entries written before 0.3 say ``owner``/
    ``team``)."""
    def before(*keys: str) -> Any:
        for key in keys:
            pair = changes.get(key)
            if isinstance(pair, list) and pair:
                return pair[0]
        return None

    owner, team = before("owner_id", "owner"), before("team_id", "team")
    if actor.scope(type_name) == "own":
        return bool(owner == actor.user_id)
    return owner in actor.teammate_ids or team in actor.team_ids


def record_history(kernel: Accord, type_name: str, record_id: int, *,
                   actor: Actor) -> list[AuditRecord]:
    """Every audit entry of one record, oldest first. Needs what reading the record
    needs (its read permission, and a record rule that reaches it)."""
    from .crud import get

    get(kernel, type_name, record_id, actor=actor)
    with kernel.bound():
        entries = list(AuditEntry.select()
                       .where(AuditEntry.record_type == type_name,
                              AuditEntry.record_id == record_id)
                       .order_by(AuditEntry.id))
    return _readable(kernel, entries, actor)


def _readable(kernel: Accord, entries: list[AuditEntry], actor: Actor) -> list[AuditRecord]:
    """The entries with the personal fields of their record type masked, unless the
    actor may read personal data."""
    from .reading import masked_fields

    hidden = {name: masked_fields(kernel, kernel.records.get(name), actor)
              for name in {e.record_type for e in entries} if name in kernel.records}
    return [AuditRecord(entry.id, entry.at, entry.action, entry.record_type, entry.record_id,
                        entry.actor_id, entry.actor_label,
                        _masked(dict(entry.changes or {}),
                                hidden.get(entry.record_type, frozenset())))
            for entry in entries]


def _masked(changes: dict[str, Any], hidden: frozenset[str]) -> dict[str, Any]:
    """``changes`` with the hidden fields' values masked, also inside the ``custom``
    column that "deleted" entries written before 0.3 hold whole."""
    from .reading import mask

    if not hidden:
        return changes
    out = mask(changes, hidden)
    custom = out.get("custom")
    if isinstance(custom, list):
        out["custom"] = [mask(v, hidden) if isinstance(v, dict) else v for v in custom]
    return out
