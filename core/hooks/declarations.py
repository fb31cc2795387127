"""Hooks through which the core and plugins declare record types and tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import hookspec

if TYPE_CHECKING:
    import peewee

    from accord.records import RecordType


@hookspec
def register_record_types() -> list[RecordType]:
    """Declare the record types a plugin brings (model, schema, searchable fields).

    Called: when the kernel starts and whenever the set of enabled plugins changes;
        outside any transaction. Names are qualified by the plugin
        (``acme_dental.appointment``); the core's are bare (``contact``).
    Returns: a list of RecordType; None or [] for none.
    Order: every implementation runs; a name already declared by another plugin
        makes enabling the second plugin fail with a message naming both.
    Since: 0.1
    """


@hookspec
def register_models() -> list[type[peewee.Model]]:
    """Declare the plugin's tables that are not record types (histories, links).

    Called: when a plugin is purged (to export and count its rows) and by
        ``accord db check`` (to compare models with tables).
    Returns: a list of peewee model classes; a record type's model need not be repeated.
    Order: every implementation runs.
    Since: 0.1
    """
