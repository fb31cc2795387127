"""Create, update and delete records of any type, singly or in bulk.

Every step a user would count on happens here and nowhere else: validation by the
record type's schema and its custom fields, the write-path hooks (once per batch),
reference and uniqueness checks done set-based, one transaction with the audit
entries and outbox rows, then the signals.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

import marshmallow as ma
import peewee

from .. import signals
from ..database import is_postgres
from ..errors import Conflict, NotFound, StaleVersion, ValidationError, flatten_messages
from ..models import AuditEntry, BaseRecord, OutboxMessage, utcnow
from .actors import Actor
from .authz import check_ownership, permission_for, require, scoped
from .bulk_sql import CHUNK, ids_by_key, insert_rows
from .lines import pop_lines, write_lines
from .links import check_links, pop_links, write_links
from .tags import forget_tags
from .values import column_values, jsonable, jsonable_row, to_columns

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordType

__all__ = ["create", "update", "delete", "get", "bulk_create", "bulk_update", "ids_by_key"]
#: Bad rows named in one error before the rest are summarised.
MAX_REPORTED = 20


def get(kernel: Accord, type_name: str, record_id: int, *,
        actor: Actor | None = None, for_update: bool = False) -> BaseRecord:
    """One record by id, or NotFound naming the type and id. With a restricted
    ``actor``, its read permission and record rule apply (a record out of its reach
    is not found). ``for_update`` (inside a transaction) locks the row until the
    transaction ends, so that a verb checking it and then writing is not raced by
    another doing the same (PostgreSQL; SQLite serializes writers anyway)."""
    kernel.sync()
    record_type = kernel.records.get(type_name)
    model = record_type.model
    query = model.select().where(model.id == record_id)
    if for_update and is_postgres(kernel.database):
        query = query.for_update()
    if actor is not None:
        require(actor, permission_for(record_type, "read"))
        query = scoped(query, record_type, actor)
    with kernel.bound():
        record = query.get_or_none()
    if record is None:
        raise NotFound(f"{type_name} {record_id} does not exist")
    return record


def create(kernel: Accord, type_name: str, data: dict[str, Any], *, actor: Actor) -> BaseRecord:
    """Create one record; ValidationError names the fields that are wrong."""
    ids = _create(kernel, type_name, [data], actor=actor, single=True)
    return get(kernel, type_name, ids[0])


def bulk_create(kernel: Accord, type_name: str, rows: Sequence[dict[str, Any]], *,
                actor: Actor) -> list[int]:
    """Create many records all-or-nothing; an error names each bad row and field."""
    return _create(kernel, type_name, list(rows), actor=actor, single=False)


def update(kernel: Accord, type_name: str, record_id: int, data: dict[str, Any], *,
           actor: Actor, version: int | None = None) -> BaseRecord:
    """Change some fields of a record. With ``version``, a stale version is refused."""
    _update(kernel, type_name, [(record_id, data, version)], actor=actor, single=True)
    return get(kernel, type_name, record_id)


def bulk_update(kernel: Accord, type_name: str,
                changes: Sequence[tuple[int, dict[str, Any]] | tuple[int, dict[str, Any], int | None]],
                *, actor: Actor) -> list[int]:
    """Apply ``(id, data[, version])`` changes all-or-nothing; returns the ids changed."""
    items = [(c[0], c[1], c[2] if len(c) > 2 else None) for c in changes]
    return _update(kernel, type_name, items, actor=actor, single=False)


def delete(kernel: Accord, type_name: str, record_id: int, *, actor: Actor,
           version: int | None = None) -> None:
    """Delete a record (its tags go with it). With ``version``, a stale one is refused."""
    kernel.sync()
    record_type = kernel.records.get(type_name)
    require(actor, permission_for(record_type, "delete"))
    model = record_type.model
    with kernel.transaction():
        record = scoped(model.select().where(model.id == record_id), record_type,
                        actor).get_or_none()
        if record is None:
            raise NotFound(f"{type_name} {record_id} does not exist")
        if version is not None and record.version != version:
            raise StaleVersion(f"{type_name} {record_id} is at version {record.version}, "
                               f"not {version}; reload it and try again")
        kernel.hooks.validate_delete(kernel=kernel, record_type=record_type, records=[record],
                                     actor=actor)
        before = jsonable(record.__data__)
        query = model.delete().where(model.id == record_id, model.version == record.version)
        try:
            with kernel.database.atomic():  # type: ignore[union-attr]
                deleted = query.execute()
        except peewee.IntegrityError:
            # A table whose plugin is not running (so no validate_delete vetoed) still
            # refers to the record: its foreign key refuses, and so do we.
            raise Conflict(f"{type_name} {record_id} is still referred to by other records "
                           "(of a plugin that is disabled now, perhaps); it stays") from None
        if deleted != 1:
            raise StaleVersion(f"{type_name} {record_id} changed while being deleted")
        forget_tags(type_name, [record_id])
        _audit(actor, "deleted", type_name, [(record_id, {k: [v, None] for k, v in before.items()})])
        _outbox(kernel, record_type, "deleted", [{"id": record_id}])
    kernel.emit(signals.record_deleted, record_type=type_name, ids=[record_id],
                 actor=actor)


# Creating ------------------------------------------------------------------

def _create(kernel: Accord, type_name: str, raw_rows: list[dict[str, Any]], *, actor: Actor,
            single: bool) -> list[int]:
    kernel.sync()
    record_type = kernel.records.get(type_name)
    require(actor, permission_for(record_type, "write"))
    if not raw_rows:
        return []
    rows = _load(kernel, record_type, raw_rows, partial=False, single=single)
    with kernel.bound():
        kernel.hooks.record_defaults(kernel=kernel, record_type=record_type, rows=rows,
                                     actor=actor)
    check_ownership(record_type, actor, rows)
    existing: list[Any] = [None] * len(rows)
    model = record_type.model
    with _rows_named(single), kernel.transaction():
        links = _checked(kernel, record_type, rows, existing, actor, single)
        # One JSON form per row serves its audit entry and its outbox record.
        shown = [_shown(record_type, {**row, **linked}) for row, linked in zip(rows, links)]
        now = utcnow()
        inserts = []
        for row in rows:
            columns, custom = to_columns(kernel, record_type, row)
            columns.update(custom=custom, created_at=now, updated_at=now, version=1)
            inserts.append(columns)
        ids = _insert(kernel, model, inserts, single)
        if record_type.links:
            write_links(record_type, ids, links, replace=False)
        if record_type.lines:
            write_lines(record_type, ids, links, replace=False)
        _audit(actor, "created", type_name, [
            (rid, {k: [None, v] for k, v in values.items() if v is not None})
            for rid, values in zip(ids, shown)])
        _outbox(kernel, record_type, "created",
                [{"id": rid, **values} for rid, values in zip(ids, shown)])
    kernel.emit(signals.record_created, record_type=type_name, ids=ids, actor=actor)
    return ids


def _insert(kernel: Accord, model: type[BaseRecord], inserts: list[dict[str, Any]],
            single: bool) -> list[int]:
    # Rows of one batch may name different columns; fill the gaps with the defaults so
    # one multi-row INSERT serves them all.
    names = sorted({k for row in inserts for k in row})
    fields = [_field_named(model, n) for n in names]
    # The columns peewee would add for their defaults are named here, so the
    # statement lists every column it writes.
    # (Compared by name: peewee fields' == builds an SQL expression.)
    named = {field.name for field in fields}
    for field in model._meta.defaults:
        if field.name not in named:
            names.append(field.name)
            fields.append(field)
    width = len(names)
    for row in inserts:
        if len(row) == width:  # every name is a key of every row: nothing missing
            continue
        for name, field in zip(names, fields):
            if name not in row:
                row[name] = field.default() if callable(field.default) else field.default
    try:
        ids = insert_rows(model, fields, [[r[n] for n in names] for r in inserts],
                           returning=model.id)
    except peewee.IntegrityError as exc:
        raise ValidationError(_integrity_message(exc)) from None
    return ids


def _field_named(model: type[BaseRecord], name: str) -> peewee.Field:
    """A model field by attribute name or by its foreign key's ``<name>_id``."""
    field: peewee.Field | None = model._meta.combined.get(name)
    if field is None:
        candidate: peewee.ForeignKeyField
        for candidate in model._meta.refs:
            if candidate.object_id_name == name:
                return candidate
        raise ValidationError({name: [f"unknown field {name!r}"]})
    return field


# Updating ------------------------------------------------------------------

def _update(kernel: Accord, type_name: str, items: list[tuple[int, dict[str, Any], int | None]],
            *, actor: Actor, single: bool) -> list[int]:
    kernel.sync()
    record_type = kernel.records.get(type_name)
    require(actor, permission_for(record_type, "write"))
    if not items:
        return []
    model = record_type.model
    rows = _load(kernel, record_type, [data for _, data, _ in items], partial=True, single=single)
    check_ownership(record_type, actor, rows)
    ids = [record_id for record_id, _, _ in items]
    if len(set(ids)) != len(ids):
        raise ValidationError({"id": ["the same record appears twice in one bulk update"]})
    changed_ids: list[int] = []
    all_changes: list[tuple[int, dict[str, list[Any]]]] = []
    with _rows_named(single), kernel.transaction():
        found = {r.id: r for r in _fetch(record_type, ids, actor)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"{type_name} {', '.join(map(str, missing[:10]))} "
                           f"{'does' if len(missing) == 1 else 'do'} not exist")
        existing = [found[i] for i in ids]
        for (record_id, _, version), record in zip(items, existing):
            if version is not None and record.version != version:
                raise StaleVersion(f"{type_name} {record_id} is at version {record.version}, "
                                   f"not {version}; reload it and try again")
        links = _checked(kernel, record_type, rows, existing, actor, single)
        link_changes = write_links(record_type, ids, links, replace=True)
        if record_type.lines:
            for record_id, changed in write_lines(record_type, ids, links,
                                                  replace=True).items():
                link_changes.setdefault(record_id, {}).update(changed)
        now = utcnow()
        outbox_rows = []
        names = record_type.data_keys
        for record, row in zip(existing, rows):
            before = column_values(kernel, record_type, record, list(row))
            changed = {k: [jsonable(before[k]), jsonable(v)] for k, v in row.items()
                       if jsonable(before[k]) != jsonable(v)}
            diff = {names.get(k, k): v for k, v in changed.items()}
            diff.update(link_changes.get(record.id, {}))
            if not diff:
                continue
            columns, custom = to_columns(kernel, record_type,
                                         {k: v for k, v in row.items() if k in changed})
            if custom:
                columns["custom"] = {**(record.custom or {}), **custom}
            columns.update(updated_at=now, version=model.version + 1)
            query = model.update({_field_named(model, k): v for k, v in columns.items()}).where(
                model.id == record.id,
                                                model.version == record.version)
            try:
                changed_rows = query.execute()
            except peewee.IntegrityError as exc:
                raise ValidationError(_integrity_message(exc)) from None
            if changed_rows != 1:
                raise StaleVersion(f"{type_name} {record.id} was changed by someone else; "
                                   "reload it and try again")
            changed_ids.append(record.id)
            all_changes.append((record.id, diff))
            outbox_rows.append({"id": record.id, **{k: v[1] for k, v in diff.items()}})
        _audit(actor, "updated", type_name, all_changes)
        _outbox(kernel, record_type, "updated", outbox_rows)
    if changed_ids:
        kernel.emit(signals.record_updated, record_type=type_name, ids=changed_ids,
                     changes=[c for _, c in all_changes], actor=actor)
    return changed_ids


def _fetch(record_type: RecordType, ids: list[int], actor: Actor) -> Iterable[BaseRecord]:
    """The records with these ids that the actor reaches."""
    model = record_type.model
    for start in range(0, len(ids), CHUNK):
        query = model.select().where(model.id.in_(ids[start:start + CHUNK]))
        yield from scoped(query, record_type, actor)


def _checked(kernel: Accord, record_type: RecordType, rows: list[dict[str, Any]],
             existing: list[Any], actor: Actor, single: bool) -> list[dict[str, Any]]:
    """The in-transaction steps every write shares: references and unique values,
    the plugins' veto and computed values; returns the link and line fields taken out
    of the rows."""
    _check_rows(kernel, record_type, rows, existing, single)
    kernel.hooks.validate_records(kernel=kernel, record_type=record_type, rows=rows,
                                  existing=existing, actor=actor)
    kernel.hooks.compute_fields(kernel=kernel, record_type=record_type, rows=rows,
                                existing=existing)
    links = pop_links(record_type, rows)
    check_links(record_type, links, single)
    if record_type.lines:
        for extra, lines in zip(links, pop_lines(record_type, rows)):
            extra.update(lines)
    return links


@contextlib.contextmanager
def _rows_named(single: bool) -> Iterator[None]:
    """In a bulk write, an error a check or hook placed at a row (``row=N``) is named
    ``rows[N].field`` like the schema's errors, so every bulk error reads alike."""
    try:
        yield
    except ValidationError as exc:
        if single or exc.row is None:
            raise
        raise ValidationError(exc.flat()) from None


def _shown(record_type: RecordType, row: dict[str, Any]) -> dict[str, Any]:
    values = jsonable_row(row)
    names = record_type.data_keys
    return {names.get(k, k): v for k, v in values.items()} if names else values


# Shared steps --------------------------------------------------------------

def _load(kernel: Accord, record_type: RecordType, raw_rows: list[Any], *, partial: bool,
          single: bool) -> list[dict[str, Any]]:
    """Validate each row with the type's schema (custom fields included)."""
    schema = kernel.schema(record_type)
    rows: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    bad = 0
    for index, raw in enumerate(raw_rows):
        if not isinstance(raw, dict):
            problem = {"_schema": ["a record must be a JSON object"]}
        else:
            try:
                rows.append(schema.load(raw, partial=partial))
                continue
            except ma.ValidationError as exc:
                problem = flatten_messages(exc.messages)
        bad += 1
        if bad <= MAX_REPORTED:
            errors.update(problem if single else ValidationError(problem, row=index).flat())
    if bad:
        if bad > MAX_REPORTED:
            errors["_schema"] = [f"{bad - MAX_REPORTED} more rows have errors"]
        raise ValidationError(errors)
    return rows


def _check_rows(kernel: Accord, record_type: RecordType, rows: list[dict[str, Any]],
                existing: list[Any], single: bool) -> None:
    """References must exist and unique values must be free, checked set-based."""
    model = record_type.model
    for field in model._meta.sorted_fields:
        if isinstance(field, peewee.ForeignKeyField):
            _check_references(field, rows, single)
        elif field.unique:
            _check_unique(record_type, field, rows, existing, single)


def _check_references(field: peewee.ForeignKeyField, rows: list[dict[str, Any]],
                      single: bool) -> None:
    key = field.object_id_name
    wanted = {row[key] for row in rows if row.get(key) is not None}
    if not wanted:
        return
    target = field.rel_model
    found = set(ids_by_key(target, field.rel_field, list(wanted)))
    for index, row in enumerate(rows):
        if row.get(key) is not None and row[key] not in found:
            label = target._meta.table_name.split("_", 1)[-1].replace("_", " ")
            _row_error(single, index, key, f"there is no {label} {row[key]!r}")


def _check_unique(record_type: RecordType, field: peewee.Field, rows: list[dict[str, Any]],
                  existing: list[Any], single: bool) -> None:
    name = field.name
    seen: dict[Any, int] = {}
    for index, row in enumerate(rows):
        value = row.get(name)
        if value is None:
            continue
        if value in seen:
            _row_error(single, index, name, f"{value!r} appears twice (also in rows[{seen[value]}])")
        seen[value] = index
    if not seen:
        return
    owners = ids_by_key(record_type.model, field, list(seen))
    for value, index in seen.items():
        holder = owners.get(value)
        current = existing[index]
        if holder is not None and (current is None or current.id != holder):
            _row_error(single, index, name,
                       f"{value!r} is already used by {record_type.name} {holder}")


def _row_error(single: bool, index: int, field: str, message: str) -> None:
    raise ValidationError({field: [message]}, row=None if single else index)


def _audit(actor: Actor, action: str, type_name: str,
           entries: list[tuple[int, dict[str, Any]]]) -> None:
    if not entries:
        return
    now = utcnow()
    rows = [(now, actor.user_id, actor.label, action, type_name, rid, changes)
            for rid, changes in entries]
    fields = [AuditEntry.at, AuditEntry.actor_id, AuditEntry.actor_label, AuditEntry.action,
              AuditEntry.record_type, AuditEntry.record_id, AuditEntry.changes]
    insert_rows(AuditEntry, fields, rows)


def _outbox(kernel: Accord, record_type: RecordType, action: str,
            records: list[dict[str, Any]]) -> None:
    if not records:
        return
    items = [item for batch in kernel.hooks.outbox_items(
        kernel=kernel, record_type=record_type, action=action, records=records) for item in
        (batch or ())]
    if items:
        OutboxMessage.insert_many([{"topic": i.topic, "payload": jsonable(i.payload)}
                                   for i in items]).execute()


def _integrity_message(exc: peewee.IntegrityError) -> dict[str, list[str]]:
    text = str(exc).lower()
    if "email" in text:
        return {"email": ["this email address is already used"]}
    return {"_schema": ["the record clashes with a stored one (a unique value is taken)"]}
