"""The service layer: the one path every change to data takes.

Validate (marshmallow, custom fields, plugin hooks) → one transaction holding the
write, its audit entries and outbox rows → commit → signals. Only this package
opens write transactions.
"""

from __future__ import annotations

from .actors import SYSTEM, Actor
from .records import bulk_create, bulk_update, create, delete, get, update

__all__ = ["Actor", "SYSTEM", "create", "update", "delete", "get", "bulk_create", "bulk_update"]
