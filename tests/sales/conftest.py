"""Project-only helpers for the sales tests; kernels, clients and runners come from
accord_sdk's fixtures. The plugin is loaded from its module, never from entry points:
each module says ``pytestmark = pytest.mark.plugins(accord_sales.hooks)``, so the
``kernel`` fixture (and ``cli``, ``make_api_client``, ``count_queries`` with it) has
sales enabled."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from accord import services
from accord.services import Actor
from accord_sdk.assertions import problem

SYSTEM = Actor.system("test")

@pytest.fixture
def sales(kernel: Any) -> Any:
    """The test's kernel, with the sales plugin enabled."""
    assert "sales" in kernel.plugins.active, "mark the module: plugins(accord_sales.hooks)"
    return kernel


def _rows(kernel: Any, model: Any, *order: Any) -> list[Any]:
    with kernel.bound():
        return list(model.select().order_by(*(order or (model.id,))))


def _count(kernel: Any, model: Any) -> int:
    with kernel.bound():
        return int(model.select().count())


def _org(kernel: Any, name: str = "Acme GmbH", **extra: Any) -> Any:
    return services.create(kernel, "organization", {"name": name, **extra}, actor=SYSTEM)


def _opportunity(kernel: Any, name: str = "Deal", **extra: Any) -> Any:
    if "organization_id" not in extra and "contact_id" not in extra:
        extra["organization_id"] = _org(kernel, f"{name} Ltd").id
    return services.create(kernel, "sales.opportunity", {"name": name, **extra}, actor=SYSTEM)


def _product(kernel: Any, sku: str = "SEAT", price: str | None = "100.00",
             cost: str | None = None, currency: str = "EUR", **extra: Any) -> Any:
    values: dict[str, Any] = {"sku": sku, "name": extra.pop("name", f"Product {sku}"), **extra}
    if price is not None:
        values["unit_price"] = {"amount": price, "currency": currency}
    if cost is not None:
        values["cost_price"] = {"amount": cost, "currency": currency}
    return services.create(kernel, "product", values, actor=SYSTEM)


def _customer(kernel: Any, extra: dict[str, Any], name: str) -> None:
    if not {"organization_id", "contact_id", "opportunity_id"} & extra.keys():
        extra["organization_id"] = _org(kernel, f"{name} Ltd").id


def _quote(kernel: Any, name: str = "Offer", lines: list[dict[str, Any]] | None = None,
           **extra: Any) -> Any:
    """A draft quote; by default one line of 2 x 100.00 at no tax."""
    _customer(kernel, extra, name)
    if lines is None:
        lines = [{"description": "Consulting day", "quantity": "2", "unit_price": "100.00"}]
    return services.create(kernel, "sales.quote", {"name": name, "lines": lines, **extra},
                           actor=SYSTEM)


def _order(kernel: Any, lines: list[dict[str, Any]] | None = None, **extra: Any) -> Any:
    _customer(kernel, extra, "Order")
    if lines is None:
        lines = [{"description": "Consulting day", "quantity": "2", "unit_price": "100.00"}]
    return services.create(kernel, "sales.order", {"lines": lines, **extra}, actor=SYSTEM)


def _invoice(kernel: Any, lines: list[dict[str, Any]] | None = None, **extra: Any) -> Any:
    _customer(kernel, extra, "Invoice")
    if lines is None:
        lines = [{"description": "Consulting day", "quantity": "2", "unit_price": "100.00"}]
    return services.create(kernel, "sales.invoice", {"lines": lines, **extra}, actor=SYSTEM)


def _contract(kernel: Any, name: str = "Support", start: str = "2026-01-01",
              end: str = "2026-12-31", value: str = "1200.00", **extra: Any) -> Any:
    if "organization_id" not in extra:
        extra["organization_id"] = _org(kernel, f"{name} Ltd").id
    return services.create(kernel, "sales.contract", {
        "name": name, "start_date": start, "end_date": end,
        "value": {"amount": value, "currency": "EUR"}, **extra}, actor=SYSTEM)


@pytest.fixture
def helpers() -> SimpleNamespace:
    """What the sales tests build and check records with: ``helpers.problem(response, 422)``,
    ``helpers.rows(kernel, Model)``, ``helpers.count(kernel, Model)``,
    ``helpers.org(kernel, name)``, ``helpers.opportunity(kernel, name, **fields)``,
    ``helpers.product``, ``helpers.quote``, ``helpers.order``, ``helpers.invoice``,
    ``helpers.contract`` (see each for its defaults)."""
    return SimpleNamespace(problem=problem, rows=_rows, count=_count, org=_org,
                           opportunity=_opportunity, product=_product, quote=_quote,
                           order=_order, invoice=_invoice, contract=_contract)
