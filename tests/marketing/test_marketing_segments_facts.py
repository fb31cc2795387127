"""Segments over purchase facts (the sales plugin's customer facts, joined as
subqueries): order total, number of orders, last order date and products bought, for
organizations and contacts; the demo segments; a fact whose plugin is disabled."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import accord_marketing.hooks
from accord import services
from accord.errors import ValidationError
from accord.services import Actor
from accord.services.actions import run_action
from accord.services.plugins import disable
from accord_marketing.segments import SEGMENT, member_ids

pytestmark = pytest.mark.plugins(accord_marketing.hooks, "sales")
SYSTEM = Actor.system("test")


def _ids(kernel: Any, target: str, rules: list[dict[str, Any]]) -> list[int]:
    segment = services.create(kernel, SEGMENT, {"name": "S", "target": target,
                                                "rules": rules}, actor=SYSTEM)
    return member_ids(kernel, segment.id)


def _order(kernel: Any, day: dt.date, lines: list[tuple[Any, str, str]], **customer: Any
           ) -> Any:
    return services.create(kernel, "sales.order", {
        "order_date": day, **customer,
        "lines": [{"product_id": p.id, "quantity": q, "unit_price": price}
                  for p, q, price in lines]}, actor=SYSTEM)


@pytest.fixture
def bought(kernel: Any, helpers: Any) -> dict[str, Any]:
    """Acme: two orders, 1,200.00 in all (seats, then support); Bolt: one order of 300.00
    (seats); Cole (a contact of Bolt) placed it; Dune bought nothing; a cancelled order of
    Dune's does not count."""
    acme, bolt, dune = (helpers.org(kernel, n) for n in ("Acme", "Bolt", "Dune"))
    cole = helpers.contact(kernel, "Cole", organization_id=bolt.id)
    seat = services.create(kernel, "product", {"sku": "SEAT", "name": "Seat"}, actor=SYSTEM)
    support = services.create(kernel, "product", {"sku": "SUP", "name": "Support"},
                              actor=SYSTEM)
    _order(kernel, dt.date(2026, 1, 10), [(seat, "2", "100.00")], organization_id=acme.id)
    _order(kernel, dt.date(2026, 3, 1), [(support, "1", "1000.00")], organization_id=acme.id)
    _order(kernel, dt.date(2026, 2, 1), [(seat, "3", "100.00")], organization_id=bolt.id,
           contact_id=cole.id)
    gone = _order(kernel, dt.date(2026, 2, 2), [(support, "9", "1000.00")],
                  organization_id=dune.id)
    run_action(kernel, "sales.order", gone.id, "status", {"status": "cancelled"},
               actor=SYSTEM)
    return {"acme": acme.id, "bolt": bolt.id, "dune": dune.id, "cole": cole.id,
            "seat": seat.id, "support": support.id}


def test_purchase_facts(kernel, bought):
    b = bought
    assert _ids(kernel, "organization", [
        {"field": "sales.order_total", "op": "gte", "value": 1000}]) == [b["acme"]]
    assert _ids(kernel, "organization", [
        {"field": "sales.order_total", "op": "lt", "value": "1200.01"}]) == [b["acme"],
                                                                           b["bolt"]]
    assert _ids(kernel, "organization", [
        {"field": "sales.order_count", "op": "eq", "value": 1}]) == [b["bolt"]]
    assert _ids(kernel, "organization", [
        {"field": "sales.last_order_date", "op": "gte", "value": "2026-02-15"}]) == [
        b["acme"]]
    assert _ids(kernel, "organization", [
        {"field": "sales.products_bought", "op": "includes", "value": b["seat"]},
        {"field": "sales.products_bought", "op": "excludes", "value": b["support"]}]) == [
        b["bolt"]]
    # Never bought: no such fact (the cancelled order does not count).
    assert _ids(kernel, "organization", [
        {"field": "sales.order_count", "op": "is_null"}]) == [b["dune"]]
    assert _ids(kernel, "organization", [
        {"field": "sales.average_order_value", "op": "ne", "value": 600}]) == [b["bolt"],
                                                                             b["dune"]]


def test_contact_facts_and_their_organizations(kernel, bought, helpers):
    b = bought
    ames = helpers.contact(kernel, "Ames", organization_id=b["acme"])
    assert _ids(kernel, "contact", [
        {"field": "sales.products_bought", "op": "includes", "value": b["seat"]}]) == [
        b["cole"]]
    assert _ids(kernel, "contact", [
        {"field": "organization.sales.order_total", "op": "gt", "value": 1000}]) == [ames.id]


def test_bad_fact_values_are_refused_by_rule(kernel, bought):
    with pytest.raises(ValidationError) as caught:
        services.create(kernel, SEGMENT, {"name": "Bad", "target": "organization", "rules": [
            {"field": "sales.order_total", "op": "gte", "value": "lots"},
            {"field": "sales.products_bought", "op": "includes", "value": "seat"},
            {"field": "sales.last_order_date", "op": "lt", "value": "2026-13-01"},
            {"field": "sales.order_count", "op": "contains", "value": 1}]}, actor=SYSTEM)
    assert caught.value.messages == {
        "rules.0.value": ["give a number (such as 1000 or \"99.50\"), not 'lots'"],
        "rules.1.value": ["give a product id (a whole number), not 'seat'"],
        "rules.2.value": ["give a date (YYYY-MM-DD), not '2026-13-01'"],
        "rules.3.op": ["'contains' does not fit sales.order_count (integer); use one of "
                       "eq, ne, lt, lte, gt, gte, is_null, not_null"]}


def test_a_fact_of_a_disabled_plugin(kernel, bought, make_api_client):
    segment = services.create(kernel, SEGMENT, {
        "name": "Big", "target": "organization",
        "rules": [{"field": "sales.order_total", "op": "gte", "value": 1000}]}, actor=SYSTEM)
    disable(kernel, "sales", actor=SYSTEM)
    answer = make_api_client("admin").get(f"/api/v1/marketing/segments/{segment.id}/count")
    assert answer.status_code == 409
    assert "unknown field 'sales.order_total' of organizations" in answer.get_json()["detail"]


def test_demo_segments(kernel):
    from accord.demo import core_demo
    from accord_marketing.segments import demo

    core_demo(kernel, SYSTEM)
    demo(kernel, SYSTEM)
    found = {s.name: s for s in services_list(kernel)}
    assert set(found) == {"Customers in Germany", "Healthcare organizations",
                          "Bought Premium support"}
    assert len(member_ids(kernel, found["Customers in Germany"].id)) == 2
    assert len(member_ids(kernel, found["Healthcare organizations"].id)) == 2
    # The core's demo has no orders (the sales demo adds them).
    assert member_ids(kernel, found["Bought Premium support"].id) == []


def services_list(kernel: Any) -> list[Any]:
    from accord.query import find

    return find(kernel, SEGMENT, {})
