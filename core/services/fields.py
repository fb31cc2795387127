"""Listing, defining and removing custom fields; each needs ``admin.fields``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import peewee

from ..customfields import FieldDef, fits, validate_definition
from ..database import is_postgres
from ..errors import ValidationError
from ..models import CustomField
from ..models.base import utcnow
from .actors import Actor
from .audit import write_audit
from .authz import require
from .counters import bump

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordType

__all__ = ["list_fields", "add_field", "remove_field", "FIELDS"]

#: The permission every function here needs.
FIELDS = "admin.fields"


def list_fields(kernel: Accord, *, actor: Actor, record_type: str | None = None) -> list[FieldDef]:
    """The custom fields of one record type, or of every type (by type, then field)."""
    require(actor, FIELDS)
    kernel.sync()
    if record_type is not None and record_type not in kernel.records:
        raise ValidationError({"record_type": [f"unknown record type {record_type!r}"]})
    names = [record_type] if record_type is not None else kernel.records.names()
    return [field for name in names for field in kernel.fields.of(name).values()]


def add_field(kernel: Accord, type_name: str, name: str, kind: str, *, actor: Actor,
              label: str | None = None, required: bool = False,
              choices: list[str] | None = None, indexed: bool = False,
              personal: bool = False, discard_values: bool = False) -> FieldDef:
    """Define a custom field; with ``indexed``, its values get an expression index.

    Records may still hold values of an earlier field of that name (removing a field
    keeps them). Those that fit ``kind`` come back; if some do not (an earlier
    ``decimal`` field re-added as ``date``), the field is refused unless
    ``discard_values``, which removes just those values: audited and versioned like any
    change, so each record's history keeps what was removed."""
    require(actor, FIELDS)
    kernel.sync()
    if type_name not in kernel.records:
        known = ", ".join(sorted(kernel.records.names()))
        raise ValidationError({"record_type": [
            f"unknown record type {type_name!r} (known: {known})"]})
    record_type = kernel.records.get(type_name)
    validate_definition(type_name, name, kind, choices)
    if name in kernel.fields.of(type_name):
        source = kernel.fields.get(type_name, name).source
        raise ValidationError({"name": [f"{type_name} already has a field {name!r}"
                                        + (" (in accord.toml)" if source == "config" else "")]})
    with kernel.transaction():
        unfit = _unfit_values(kernel, record_type, name, kind)
        if unfit and not discard_values:
            raise ValidationError({"kind": [
                f"{_count(len(unfit), type_name)} a value of an earlier field {name} "
                f"that {'an' if kind[0] in 'aeiou' else 'a'} {kind} field cannot hold "
                f"({_some(type_name, sorted(unfit))}); "
                "add it with its earlier kind, choose another name, or discard those values "
                "(API: \"discard_values\": true; CLI: --discard-values), which each "
                "record's history keeps"]})
        CustomField.create(record_type=type_name, name=name, kind=kind, label=label,
                           required=required, choices=list(choices) if choices else None,
                           indexed=indexed, personal=personal)
        write_audit(actor, "field_added", type_name,
                    [(0, {"field": [None, name], "kind": [None, kind],
                          **({"discarded": [None, len(unfit)]} if unfit else {})})])
        if unfit:
            _discard(kernel, record_type, name, unfit, actor)
        bump("fields")
    kernel.sync()
    field = kernel.fields.get(type_name, name)
    if indexed:
        with kernel.bound():
            kernel.fields.create_index(record_type, field)
    return field


def remove_field(kernel: Accord, type_name: str, name: str, *, actor: Actor) -> None:
    """Remove a field's definition. Stored values stay in the records (nothing is
    lost): defining the field again brings them back."""
    require(actor, FIELDS)
    kernel.sync()
    record_type = kernel.records.get(type_name)
    field = kernel.fields.get(type_name, name)
    if field.source == "config":
        raise ValidationError({"name": [f"{type_name}.{name} is defined in accord.toml; "
                                        "remove it there"]})
    with kernel.transaction():
        CustomField.delete().where(CustomField.record_type == type_name,
                                   CustomField.name == name).execute()
        write_audit(actor, "field_removed", type_name, [(0, {"field": [name, None]})])
        bump("fields")
    if field.indexed:
        with kernel.bound():
            kernel.fields.drop_index(record_type, field)
    kernel.sync()


def _unfit_values(kernel: Accord, record_type: RecordType, name: str,
                  kind: str) -> dict[int, Any]:
    """The values records hold under ``name`` that a field of ``kind`` cannot hold, by
    record id (one query over the records that hold a value there at all)."""
    model = record_type.model
    column = model._meta.fields["custom"]
    if is_postgres(kernel.database):
        held = peewee.NodeList((column, peewee.SQL(f"-> '{name}'")), glue=" ").is_null(False)
    else:
        held = peewee.fn.json_type(column, f"$.{name}").is_null(False)
    out = {}
    for row in model.select(model.id, model.custom).where(held):
        value = (row.custom or {}).get(name)
        if value is not None and not fits(kind, value):
            out[row.id] = value
    return out


def _discard(kernel: Accord, record_type: RecordType, name: str, unfit: dict[int, Any],
             actor: Actor) -> None:
    """Remove the values in ``unfit`` from their records, audited and versioned."""
    model = record_type.model
    column = model._meta.fields["custom"]
    if is_postgres(kernel.database):
        without: Any = peewee.NodeList((column, peewee.SQL("- %s", [name])), glue=" ")
    else:
        without = peewee.fn.json_remove(column, f"$.{name}")
    ids = sorted(unfit)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        model.update({column: without, model.version: model.version + 1,
                      model.updated_at: utcnow()}).where(model.id.in_(chunk)).execute()
    write_audit(actor, "updated", record_type.name,
                [(record_id, {name: [unfit[record_id], None]}) for record_id in ids])


def _count(count: int, type_name: str) -> str:
    return f"{count} {type_name} record{' holds' if count == 1 else 's hold'}"


def _some(type_name: str, ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:5])
    more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
    return f"{type_name} {shown}{more}"
