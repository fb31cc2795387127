"""The sales plugin's customer facts, worked out by hand: order total and average (base
currency only), order count, first and last order date, products bought; cancelled
orders do not count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import accord_sales.hooks
from accord_sales.services import move_opportunity
from accord import services
from accord.facts import customer_facts
from accord.services import Actor
from accord.services.actions import run_action

pytestmark = pytest.mark.plugins(accord_sales.hooks)
SYSTEM = Actor.system("test")


def _values(kernel, customer, name, since=None):
    fact = customer_facts(kernel, customer)[name]
    with kernel.bound():
        rows = list(fact.query(kernel, since).dicts())
    if fact.kind == "ids":
        return sorted((r["customer"], r["value"]) for r in rows)
    return {r["customer"]: r["value"] for r in rows}


def test_what_each_customer_bought(kernel, helpers):
    acme = helpers.org(kernel, "Acme")
    bolt = helpers.org(kernel, "Bolt")
    ann = services.create(kernel, "contact", {"last_name": "Ames",
                                              "organization_id": acme.id}, actor=SYSTEM)
    seat, day = helpers.product(kernel, "SEAT"), helpers.product(kernel, "DAY")
    helpers.order(kernel, organization_id=acme.id, contact_id=ann.id,
                  order_date=dt.date(2026, 1, 10),
                  lines=[{"product_id": seat.id, "quantity": "2", "unit_price": "100.00"}])
    helpers.order(kernel, organization_id=acme.id, order_date=dt.date(2026, 3, 5),
                  lines=[{"product_id": day.id, "quantity": "1", "unit_price": "500.00"}])
    helpers.order(kernel, organization_id=acme.id, order_date=dt.date(2026, 4, 1),
                  currency="USD",
                  lines=[{"product_id": seat.id, "quantity": "1", "unit_price": "90.00"}])
    cancelled = helpers.order(kernel, organization_id=bolt.id,
                              order_date=dt.date(2026, 2, 1))
    run_action(kernel, "sales.order", cancelled.id, "status", {"status": "cancelled"},
               actor=SYSTEM)
    assert _values(kernel, "organization", "sales.order_total") == {acme.id: Decimal("700")}
    assert _values(kernel, "organization", "sales.order_count") == {acme.id: 3}
    assert _values(kernel, "organization", "sales.average_order_value") == {
        acme.id: Decimal("350")}
    first = _values(kernel, "organization", "sales.first_order_date")
    last = _values(kernel, "organization", "sales.last_order_date")
    assert (str(first[acme.id]), str(last[acme.id])) == ("2026-01-10", "2026-04-01")
    assert _values(kernel, "organization", "sales.products_bought") == sorted(
        [(acme.id, seat.id), (acme.id, day.id)])
    assert _values(kernel, "contact", "sales.order_total") == {ann.id: Decimal("200")}
    assert _values(kernel, "contact", "sales.products_bought") == [(ann.id, seat.id)]

    # Since a day: the orders from that day on.
    since = dt.date(2026, 3, 1)
    assert _values(kernel, "organization", "sales.order_total", since) == {
        acme.id: Decimal("500")}
    assert _values(kernel, "organization", "sales.order_count", since) == {acme.id: 2}
    assert _values(kernel, "organization", "sales.products_bought", since) == sorted(
        [(acme.id, seat.id), (acme.id, day.id)])
    assert _values(kernel, "contact", "sales.order_count", since) == {}


def _events(kernel, customer, name, since=None):
    fact = customer_facts(kernel, customer)[name]
    assert fact.kind == "events"
    with kernel.bound():
        rows = list(fact.query(kernel, since).dicts())
    return sorted((r["customer"], str(r["value"])[:10],
                   None if r["amount"] is None else Decimal(str(r["amount"])), r["ref"])
                  for r in rows)


def test_orders_and_won_deals_are_events_with_their_day_and_amount(kernel, helpers):
    acme = helpers.org(kernel, "Acme")
    first = helpers.order(kernel, organization_id=acme.id, order_date=dt.date(2026, 1, 10),
                          lines=[{"description": "Day", "quantity": "2",
                                  "unit_price": "100.00"}])
    usd = helpers.order(kernel, organization_id=acme.id, order_date=dt.date(2026, 4, 1),
                        currency="USD", lines=[{"description": "Day", "quantity": "1",
                                                "unit_price": "90.00"}])
    cancelled = helpers.order(kernel, organization_id=acme.id,
                              order_date=dt.date(2026, 2, 1))
    run_action(kernel, "sales.order", cancelled.id, "status", {"status": "cancelled"},
               actor=SYSTEM)
    assert _events(kernel, "organization", "sales.orders") == [
        (acme.id, "2026-01-10", Decimal("200"), first.id),
        (acme.id, "2026-04-01", None, usd.id)]
    assert _events(kernel, "organization", "sales.orders", dt.date(2026, 2, 1)) == [
        (acme.id, "2026-04-01", None, usd.id)]

    won = services.create(kernel, "sales.opportunity", {
        "name": "Big", "organization_id": acme.id,
        "amount": {"amount": "5000", "currency": "EUR"}}, actor=SYSTEM)
    services.create(kernel, "sales.opportunity", {
        "name": "Open", "organization_id": acme.id,
        "amount": {"amount": "10", "currency": "EUR"}}, actor=SYSTEM)
    move_opportunity(kernel, won.id, "Won", actor=SYSTEM)
    closed = services.get(kernel, "sales.opportunity", won.id, actor=SYSTEM).closed_at
    assert _events(kernel, "organization", "sales.won_deals") == [
        (acme.id, closed.date().isoformat(), Decimal("5000"), won.id)]
    assert _events(kernel, "organization", "sales.won_deals",
                   closed.date() + dt.timedelta(days=1)) == []
    assert _values(kernel, "organization", "sales.open_opportunities") == {acme.id: 1}
    assert _values(kernel, "organization", "sales.opportunities") == {acme.id: 2}
