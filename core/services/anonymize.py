"""Erasing a person's personal data on request, and pseudonymizing a whole database for
a copy handed to a test team.

``erase(kernel, "contact", id, actor=...)`` replaces the person's names and personal
fields (custom fields marked personal included), and the copies other records keep
(plugins name them through the ``erase_personal_data`` hook), with neutral
placeholders; scrubs the old values from the audit trail's before/after values and
from the outbox's payloads; and writes one audit entry that names the fields, never
the values. ``pseudonymize(kernel, actor=...)`` does the same to every record of every
type with deterministic pseudonyms (``Contact 12``, one email address for one old
address), so joins and uniqueness hold.

Nothing is deleted and no amount, date or owner changes: a filled field stays filled
and an empty one empty, and ``updated_at`` is kept, so every metric (completeness and
stale records included) reads the same before and after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from ..errors import NotFound, ValidationError
from ..models import ADMIN_ROLE, AuditEntry, OutboxMessage, User
from .audit import write_audit
from .authz import require

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordType
    from .actors import Actor

__all__ = ["Erasure", "ErasedRecord", "ErasureReport", "Placeholders", "ERASE", "erase",
           "preview", "pseudonymize", "PERSON_NAMES"]

#: The permission to erase or pseudonymize personal data.
ERASE = "admin.anonymize"
#: Fields that name a person, beyond those a type marks personal (names are shown to
#: every reader, so they are not masked, but they identify the person all the same).
PERSON_NAMES = {"contact": ("first_name", "last_name"), "user": ("name", "email")}
#: The text that replaces an erased value.
ERASED = "Erased"
#: What an erased date becomes (a filled date stays filled).
ERASED_DATE = dt.date(1900, 1, 1)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_PHONE = re.compile(r"^[+()\d][\d\s()./+-]{4,}$")
#: Rows read (and updated) at a time.
_BATCH = 500


#: ``replace(kernel, placeholders)``: a plugin's service function that replaces the
#: copies it keeps outside its record types (placeholders.value(...) gives each value).
Replace = Callable[["Accord", "Placeholders"], int]


@dataclass(frozen=True)
class Erasure:
    """Records holding (a copy of) a person's personal data, as a plugin names them
    (``erase_personal_data``): ``record_type`` and ``ids`` of a record type whose
    ``fields`` the core replaces, or, with ``replace``, a table of the plugin that is
    no record type, replaced by the plugin's own function (``record_type`` then names
    the table for the report)."""

    record_type: str
    ids: tuple[int, ...]
    fields: tuple[str, ...]
    replace: Replace | None = None


@dataclass(frozen=True)
class ErasedRecord:
    """One record whose fields were replaced (the report names fields, never values)."""

    record_type: str
    id: int
    fields: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"record_type": self.record_type, "id": self.id, "fields": list(self.fields)}


@dataclass
class ErasureReport:
    """What an erasure (or a pseudonymization) changed."""

    record_type: str
    id: int | None
    records: list[ErasedRecord] = field(default_factory=list)
    #: Rows replaced by plugins in their own tables, by table.
    other: dict[str, int] = field(default_factory=dict)
    audit_scrubbed: int = 0
    outbox_scrubbed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"record_type": self.record_type, "id": self.id,
                "records": [r.as_dict() for r in self.records], "other": dict(self.other),
                "audit_entries_scrubbed": self.audit_scrubbed,
                "outbox_messages_scrubbed": self.outbox_scrubbed}

    @property
    def count(self) -> int:
        return len(self.records) + sum(self.other.values())


class Placeholders:
    """The value that replaces an old one. Erasing: ``Erased``, an address
    ``erased-contact-12@example.invalid``. Pseudonymizing: ``Contact 12`` for a name,
    and for other text a pseudonym derived from the old value with a key drawn for the
    run, so one old value gives one pseudonym everywhere (an email repeated on another
    record stays the same address, a city groups the same records) and none can be
    traced back."""

    def __init__(self, kernel: Accord, *, pseudonyms: bool) -> None:
        self.kernel = kernel
        self.pseudonyms = pseudonyms
        self._key = secrets.token_bytes(32)

    def _digest(self, value: str, size: int = 10) -> str:
        return hmac.new(self._key, value.strip().lower().encode(), hashlib.sha256
                        ).hexdigest()[:size]

    def value(self, record_type: str, record_id: int, name: str, old: Any,
              *, kind: str | None = None, choices: tuple[str, ...] | None = None,
              max_length: int | None = None) -> Any:
        """What replaces ``old`` in field ``name`` of the record: None and empty text
        stay as they are (so completeness reads the same)."""
        if old is None or old == "" or old == []:
            return old
        if isinstance(old, bool) or kind == "boolean":
            return False
        if isinstance(old, (dt.datetime, dt.date)) or kind == "date":
            return ERASED_DATE.isoformat() if isinstance(old, str) else ERASED_DATE
        if isinstance(old, (int, float, Decimal)) or kind in ("integer", "decimal"):
            return 0
        if isinstance(old, list):
            return [choices[0]] if choices else []
        if kind in ("choice",) and choices:
            return choices[0]
        text = self._text(record_type, record_id, name, str(old))
        return text[:max_length] if max_length else text

    def _text(self, record_type: str, record_id: int, name: str, old: str) -> str:
        slug = record_type.rsplit(".", 1)[-1].replace("_", "-")
        label = slug.replace("-", " ").capitalize()
        if "email" in name or _EMAIL.match(old):
            if self.pseudonyms:
                return f"person-{self._digest(old, 12)}@example.invalid"
            return f"erased-{slug}-{record_id}@example.invalid"
        if not self.pseudonyms:
            return ERASED
        if name == "first_name":
            return label
        if name in ("last_name",):
            return str(record_id)
        if name == "name":
            return f"{label} {record_id}"
        if any(word in name for word in ("phone", "mobile", "fax")) or (
                name == "address" and _PHONE.match(old)):
            digits = str(int(self._digest(old, 12), 16))[-9:].rjust(9, "0")
            return f"+00 {digits}"
        return f"{name.replace('_', '-')}-{self._digest(old, 8)}"


# Erasing one person ---------------------------------------------------------------------

def preview(kernel: Accord, record_type: str, record_id: int, *,
            actor: Actor) -> list[ErasedRecord]:
    """What ``erase`` would replace: the record and the copies plugins name, each with
    the fields holding a value now. Needs ``admin.anonymize``; writes nothing."""
    require(actor, ERASE)
    rt = kernel.records.get(record_type)
    with kernel.bound():
        _exists(rt, record_id)
        targets = [(rt, [record_id])]
        copies = list(_copies(kernel, targets))
        plan = _plan(kernel, targets, copies)
        return [ErasedRecord(name, rid, tuple(sorted(fields)))
                for (name, rid), fields in _filled(kernel, plan).items()] + [
            ErasedRecord(e.record_type, rid, e.fields)
            for e in copies if e.replace is not None for rid in e.ids]


def erase(kernel: Accord, record_type: str, record_id: int, *,
          actor: Actor) -> ErasureReport:
    """Replace one person's personal data everywhere it is kept (see the module).
    Needs ``admin.anonymize``; one transaction: all of it or nothing."""
    require(actor, ERASE)
    rt = kernel.records.get(record_type)
    if not _person_fields(kernel, rt):
        raise ValidationError({"record_type": [
            f"{rt.name} holds no personal data to erase"]})
    placeholders = Placeholders(kernel, pseudonyms=False)
    with kernel.transaction():
        _exists(rt, record_id)
        report = ErasureReport(rt.name, record_id)
        targets = [(rt, [record_id])]
        copies = list(_copies(kernel, targets))
        replaced = _replace(kernel, _plan(kernel, targets, copies), placeholders, report)
        _replace_others(kernel, copies, placeholders, report)
        report.audit_scrubbed = _scrub_audit(replaced, _identifying(replaced))
        report.outbox_scrubbed = _scrub_outbox(replaced, _identifying(replaced))
        _announce(kernel, rt, record_id, report)
        write_audit(actor, "erased", rt.name, [(record_id, {
            "erased": "personal data erased",
            "records": [f"{r.record_type} {r.id}: {', '.join(r.fields)}"
                        for r in report.records],
            "other": [f"{name}: {count}" for name, count in sorted(report.other.items())],
            "audit_entries_scrubbed": report.audit_scrubbed,
            "outbox_messages_scrubbed": report.outbox_scrubbed})])
    return report


def _announce(kernel: Accord, rt: RecordType, record_id: int,
              report: ErasureReport) -> None:
    """Tell the systems subscribed to the record's events (``contact.erased``) which
    records and fields were erased, so they can erase their copies: never the values."""
    from ..records import OutboxItem
    from ..webhook_events import matches, subscribed_patterns
    from .outbox import enqueue

    topic = f"{rt.name}.erased"
    if matches(subscribed_patterns(kernel), topic):
        enqueue(kernel, [OutboxItem(topic, {
            "record_type": rt.name, "id": record_id, "action": "erased",
            "records": [r.as_dict() for r in report.records]})])


def _exists(rt: RecordType, record_id: int) -> None:
    if isinstance(record_id, bool) or not isinstance(record_id, int) or not (
            0 < record_id < 2 ** 63) or not rt.model.select(rt.model.id).where(
            rt.model.id == record_id).exists():
        raise NotFound(f"{rt.name} {record_id} not found")


# Pseudonymizing everything --------------------------------------------------------------

def pseudonymize(kernel: Accord, *, actor: Actor, include_users: bool = False,
                 progress: Callable[[str, int], None] | None = None) -> ErasureReport:
    """Pseudonymize every personal field of every record type (and users' names and
    emails with ``include_users``, the admins' kept so someone can still sign in).
    Needs ``admin.anonymize``; one transaction."""
    require(actor, ERASE)
    placeholders = Placeholders(kernel, pseudonyms=True)
    report = ErasureReport("*", None)
    with kernel.transaction():
        targets = []
        for rt in sorted(kernel.records, key=lambda t: t.name):
            if rt.name == "user":
                if include_users:
                    admins = {u.id for u in User.select(User.id).where(User.role == ADMIN_ROLE)}
                    targets.append((rt, [i for i in _all_ids(rt) if i not in admins]))
                continue
            if _person_fields(kernel, rt) or rt.name in PERSON_NAMES:
                targets.append((rt, list(_all_ids(rt))))
        copies = list(_copies(kernel, targets))
        replaced = _replace(kernel, _plan(kernel, targets, copies), placeholders, report,
                            progress=progress)
        _replace_others(kernel, copies, placeholders, report)
        report.audit_scrubbed = _scrub_audit(replaced, {})
        report.outbox_scrubbed = _scrub_outbox(replaced, {}, everything=True)
        write_audit(actor, "pseudonymized", "*", [(0, {
            "pseudonymized": "personal data of every record replaced",
            "records": len(report.records),
            "other": [f"{name}: {count}" for name, count in sorted(report.other.items())],
            "audit_entries_scrubbed": report.audit_scrubbed,
            "outbox_messages_scrubbed": report.outbox_scrubbed})])
    return report


def _all_ids(rt: RecordType) -> Iterator[int]:
    model = rt.model
    for (record_id,) in model.select(model.id).order_by(model.id).tuples().iterator():
        yield record_id


# The plan and the writes ----------------------------------------------------------------

def _person_fields(kernel: Accord, rt: RecordType) -> tuple[str, ...]:
    """The fields of ``rt`` that identify a person: its names and personal fields."""
    names = PERSON_NAMES.get(rt.name, ())
    return tuple(dict.fromkeys((*names, *kernel.personal_fields(rt))))


def _plan(kernel: Accord, targets: list[tuple[RecordType, list[int]]],
          copies: list[Erasure]) -> dict[tuple[str, int], set[str]]:
    """(record type, id) -> the fields to replace: the targets' own, then the copies
    plugins name (each field once, however many ask for it)."""
    plan: dict[tuple[str, int], set[str]] = {}
    for rt, ids in targets:
        fields = _person_fields(kernel, rt)
        if fields:
            for record_id in ids:
                plan.setdefault((rt.name, record_id), set()).update(fields)
    for erasure in copies:
        if erasure.replace is None and erasure.record_type in kernel.records:
            for record_id in erasure.ids:
                plan.setdefault((erasure.record_type, record_id), set()).update(
                    erasure.fields)
    return plan


def _copies(kernel: Accord, targets: list[tuple[RecordType, list[int]]]
            ) -> Iterator[Erasure]:
    for rt, ids in targets:
        for start in range(0, len(ids), _BATCH * 20):
            chunk = ids[start:start + _BATCH * 20]
            for batch in kernel.hooks.erase_personal_data(kernel=kernel, record_type=rt,
                                                          ids=chunk):
                yield from batch or ()


def _replace_others(kernel: Accord, copies: list[Erasure], placeholders: Placeholders,
                    report: ErasureReport) -> None:
    """Let plugins replace the copies they keep outside their record types."""
    for erasure in copies:
        if erasure.replace is not None:
            done = erasure.replace(kernel, placeholders)
            report.other[erasure.record_type] = report.other.get(erasure.record_type, 0) + done


def _filled(kernel: Accord, plan: dict[tuple[str, int], set[str]]
            ) -> dict[tuple[str, int], set[str]]:
    """The planned fields that hold a value now (the others stay empty)."""
    out: dict[tuple[str, int], set[str]] = {}
    for rt, records in _records(kernel, plan):
        for record in records:
            values = _values(kernel, rt, record, plan[(rt.name, record.id)])
            kept = {n for n, v in values.items() if v not in (None, "", [])}
            if kept:
                out[(rt.name, record.id)] = kept
    return out


def _records(kernel: Accord, plan: dict[tuple[str, int], set[str]]
             ) -> Iterator[tuple[RecordType, list[Any]]]:
    by_type: dict[str, list[int]] = {}
    for name, record_id in plan:
        by_type.setdefault(name, []).append(record_id)
    for name, ids in sorted(by_type.items()):
        rt = kernel.records.get(name)
        ids.sort()
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start:start + _BATCH]
            yield rt, list(rt.model.select().where(rt.model.id.in_(chunk)).order_by(
                rt.model.id))


def _values(kernel: Accord, rt: RecordType, record: Any, names: Iterable[str]
            ) -> dict[str, Any]:
    custom = kernel.fields.of(rt.name)
    columns = rt.model._meta.fields
    out = {}
    for name in names:
        if name in custom:
            out[name] = (record.custom or {}).get(name)
        elif name in columns:
            out[name] = getattr(record, name)
    return out


#: (record type, id) -> {field: (old, new)} of what was replaced.
Replaced = dict[tuple[str, int], dict[str, tuple[Any, Any]]]


def _replace(kernel: Accord, plan: dict[tuple[str, int], set[str]],
             placeholders: Placeholders, report: ErasureReport,
             progress: Callable[[str, int], None] | None = None) -> Replaced:
    """Write the placeholders, keeping ``updated_at`` (an erasure is no change of the
    business: the stale-records metric must read the same) and bumping the version (a
    form opened before must not write the old values back)."""
    replaced: Replaced = {}
    for rt, records in _records(kernel, plan):
        custom_defs = kernel.fields.of(rt.name)
        columns = rt.model._meta.fields
        for record in records:
            names = plan[(rt.name, record.id)]
            changes: dict[str, tuple[Any, Any]] = {}
            update: dict[Any, Any] = {}
            custom = dict(record.custom or {}) if "custom" in columns else {}
            for name, old in _values(kernel, rt, record, names).items():
                definition = custom_defs.get(name)
                column = columns.get(name)
                new = placeholders.value(
                    rt.name, record.id, name, old,
                    kind=definition.kind if definition is not None else None,
                    choices=tuple(definition.choices or ()) if definition is not None
                    else None,
                    max_length=getattr(column, "max_length", None))
                if new == old:
                    continue
                changes[name] = (old, new)
                if definition is not None:
                    custom[name] = new.isoformat() if isinstance(new, dt.date) else new
                else:
                    update[column] = new
            if not changes:
                continue
            if any(n in custom_defs for n in changes):
                update[columns["custom"]] = custom
            if "version" in columns:
                update[columns["version"]] = columns["version"] + 1
            rt.model.update(update).where(rt.model.id == record.id).execute()
            replaced[(rt.name, record.id)] = changes
            report.records.append(ErasedRecord(rt.name, record.id, tuple(sorted(changes))))
        if progress is not None:
            progress(rt.name, len(records))
    return replaced


# Scrubbing the audit trail and the outbox -----------------------------------------------

def _identifying(replaced: Replaced) -> dict[str, str]:
    """Old values that identify the person wherever they appear (an address, a phone
    number, a name in full), and what replaces each."""
    out: dict[str, str] = {}
    for changes in replaced.values():
        for name, (old, new) in changes.items():
            # By the field's name only: a postal code or a number of another field
            # would match parts of unrelated values.
            if isinstance(old, str) and isinstance(new, str) and len(old) >= 6 and (
                    _EMAIL.match(old) or any(w in name for w in ("email", "phone", "mobile",
                                                                 "fax"))):
                out[old] = new
        first, last = changes.get("first_name"), changes.get("last_name")
        if first and last and isinstance(first[0], str) and isinstance(last[0], str):
            out[f"{first[0]} {last[0]}"] = f"{first[1]} {last[1]}"
    return out


def _scrub(value: Any, exact: dict[str, Any], anywhere: dict[str, str]) -> Any:
    """``value`` (JSON) with every string equal to an old value, or holding an
    identifying one, replaced."""
    if isinstance(value, str):
        if value in exact:
            return _json(exact[value])
        for old, new in anywhere.items():
            if old.lower() in value.lower():
                value = re.sub(re.escape(old), new, value, flags=re.IGNORECASE)
        return value
    if isinstance(value, list):
        return [_scrub(v, exact, anywhere) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, exact, anywhere) for k, v in value.items()}
    return value


def _json(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _field_scrub(changes: dict[str, Any], fields: dict[str, tuple[Any, Any]]) -> dict[str, Any]:
    """An entry's changes with the replaced fields' values (before and after, or a
    whole value) turned into the placeholder, also inside a ``custom`` value."""
    out = dict(changes)
    for name, value in changes.items():
        if name in fields:
            new = _json(fields[name][1])
            out[name] = ([None if v is None else new for v in value]
                         if isinstance(value, list) else (None if value is None else new))
        elif name == "custom" and isinstance(value, (dict, list)):
            out[name] = _scrub_custom(value, fields)
    return out


def _scrub_custom(value: Any, fields: dict[str, tuple[Any, Any]]) -> Any:
    if isinstance(value, list):
        return [_scrub_custom(v, fields) for v in value]
    if isinstance(value, dict):
        return {k: (_json(fields[k][1]) if k in fields and v is not None else v)
                for k, v in value.items()}
    return value


def _scrub_audit(replaced: Replaced, anywhere: dict[str, str]) -> int:
    """Replace the old values in the audit entries of the records changed (by field)
    and, for identifying values, in any entry that holds them. Returns the count of
    entries changed."""
    changed = 0
    by_type: dict[str, list[int]] = {}
    for name, record_id in replaced:
        by_type.setdefault(name, []).append(record_id)
    for name, ids in sorted(by_type.items()):
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start:start + _BATCH]
            query = AuditEntry.select().where((AuditEntry.record_type == name)
                                              & AuditEntry.record_id.in_(chunk))
            for entry in list(query):
                fields = replaced.get((name, entry.record_id), {})
                exact = {old: new for old, new in fields.values() if isinstance(old, str)}
                scrubbed = _scrub(_field_scrub(entry.changes or {}, fields), exact, anywhere)
                if scrubbed != entry.changes:
                    AuditEntry.update(changes=scrubbed).where(
                        AuditEntry.id == entry.id).execute()
                    changed += 1
    for entry in _holding(AuditEntry, AuditEntry.changes, anywhere):
        if (entry.record_type, entry.record_id) in replaced:
            continue  # done above
        scrubbed = _scrub(entry.changes or {}, {}, anywhere)
        if scrubbed != entry.changes:
            AuditEntry.update(changes=scrubbed).where(AuditEntry.id == entry.id).execute()
            changed += 1
    return changed


def _scrub_outbox(replaced: Replaced, anywhere: dict[str, str], *,
                  everything: bool = False) -> int:
    """Replace the old values in the outbox's payloads: the messages telling of a
    record changed (``record_type`` and ``id`` in the payload), and any holding an
    identifying value. Returns the count of messages changed."""
    changed = 0
    if everything:
        messages: Iterable[Any] = OutboxMessage.select().order_by(OutboxMessage.id).iterator()
    else:
        olds = [old for fields in replaced.values() for old, _ in fields.values()
                if isinstance(old, str) and old]
        messages = _holding(OutboxMessage, OutboxMessage.payload, [*olds, *anywhere])
    for message in messages:
        payload = message.payload
        if not isinstance(payload, dict):
            continue
        key = (payload.get("record_type"), payload.get("id"))
        fields = replaced.get(key, {}) if isinstance(key[1], int) else {}  # type: ignore[arg-type]
        exact = {old: new for old, new in fields.values() if isinstance(old, str)}
        scrubbed = dict(payload)
        for part in ("values", "changes"):
            if isinstance(scrubbed.get(part), dict):
                scrubbed[part] = _field_scrub(scrubbed[part], fields)
        scrubbed = _scrub(scrubbed, exact, anywhere)
        if scrubbed != payload:
            OutboxMessage.update(payload=scrubbed).where(
                OutboxMessage.id == message.id).execute()
            changed += 1
    return changed


def _holding(model: Any, column: Any, values: Iterable[str]) -> list[Any]:
    """Rows whose JSON ``column`` holds any of ``values`` as text (case ignored)."""
    condition = None
    for old in sorted(set(values)):
        one = column.cast("TEXT").contains(old)
        condition = one if condition is None else condition | one
    if condition is None:
        return []
    return list(model.select().where(condition).order_by(model.id))
