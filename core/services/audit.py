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
from .authz import PERSONAL_DATA, require
from .bulk_sql import insert_rows
from .paging import DEFAULT_LIMIT, MAX_ID, Page, newest_first

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["AuditRecord", "write_audit", "audit_entries", "record_history", "AUDIT"]

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
    with kernel.bound():
        page = newest_first(query, AuditEntry, limit=limit, before=before)
    return Page(_readable(kernel, page.items, actor), page.next_before)


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
    from .reading import mask, masked_fields

    hidden = {name: masked_fields(kernel, kernel.records.get(name), actor)
              for name in {e.record_type for e in entries} if name in kernel.records}
    return [AuditRecord(entry.id, entry.at, entry.action, entry.record_type, entry.record_id,
                        entry.actor_id, entry.actor_label,
                        mask(dict(entry.changes or {}), hidden.get(entry.record_type,
                                                                   frozenset())))
            for entry in entries]
