"""Project-only helpers for the competitors tests; kernels, clients and runners come
from accord_sdk's fixtures. Both plugins are loaded from their modules, never from
entry points: each module says ``pytestmark = pytest.mark.plugins(accord_sales.hooks,
accord_competitors.hooks)``, so the ``kernel`` fixture has both enabled."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from accord import services
from accord.services import Actor
from accord_sdk.assertions import problem

SYSTEM = Actor.system("test")

@pytest.fixture
def rivals(kernel: Any) -> Any:
    """The test's kernel, with sales and competitors enabled."""
    assert {"sales", "competitors"} <= kernel.plugins.active, (
        "mark the module: plugins(accord_sales.hooks, accord_competitors.hooks)")
    return kernel


def _rows(kernel: Any, model: Any, *order: Any) -> list[Any]:
    with kernel.bound():
        return list(model.select().order_by(*(order or (model._meta.primary_key,))))


def _count(kernel: Any, model: Any) -> int:
    with kernel.bound():
        return int(model.select().count())


def _money(amount: str, currency: str = "EUR") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def _competitor(kernel: Any, name: str = "Rival Inc", **extra: Any) -> Any:
    return services.create(kernel, "competitors.competitor", {"name": name, **extra},
                           actor=SYSTEM)


def _opportunity(kernel: Any, name: str = "Deal", amount: str = "1000",
                 currency: str = "EUR", **extra: Any) -> Any:
    if "organization_id" not in extra and "contact_id" not in extra:
        extra["organization_id"] = services.create(
            kernel, "organization", {"name": f"{name} Ltd"}, actor=SYSTEM).id
    return services.create(kernel, "sales.opportunity", {
        "name": name, "amount": _money(amount, currency), **extra}, actor=SYSTEM)


def _link(kernel: Any, opportunity: Any, competitor: Any, **extra: Any) -> Any:
    return services.create(kernel, "competitors.involvement", {
        "opportunity_id": opportunity.id, "competitor_id": competitor.id, **extra},
        actor=SYSTEM)


@pytest.fixture
def helpers() -> SimpleNamespace:
    """What the competitors tests build and check records with:
    ``helpers.problem(response, 422)``, ``helpers.rows(kernel, Model)``,
    ``helpers.count(kernel, Model)``, ``helpers.money("10", "EUR")``,
    ``helpers.competitor(kernel, name)``, ``helpers.opportunity(kernel, name, amount)``,
    ``helpers.link(kernel, deal, competitor)``."""
    return SimpleNamespace(problem=problem, rows=_rows, count=_count, money=_money,
                           competitor=_competitor, opportunity=_opportunity, link=_link)
