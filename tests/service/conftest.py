"""Helpers of the service tests; kernels, clients and runners come from accord_sdk's
fixtures. Each module loads the plugin from its module, never from entry points:
``pytestmark = pytest.mark.plugins(accord_service.hooks)``."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from accord import services
from accord.services import Actor

SYSTEM = Actor.system("test")
UTC = dt.timezone.utc


def _customer(kernel: Any, name: str = "Acme Ltd") -> Any:
    return services.create(kernel, "organization", {"name": name}, actor=SYSTEM)


def _ticket(kernel: Any, actor: Any = SYSTEM, **extra: Any) -> Any:
    if "organization_id" not in extra and "contact_id" not in extra:
        extra["organization_id"] = _customer(kernel).id
    data = {"channel": "email", "subject": "The printer jams", **extra}
    return services.create(kernel, "service.ticket", data, actor=actor)


def _rows(kernel: Any, model: Any) -> list[Any]:
    with kernel.bound():
        return list(model.select().order_by(model.id))


@pytest.fixture
def helpers() -> SimpleNamespace:
    """``helpers.customer(kernel)``, ``helpers.ticket(kernel, actor, **fields)``,
    ``helpers.rows(kernel, Model)``, ``helpers.utc(2026, 3, 2, 9)``."""
    return SimpleNamespace(customer=_customer, ticket=_ticket, rows=_rows,
                           utc=lambda *parts: dt.datetime(*parts, tzinfo=UTC))
