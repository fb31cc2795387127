"""Merging two contacts or two organizations: one winner keeps everything.

``merge`` runs in one transaction with both records locked: it chooses the field
values, asks every running plugin to move its related records onto the winner (the
``merge_records`` hook, with ``move_rows`` doing the writing), moves the core's own
(activities, tags, products of interest, an organization's contacts and
subsidiaries), then moves generically whatever foreign key of any loaded plugin's
table, running or not, still names the loser (or refuses, naming the table). The
loser is deleted and kept as a redirect (``accord_merge_redirect``), so its old id
still resolves: ``resolve`` answers the last winner of a chain of merges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import peewee

from .. import signals
from ..database import is_postgres
from ..errors import Conflict, NotFound, StaleVersion, ValidationError
from ..models import (Activity, BaseRecord, ContactInterest, MergeRedirect, Tagging, utcnow)
from ..records import OutboxItem
from .actors import Actor
from .audit import write_audit
from .authz import permission_for, require, scoped
from .crud import update
from .outbox import enqueue
from .reading import dump, masked_fields
from .values import jsonable

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordType

__all__ = ["Moved", "MergeResult", "MergePreview", "FieldChoice", "merge", "preview",
           "move_rows", "move_customer_rows", "resolve", "mergeable_fields", "MERGE",
           "MERGEABLE"]

#: The permission to merge records (beside write on their type).
MERGE = "admin.merge"
#: The record types that can be merged.
MERGEABLE = ("contact", "organization")
#: The two words a field's choice may be; anything else is the value itself.
CHOICES = ("winner", "loser")
#: Fields that, unless chosen, keep True when either record has it: a person who
#: opted out as one of the two has opted out.
STICKY = frozenset({"email_opt_out", "call_opt_out"})
#: Fields naming a record of the same type (an organization's parent).
SELF_REFERENCES = frozenset({"parent_id"})


@dataclass(frozen=True)
class Moved:
    """What a plugin moved onto the winner: the kind of rows, in the plural
    (``opportunities``), and how many."""

    kind: str
    count: int


@dataclass(frozen=True)
class MergeResult:
    """A merge done: the winner as stored now, the loser's id, and what moved,
    by plugin then kind (only kinds with rows)."""

    record_type: str
    winner: BaseRecord
    loser_id: int
    moved: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.record_type, "winner": self.winner.id, "loser": self.loser_id,
                "version": self.winner.version, "moved": self.moved}


def mergeable_fields(kernel: Accord, record_type: RecordType) -> list[str]:
    """The fields a merge chooses between (API names, custom fields included): the
    schema's writable ones; link fields are not chosen, their ids are united."""
    links = {link.name for link in record_type.links}
    out = []
    for name, schema_field in kernel.schema(record_type).fields.items():
        if schema_field.dump_only or name in links:
            continue
        out.append(schema_field.data_key or name)
    return out


@dataclass(frozen=True)
class FieldChoice:
    """One field of a merge's preview: both records' values and the one kept."""

    name: str
    winner: Any
    loser: Any
    kept: Any
    #: ``winner``, ``loser`` or ``value`` (an explicit value was given).
    source: str

    @property
    def differs(self) -> bool:
        return bool(jsonable(self.winner) != jsonable(self.loser))


@dataclass(frozen=True)
class MergePreview:
    """What merging would do to the fields, as the reader may see them (masked fields
    show as None), and the two records' titles and versions."""

    record_type: str
    winner_id: int
    loser_id: int
    winner_title: str
    loser_title: str
    winner_version: int
    loser_version: int
    fields: list[FieldChoice]


def preview(kernel: Accord, type_name: str, winner_id: int, loser_id: int, *,
            actor: Actor, values: Mapping[str, Any] | None = None) -> MergePreview:
    """The two records side by side, each field with the value a merge with ``values``
    would keep; refused as ``merge`` would refuse (permissions, same id, unknown
    fields, a record out of reach)."""
    record_type, wanted, allowed = _checked(kernel, type_name, winner_id, loser_id, actor,
                                            values)
    with kernel.bound():
        model = record_type.model
        query = model.select().where(model.id.in_([winner_id, loser_id]))
        found = {r.id: r for r in scoped(query, record_type, actor)}
    for record_id in (winner_id, loser_id):
        if record_id not in found:
            raise NotFound(f"{type_name} {record_id} does not exist")
    winner, loser = found[winner_id], found[loser_id]
    chosen = _chosen(kernel, record_type, winner, loser, wanted, allowed)
    mine = dump(kernel, record_type, winner)
    theirs = dump(kernel, record_type, loser)
    hidden = masked_fields(kernel, record_type, actor)
    fields = []
    for name in allowed:
        kept = chosen.get(name, mine.get(name))
        source = ("value" if name in wanted and wanted[name] not in CHOICES else
                  "loser" if name in chosen and jsonable(chosen[name]) == jsonable(
                      theirs.get(name)) else "winner")
        shown = (None, None, None) if name in hidden else (mine.get(name), theirs.get(name),
                                                           kept)
        fields.append(FieldChoice(name, *shown, source))
    return MergePreview(type_name, winner_id, loser_id, record_type.title(winner),
                        record_type.title(loser), winner.version, loser.version, fields)


def _checked(kernel: Accord, type_name: str, winner_id: int, loser_id: int, actor: Actor,
             values: Mapping[str, Any] | None) -> tuple[RecordType, dict[str, Any], list[str]]:
    """The refusals a merge and its preview share, before any record is read."""
    if type_name not in MERGEABLE:
        raise ValidationError({"type": [f"only contact and organization records can be "
                                        f"merged, not {type_name!r}"]})
    require(actor, MERGE)
    record_type = kernel.records.get(type_name)
    require(actor, permission_for(record_type, "write"))
    if winner_id == loser_id:
        raise ValidationError({"loser": [f"{type_name} {winner_id} cannot be merged "
                                         "into itself"]})
    wanted = dict(values or {})
    allowed = mergeable_fields(kernel, record_type)
    unknown = sorted(k for k in wanted if k not in allowed)
    if unknown:
        raise ValidationError({f"values.{name}": [f"{type_name} has no field {name!r} "
                                                  "to choose"] for name in unknown})
    return record_type, wanted, allowed


def merge(kernel: Accord, type_name: str, winner_id: int, loser_id: int, *,
          actor: Actor, values: Mapping[str, Any] | None = None,
          winner_version: int | None = None,
          loser_version: int | None = None) -> MergeResult:
    """Merge ``loser_id`` into ``winner_id``, both of ``type_name``.

    ``values`` maps a field to ``"winner"``, ``"loser"`` or the value to keep; a field
    not named keeps the winner's value, or takes the loser's where the winner's is
    empty. Needs ``admin.merge`` and write permission on the type, and both records
    within the actor's record rule. With a version given, a stale one is refused."""
    record_type, wanted, allowed = _checked(kernel, type_name, winner_id, loser_id, actor,
                                            values)
    with kernel.transaction():
        winner, loser = _locked_pair(kernel, record_type, winner_id, loser_id, actor)
        for record, version in ((winner, winner_version), (loser, loser_version)):
            if version is not None and record.version != version:
                raise StaleVersion(f"{type_name} {record.id} is at version "
                                   f"{record.version}, not {version}; reload it and try "
                                   "again")
        data = _chosen(kernel, record_type, winner, loser, wanted, allowed)
        moved = _move_all(kernel, record_type, winner_id, loser_id)
        before = {k: v for k, v in dump(kernel, record_type, loser).items()
                  if v is not None and k != "id"}
        model = record_type.model
        try:
            with kernel.database.atomic():  # type: ignore[union-attr]
                model.delete().where(model.id == loser_id).execute()
        except peewee.IntegrityError:
            raise Conflict(f"{type_name} {loser_id} is still referred to by rows that "
                           "could not be moved; it stays") from None
        _redirect(record_type.name, winner_id, loser_id, actor)
        if data:
            try:
                update(kernel, type_name, winner_id, data, actor=actor)
            except ValidationError as exc:
                raise ValidationError({k if k == "_schema" else f"values.{k}": v
                                       for k, v in exc.messages.items()}) from None
        if not data or _version(model, winner_id) == winner.version:
            model.update({model.version: model.version + 1, model.updated_at: utcnow()}) \
                .where(model.id == winner_id).execute()
        loser_entry = {k: [v, None] for k, v in before.items()}
        loser_entry["merged_into"] = [None, winner_id]
        write_audit(actor, "deleted", type_name, [(loser_id, loser_entry)])
        write_audit(actor, "merged", type_name, [
            (winner_id, {"merged_from": [None, loser_id], "moved": [None, moved]})])
        enqueue(kernel, [OutboxItem(f"{type_name}.merged",
                                    {"winner": winner_id, "loser": loser_id,
                                     "moved": moved})])
    kernel.emit(signals.record_deleted, record_type=type_name, ids=[loser_id], actor=actor)
    with kernel.bound():
        stored = model.get_by_id(winner_id)
    return MergeResult(type_name, stored, loser_id, moved)


def _version(model: Any, record_id: int) -> int:
    return int(model.select(model.version).where(model.id == record_id).scalar())


def _locked_pair(kernel: Accord, record_type: RecordType, winner_id: int, loser_id: int,
                 actor: Actor) -> tuple[Any, Any]:
    """Both records, locked in id order (PostgreSQL; SQLite's writer is alone), read
    within the actor's rule: one out of reach is not found."""
    model = record_type.model
    query = model.select().where(model.id.in_([winner_id, loser_id])).order_by(model.id)
    if is_postgres(kernel.database):
        query = query.for_update()
    found = {r.id: r for r in scoped(query, record_type, actor)}
    for record_id in (winner_id, loser_id):
        if record_id not in found:
            raise NotFound(f"{record_type.name} {record_id} does not exist")
    return found[winner_id], found[loser_id]


def _chosen(kernel: Accord, record_type: RecordType, winner: Any, loser: Any,
            wanted: dict[str, Any], allowed: list[str]) -> dict[str, Any]:
    """The changes to the winner: each field's choice, and the loser's value where the
    winner has none and nothing was chosen."""
    mine = dump(kernel, record_type, winner)
    theirs = dump(kernel, record_type, loser)
    data: dict[str, Any] = {}
    for name in allowed:
        choice = wanted.get(name)
        if choice is None and name not in wanted:
            value = theirs.get(name) if mine.get(name) in (None, "") else mine.get(name)
            if name in STICKY:
                value = bool(mine.get(name) or theirs.get(name))
        elif choice == "winner":
            value = mine.get(name)
        elif choice == "loser":
            value = theirs.get(name)
        else:
            value = choice
        if name in SELF_REFERENCES and value in (winner.id, loser.id):
            value = None  # under itself, or under the record that goes
        if jsonable(value) != jsonable(mine.get(name)):
            data[name] = value
    return data


def _redirect(type_name: str, winner_id: int, loser_id: int, actor: Actor) -> None:
    """Keep the loser's id as a redirect, and move the redirects that named it, so a
    chain of merges resolves in one lookup."""
    MergeRedirect.update(new_id=winner_id).where(
        MergeRedirect.record_type == type_name, MergeRedirect.new_id == loser_id).execute()
    MergeRedirect.insert(record_type=type_name, old_id=loser_id, new_id=winner_id,
                         merged_at=utcnow(), actor_id=actor.user_id,
                         actor_label=actor.label).execute()


def resolve(kernel: Accord, type_name: str, record_id: int) -> int | None:
    """The id a merged record lives on as (the last winner), or None when ``record_id``
    was never merged away."""
    with kernel.bound():
        row = (MergeRedirect.select(MergeRedirect.new_id)
               .where(MergeRedirect.record_type == type_name,
                      MergeRedirect.old_id == record_id).first())
    return None if row is None else int(row.new_id)


# Moving related rows ---------------------------------------------------------

def move_rows(kernel: Accord, column: peewee.Field, winner_id: int, loser_id: int, *,
              where: Any = None, unique_with: Sequence[peewee.Field] = (),
              children: Sequence[peewee.ForeignKeyField] = ()) -> int:
    """Point the rows whose ``column`` names the loser at the winner; returns how many
    rows did. Call it from a ``merge_records`` implementation (it runs inside the
    merge's transaction); a row that is a record gets a new version.

    ``where``: a further condition (``Activity.record_type == "contact"`` beside a plain
    id column). ``unique_with``: the other columns of a unique index ``column`` is in;
    a loser's row whose twin the winner has already is folded into it: the rows that
    name it through ``children`` move to the twin, then it is deleted."""
    if not kernel.in_transaction():
        raise RuntimeError("move_rows runs inside the merge's transaction")
    model: Any = column.model
    key = model._meta.primary_key
    condition = (column == loser_id) if where is None else ((column == loser_id) & where)
    folded: list[Any] = []
    if unique_with:
        mine = model.select(key, *unique_with).where(
            (column == winner_id) if where is None else ((column == winner_id) & where))
        twins = {tuple(row[1:]): row[0] for row in mine.tuples()}
        for row in model.select(key, *unique_with).where(condition).tuples():
            twin = twins.get(tuple(row[1:]))
            if twin is not None:
                for child in children:
                    move_rows(kernel, child, twin, row[0])
                folded.append(row[0])
        if folded:
            model.delete().where(key.in_(folded)).execute()
    changes: dict[Any, Any] = {column: winner_id}
    if issubclass(model, BaseRecord):
        changes.update({model.version: model.version + 1, model.updated_at: utcnow()})
    moved = model.update(changes).where(condition).execute()
    return int(moved) + len(folded)


def move_customer_rows(kernel: Accord, record_type: RecordType, winner_id: int,
                       loser_id: int, records: Sequence[tuple[str, Any]]) -> list[Moved]:
    """A ``merge_records`` implementation's usual work: for a merged contact or
    organization, point each model's ``contact`` or ``organization`` column at the
    winner. ``records``: (kind, model) pairs, the kind as the audit entry counts it
    ("orders"). Returns what moved (nothing for other record types)."""
    if record_type.name not in ("contact", "organization"):
        return []
    moved = [Moved(kind, move_rows(kernel, getattr(model, record_type.name), winner_id,
                                   loser_id))
             for kind, model in records]
    return [m for m in moved if m.count]


def _move_all(kernel: Accord, record_type: RecordType, winner_id: int,
              loser_id: int) -> dict[str, dict[str, int]]:
    """Everything that names the loser, moved: the core's rows, each running plugin's
    (its hook), then any foreign key left (the safety net)."""
    moved: dict[str, dict[str, int]] = {}

    def note(plugin: str, kind: str, count: int) -> None:
        if count:
            kinds = moved.setdefault(plugin, {})
            kinds[kind] = kinds.get(kind, 0) + count

    for kind, count in _move_core(kernel, record_type, winner_id, loser_id):
        note("core", kind, count)
    for plugin, item in kernel.plugins.collect("merge_records", kernel=kernel,
                                               record_type=record_type,
                                               winner_id=winner_id, loser_id=loser_id):
        note(plugin, item.kind, item.count)
    for plugin, kind, count in _move_left(kernel, record_type, winner_id, loser_id):
        note(plugin, kind, count)
    return moved


def _move_core(kernel: Accord, record_type: RecordType, winner_id: int,
               loser_id: int) -> list[tuple[str, int]]:
    name = record_type.name
    model: Any = record_type.model
    out = [
        ("activities", move_rows(kernel, Activity.record_id, winner_id, loser_id,
                                 where=Activity.record_type == name)),
        ("tags", move_rows(kernel, Tagging.record_id, winner_id, loser_id,
                           where=Tagging.record_type == name, unique_with=(Tagging.tag,))),
    ]
    if name == "contact":
        out.append(("activities", move_rows(kernel, Activity.contact, winner_id, loser_id)))
        out.append(("products of interest",
                    move_rows(kernel, ContactInterest.contact, winner_id, loser_id,
                              unique_with=(ContactInterest.product,))))
    else:
        contacts: Any = kernel.records.get("contact").model
        out.append(("activities",
                    move_rows(kernel, Activity.organization, winner_id, loser_id)))
        out.append(("contacts", move_rows(kernel, contacts.organization, winner_id,
                                          loser_id)))
        # The winner under the loser would become its own parent: it loses the parent.
        model.update({model.parent: None}).where(
            model.id == winner_id, model.parent == loser_id).execute()
        out.append(("subsidiaries", move_rows(kernel, model.parent, winner_id, loser_id)))
    return out


def _move_left(kernel: Accord, record_type: RecordType, winner_id: int,
               loser_id: int) -> list[tuple[str, str, int]]:
    """The safety net: any foreign key of a loaded plugin's table (disabled plugins'
    included, whose ``ON DELETE CASCADE`` would otherwise take their rows with the
    loser) still naming the loser is moved; a move a unique index refuses stops the
    merge with a 409 naming the table."""
    target = record_type.model._meta.table_name
    out = []
    for plugin, model in _loaded_models(kernel):
        for fk in model._meta.refs:
            if fk.rel_model._meta.table_name != target:
                continue
            if fk.rel_model is model and target == model._meta.table_name:
                continue  # the type's own parent key, handled by the core
            if not model.select().where(fk == loser_id).exists():
                continue
            try:
                with kernel.database.atomic():  # type: ignore[union-attr]
                    count = move_rows(kernel, fk, winner_id, loser_id)
            except peewee.IntegrityError:
                raise Conflict(f"{record_type.name} {loser_id} cannot be merged: rows of "
                               f"the table {model._meta.table_name} name both records and "
                               "may not be joined; merge them in that plugin first") from None
            out.append((plugin, str(model._meta.table_name).replace("_", " "), count))
    return out


def _loaded_models(kernel: Accord) -> list[tuple[str, Any]]:
    """(plugin, model) of every table of the core and every loaded plugin (enabled or
    not, not purged) that exists."""
    from ..models import CORE_MODELS

    loaded = {name for name, plugin in kernel.plugins.plugins.items()
              if plugin.module is not None and plugin.stored_state != "purged"}
    assert kernel.database is not None
    existing = set(kernel.database.get_tables())
    seen: dict[str, tuple[str, Any]] = {m._meta.table_name: ("core", m) for m in CORE_MODELS}
    for plugin, record_type in kernel.plugins.collect("register_record_types", only=loaded):
        seen.setdefault(record_type.model._meta.table_name, (plugin, record_type.model))
    for plugin, model in kernel.plugins.collect("register_models", only=loaded):
        seen.setdefault(model._meta.table_name, (plugin, model))
    return [pair for table, pair in seen.items() if table in existing]
