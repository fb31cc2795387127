"""The service layer: the one path every change to data takes.

Validate (the record type's rules, custom fields, plugin hooks) → one transaction
holding the write, its audit entries and outbox rows → commit → signals. Write
transactions are opened here and in plugins' own service modules, whose verbs group
several of these writes in one ``kernel.transaction()``; hooks, API views and CLI
commands never open or commit one. Every service checks its actor's permission.
"""

from __future__ import annotations

from .actors import SYSTEM, Actor
from .reading import dump, dump_many, timeline
from .crud import bulk_create, bulk_update, create, delete, get, update

__all__ = ["Actor", "SYSTEM", "create", "update", "delete", "get", "bulk_create", "bulk_update",
           "dump", "dump_many", "timeline"]
