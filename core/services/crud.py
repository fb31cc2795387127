"""Create, update and delete records of any type, singly or in bulk.

Every step a user would count on happens here and nowhere else: validation by the
record type's schema and its custom fields, the write-path hooks (once per batch),
reference and uniqueness checks done set-based, one transaction with the audit
entries and outbox rows, then the signals.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING, Any, Iterable, Iterator, NoReturn, Sequence

import marshmallow as ma
import peewee

from .. import signals
from ..database import is_postgres
from ..errors import Conflict, NotFound, StaleVersion, ValidationError, flatten_messages
from ..models import BaseRecord, utcnow
from .actors import Actor
from .audit import audit_along, write_audit
from .authz import check_ownership, permission_for, require, scoped
from .bulk_sql import CHUNK, ids_by_key, insert_rows, update_rows
from .lines import pop_lines, write_lines
from .links import check_links, pop_links, write_links
from .reading import dump, masked_fields
from .rows import fetch_records, instance as _instance
from .tags import forget_tags
from .outbox import enqueue
from .values import column_values, jsonable, jsonable_row, to_columns

from ..records import Write

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordType

__all__ = ["create", "update", "delete", "get", "bulk_create", "bulk_update", "ids_by_key",
           "refuse_referenced", "fetch_records"]
#: Bad rows named in one error before the rest are summarised.
MAX_REPORTED = 20


def get(kernel: Accord, type_name: str | RecordType, record_id: int, *,
        actor: Actor | None = None, for_update: bool = False) -> BaseRecord:
    """One record by id, or NotFound naming the type and id. With a restricted
    ``actor``, its read permission and record rule apply (a record out of its reach
    is not found). ``for_update`` (inside a transaction) locks the row until the
    transaction ends, so that a verb checking it and then writing is not raced by
    another doing the same (PostgreSQL; SQLite serializes writers anyway).

    ``type_name`` may be the record type itself: a face reading back what it wrote
    answers for the type it resolved, even if a toggle by another thread sharing the
    kernel has withdrawn it since."""
    record_type = (kernel.records.get(type_name) if isinstance(type_name, str)
                   else type_name)
    return _get(kernel, record_type, record_id, actor=actor, for_update=for_update)


def _get(kernel: Accord, record_type: RecordType, record_id: int, *,
         actor: Actor | None = None, for_update: bool = False) -> BaseRecord:
    model = record_type.model
    lock = for_update and is_postgres(kernel.database)
    with kernel.bound():
        if actor is None:
            # Every write reads its record back: the statement is rendered once per
            # model and engine, not rebuilt on each call.
            record = _read_by_id(kernel, model, record_id, lock)
        else:
            require(actor, permission_for(record_type, "read"))
            query = model.select().where(model.id == record_id)
            if lock:
                query = query.for_update()
            record = scoped(query, record_type, actor).get_or_none()
    if record is None:
        raise NotFound(f"{record_type.name} {record_id} does not exist")
    return record


#: (model, database class, FOR UPDATE) -> the SQL reading one row by id, and each
#: column's field.
_BY_ID: dict[tuple[type, type, bool], tuple[str, list[peewee.Field]]] = {}


def _read_by_id(kernel: Accord, model: type[BaseRecord], record_id: int,
                lock: bool) -> BaseRecord | None:
    """One row as a model instance. Every write reads its record back: the statement is
    rendered once per model and engine, and the row is made an instance directly."""
    database = kernel.database
    key = (model, type(database), lock)
    cached = _BY_ID.get(key)
    if cached is None:
        fields = _columns(model)
        query = model.select(*fields).where(model.id == 0)
        if lock:
            query = query.for_update()
        sql, params = query.sql()
        assert params == [0], params
        cached = _BY_ID[key] = (sql, fields)
    sql, fields = cached
    row = database.execute_sql(sql, (record_id,)).fetchone()  # type: ignore[union-attr]
    return None if row is None else _instance(model, fields, row)


def create(kernel: Accord, type_name: str, data: dict[str, Any], *, actor: Actor,
           verb: str | None = None) -> BaseRecord:
    """Create one record and return it as stored (the row its INSERT returned: what a
    read-back would give, without the extra statement); ValidationError names the
    fields that are wrong.

    ``verb``: the plugin action writing (see ``accord.records.VerbField``); the fields
    that action owns may then be given, as Python values, beside the others, and the
    type's write permission is not asked (the action checked its own); the actor's
    record rule still applies."""
    _, records = _create(kernel, type_name, [data], actor=actor, single=True, verb=verb)
    return records[0]


def bulk_create(kernel: Accord, type_name: str, rows: Sequence[dict[str, Any]], *,
                actor: Actor, verb: str | None = None) -> list[int]:
    """Create many records all-or-nothing; an error names each bad row and field."""
    return _create(kernel, type_name, list(rows), actor=actor, single=False, verb=verb)[0]


def update(kernel: Accord, type_name: str, record_id: int, data: dict[str, Any], *,
           actor: Actor, version: int | None = None, verb: str | None = None) -> BaseRecord:
    """Change some fields of a record. With ``version``, a stale version is refused.
    ``verb``: the plugin action writing, which may set the fields it owns."""
    # Read back as the type it was written as: a toggle by another thread sharing the
    # kernel after the commit does not turn the answer into a 404.
    record_type = kernel.records.get(type_name)
    _update(kernel, type_name, [(record_id, data, version)], actor=actor, single=True,
            verb=verb)
    return _get(kernel, record_type, record_id)


def bulk_update(kernel: Accord, type_name: str,
                changes: Sequence[tuple[int, dict[str, Any]] | tuple[int, dict[str, Any], int | None]],
                *, actor: Actor, verb: str | None = None) -> list[int]:
    """Apply ``(id, data[, version])`` changes all-or-nothing; returns the ids changed."""
    items = [(c[0], c[1], c[2] if len(c) > 2 else None) for c in changes]
    return _update(kernel, type_name, items, actor=actor, single=False, verb=verb)


def delete(kernel: Accord, type_name: str, record_id: int, *, actor: Actor,
           version: int | None = None) -> None:
    """Delete a record (its tags go with it). With ``version``, a stale one is refused."""
    record_type = kernel.records.get(type_name)
    require(actor, permission_for(record_type, "delete"))
    model = record_type.model
    with kernel.transaction():
        _still_running(kernel, record_type)
        record = _locked(scoped(model.select().where(model.id == record_id), record_type,
                                actor)).get_or_none()
        if record is None:
            raise NotFound(f"{type_name} {record_id} does not exist")
        if version is not None and record.version != version:
            raise StaleVersion(f"{type_name} {record_id} is at version {record.version}, "
                               f"not {version}; reload it and try again")
        if record_type.check_delete is not None:
            record_type.check_delete(kernel, [record], actor)
        refuse_referenced(kernel, record_type, [record_id])
        kernel.hooks.validate_delete(kernel=kernel, record_type=record_type, records=[record],
                                     actor=actor)
        # The record as the API shows it (owner_id, x_ fields, links), like a created
        # entry, so the audit masks and scopes both alike.
        before = {k: v for k, v in dump(kernel, record_type, record).items()
                  if v is not None and k != "id"}
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
        write_audit(actor, "deleted", type_name, [(record_id, {k: [v, None] for k, v in before.items()})])
        _outbox(kernel, record_type, "deleted", [{"id": record_id}], actor)
    kernel.emit(signals.record_deleted, record_type=type_name, ids=[record_id],
                 actor=actor)


# Creating ------------------------------------------------------------------

def _create(kernel: Accord, type_name: str, raw_rows: list[dict[str, Any]], *, actor: Actor,
            single: bool, verb: str | None = None) -> tuple[list[int], list[BaseRecord]]:
    """The ids created, and for ``single`` the record as its INSERT returned it."""
    record_type = kernel.records.get(type_name)
    if verb is None:  # a verb's write is governed by the action's own permission
        require(actor, permission_for(record_type, "write"))
    if not raw_rows:
        return [], []
    existing: list[Any] = [None] * len(raw_rows)
    claimed: dict[int, dict[str, Any]] = {}
    rows = _load(kernel, record_type, raw_rows, existing, partial=False, single=single,
                 verb=verb, claimed=claimed)
    if claimed:
        with _rows_named(single):
            _check_claimed(kernel, record_type, claimed, existing, single)
    # A single create's INSERT refuses a taken unique value itself (one statement
    # fewer per create than probing first); see Write.unique_by_insert.
    write = Write(kernel, record_type, rows, existing, actor, verb, unique_by_insert=single)
    with kernel.bound():
        if record_type.defaults is not None:
            record_type.defaults(write)
        kernel.hooks.record_defaults(kernel=kernel, record_type=record_type, rows=rows,
                                     actor=actor)
    check_ownership(record_type, actor, rows)
    model = record_type.model
    with _rows_named(single), kernel.transaction():
        _still_running(kernel, record_type)
        links = _checked(write, single)
        # One JSON form per row serves its audit entry and its outbox record.
        shown = [_shown(record_type, {**row, **linked}) for row, linked in zip(rows, links)]
        now = utcnow()
        inserts = []
        for row in rows:
            columns, custom = to_columns(kernel, record_type, row)
            columns.update(custom=custom, created_at=now, updated_at=now, version=1)
            inserts.append(columns)
        # PostgreSQL: a single create's audit row goes in its INSERT's statement.
        along = audit_along(actor, "created", type_name, _created(shown[0])) \
            if single and is_postgres(kernel.database) else None
        ids, records = _insert(kernel, model, inserts, single, along)
        if single and not ids:
            _refuse_taken(write)
        if record_type.links:
            write_links(record_type, ids, links, replace=False)
        if record_type.lines:
            write_lines(record_type, ids, links, replace=False)
        if along is None:
            write_audit(actor, "created", type_name,
                        [(rid, _created(values)) for rid, values in zip(ids, shown)])
        _outbox(kernel, record_type, "created",
                [{"id": rid, **values} for rid, values in zip(ids, shown)], actor)
    kernel.emit(signals.record_created, record_type=type_name, ids=ids, actor=actor)
    return ids, records


def _created(values: dict[str, Any]) -> dict[str, list[Any]]:
    """A created record's audit changes: ``[None, value]`` per field given."""
    return {k: [None, v] for k, v in values.items() if v is not None}


def _insert(kernel: Accord, model: type[BaseRecord], inserts: list[dict[str, Any]],
            single: bool, along: tuple[str, list[Any]] | None = None
            ) -> tuple[list[int], list[BaseRecord]]:
    """The ids of the rows inserted; for ``single``, also the record, made from every
    column the INSERT returned (the record as stored, with no read-back), or nothing
    when a unique index holds one of its values already (the caller words why)."""
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
    values = [[r[n] for n in names] for r in inserts]
    try:
        if not single:
            return insert_rows(model, fields, values, returning=model.id), []
        columns = _columns(model)
        returned = insert_rows(model, fields, values, returning=columns, skip_conflicts=True,
                               along=along)
    except peewee.IntegrityError as exc:
        raise ValidationError(_integrity_message(exc)) from None
    if not returned:
        return [], []
    record = _instance(model, columns, returned[0])
    return [record.id], [record]


def _refuse_taken(write: Write) -> NoReturn:
    """A single create's INSERT found a unique value taken: run the checks that probe
    unique indexes (the unique fields', the type's own rules) for their error, which
    names the field and, where the actor may see it, the holder."""
    write.unique_by_insert = False
    _check_rows(write, single=True)
    if write.record_type.validate is not None:
        write.record_type.validate(write)
    raise ValidationError({"_schema": [_CLASH]})


def _columns(model: type[BaseRecord]) -> list[peewee.Field]:
    """Every column of ``model``, in the order ``_instance`` reads a row."""
    return list(model._meta.sorted_fields)


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
            *, actor: Actor, single: bool, verb: str | None = None) -> list[int]:
    record_type = kernel.records.get(type_name)
    if verb is None:  # a verb's write is governed by the action's own permission
        require(actor, permission_for(record_type, "write"))
    if not items:
        return []
    model = record_type.model
    ids = [record_id for record_id, _, _ in items]
    claimed: dict[int, dict[str, Any]] = {}
    rows = _load(kernel, record_type, [data for _, data, _ in items], ids, partial=True,
                 single=single, verb=verb, claimed=claimed)
    if len(set(ids)) != len(ids):
        raise ValidationError({"id": ["the same record appears twice in one bulk update"]})
    changed_ids: list[int] = []
    all_changes: list[tuple[int, dict[str, list[Any]]]] = []
    with _rows_named(single), kernel.transaction():
        _still_running(kernel, record_type)
        found = {r.id: r for r in _fetch(record_type, ids, actor)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"{type_name} {', '.join(map(str, missing[:10]))} "
                           f"{'does' if len(missing) == 1 else 'do'} not exist")
        existing = [found[i] for i in ids]
        check_ownership(record_type, actor, rows, existing)
        for (record_id, _, version), record in zip(items, existing):
            if version is not None and record.version != version:
                raise StaleVersion(f"{type_name} {record_id} is at version {record.version}, "
                                   f"not {version}; reload it and try again")
        if claimed:
            _check_claimed(kernel, record_type, claimed, existing, single)
        links = _checked(Write(kernel, record_type, rows, existing, actor, verb), single)
        link_changes = write_links(record_type, ids, links, replace=True)
        if record_type.lines:
            for record_id, changed in write_lines(record_type, ids, links,
                                                  replace=True).items():
                link_changes.setdefault(record_id, {}).update(changed)
        now = utcnow()
        outbox_rows = []
        writes: list[tuple[BaseRecord, dict[peewee.Field, Any]]] = []
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
            columns["updated_at"] = now
            writes.append((record, {_field_named(model, k): v for k, v in columns.items()}))
            changed_ids.append(record.id)
            all_changes.append((record.id, diff))
            outbox_rows.append({"id": record.id, **{k: v[1] for k, v in diff.items()}})
        _write_updates(type_name, model, writes)
        write_audit(actor, "updated", type_name, all_changes)
        _outbox(kernel, record_type, "updated", outbox_rows, actor)
    if changed_ids:
        kernel.emit(signals.record_updated, record_type=type_name, ids=changed_ids,
                     changes=[c for _, c in all_changes], actor=actor)
    return changed_ids


def _write_updates(type_name: str, model: type[BaseRecord],
                   writes: list[tuple[BaseRecord, dict[peewee.Field, Any]]]) -> None:
    """Write each record's changed columns where its version still holds (its version
    one up): several set-based (``bulk_sql.update_rows``), one through peewee. A row
    another writer changed meanwhile is a StaleVersion naming it; a constraint the
    checks did not catch, a ValidationError naming the field."""
    try:
        done = update_rows(model, [(record.id, record.version, columns)
                                   for record, columns in writes]) if len(writes) > 1 else None
        if done is None:
            done = []
            for record, columns in writes:
                query = model.update({**columns, model.version: model.version + 1}).where(
                    model.id == record.id, model.version == record.version)
                if query.execute() == 1:
                    done.append(record.id)
    except peewee.IntegrityError as exc:
        raise ValidationError(_integrity_message(exc)) from None
    updated = set(done)
    for record, _ in writes:
        if record.id not in updated:
            raise StaleVersion(f"{type_name} {record.id} was changed by someone else; "
                               "reload it and try again")


def _fetch(record_type: RecordType, ids: list[int], actor: Actor) -> Iterable[BaseRecord]:
    """The records with these ids that the actor reaches, locked until the write's
    transaction ends (see ``_locked``)."""
    model = record_type.model
    for start in range(0, len(ids), CHUNK):
        query = model.select().where(model.id.in_(ids[start:start + CHUNK]))
        yield from _locked(scoped(query, record_type, actor))


def _still_running(kernel: Accord, record_type: RecordType) -> None:
    """Refuse a write whose record type's plugin stopped running (another request or
    process disabled it) while the write was being prepared, as a read of the type
    would be refused. Called first inside the write's transaction, where the kernel is
    in step with the plugin states and holds them (``Accord.transaction``): the write
    commits before any later toggle, or not at all."""
    if record_type.name not in kernel.records:
        kernel.records.get(record_type.name)  # NotFound saying why it is not available


def _locked(query: Any) -> Any:
    """``query`` reading the rows a write is about to change, locked until its
    transaction ends, so the version it reads is the one it writes over: a writer that
    named no version (no If-Match) then waits for a concurrent one instead of failing
    for a version it never saw. PostgreSQL: ``FOR UPDATE``, in id order (two bulk
    writes lock alike, never crosswise); SQLite: its write transactions begin
    IMMEDIATE, one at a time, so what they read is current already."""
    if not is_postgres(query.model._meta.database):
        return query
    return query.order_by(query.model.id).for_update()


def _checked(write: Write, single: bool) -> list[dict[str, Any]]:
    """The in-transaction steps every write shares: references and unique values, the
    record type's own rules and the plugins' veto, then computed values (the type's,
    then the plugins'); returns the link and line fields taken out of the rows."""
    kernel, record_type, rows, existing = (write.kernel, write.record_type, write.rows,
                                           write.existing)
    _check_rows(write, single)
    if record_type.validate is not None:
        record_type.validate(write)
    if record_type.transitions is not None:
        _check_transitions(write)
    kernel.hooks.validate_records(kernel=kernel, record_type=record_type, rows=rows,
                                  existing=existing, actor=write.actor)
    if record_type.compute is not None:
        record_type.compute(write)
    kernel.hooks.compute_fields(kernel=kernel, record_type=record_type, rows=rows,
                                existing=existing)
    links = pop_links(record_type, rows)
    check_links(record_type, links, single, write=write)
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

def _load(kernel: Accord, record_type: RecordType, raw_rows: list[Any], targets: list[Any], *,
          partial: bool, single: bool, verb: str | None = None,
          claimed: dict[int, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Validate each row with the type's schema (custom fields included).

    The fields a verb owns are taken out first: kept as given when ``verb`` owns them;
    from anyone else they go to ``claimed`` (row index -> API name -> value), for
    ``_check_claimed`` to refuse unless they hold the stored value. ``targets[i]``: the
    id row ``i`` updates (None for a create)."""
    if record_type.written_by and verb not in record_type.written_by:
        raise ValidationError({"_schema": [
            f"{record_type.name} records are written by the "
            f"{_either(record_type.written_by)} action only"]})
    schema = kernel.schema(record_type)
    owned = record_type.verb_field_map
    rows: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    bad = 0
    for index, raw in enumerate(raw_rows):
        if not isinstance(raw, dict):
            problem = {"_schema": ["a record must be a JSON object"]}
        else:
            verb_values: dict[str, Any] = {}
            if owned and not owned.keys().isdisjoint(raw):
                raw, verb_values, named = _verb_values(record_type, raw, verb,
                                                       targets[index])
                if named and claimed is not None:
                    claimed[index] = named
            try:
                row = schema.load(raw, partial=partial)
                row.update(verb_values)
                rows.append(row)
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


def _verb_values(record_type: RecordType, raw: dict[str, Any], verb: str | None,
                 target: int | None) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Split a raw row into what the schema loads, the values of fields ``verb`` owns
    (keyed by the attribute they are stored as), and the verb fields a writer that
    does not own them named (by API name)."""
    owned = record_type.verb_field_map
    rest: dict[str, Any] = {}
    values: dict[str, Any] = {}
    named: dict[str, Any] = {}
    for key, value in raw.items():
        verb_field = owned.get(key)
        if verb_field is None or (target is None and verb_field.on_create
                                  and verb not in verb_field.actions):
            rest[key] = value
        elif verb is not None and verb in verb_field.actions:
            declared = record_type.schema._declared_fields.get(key)
            values[declared.attribute or key if declared is not None else key] = value
        else:
            named[key] = value
    return rest, values, named


def _check_claimed(kernel: Accord, record_type: RecordType,
                   claimed: dict[int, dict[str, Any]], existing: list[Any],
                   single: bool) -> None:
    """Verb fields a client named hold what is stored (null for a new record), as
    when a record read is sent back; any other value is refused with the actions that
    set the field named."""
    for index, named in sorted(claimed.items()):
        current = existing[index]
        stored = kernel.schema(record_type).dump(current) if current is not None else {}
        where = current.id if current is not None else "<id>"
        problems = {
            key: [f"set by the {_either(verb_field.actions)} action only (POST "
                  f"/api/v1/{record_type.path}/{where}/{verb_field.actions[0]})"]
            for key, value in named.items() if jsonable(value) != jsonable(stored.get(key))
            for verb_field in (record_type.verb_field_map[key],)}
        if problems:
            raise ValidationError(problems, row=None if single else index)


def _either(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _check_transitions(write: Write) -> None:
    """A status field moves only where the record type's transitions allow."""
    transitions = write.record_type.transitions
    assert transitions is not None
    name = transitions.field
    for index, row, current in write:
        if current is None or name not in row or row[name] == getattr(current, name):
            continue
        was = getattr(current, name)
        allowed = transitions.targets(was)
        if row[name] not in allowed:
            options = f"it can go to {_either(allowed)}" if allowed else "it stays so"
            what = (write.record_type.label or write.record_type.name).lower()
            write.refuse(index, {name: [f"{what} {current.id} is {was}: {options}"]})


def refuse_referenced(kernel: Accord, record_type: RecordType, ids: list[int]) -> None:
    """Refuse (409) deleting records that rows of a running plugin still name through a
    foreign key, naming the first such kind of row and how many; rows that go with the
    record (``ON DELETE CASCADE``: its lines) do not count. One query per referring
    column."""
    target = record_type.model
    for model, field, referring in _references_to(kernel, target):
        column: Any = field
        query: Any = (model.select(column, peewee.fn.COUNT(peewee.SQL("*")))
                      .where(column.in_(ids)).group_by(column))
        counts: dict[int, int] = dict(query.tuples())
        if counts:
            first = min(counts)
            count = counts[first]
            them = "it" if count == 1 else "them"
            raise Conflict(f"{record_type.name} {first} is named by {count} "
                           f"{_kind_of(model, referring, count)}; give {them} another "
                           f"{record_type.name} or delete {them} first")


def _references_to(kernel: Accord,
                   target: type[peewee.Model]) -> list[tuple[Any, Any, RecordType | None]]:
    """(model, foreign key) pairs of the tables that point at ``target`` and keep their
    row, unchanged, when it goes: keys without ``ON DELETE CASCADE`` or ``SET NULL``,
    and the keys a record type ``protects``. The tables of every loaded plugin count,
    disabled ones included (their rows are kept while they are off), when they exist."""
    loaded = {name for name, plugin in kernel.plugins.plugins.items()
              if plugin.module is not None and plugin.stored_state != "purged"} | {"core"}
    assert kernel.database is not None
    existing = set(kernel.database.get_tables())
    models: dict[str, tuple[type[peewee.Model], RecordType | None]] = {}
    for _, record_type in kernel.plugins.collect("register_record_types", only=loaded):
        models[record_type.model._meta.table_name] = (record_type.model, record_type)
    for _, model in kernel.plugins.collect("register_models", only=loaded):
        models.setdefault(model._meta.table_name, (model, None))
    out = []
    for table, (model, referring) in models.items():
        protects = referring.protects if referring is not None else ()
        if table not in existing:
            continue
        for field in model._meta.refs:
            if field.rel_model._meta.table_name != target._meta.table_name:
                continue
            action = (field.on_delete or "").upper()
            if action == "CASCADE" or (action == "SET NULL" and field.name not in protects):
                continue
            out.append((model, field, referring))
    return out


def _kind_of(model: type[peewee.Model], record_type: RecordType | None, count: int) -> str:
    """``acme_dental appointments``, ``contacts``, ``acme_dental visit note`` …"""
    if record_type is not None:
        words = (record_type.plural if count != 1 else
                 (record_type.label or record_type.name.split(".")[-1]).lower())
        words = words.replace("_", " ")
        return words if record_type.plugin == "core" else f"{record_type.plugin} {words}"
    words = str(model._meta.table_name).replace("accord_", "", 1).replace("_", " ")
    return words + ("s" if count != 1 else "")


def _check_rows(write: Write, single: bool) -> None:
    """References must exist (and be readable by the actor) and unique values must be
    free, checked set-based."""
    record_type = write.record_type
    for field in record_type.model._meta.sorted_fields:
        if isinstance(field, peewee.ForeignKeyField):
            _check_references(write, field, single)
        elif field.unique:
            _check_unique(write, field, single)


def _check_references(write: Write, field: peewee.ForeignKeyField, single: bool) -> None:
    """Every id a foreign key names exists; one query per key. A restricted actor
    writing as a client (no ``verb``) may only name records it can read (the type's
    read permission and the actor's record rule): another is answered like an id that
    does not exist, so a write does not tell whether it does. Values a record already
    holds (sent back unchanged) and the owner and team of an owned type (governed by
    ``check_ownership``) are not asked again. A verb keeps what it copies (an accepted
    quote's order keeps the deal whoever accepts)."""
    rows, existing = write.rows, write.existing
    key = field.object_id_name
    wanted = {row[key] for row, current in zip(rows, existing)
              if row.get(key) is not None
              and (current is None or row[key] != getattr(current, key, None))}
    if not wanted:
        return
    target = field.rel_model
    target_type = write.kernel.records.for_model(target)
    reach = (target_type is not None and write.actor.restricted and write.verb is None
             and not (write.record_type.owned and field.name in ("owner", "team")))
    if reach:
        assert target_type is not None
        found: set[Any] = set()
        if write.actor.can(permission_for(target_type, "read")):
            ids = sorted(wanted)
            for start in range(0, len(ids), CHUNK):
                query = target.select(target.id).where(target.id.in_(ids[start:start + CHUNK]))
                found.update(r[0] for r in scoped(query, target_type, write.actor).tuples())
    else:
        found = set(ids_by_key(target, field.rel_field, list(wanted)))
    for index, row in enumerate(rows):
        if row.get(key) in wanted and row[key] not in found:
            label = target._meta.table_name.split("_", 1)[-1].replace("_", " ")
            _row_error(single, index, key, f"there is no {label} {row[key]!r}")


def _check_unique(write: Write, field: peewee.Field, single: bool) -> None:
    """Unique values are free. The holder of a value the actor sees masked is not
    named (naming it would unmask the value)."""
    record_type, rows, existing = write.record_type, write.rows, write.existing
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
    if write.unique_by_insert:  # the INSERT probes the field's unique index itself
        return
    hidden = name in masked_fields(write.kernel, record_type, write.actor)
    owners = ids_by_key(record_type.model, field, list(seen))
    for value, index in seen.items():
        holder = owners.get(value)
        current = existing[index]
        if holder is not None and (current is None or current.id != holder):
            _row_error(single, index, name,
                       f"this {'email address' if name == 'email' else name.replace('_', ' ')} "
                       "is already used" if hidden else
                       f"{value!r} is already used by {record_type.name} {holder}")


def _row_error(single: bool, index: int, field: str, message: str) -> None:
    raise ValidationError({field: [message]}, row=None if single else index)


def _outbox(kernel: Accord, record_type: RecordType, action: str,
            records: list[dict[str, Any]], actor: Actor) -> None:
    if not records:
        return
    enqueue(kernel, [item for batch in kernel.hooks.outbox_items(
        kernel=kernel, record_type=record_type, action=action, records=records,
        actor=actor)
        for item in (batch or ())])


def _integrity_message(exc: peewee.IntegrityError) -> dict[str, list[str]]:
    """The field a constraint the checks before it did not catch names, by engine text
    (SQLite: "NOT NULL constraint failed: t.col"; PostgreSQL: 'null value in column
    "col"'), so a plugin whose rules forgot a value learns which one."""
    text = str(exc)
    lowered = text.lower()
    null = re.search(r'not null constraint failed: \w+\.(\w+)|null value in column "(\w+)"',
                     lowered)
    if null:
        return {null.group(1) or null.group(2): ["a value is required"]}
    if "foreign key" in lowered:
        return {"_schema": ["the record refers to a record that does not exist"]}
    if "email" in lowered:
        return {"email": ["this email address is already used"]}
    return {"_schema": [_CLASH]}


_CLASH = "the record clashes with a stored one (a unique value is taken)"
