"""Project-only helpers for the API tests (as fixtures, since conftest modules are not
imported by name); the kernels and clients come from accord_sdk's fixtures."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from accord_sdk.assertions import problem


def _stored(kernel: Any, type_name: str, record_id: int) -> Any:
    """The row as the database holds it now (None when it is gone)."""
    model = kernel.records.get(type_name).model
    with kernel.bound():
        return model.get_or_none(model.id == record_id)


def _rows(kernel: Any, type_name: str) -> int:
    model = kernel.records.get(type_name).model
    with kernel.bound():
        return int(model.select().count())


def _audit(kernel: Any, type_name: str | None = None, record_id: int | None = None) -> list[Any]:
    from accord.models import AuditEntry

    query = AuditEntry.select().order_by(AuditEntry.id)
    if type_name is not None:
        query = query.where(AuditEntry.record_type == type_name)
    if record_id is not None:
        query = query.where(AuditEntry.record_id == record_id)
    with kernel.bound():
        return list(query)


@pytest.fixture
def helpers() -> SimpleNamespace:
    """What the API tests check responses and rows with:
    ``helpers.problem(response, 422)``, ``helpers.stored(kernel, "contact", 1)``,
    ``helpers.rows(kernel, "contact")``, ``helpers.audit(kernel, "contact", 1)``."""
    return SimpleNamespace(problem=problem, stored=_stored, rows=_rows, audit=_audit)


@pytest.fixture
def notes_kernel(make_kernel: Any, plugins_folder: str) -> Any:
    """A kernel with the local acme_notes plugin enabled (notes at /api/v1/acme_notes/notes)."""
    return make_kernel(plugins_dir=plugins_folder, enable=["acme_notes"])
