"""The service plugin's customer fact service.cost_to_serve, worked out by hand: the
parts and labour of the repairs done (covered by a warranty or not; never the fee),
per organization and per contact, since a day (by the day the repair was done), in the
base currency only; gone when the plugin is disabled."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accord import services
from accord.facts import customer_facts
from accord.services import Actor
from accord.services.plugins import disable

import accord_service.hooks
from accord_service.services.repairs import cancel_repair, complete_repair, start_repair

pytestmark = pytest.mark.plugins(accord_service.hooks)
SYSTEM = Actor.system("test")


def _part(kernel, n, price="40.00"):
    return services.create(kernel, "product", {
        "sku": f"PT-{n}", "name": "Fuser", "unit_price": {"amount": price, "currency": "EUR"}},
        actor=SYSTEM)


def _repair(kernel, n, customer, *, done=None, minutes=90, quantity="2", **extra):
    """Parts: quantity x 40.00; labour: minutes at 60.00 an hour; a fee of 25.00."""
    ticket = services.create(kernel, "service.ticket", {
        "channel": "email", "subject": "Broken", **customer}, actor=SYSTEM)
    repair = services.create(kernel, "service.repair", {
        "ticket_id": ticket.id, "labour_minutes": minutes, "labour_rate": "60.00",
        "service_fee": "25.00",
        "parts": [{"product_id": _part(kernel, n).id, "quantity": quantity,
                   "unit_price": "40.00"}], **extra}, actor=SYSTEM)
    if done is not None:
        start_repair(kernel, repair.id, actor=SYSTEM)
        complete_repair(kernel, repair.id, actor=SYSTEM, repaired_on=done)
    return repair


def _fact(kernel, customer, since=None):
    fact = customer_facts(kernel, customer)["service.cost_to_serve"]
    with kernel.bound():
        return {row["customer"]: Decimal(str(row["value"])).quantize(Decimal("0.01"))
                for row in fact.query(kernel, since).dicts()}


def test_the_cost_to_serve_adds_up_parts_and_labour_of_repairs_done(kernel, helpers):
    acme = helpers.customer(kernel, "Acme Ltd")
    solo = services.create(kernel, "contact", {"last_name": "Solo"}, actor=SYSTEM)
    printer = services.create(kernel, "product", {"sku": "PR-1", "name": "Printer"},
                              actor=SYSTEM)
    services.create(kernel, "service.warranty", {
        "product_id": printer.id, "serial_number": "SN-1", "organization_id": acme.id,
        "starts_on": "2026-01-01", "ends_on": "2026-12-31", "covers": "parts"},
        actor=SYSTEM)
    # 80.00 + 90.00 = 170.00 (the fee of 25.00 is a charge, not a cost).
    _repair(kernel, 1, {"organization_id": acme.id}, done=dt.date(2026, 2, 1))
    # Under the warranty (parts covered: a warranty cost of 40.00): 40.00 + 30.00.
    covered = _repair(kernel, 2, {"organization_id": acme.id}, done=dt.date(2026, 5, 1),
                      quantity="1", minutes=30, product_id=printer.id, serial_number="SN-1")
    assert services.get(kernel, "service.repair", covered.id).warranty_cost == Decimal("40")
    # Not done: left out.
    _repair(kernel, 3, {"organization_id": acme.id})
    cancelled = _repair(kernel, 4, {"organization_id": acme.id})
    cancel_repair(kernel, cancelled.id, actor=SYSTEM)
    # Another currency than the base currency: left out.
    _repair(kernel, 5, {"organization_id": acme.id}, done=dt.date(2026, 3, 1),
            currency="USD")
    # A contact's own repair: 3 x 40.00 + 60 minutes at 60.00 = 180.00.
    _repair(kernel, 6, {"contact_id": solo.id}, done=dt.date(2026, 4, 1), quantity="3",
            minutes=60)
    assert _fact(kernel, "organization") == {acme.id: Decimal("240.00")}
    assert _fact(kernel, "organization", dt.date(2026, 5, 1)) == {acme.id: Decimal("70.00")}
    assert _fact(kernel, "organization", dt.date(2026, 5, 2)) == {}
    assert _fact(kernel, "contact") == {solo.id: Decimal("180.00")}
    fact = customer_facts(kernel, "contact")["service.cost_to_serve"]
    assert (fact.kind, fact.label) == ("number", "Cost to serve")


def test_the_fact_is_gone_with_the_plugin(kernel, helpers):
    assert "service.cost_to_serve" in customer_facts(kernel, "organization")
    disable(kernel, "service", actor=SYSTEM)
    assert "service.cost_to_serve" not in customer_facts(kernel, "organization")
    assert "service.cost_to_serve" not in customer_facts(kernel, "contact")
