"""Returns (RMA): what a return needs, its workflow (forbidden moves refused with the
allowed ones named), the decision with its reason (and its outbox row), the refund
capped at what was paid (plain items, and a sales order line read through the
services), who may decide, the page and the record page, disable/enable, and the
return-rate metric worked by hand."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from accord import services
from accord.errors import Conflict
from accord.metrics import MetricQuery, compute
from accord.models import OutboxMessage
from accord.services import Actor
from accord.services.actions import run_action
from accord.services.plugins import disable, enable
from accord_sdk.assertions import problem, refused

import accord_sales.hooks
import accord_service.hooks
from accord_service.models import Return, ReturnItem
from accord_service.services.returns import (approve_return, close_return, reject_return,
                                             resolve_return)

pytestmark = pytest.mark.plugins(accord_service.hooks)
SALES = pytest.mark.plugins(accord_service.hooks, accord_sales.hooks)
SYSTEM = Actor.system("test")
RETURN = "service.return"
API = "/api/v1/service/returns"
_SKUS = itertools.count(1)


def _org(kernel, name="Acme Ltd"):
    return services.create(kernel, "organization", {"name": name}, actor=SYSTEM)


def _product(kernel, sku="PR-100", name="Printer 100"):
    return services.create(kernel, "product", {"sku": sku, "name": name}, actor=SYSTEM)


def _return(kernel, actor=SYSTEM, **extra):
    if "organization_id" not in extra and "contact_id" not in extra \
            and "order_id" not in extra:
        extra["organization_id"] = _org(kernel).id
    if "items" not in extra:
        extra["items"] = [{"product_id": _product(kernel, f"PR-{next(_SKUS)}").id,
                           "quantity": "2",
                           "unit_paid": "60.00"},
                          {"description": "Toner", "quantity": "1", "unit_paid": "10.00"}]
    data = {"reason": "Arrived damaged", "currency": "EUR", **extra}
    return services.create(kernel, RETURN, data, actor=actor)


def _order(kernel, product, quantity="3", unit_price="50.00", tax_rate="20", **extra):
    if "organization_id" not in extra:
        extra["organization_id"] = _org(kernel, "Order Ltd").id
    return services.create(kernel, "sales.order", {
        "currency": "EUR", "lines": [{"product_id": product.id, "quantity": quantity,
                                      "unit_price": unit_price, "tax_rate": tax_rate}],
        **extra}, actor=SYSTEM)


def _outbox(kernel):
    with kernel.bound():
        return [(m.topic, m.payload) for m in OutboxMessage.select().where(
            OutboxMessage.topic.startswith("service.return.")).order_by(OutboxMessage.id)]


# What a return needs ----------------------------------------------------------------

def test_a_return_names_its_customer_its_items_and_what_was_paid(kernel):
    assert refused(lambda: services.create(kernel, RETURN, {
        "reason": "Broken", "items": [{"description": "Cable", "quantity": "1",
                                       "unit_paid": "5.00"}]}, actor=SYSTEM)) == {
        "organization_id": ["give the customer: an organization or a contact (or both)"]}
    org = _org(kernel)
    assert refused(lambda: services.create(kernel, RETURN, {
        "reason": "Broken", "organization_id": org.id}, actor=SYSTEM)) == {
        "items": ["give the items returned (product, quantity, unit_paid)"]}
    assert refused(lambda: services.create(kernel, RETURN, {
        "reason": "Broken", "organization_id": org.id,
        "items": [{"description": "Cable", "quantity": "1"}]}, actor=SYSTEM)) == {
        "items": ["item 1 has no unit_paid: give what was paid for each (there is no order "
                  "line to read it from)"]}
    assert refused(lambda: services.create(kernel, RETURN, {
        "reason": "Broken", "organization_id": org.id, "order_id": 4,
        "items": [{"description": "Cable", "quantity": "1", "unit_paid": "5.00"}]},
        actor=SYSTEM)) == {"order_line": ["give the order and its line (order_id and "
                                          "order_line) together"]}
    assert refused(lambda: services.create(kernel, RETURN, {
        "reason": "Broken", "organization_id": org.id,
        "items": [{"product_id": 999_999, "quantity": "1", "unit_paid": "5.00"}]},
        actor=SYSTEM)) == {"items": ["item 1: there is no product 999999"]}
    assert _rows(kernel) == []
    record = _return(kernel)
    assert (record.status, record.decision, record.currency) == ("requested", None, "EUR")
    shown = services.dump(kernel, RETURN, record)
    assert [(i["quantity"], i["unit_paid"]) for i in shown["items"]] == [
        ("2.0000", "60.00"), ("1.0000", "10.00")]


def _rows(kernel):
    with kernel.bound():
        return list(Return.select().order_by(Return.id))


def test_without_sales_an_order_line_cannot_be_read(kernel):
    assert "sales.order" not in kernel.records
    org = _org(kernel)
    assert refused(lambda: _return(kernel, order_id=3, order_line=1,
                                   organization_id=org.id)) == {
        "order_id": ["the sales plugin is not enabled: the order cannot be read; name a "
                     "warranty or none, and give the items' unit_paid"]}


def test_a_warranty_claim_takes_the_warranty_s_customer(kernel):
    org = _org(kernel, "Harbour Print")
    product = _product(kernel)
    warranty = services.create(kernel, "service.warranty", {
        "product_id": product.id, "serial_number": "SN-1", "organization_id": org.id,
        "starts_on": dt.date(2026, 1, 1), "ends_on": dt.date(2027, 1, 1)}, actor=SYSTEM)
    record = services.create(kernel, RETURN, {
        "reason": "Fan noise", "warranty_id": warranty.id,
        "items": [{"product_id": product.id, "quantity": "1", "unit_paid": "0"}]},
        actor=SYSTEM)
    assert (record.organization_id, record.warranty_id) == (org.id, warranty.id)
    assert record.currency == kernel.config.base_currency


# The workflow -----------------------------------------------------------------------

def test_the_workflow_refuses_forbidden_moves_naming_the_allowed_ones(kernel):
    record = _return(kernel, resolution="replacement")
    rid = record.id
    assert refused(lambda: resolve_return(kernel, rid, actor=SYSTEM)) == {
        "status": [f"return {rid} is requested: it can go to approved or rejected"]}
    assert refused(lambda: close_return(kernel, rid, actor=SYSTEM)) == {
        "status": [f"return {rid} is requested: it can go to approved or rejected"]}
    assert refused(lambda: services.update(kernel, RETURN, rid, {"status": "approved"},
                                           actor=SYSTEM)) == {
        "status": [f"set by the approve, reject, resolve or close action only (POST "
                   f"/api/v1/service/returns/{rid}/approve)"]}
    approve_return(kernel, rid, actor=SYSTEM, reason="Damaged in transit")
    assert refused(lambda: reject_return(kernel, rid, actor=SYSTEM, reason="No")) == {
        "status": [f"return {rid} is approved: it can go to resolved"]}
    assert refused(lambda: approve_return(kernel, rid, actor=SYSTEM)) == {
        "status": [f"return {rid} is approved already"]}
    assert refused(lambda: services.update(kernel, RETURN, rid, {"items": []},
                                           actor=SYSTEM)) == {
        "items": [f"return {rid} is approved: items stays as it was decided"]}
    resolve_return(kernel, rid, actor=SYSTEM)
    closed = close_return(kernel, rid, actor=SYSTEM)
    assert (closed.status, closed.decision) == ("closed", "approved")
    assert closed.resolved_at is not None and closed.closed_at is not None
    assert refused(lambda: approve_return(kernel, rid, actor=SYSTEM)) == {
        "status": [f"return {rid} is closed: it stays so"]}
    assert refused(lambda: services.update(kernel, RETURN, rid, {"resolution": "refund"},
                                           actor=SYSTEM)) == {
        "resolution": [f"return {rid} is closed: resolution stays as it is"]}
    with pytest.raises(Conflict, match=f"return {rid} is closed: only a requested return "
                                       "is deleted"):
        services.delete(kernel, RETURN, rid, actor=SYSTEM)


def test_a_rejected_return_is_closed_and_never_resolved(kernel):
    rid = _return(kernel).id
    reject_return(kernel, rid, actor=SYSTEM, reason="Bought 14 months ago")
    assert refused(lambda: resolve_return(kernel, rid, actor=SYSTEM)) == {
        "status": [f"return {rid} is rejected: it can go to closed"]}
    assert close_return(kernel, rid, actor=SYSTEM).status == "closed"


def test_approving_needs_a_resolution_and_for_a_refund_its_amount(kernel):
    rid = _return(kernel).id
    assert refused(lambda: approve_return(kernel, rid, actor=SYSTEM)) == {
        "resolution": ["give the resolution to approve: refund, replacement, repair or "
                       "credit"]}
    assert refused(lambda: approve_return(kernel, rid, actor=SYSTEM, resolution="refund")) \
        == {"refund_amount": ["give the amount of the refund to approve it"]}
    assert refused(lambda: approve_return(kernel, rid, actor=SYSTEM, resolution="repair",
                                          refund_amount=Decimal("5"))) == {
        "refund_amount": ["a repair pays nothing back: leave refund_amount empty (or choose "
                          "refund or credit)"]}
    assert _rows(kernel)[0].status == "requested"


# The refund cap ---------------------------------------------------------------------

def test_a_refund_never_exceeds_what_was_paid_for_the_items(kernel):
    record = _return(kernel)  # 2 × 60.00 + 1 × 10.00 = 130.00
    rid = record.id
    message = ("130.01 EUR is more than was paid for the items: 130.00 EUR (2 × 60.00 + "
               "1 × 10.00)")
    assert refused(lambda: services.update(kernel, RETURN, rid, {"refund_amount": "130.01"},
                                           actor=SYSTEM)) == {"refund_amount": [message]}
    assert refused(lambda: approve_return(kernel, rid, actor=SYSTEM, resolution="refund",
                                          refund_amount=Decimal("130.01"))) == {
        "refund_amount": [message]}
    assert refused(lambda: services.create(kernel, RETURN, {
        "reason": "x", "organization_id": record.organization_id, "currency": "EUR",
        "refund_amount": "10.001", "items": [{"quantity": "1", "unit_paid": "20"}]},
        actor=SYSTEM)) == {"refund_amount": ["EUR has 2 decimal places; 10.001 has 3."]}
    approved = approve_return(kernel, rid, actor=SYSTEM, resolution="refund",
                              refund_amount=Decimal("130.00"), reason="Damaged")
    assert (approved.status, approved.decision, Decimal(approved.refund_amount)) == (
        "approved", "approved", Decimal("130.00"))


@SALES
def test_a_return_of_an_order_line_is_checked_against_the_line(kernel):
    product = _product(kernel)
    order = _order(kernel, product)  # 3 × 50.00 + 20 % tax = 180.00, 60.00 a unit
    line = f"order {order.id} line 1"
    first = services.create(kernel, RETURN, {
        "reason": "Two arrived broken", "order_id": order.id, "order_line": 1,
        "items": [{"quantity": "2"}]}, actor=SYSTEM)
    # The order's customer and currency, the line's product and what was paid a unit.
    assert (first.organization_id, first.currency) == (order.organization_id, "EUR")
    with kernel.bound():
        item = ReturnItem.get(ReturnItem.rma == first.id)
    assert (item.product_id, Decimal(item.unit_paid)) == (product.id, Decimal("60.00"))
    assert refused(lambda: approve_return(kernel, first.id, actor=SYSTEM, resolution="refund",
                                          refund_amount=Decimal("120.01"))) == {
        "refund_amount": ["120.01 EUR is more than was paid for the items: 120.00 EUR "
                          "(2 × 60.00)"]}
    approve_return(kernel, first.id, actor=SYSTEM, resolution="refund",
                   refund_amount=Decimal("120.00"))

    def second(quantity="1", **extra):
        return services.create(kernel, RETURN, {
            "reason": "One more", "order_id": order.id, "order_line": 1,
            "items": [{"quantity": quantity, **extra}]}, actor=SYSTEM)

    assert refused(lambda: second("2")) == {"items": [
        f"quantity 2 is more than is left to return on {line}: 1 (bought 3, 2 returned on "
        f"return {first.id})"]}
    assert refused(lambda: second(unit_paid="60.01")) == {"items": [
        f"item 1: unit_paid 60.01 is more than was paid per unit on {line}: 60.00 (180.00 "
        "for 3)"]}
    other = _product(kernel, "PR-200", "Scanner")
    assert refused(lambda: second(product_id=other.id)) == {"items": [
        f"item 1 is product {other.id}; {line} is product {product.id}"]}
    assert refused(lambda: services.create(kernel, RETURN, {
        "reason": "x", "order_id": order.id, "order_line": 2,
        "organization_id": order.organization_id, "items": [{"quantity": "1"}]},
        actor=SYSTEM)) == {"order_line": [f"order {order.id} has no line 2 (it has 1)"]}
    assert refused(lambda: services.create(kernel, RETURN, {
        "reason": "x", "order_id": order.id + 100, "order_line": 1,
        "organization_id": order.organization_id, "items": [{"quantity": "1"}]},
        actor=SYSTEM)) == {"order_id": [f"sales.order {order.id + 100} does not exist"]}

    # The line's price was lowered since (3 × 40.00, no tax = 120.00): the 120.00 already
    # refunded leave nothing for the last unit.
    services.update(kernel, "sales.order", order.id, {"lines": [
        {"product_id": product.id, "quantity": "3", "unit_price": "40.00",
         "tax_rate": "0"}]}, actor=SYSTEM)
    last = second(unit_paid="40.00")
    assert refused(lambda: approve_return(kernel, last.id, actor=SYSTEM, resolution="refund",
                                          refund_amount=Decimal("40.00"))) == {
        "refund_amount": [f"40.00 EUR is more than is left to refund on {line}: 0.00 EUR "
                          f"(paid 120.00, 120.00 refunded on return {first.id})"]}
    # A rejected return gives its quantity back.
    reject_return(kernel, last.id, actor=SYSTEM, reason="Nothing left to refund")
    assert second(unit_paid="40.00").status == "requested"


# Decisions: reasons, outbox rows, permissions ----------------------------------------

def test_approve_and_reject_through_the_api_with_a_reason(kernel, make_api_client):
    manager = make_api_client("manager")
    rid = _return(kernel, owner_id=manager.user.id).id
    answer = manager.post(f"{API}/{rid}/reject", json={})
    assert problem(answer, 422)["errors"] == {"reason": ["Missing data for required field."]}
    answer = manager.post(f"{API}/{rid}/reject", json={"reason": "  "})
    assert problem(answer, 422)["errors"] == {"reason": ["say why the return is rejected"]}
    answer = manager.post(f"{API}/{rid}/reject", json={"reason": "Used for a year"})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["status"], body["decision"], body["decision_reason"]) == (
        "rejected", "rejected", "Used for a year")
    other = _return(kernel, owner_id=manager.user.id).id
    answer = manager.post(f"{API}/{other}/approve", json={
        "reason": "Dead on arrival", "resolution": "credit", "refund_amount": "100.00"})
    assert answer.status_code == 200, answer.get_json()
    assert (answer.get_json()["refund_amount"], answer.get_json()["decision_reason"]) == (
        "100.00", "Dead on arrival")
    assert [(topic, p["return_id"], p["decision"], p["reason"], p["refund_amount"])
            for topic, p in _outbox(kernel)] == [
        ("service.return.rejected", rid, "rejected", "Used for a year", None),
        ("service.return.approved", other, "approved", "Dead on arrival", "100.00")]


def test_who_may_decide(kernel, make_api_client):
    services.create(kernel, "team", {"name": "Returns desk"}, actor=SYSTEM)
    agent = make_api_client("service", teams=["Returns desk"])
    manager = make_api_client("manager", teams=["Returns desk"])
    outsider = make_api_client("sales")
    created = agent.post(API, json={
        "reason": "Wrong colour", "organization_id": _org(kernel).id, "currency": "EUR",
        "owner_id": agent.user.id,
        "items": [{"description": "Mug", "quantity": "1", "unit_paid": "9.50"}]})
    assert created.status_code == 201, created.get_json()
    rid = created.get_json()["id"]
    refusal = problem(agent.post(f"{API}/{rid}/approve", json={"resolution": "replacement"}),
                      403)
    assert "service.return.approve" in refusal["detail"]
    problem(agent.post(f"{API}/{rid}/reject", json={"reason": "no"}), 403)
    problem(outsider.get(f"{API}/{rid}"), 403)
    assert _rows(kernel)[0].status == "requested"
    answer = manager.post(f"{API}/{rid}/approve", json={"resolution": "replacement"})
    assert answer.status_code == 200 and answer.get_json()["status"] == "approved"
    problem(agent.post(f"{API}/{rid}/resolve"), 403)
    assert manager.post(f"{API}/{rid}/resolve").get_json()["status"] == "resolved"


def test_disabling_the_plugin_keeps_the_returns(kernel):
    rid = _return(kernel).id
    disable(kernel, "service", actor=SYSTEM)
    assert RETURN not in kernel.records
    enable(kernel, "service", actor=SYSTEM)
    record = services.get(kernel, RETURN, rid)
    assert record.reason == "Arrived damaged"
    with kernel.bound():
        assert ReturnItem.select().where(ReturnItem.rma == rid).count() == 2


# The pages --------------------------------------------------------------------------

def test_the_returns_page_lists_by_status_and_the_record_page_decides(kernel,
                                                                      make_page_client):
    browser = make_page_client("manager")
    kept = _return(kernel, reason="Screen cracked", owner_id=browser.user.id)
    refused_one = _return(kernel, reason="Changed my mind", owner_id=browser.user.id)
    reject_return(kernel, refused_one.id, actor=SYSTEM, reason="Past 30 days")
    html = browser.get("/service/returns").get_data(as_text=True)
    assert "Screen cracked" in html and "Changed my mind" in html
    assert "Past 30 days" in html and 'href="/service/returns"' in html
    html = browser.get("/service/returns?status=requested").get_data(as_text=True)
    assert "Screen cracked" in html and "Changed my mind" not in html
    answer = browser.get("/service/returns?status=lost")
    assert answer.status_code == 400
    assert "Status: Choose one of requested, approved, rejected, resolved, closed." in \
        answer.get_data(as_text=True)

    page = browser.get(f"/records/service.return/{kept.id}").get_data(as_text=True)
    assert "Items returned" in page and "Printer 100" in page
    assert "130.00 EUR" in page  # the most the refund may be
    assert f"/records/service.return/{kept.id}/actions/reject" in page
    answer = browser.post(f"/records/service.return/{kept.id}/actions/reject",
                          {"reason": ""})
    assert answer.status_code == 422
    answer = browser.post(f"/records/service.return/{kept.id}/actions/reject",
                          {"reason": "Damage not covered"})
    assert answer.status_code in (200, 302, 303)
    record = services.get(kernel, RETURN, kept.id)
    assert (record.status, record.decision_reason) == ("rejected", "Damage not covered")


def test_an_agent_sees_no_decision_buttons(kernel, make_page_client):
    agent = make_page_client("service")
    rid = _return(kernel, owner_id=agent.user.id).id
    page = agent.get(f"/records/service.return/{rid}").get_data(as_text=True)
    assert "Items returned" in page
    assert "/actions/approve" not in page and "/actions/reject" not in page
    answer = agent.post(f"/records/service.return/{rid}/actions/approve",
                        {"resolution": "repair"})
    assert answer.status_code == 403
    assert _rows(kernel)[0].status == "requested"


# The metric -------------------------------------------------------------------------

def _today_query():
    today = dt.date.today()
    return MetricQuery(today.replace(day=1), today, by="total")


def test_return_rate_without_sales_is_the_quantity_returned(kernel):
    product = _product(kernel)
    _return(kernel, items=[{"product_id": product.id, "quantity": "2", "unit_paid": "1"}])
    rejected = _return(kernel, items=[{"product_id": product.id, "quantity": "5",
                                       "unit_paid": "1"}])
    reject_return(kernel, rejected.id, actor=SYSTEM, reason="no")
    points = compute(kernel, "service.return_rate_by_product", _today_query())
    assert [(p.group, p.value) for p in points] == [("Printer 100 (PR-100)", Decimal(2))]


@SALES
def test_return_rate_with_sales_is_returned_over_sold(kernel):
    printer, scanner = _product(kernel), _product(kernel, "SC-1", "Scanner")
    today = dt.date.today()
    org = _org(kernel)
    first = _order(kernel, printer, quantity="3", organization_id=org.id, order_date=today)
    _order(kernel, printer, quantity="1", organization_id=org.id, order_date=today)
    _order(kernel, scanner, quantity="5", organization_id=org.id, order_date=today)
    services.create(kernel, RETURN, {"reason": "Jams", "order_id": first.id, "order_line": 1,
                                     "items": [{"quantity": "1"}]}, actor=SYSTEM)
    no = services.create(kernel, RETURN, {"reason": "Jams", "order_id": first.id,
                                          "order_line": 1, "items": [{"quantity": "2"}]},
                         actor=SYSTEM)
    reject_return(kernel, no.id, actor=SYSTEM, reason="Works fine")
    points = compute(kernel, "service.return_rate_by_product", _today_query())
    # Printer: 1 returned of 4 sold; scanner: none of 5.
    assert [(p.group, p.value) for p in points] == [
        ("Printer 100 (PR-100)", Decimal("25.00")), ("Scanner (SC-1)", Decimal("0.00"))]


@SALES
def test_return_rate_sums_the_sold_lines_per_month_within_the_readers_rule(kernel):
    """Sold quantities are summed per month and product in SQL: exactly (a fractional
    quantity), cancelled orders left out, and only the orders the reader's rule
    reaches."""
    from accord_sales.services.orders import set_order_status

    printer = _product(kernel)
    seller = services.create(kernel, "user", {"email": "seller@example.com",
                                              "name": "Seller", "role": "sales"}, actor=SYSTEM)
    org = _org(kernel)
    march, april = dt.date(2026, 3, 10), dt.date(2026, 4, 2)
    mine = _order(kernel, printer, quantity="1.5", organization_id=org.id, order_date=march,
                  owner_id=seller.id)
    _order(kernel, printer, quantity="2.5", organization_id=org.id, order_date=march)
    _order(kernel, printer, quantity="4", organization_id=org.id, order_date=april,
           owner_id=seller.id)
    dropped = _order(kernel, printer, quantity="100", organization_id=org.id,
                     order_date=april, owner_id=seller.id)
    set_order_status(kernel, dropped.id, "cancelled", actor=SYSTEM)
    services.create(kernel, RETURN, {"reason": "Jams", "order_id": mine.id, "order_line": 1,
                                     "items": [{"quantity": "1"}]}, actor=SYSTEM)
    with kernel.bound():  # the return was requested in March
        Return.update(created_at=dt.datetime(2026, 3, 20, tzinfo=dt.timezone.utc)).execute()
    query = MetricQuery(dt.date(2026, 3, 1), dt.date(2026, 4, 30), by="month")

    points = compute(kernel, "service.return_rate_by_product", query)
    # March: 1 of 4 sold (1.5 + 2.5); April: 0 of 4 (the cancelled 100 left out).
    assert [(p.period, p.value) for p in points] == [
        ("2026-03", Decimal("25.00")), ("2026-04", Decimal("0.00"))]

    own = Actor(seller.id, seller.email, role="sales",
                grants=("service.return.read", "sales.order.read"),
                rules=(("sales.order", "own"), ("service.return", "all")))
    points = compute(kernel, "service.return_rate_by_product",
                     MetricQuery(query.start, query.end, by="month", reader=own))
    # Only the seller's orders count: March 1 of 1.5 sold.
    assert [(p.period, p.value) for p in points] == [
        ("2026-03", Decimal("66.67")), ("2026-04", Decimal("0.00"))]


@SALES
def test_return_rate_labels_its_products_in_one_query_whatever_their_number(
        kernel, count_queries):
    org = _org(kernel)
    query = MetricQuery(dt.date(2026, 1, 1), dt.date(2026, 6, 30), by="month")

    def sold_monthly(sku: str, name: str, count: int) -> int:
        """``count`` new products, each sold every month; then the metric's statements."""
        for n in range(count):
            product = _product(kernel, f"{sku}-{n}", f"{name} {n}")
            for month in range(1, 7):
                _order(kernel, product, quantity="2", organization_id=org.id,
                       order_date=dt.date(2026, month, 5))
        with count_queries() as counter:
            points = compute(kernel, "service.return_rate_by_product", query)
        return int(counter.count), len(points)

    few, points = sold_monthly("PR", "Printer", 2)
    assert points == 12
    many, points = sold_monthly("SC", "Scanner", 4)
    assert (many, points) == (few, 36)
    labels = {p.group for p in compute(kernel, "service.return_rate_by_product", query)}
    assert labels == {f"Printer {n} (PR-{n})" for n in range(2)} | {
        f"Scanner {n} (SC-{n})" for n in range(4)}
