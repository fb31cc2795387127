"""Helpers of the marketing tests; kernels, clients and runners come from accord_sdk's
fixtures. Each module loads the plugin from its module, never from entry points:
``pytestmark = pytest.mark.plugins(accord_marketing.hooks)`` (with ``"sales"`` too for
the purchase facts)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from accord import services
from accord.services import Actor

SYSTEM = Actor.system("test")


def _org(kernel: Any, name: str = "Acme Ltd", **extra: Any) -> Any:
    return services.create(kernel, "organization", {"name": name, **extra}, actor=SYSTEM)


def _contact(kernel: Any, last_name: str = "Ames", **extra: Any) -> Any:
    return services.create(kernel, "contact", {"last_name": last_name, **extra}, actor=SYSTEM)


def _rows(kernel: Any, model: Any) -> list[Any]:
    with kernel.bound():
        return list(model.select().order_by(model.id))


@pytest.fixture
def helpers() -> SimpleNamespace:
    """``helpers.org(kernel, name, **fields)``, ``helpers.contact(kernel, last_name,
    **fields)``, ``helpers.rows(kernel, Model)``."""
    return SimpleNamespace(org=_org, contact=_contact, rows=_rows)
