"""Defining and removing custom fields (the CLI now, the admin API later)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..customfields import FieldDef, validate_definition
from ..errors import ValidationError
from ..models import AuditEntry, CustomField, utcnow
from .actors import Actor
from .counters import bump

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["add_field", "remove_field"]


def add_field(kernel: Accord, type_name: str, name: str, kind: str, *, actor: Actor,
              label: str | None = None, required: bool = False,
              choices: list[str] | None = None, indexed: bool = False,
              personal: bool = False) -> FieldDef:
    """Define a custom field; with ``indexed``, its values get an expression index."""
    kernel.sync()
    record_type = kernel.records.get(type_name)
    validate_definition(type_name, name, kind, choices)
    if name in kernel.fields.of(type_name):
        source = kernel.fields.get(type_name, name).source
        raise ValidationError({"name": [f"{type_name} already has a field {name!r}"
                                        + (" (in accord.toml)" if source == "config" else "")]})
    with kernel.transaction():
        CustomField.create(record_type=type_name, name=name, kind=kind, label=label,
                           required=required, choices=list(choices) if choices else None,
                           indexed=indexed, personal=personal)
        AuditEntry.create(at=utcnow(), actor_id=actor.user_id, actor_label=actor.label,
                          action="field_added", record_type=type_name, record_id=0,
                          changes={"field": [None, name], "kind": [None, kind]})
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
    kernel.sync()
    record_type = kernel.records.get(type_name)
    field = kernel.fields.get(type_name, name)
    if field.source == "config":
        raise ValidationError({"name": [f"{type_name}.{name} is defined in accord.toml; "
                                        "remove it there"]})
    with kernel.transaction():
        CustomField.delete().where(CustomField.record_type == type_name,
                                   CustomField.name == name).execute()
        AuditEntry.create(at=utcnow(), actor_id=actor.user_id, actor_label=actor.label,
                          action="field_removed", record_type=type_name, record_id=0,
                          changes={"field": [name, None]})
        bump("fields")
    if field.indexed:
        with kernel.bound():
            kernel.fields.drop_index(record_type, field)
    kernel.sync()
