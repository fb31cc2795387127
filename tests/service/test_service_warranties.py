"""Warranties: what a warranty needs (a customer, ordered dates, one per product and
serial number), its coverage on both boundary days, the lookup by serial number on the
API and the page with the reader's record rule, and the reminder job, once per warranty."""

from __future__ import annotations

import datetime as dt

import pytest

from accord import services
from accord.errors import Conflict, NotFound
from accord.services import Actor
from accord.services.plugins import disable, enable
from accord_sdk.assertions import refused

import accord_service.hooks
from accord_service.models import Warranty
from accord_service.services import EXPIRING, remind_warranties, warranty_reminders
from accord_service.warranties import Coverage, coverage, lookup

pytestmark = pytest.mark.plugins(accord_service.hooks)
SYSTEM = Actor.system("test")
WARRANTY = "service.warranty"
LOOKUP = "/api/v1/service/warranties/lookup"


def _product(kernel, sku="PR-100", name="Printer 100"):
    return services.create(kernel, "product", {"sku": sku, "name": name}, actor=SYSTEM)


def _warranty(kernel, actor=SYSTEM, **extra):
    if "product_id" not in extra:
        extra["product_id"] = _product(kernel).id
    if "organization_id" not in extra and "contact_id" not in extra:
        extra["organization_id"] = services.create(kernel, "organization",
                                                   {"name": "Acme Ltd"}, actor=SYSTEM).id
    data = {"serial_number": "SN-0001", "starts_on": dt.date(2026, 4, 1),
            "ends_on": dt.date(2027, 3, 31), "covers": "parts", "terms": "Parts, 12 months",
            **extra}
    return services.create(kernel, WARRANTY, data, actor=actor)


# Coverage ---------------------------------------------------------------------------

def test_coverage_holds_from_the_first_to_the_last_day_both_included(kernel):
    warranty = _warranty(kernel)
    assert coverage(warranty, dt.date(2026, 3, 31)) == Coverage(
        False, None, "starts on 2026-04-01")
    assert coverage(warranty, dt.date(2026, 4, 1)) == Coverage(
        True, "parts", "covers parts until 2027-03-31")
    assert coverage(warranty, dt.date(2027, 3, 31)) == Coverage(
        True, "parts", "covers parts until 2027-03-31")
    assert coverage(warranty, dt.date(2027, 4, 1)) == Coverage(
        False, None, "expired on 2027-03-31")


def test_a_one_day_warranty_covers_that_day_only(kernel):
    day = dt.date(2026, 6, 15)
    warranty = _warranty(kernel, starts_on=day, ends_on=day, covers="parts_and_labour")
    assert [coverage(warranty, day + dt.timedelta(days=n)).covered for n in (-1, 0, 1)] == [
        False, True, False]
    assert coverage(warranty, day).reason == "covers parts and labour until 2026-06-15"


# The record's rules ---------------------------------------------------------------

def test_a_warranty_names_its_customer_and_ends_after_it_starts(kernel):
    product = _product(kernel)
    assert refused(lambda: services.create(kernel, WARRANTY, {
        "product_id": product.id, "serial_number": "X1", "starts_on": dt.date(2026, 1, 1),
        "ends_on": dt.date(2026, 12, 31)}, actor=SYSTEM)) == {
        "organization_id": ["give the customer: an organization or a contact (or both)"]}
    contact = services.create(kernel, "contact", {"last_name": "Ng"}, actor=SYSTEM)
    assert refused(lambda: _warranty(kernel, product_id=product.id, contact_id=contact.id,
                                     starts_on=dt.date(2026, 5, 2),
                                     ends_on=dt.date(2026, 5, 1))) == {
        "ends_on": ["2026-05-01 is before starts_on (2026-05-02): the warranty ends on or "
                    "after the day it starts"]}
    warranty = _warranty(kernel, product_id=product.id, contact_id=contact.id)
    assert (warranty.contact_id, warranty.organization_id) == (contact.id, None)
    # An update that moves the end before the start is refused, the row unchanged.
    assert "ends_on" in refused(lambda: services.update(
        kernel, WARRANTY, warranty.id, {"ends_on": dt.date(2026, 1, 1)}, actor=SYSTEM))
    assert services.get(kernel, WARRANTY, warranty.id).ends_on == dt.date(2027, 3, 31)
    # The customer stays while a warranty names it.
    with pytest.raises(Conflict):
        services.delete(kernel, "contact", contact.id, actor=SYSTEM)


def test_a_serial_number_has_one_warranty_per_product(kernel):
    printer, scanner = _product(kernel), _product(kernel, "SC-1", "Scanner 1")
    first = _warranty(kernel, product_id=printer.id)
    assert refused(lambda: _warranty(kernel, product_id=printer.id)) == {
        "serial_number": [f"product {printer.id} has a warranty for serial number 'SN-0001' "
                          f"already (warranty {first.id})"]}
    # The same serial number on another product is another warranty.
    other = _warranty(kernel, product_id=scanner.id)
    assert other.serial_number == first.serial_number
    # A batch naming one serial twice is refused whole.
    twice = [{"product_id": printer.id, "serial_number": "SN-7",
              "organization_id": first.organization_id, "starts_on": dt.date(2026, 1, 1),
              "ends_on": dt.date(2026, 2, 1)}] * 2
    assert refused(lambda: services.bulk_create(kernel, WARRANTY, twice, actor=SYSTEM)) == {
        "rows[1].serial_number": [f"product {printer.id} has a warranty for serial number "
                                  "'SN-7' already"]}
    with kernel.bound():
        assert Warranty.select().where(Warranty.serial_number == "SN-7").count() == 0


def test_reminded_at_is_the_jobs_field(kernel):
    warranty = _warranty(kernel)
    problems = refused(lambda: services.update(
        kernel, WARRANTY, warranty.id, {"reminded_at": dt.datetime(2026, 1, 1,
                                                                  tzinfo=dt.timezone.utc)},
        actor=SYSTEM))
    assert list(problems) == ["reminded_at"]


# Lookup -----------------------------------------------------------------------------

def test_the_api_looks_a_serial_number_up_with_its_coverage_and_customer(kernel,
                                                                      make_api_client):
    today = dt.date.today()
    agent = make_api_client("service")
    warranty = _warranty(kernel, serial_number="SN-LIVE", owner_id=agent.user.id,
                         starts_on=today - dt.timedelta(days=10),
                         ends_on=today + dt.timedelta(days=10))
    answer = agent.get(LOOKUP, query_string={"serial": "SN-LIVE"})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["serial"] == "SN-LIVE"
    [found] = body["warranties"]
    assert found["warranty"]["id"] == warranty.id
    assert (found["product"], found["customer"]) == ("Printer 100", "Acme Ltd")
    assert found["coverage"] == {
        "covered": True, "covers": "parts",
        "reason": f"covers parts until {(today + dt.timedelta(days=10)).isoformat()}"}
    missing = agent.get(LOOKUP, query_string={"serial": "NOPE-9"})
    assert missing.status_code == 404
    assert "NOPE-9" in missing.get_json()["detail"]
    assert agent.get(LOOKUP).status_code == 400


def test_the_lookup_keeps_to_the_readers_rule(kernel, make_api_client):
    for name in ("First line", "Billing"):
        services.create(kernel, "team", {"name": name}, actor=SYSTEM)
    ana = make_api_client("service", teams=["First line"])
    bo = make_api_client("service", teams=["Billing"])
    _warranty(kernel, serial_number="SN-ANA", owner_id=ana.user.id)
    assert ana.get(LOOKUP, query_string={"serial": "SN-ANA"}).status_code == 200
    other = bo.get(LOOKUP, query_string={"serial": "SN-ANA"})
    assert other.status_code == 404
    sales = make_api_client("sales")
    assert sales.get(LOOKUP, query_string={"serial": "SN-ANA"}).status_code == 403
    assert other.get_json()["detail"] == "no warranty with serial number 'SN-ANA'"
    # The plugin's Python API answers the same (an unrestricted caller sees it).
    assert [w["customer"] for w in lookup(kernel, SYSTEM, "SN-ANA")] == ["Acme Ltd"]
    with pytest.raises(NotFound, match="'SN-ANB'"):
        lookup(kernel, SYSTEM, "SN-ANB")


def test_the_lookup_page_shows_coverage_and_customer(kernel, make_page_client):
    page = make_page_client("service")
    _warranty(kernel, serial_number="SN-OLD", owner_id=page.user.id,
              starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2021, 12, 31))
    shown = page.get("/service/warranties", query_string={"serial": "SN-OLD"})
    text = shown.get_data(as_text=True)
    assert shown.status_code == 200, text
    assert "Printer 100 · SN-OLD" in text
    assert "Not covered today</strong>: expired on 2021-12-31." in text
    assert "Acme Ltd" in text
    unknown = page.get("/service/warranties", query_string={"serial": "ZZ-404"})
    assert unknown.status_code == 404
    assert "No warranty with serial number &#39;ZZ-404&#39;" in unknown.get_data(as_text=True)
    empty = page.get("/service/warranties")
    assert empty.status_code == 200
    assert 'name="serial"' in empty.get_data(as_text=True)
    # The generic list and record pages show warranties too.
    assert "SN-OLD" in page.get("/records/service.warranty").get_data(as_text=True)
    warranty = lookup(kernel, SYSTEM, "SN-OLD")[0]["warranty"]
    record = page.get(f"/records/service.warranty/{warranty['id']}")
    assert record.status_code == 200 and "SN-OLD" in record.get_data(as_text=True)


# The reminder job ---------------------------------------------------------------------

def _outbox(kernel):
    from accord.models import OutboxMessage

    with kernel.bound():
        return [(m.topic, m.payload["warranty_id"]) for m in OutboxMessage.select().where(
            OutboxMessage.topic == EXPIRING).order_by(OutboxMessage.id)]


def _tasks(kernel):
    from accord.models import Activity

    with kernel.bound():
        return [(a.kind, a.record_id, a.owner_id, a.subject) for a in Activity.select().where(
            Activity.record_type == WARRANTY).order_by(Activity.id)]


def test_the_reminder_job_tasks_each_owner_once(kernel, make_api_client):
    owner = make_api_client("service")
    today = dt.date(2026, 9, 1)
    product = _product(kernel)
    ends = {"soon": dt.date(2026, 10, 1), "edge": today, "later": dt.date(2026, 10, 2),
            "gone": dt.date(2026, 8, 31)}
    made = {key: _warranty(kernel, product_id=product.id, serial_number=key,
                           owner_id=owner.user.id, starts_on=dt.date(2025, 1, 1),
                           ends_on=day) for key, day in ends.items()}
    assert warranty_reminders(kernel, today) == "2 warranties reminded"
    tasks = _tasks(kernel)
    assert sorted(tasks) == sorted([
        ("task", made["soon"].id, owner.user.id, "Warranty soon ends on 2026-10-01"),
        ("task", made["edge"].id, owner.user.id, "Warranty edge ends on 2026-09-01")])
    assert sorted(_outbox(kernel)) == sorted([(EXPIRING, made["soon"].id),
                                              (EXPIRING, made["edge"].id)])
    # Run again (the same day or the next): nothing more.
    assert warranty_reminders(kernel, today) == "0 warranties reminded"
    assert remind_warranties(kernel, today + dt.timedelta(days=1)) == (1, [])  # "later"
    assert len(_tasks(kernel)) == 3 and len(_outbox(kernel)) == 3
    assert remind_warranties(kernel, today + dt.timedelta(days=1)) == (0, [])
    assert len(_tasks(kernel)) == 3 and len(_outbox(kernel)) == 3


def test_the_reminder_window_is_a_setting(make_kernel):
    kernel = make_kernel(plugins=[accord_service.hooks], enable=["service"],
                         plugin_settings={"service": {"warranty_reminder_days": 7}})
    today = dt.date(2026, 9, 1)
    product = _product(kernel)
    _warranty(kernel, product_id=product.id, serial_number="in", ends_on=dt.date(2026, 9, 8))
    _warranty(kernel, product_id=product.id, serial_number="out",
              ends_on=dt.date(2026, 9, 9))
    assert remind_warranties(kernel, today) == (1, [])
    assert [t[3] for t in _tasks(kernel)] == ["Warranty in ends on 2026-09-08"]


def test_disable_and_enable_keep_the_warranties(kernel):
    warranty = _warranty(kernel)
    disable(kernel, "service", actor=SYSTEM)
    enable(kernel, "service", actor=SYSTEM)
    assert services.get(kernel, WARRANTY, warranty.id).serial_number == "SN-0001"


# Warranties from invoiced order lines (sales enabled) ---------------------------------

FROM_ORDER = "/api/v1/service/warranties/from-order"


def _invoiced_order(kernel, quantity="2", invoice=True, day=dt.date(2026, 3, 31)):
    from accord.services.actions import run_action

    org = services.create(kernel, "organization", {"name": "Copy Shop"}, actor=SYSTEM)
    printer = _product(kernel)
    order = services.create(kernel, "sales.order", {
        "organization_id": org.id, "lines": [
            {"product_id": printer.id, "quantity": quantity, "unit_price": "300.00"},
            {"description": "Set-up", "quantity": "1", "unit_price": "50.00"}]},
        actor=SYSTEM)
    if invoice:
        draft = run_action(kernel, "sales.order", order.id, "invoice", actor=SYSTEM)
        run_action(kernel, "sales.invoice", draft.id, "issue",
                   {"issue_date": day.isoformat()}, actor=SYSTEM)
    return order, printer


@pytest.mark.plugins(accord_service.hooks, "sales")
def test_an_invoiced_order_line_gives_one_warranty_per_serial_number(kernel, api_client):
    order, printer = _invoiced_order(kernel)
    made = api_client.post(FROM_ORDER, json={"order_id": order.id, "line": 1,
                                             "serial_numbers": ["SN-A", " SN-B "]})
    assert made.status_code == 200, made.json
    shown = made.json["warranties"]
    assert [(w["serial_number"], w["product_id"], w["organization_id"], w["starts_on"],
             w["ends_on"], w["covers"], w["order_line_ref"]) for w in shown] == [
        (serial, printer.id, order.organization_id, "2026-03-31", "2028-03-30",
         "parts_and_labour", f"sales.order {order.id} line 1") for serial in ("SN-A", "SN-B")]
    with kernel.bound():
        assert Warranty.select().count() == 2
    third = api_client.post(FROM_ORDER, json={"order_id": order.id, "line": 1,
                                              "serial_numbers": ["SN-C"]})
    assert third.status_code == 422
    assert third.json["errors"] == {"serial_numbers": [
        f"line 1 of order {order.id} is for 2 items, 2 with a warranty already: 1 more "
        "serial numbers are too many"]}
    no_product = api_client.post(FROM_ORDER, json={"order_id": order.id, "line": 2,
                                                   "serial_numbers": ["X"]})
    assert no_product.json["errors"] == {"line": [
        f"line 2 of order {order.id} names no product: a warranty is for a product"]}
    beyond = api_client.post(FROM_ORDER, json={"order_id": order.id, "line": 3,
                                               "serial_numbers": ["X"]})
    assert beyond.json["errors"] == {"line": [f"order {order.id} has 2 lines; give 1 to 2"]}
    with kernel.bound():
        assert Warranty.select().count() == 2


@pytest.mark.plugins(accord_service.hooks, "sales")
def test_an_order_not_invoiced_gives_no_warranty(kernel, api_client):
    order, _ = _invoiced_order(kernel, invoice=False)
    refused_ = api_client.post(FROM_ORDER, json={"order_id": order.id, "line": 1,
                                                 "serial_numbers": ["SN-A"]})
    assert refused_.status_code == 422
    assert refused_.json["errors"] == {"order_id": [
        f"order {order.id} is not invoiced yet: a warranty starts on the day the order is "
        "invoiced"]}
    with kernel.bound():
        assert Warranty.select().count() == 0


def test_without_sales_warranties_from_orders_are_refused_by_name(kernel, api_client):
    answer = api_client.post(FROM_ORDER, json={"order_id": 1, "line": 1,
                                               "serial_numbers": ["SN-A"]})
    assert answer.status_code == 422
    assert answer.json["errors"] == {"order_id": [
        "the sales plugin is not enabled: warranties come from order lines only with it; "
        "create the warranty by hand instead"]}


def test_months_are_added_to_the_last_day_of_a_shorter_month():
    from accord_service.services.warranties import add_months

    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2027, 11, 30), 3) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2026, 3, 31), 24) == dt.date(2028, 3, 31)
