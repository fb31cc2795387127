"""Listing, defining and removing custom fields; each needs ``admin.fields``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..customfields import FieldDef, validate_definition
from ..errors import ValidationError
from ..models import CustomField
from .actors import Actor
from .audit import write_audit
from .authz import require
from .counters import bump

if TYPE_CHECKING:
    from ..kernel import Accord

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
              personal: bool = False) -> FieldDef:
    """Define a custom field; with ``indexed``, its values get an expression index."""
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
        CustomField.create(record_type=type_name, name=name, kind=kind, label=label,
                           required=required, choices=list(choices) if choices else None,
                           indexed=indexed, personal=personal)
        write_audit(actor, "field_added", type_name,
                    [(0, {"field": [None, name], "kind": [None, kind]})])
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
