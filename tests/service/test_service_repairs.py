"""Repair orders: parts, labour and fee priced; the workflow with its refusals; the
warranty's coverage on the repair's day deciding what is billed (both boundary days);
the bill as the plugin's own gapless service invoice (sales disabled), under 8
concurrent completions too; the API; disable and enable keeping every row."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal
from types import SimpleNamespace

import pytest

from accord import services
from accord.errors import ValidationError
from accord.models import OutboxMessage
from accord.services import Actor
from accord.services.plugins import disable, enable

import accord_service.hooks
from accord_service.models import RepairOrder, RepairPart, ServiceInvoice
from accord_service.repairs import Decision, decide
from accord_service.services.repairs import (billed_lines, cancel_repair, complete_repair,
                                             start_repair)

pytestmark = pytest.mark.plugins(accord_service.hooks)
SYSTEM = Actor.system("test")
REPAIR = "service.repair"
REPAIRS = "/api/v1/service/repairs"
DAY = dt.date(2026, 6, 1)


def _product(kernel, sku="PT-1", name="Fuser unit", price="40.00"):
    return services.create(kernel, "product", {
        "sku": sku, "name": name, "unit_price": {"amount": price, "currency": "EUR"}},
        actor=SYSTEM)


def _warranty(kernel, product, customer, covers="parts", starts=dt.date(2026, 1, 1),
              ends=dt.date(2026, 12, 31), serial="SN-7"):
    return services.create(kernel, "service.warranty", {
        "product_id": product.id, "serial_number": serial, "organization_id": customer.id,
        "starts_on": starts, "ends_on": ends, "covers": covers}, actor=SYSTEM)


def _repair(kernel, helpers, *, serial="SN-7", product=None, **extra):
    ticket = helpers.ticket(kernel)
    printer = product or _product(kernel, f"PR-{ticket.id}", "Printer 9", "300.00")
    part = _product(kernel, f"PT-{ticket.id}", "Fuser unit", "40.00")
    data = {"ticket_id": ticket.id, "product_id": printer.id, "serial_number": serial,
            "diagnosis": "Worn fuser", "labour_minutes": 90, "labour_rate": "60.00",
            "service_fee": "25.00", "tax_rate": "20",
            "parts": [{"product_id": part.id, "quantity": "2"}], **extra}
    return services.create(kernel, REPAIR, data, actor=SYSTEM)


def _customer_of(kernel, repair):
    return services.get(kernel, "organization", repair.organization_id)


# Pricing ----------------------------------------------------------------------------

def test_a_repair_takes_its_tickets_customer_and_prices_parts_labour_and_fee(kernel,
                                                                             helpers):
    repair = _repair(kernel, helpers)
    ticket = services.get(kernel, "service.ticket", repair.ticket_id)
    assert (repair.organization_id, repair.contact_id) == (ticket.organization_id, None)
    assert (repair.status, repair.currency) == ("open", "EUR")
    assert (repair.parts_total, repair.labour_total, repair.total) == (
        Decimal("80.0000"), Decimal("90.0000"), Decimal("195.0000"))
    parts = helpers.rows(kernel, RepairPart)
    assert [(p.description, p.quantity, p.unit_price, p.total) for p in parts] == [
        ("Fuser unit", Decimal("2.0000"), Decimal("40.0000"), Decimal("80.0000"))]
    shown = services.dump(kernel, REPAIR, services.get(kernel, REPAIR, repair.id),
                          actor=SYSTEM)
    assert shown["parts"][0]["total"] == "80.00"
    assert shown["total"] == "195.00"


def test_parts_changed_reprice_the_repair_and_bad_parts_are_refused_by_line(kernel,
                                                                             helpers):
    repair = _repair(kernel, helpers)
    part = helpers.rows(kernel, RepairPart)[0]
    changed = services.update(kernel, REPAIR, repair.id, {
        "parts": [{"product_id": part.product_id, "quantity": "1", "unit_price": "35.50"}],
        "labour_minutes": 30}, actor=SYSTEM)
    assert (changed.parts_total, changed.labour_total, changed.total) == (
        Decimal("35.5000"), Decimal("30.0000"), Decimal("90.5000"))
    unpriced = services.create(kernel, "product", {"sku": "NP", "name": "No price"},
                               actor=SYSTEM)
    with pytest.raises(ValidationError) as caught:
        services.update(kernel, REPAIR, repair.id, {
            "parts": [{"product_id": unpriced.id, "quantity": "1"}]}, actor=SYSTEM)
    assert caught.value.flat() == {"parts.0.unit_price": [
        f"give the unit price: product {unpriced.id} has no price in EUR"]}
    with pytest.raises(ValidationError) as caught:
        services.update(kernel, REPAIR, repair.id, {"service_fee": "1.005"}, actor=SYSTEM)
    assert caught.value.flat() == {"service_fee": ["EUR has 2 decimal places; 1.005 has 3."]}
    assert services.get(kernel, REPAIR, repair.id).total == Decimal("90.5000")


def test_a_repair_names_a_warranty_of_its_own_product_and_serial(kernel, helpers):
    printer = _product(kernel, "PR-1", "Printer 1", "300.00")
    other = _warranty(kernel, _product(kernel, "PR-2", "Printer 2"),
                      helpers.customer(kernel), serial="SN-7")
    with pytest.raises(ValidationError) as caught:
        _repair(kernel, helpers, product=printer, warranty_id=other.id)
    assert caught.value.flat() == {"warranty_id": [
        f"warranty {other.id} is for product {other.product_id}, not {printer.id}"]}


# The decision -------------------------------------------------------------------------

def _priced(parts="80", labour="90", fee="25", serial="SN-7"):
    return SimpleNamespace(parts_total=Decimal(parts), labour_total=Decimal(labour),
                           service_fee=Decimal(fee), serial_number=serial)


def _covering(covers, starts=dt.date(2026, 1, 1), ends=dt.date(2026, 12, 31)):
    return SimpleNamespace(id=3, covers=covers, starts_on=starts, ends_on=ends)


@pytest.mark.parametrize("covers, billed, cost", [
    ("parts", "115", "80"),            # labour 90 + fee 25
    ("labour", "105", "90"),           # parts 80 + fee 25
    ("parts_and_labour", "0", "170"),  # nothing billed, not even the fee
])
def test_the_warranty_covers_what_its_terms_say(covers, billed, cost):
    assert decide(_priced(), _covering(covers), DAY) == Decision(
        covers, f"warranty 3 covers {covers.replace('_', ' ')} until 2026-12-31",
        Decimal(billed), Decimal(cost))


def test_the_coverage_holds_on_both_boundary_days_and_not_beyond():
    warranty = _covering("parts_and_labour")
    assert decide(_priced(), warranty, dt.date(2026, 1, 1)).covered == "parts_and_labour"
    assert decide(_priced(), warranty, dt.date(2026, 12, 31)).covered == "parts_and_labour"
    assert decide(_priced(), warranty, dt.date(2025, 12, 31)) == Decision(
        "none", "warranty 3 starts on 2026-01-01", Decimal(195), Decimal(0))
    assert decide(_priced(), warranty, dt.date(2027, 1, 1)) == Decision(
        "none", "warranty 3 expired on 2026-12-31", Decimal(195), Decimal(0))
    assert decide(_priced(), None, DAY) == Decision(
        "none", "no warranty for serial number 'SN-7'", Decimal(195), Decimal(0))
    assert decide(_priced(serial=None), None, DAY).reason == "no serial number given"


# Workflow and billing (sales disabled) -----------------------------------------------

def test_the_workflow_refuses_each_forbidden_move_naming_the_allowed_ones(kernel, helpers):
    repair = _repair(kernel, helpers)
    with pytest.raises(ValidationError) as caught:
        complete_repair(kernel, repair.id, actor=SYSTEM, repaired_on=DAY)
    assert caught.value.flat() == {"status": [
        f"repair {repair.id} is open; only a repair in progress is completed (start it "
        "first)"]}
    start_repair(kernel, repair.id, actor=SYSTEM)
    with pytest.raises(ValidationError) as caught:
        start_repair(kernel, repair.id, actor=SYSTEM)
    assert caught.value.flat() == {"status": [
        f"repair {repair.id} is in_progress; only an open repair is started"]}
    complete_repair(kernel, repair.id, actor=SYSTEM, repaired_on=DAY)
    with pytest.raises(ValidationError) as caught:
        start_repair(kernel, repair.id, actor=SYSTEM)
    assert caught.value.flat() == {"status": [
        f"repair {repair.id} is done; only an open repair is started"]}
    with pytest.raises(ValidationError) as caught:
        cancel_repair(kernel, repair.id, actor=SYSTEM)
    assert caught.value.flat() == {"status": [f"repair order {repair.id} is done: it stays so"]}
    with pytest.raises(ValidationError) as caught:
        services.update(kernel, REPAIR, repair.id, {"diagnosis": "Other"}, actor=SYSTEM)
    assert caught.value.flat() == {"diagnosis": [
        f"repair {repair.id} is done; it does not change any more"]}
    with pytest.raises(ValidationError) as caught:
        services.update(kernel, REPAIR, repair.id, {"covered": "parts"}, actor=SYSTEM)
    assert "covered" in caught.value.flat()


def test_completing_bills_what_the_warranty_left_on_a_gapless_service_invoice(kernel,
                                                                            helpers):
    first = _repair(kernel, helpers)
    _warranty(kernel, services.get(kernel, "product", first.product_id),
              _customer_of(kernel, first), covers="parts")
    start_repair(kernel, first.id, actor=SYSTEM)
    done = complete_repair(kernel, first.id, actor=SYSTEM, repaired_on=DAY)
    assert (done.status, done.repaired_on, done.covered, done.billed_net,
            done.warranty_cost) == ("done", DAY, "parts", Decimal("115.0000"),
                                    Decimal("80.0000"))
    assert (done.invoice_type, done.invoice_number) == ("service.invoice", "SRV-2026-00001")
    invoice = helpers.rows(kernel, ServiceInvoice)[0]
    assert (invoice.id, invoice.repair_id, invoice.number, invoice.year, invoice.sequence,
            invoice.issue_date) == (done.invoice_id, first.id, "SRV-2026-00001", 2026, 1, DAY)
    assert (invoice.net_total, invoice.tax_total, invoice.total) == (
        Decimal("115.0000"), Decimal("23.0000"), Decimal("138.0000"))
    assert invoice.lines == [
        {"description": "Labour, 90 min at 60.00 EUR/h", "quantity": "1",
         "unit_price": "90.00", "total": "90.00"},
        {"description": "Service fee", "quantity": "1", "unit_price": "25.00",
         "total": "25.00"}]
    with kernel.bound():
        message = OutboxMessage.select().where(
            OutboxMessage.topic == "service.repair.done").get()
    assert message.payload["invoice_number"] == "SRV-2026-00001"
    assert message.payload["billed_net"] == "115.00"

    # Not covered (no warranty for that serial): everything billed, the next number.
    second = _repair(kernel, helpers, serial="SN-8")
    start_repair(kernel, second.id, actor=SYSTEM)
    billed = complete_repair(kernel, second.id, actor=SYSTEM, repaired_on=DAY)
    assert (billed.covered, billed.billed_net, billed.invoice_number) == (
        "none", Decimal("195.0000"), "SRV-2026-00002")


def test_a_repair_covered_in_full_is_not_invoiced(kernel, helpers):
    repair = _repair(kernel, helpers)
    _warranty(kernel, services.get(kernel, "product", repair.product_id),
              _customer_of(kernel, repair), covers="parts_and_labour")
    start_repair(kernel, repair.id, actor=SYSTEM)
    done = complete_repair(kernel, repair.id, actor=SYSTEM, repaired_on=DAY)
    assert (done.covered, done.billed_net, done.warranty_cost, done.invoice_number) == (
        "parts_and_labour", Decimal("0.0000"), Decimal("170.0000"), None)
    assert helpers.rows(kernel, ServiceInvoice) == []


def test_a_cancelled_repair_is_not_billed_and_an_issued_invoice_is_kept(kernel, helpers):
    repair = _repair(kernel, helpers)
    cancelled = cancel_repair(kernel, repair.id, actor=SYSTEM)
    assert cancelled.status == "cancelled"
    with pytest.raises(ValidationError):
        complete_repair(kernel, repair.id, actor=SYSTEM)
    billed = _repair(kernel, helpers, serial="SN-9")
    start_repair(kernel, billed.id, actor=SYSTEM)
    done = complete_repair(kernel, billed.id, actor=SYSTEM, repaired_on=DAY)
    from accord.errors import Conflict

    with pytest.raises(Conflict) as caught:
        services.delete(kernel, "service.invoice", done.invoice_id, actor=SYSTEM)
    assert str(caught.value.message) == ("service invoice SRV-2026-00001 is issued: it is "
                                         "kept, so the numbers have no gap")
    with pytest.raises(Conflict):
        services.delete(kernel, REPAIR, billed.id, actor=SYSTEM)


def _complete_eight_at_once(kernel, helpers):
    """Eight repairs in progress, completed by eight threads released together."""
    repairs = [_repair(kernel, helpers, serial=f"SN-{n}") for n in range(8)]
    for repair in repairs:
        start_repair(kernel, repair.id, actor=SYSTEM)
    start = threading.Barrier(len(repairs))
    errors: list[BaseException] = []

    def complete(repair_id):
        try:
            start.wait()
            complete_repair(kernel, repair_id, actor=SYSTEM, repaired_on=DAY)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            kernel.database.close()

    threads = [threading.Thread(target=complete, args=(r.id,)) for r in repairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_concurrent_completions_number_their_invoices_without_gap_or_duplicate(kernel,
                                                                             helpers):
    _complete_eight_at_once(kernel, helpers)
    invoices = helpers.rows(kernel, ServiceInvoice)
    assert sorted(i.sequence for i in invoices) == list(range(1, 9))
    assert sorted(i.number for i in invoices) == [f"SRV-2026-{n:05d}" for n in range(1, 9)]
    by_repair = {r.id: r.invoice_id for r in helpers.rows(kernel, RepairOrder)}
    assert by_repair == {i.repair_id: i.id for i in invoices}


def test_a_failed_completion_gives_its_number_back(kernel, helpers, monkeypatch):
    from accord_service.services import repairs as writes

    repair = _repair(kernel, helpers)
    start_repair(kernel, repair.id, actor=SYSTEM)
    real = writes.enqueue

    def broken(*args, **kwargs):
        raise RuntimeError("the outbox is down")

    monkeypatch.setattr(writes, "enqueue", broken)
    with pytest.raises(RuntimeError):
        complete_repair(kernel, repair.id, actor=SYSTEM, repaired_on=DAY)
    assert services.get(kernel, REPAIR, repair.id).status == "in_progress"
    assert helpers.rows(kernel, ServiceInvoice) == []
    monkeypatch.setattr(writes, "enqueue", real)
    assert complete_repair(kernel, repair.id, actor=SYSTEM,
                           repaired_on=DAY).invoice_number == "SRV-2026-00001"


def test_billed_lines_leave_out_what_is_covered(kernel, helpers):
    repair = _repair(kernel, helpers)
    stored = services.get(kernel, REPAIR, repair.id)
    with kernel.bound():
        assert [line["description"] for line in billed_lines(stored, "none")] == [
            "Fuser unit", "Labour, 90 min at 60.00 EUR/h", "Service fee"]
        assert [line["description"] for line in billed_lines(stored, "labour")] == [
            "Fuser unit", "Service fee"]
        assert billed_lines(stored, "parts_and_labour") == []


# The API, permissions, the plugin's lifecycle -----------------------------------------

def test_the_api_takes_a_repair_from_create_to_complete(kernel, helpers, make_api_client):
    client = make_api_client("service")
    customer = helpers.customer(kernel)
    opened = client.post("/api/v1/service/tickets", json={
        "organization_id": customer.id, "channel": "phone", "subject": "Broken"})
    assert opened.status_code == 201, opened.json
    ticket = services.get(kernel, "service.ticket", opened.json["id"])
    part = _product(kernel)
    created = client.post(REPAIRS, json={
        "ticket_id": ticket.id, "serial_number": "SN-1", "labour_minutes": 45,
        "labour_rate": "80.00", "parts": [{"product_id": part.id, "quantity": "1"}]})
    assert created.status_code == 201, created.json
    body = created.json
    assert (body["status"], body["parts_total"], body["labour_total"], body["total"]) == (
        "open", "40.00", "60.00", "100.00")
    url = f"{REPAIRS}/{body['id']}"
    early = client.post(f"{url}/complete", json={})
    assert early.status_code == 422
    assert client.post(f"{url}/start").status_code == 200
    future = client.post(f"{url}/complete", json={"repaired_on": "2999-01-01"})
    assert future.status_code == 422
    assert future.json["errors"] == {"repaired_on": [
        "2999-01-01 is in the future: complete the repair once it is done"]}
    done = client.post(f"{url}/complete", json={"repaired_on": "2026-06-01"})
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["covered"], done.json["billed_net"],
            done.json["invoice_number"]) == ("done", "none", "100.00", "SRV-2026-00001")
    invoice = client.get(f"/api/v1/service/invoices/{done.json['invoice_id']}")
    assert invoice.status_code == 200, invoice.json
    assert (invoice.json["number"], invoice.json["total"]) == ("SRV-2026-00001", "100.00")
    forged = client.post("/api/v1/service/invoices", json={"number": "SRV-2026-00099"})
    assert forged.status_code == 403
    assert len(helpers.rows(kernel, ServiceInvoice)) == 1


def test_a_user_without_the_grant_cannot_complete_a_repair(kernel, helpers,
                                                          make_api_client):
    repair = _repair(kernel, helpers)
    start_repair(kernel, repair.id, actor=SYSTEM)
    client = make_api_client("sales")
    answer = client.post(f"{REPAIRS}/{repair.id}/complete", json={})
    assert answer.status_code == 403
    assert services.get(kernel, REPAIR, repair.id).status == "in_progress"


def test_disabling_and_enabling_the_plugin_keeps_every_repair_row(kernel, helpers):
    repair = _repair(kernel, helpers)
    start_repair(kernel, repair.id, actor=SYSTEM)
    complete_repair(kernel, repair.id, actor=SYSTEM, repaired_on=DAY)
    before = [(r.id, r.status, r.invoice_number) for r in helpers.rows(kernel, RepairOrder)]
    disable(kernel, "service", actor=SYSTEM)
    enable(kernel, "service", actor=SYSTEM)
    after = [(r.id, r.status, r.invoice_number) for r in helpers.rows(kernel, RepairOrder)]
    assert after == before
    assert len(helpers.rows(kernel, RepairPart)) == 1
    assert [i.number for i in helpers.rows(kernel, ServiceInvoice)] == ["SRV-2026-00001"]


# Billing through the sales plugin's invoices ------------------------------------------

WITH_SALES = pytest.mark.plugins(accord_service.hooks, "sales")


@WITH_SALES
def test_with_sales_enabled_the_bill_is_a_sales_invoice_issued_by_its_own_action(kernel,
                                                                                helpers):
    repair = _repair(kernel, helpers)
    _warranty(kernel, services.get(kernel, "product", repair.product_id),
              _customer_of(kernel, repair), covers="labour")
    start_repair(kernel, repair.id, actor=SYSTEM)
    done = complete_repair(kernel, repair.id, actor=SYSTEM, repaired_on=DAY)
    assert (done.covered, done.billed_net, done.invoice_type) == (
        "labour", Decimal("105.0000"), "sales.invoice")
    invoice = services.get(kernel, "sales.invoice", done.invoice_id)
    assert (invoice.number, invoice.status, invoice.issue_date) == (
        done.invoice_number, "issued", DAY)
    assert invoice.number == "INV-2026-00001"
    assert (invoice.organization_id, invoice.net_total, invoice.tax_total, invoice.total) == (
        repair.organization_id, Decimal("105.0000"), Decimal("21.0000"), Decimal("126.0000"))
    shown = services.dump(kernel, "sales.invoice", invoice, actor=SYSTEM)
    assert [(line["description"], line["quantity"], line["unit_price"])
            for line in shown["lines"]] == [("Fuser unit", "2.0000", "40.0000"),
                                            ("Service fee", "1.0000", "25.0000")]
    assert helpers.rows(kernel, ServiceInvoice) == []


@WITH_SALES
def test_with_sales_concurrent_completions_take_gapless_sales_numbers(kernel, helpers):
    _complete_eight_at_once(kernel, helpers)
    numbers = sorted(r.invoice_number for r in helpers.rows(kernel, RepairOrder))
    assert numbers == [f"INV-2026-{n:05d}" for n in range(1, 9)]


# Metrics ------------------------------------------------------------------------------

def test_repair_and_warranty_cost_by_product_worked_out_by_hand(kernel, helpers):
    from accord.metrics import compute, metric_query

    printer = _product(kernel, "PR-A", "Printer A", "300.00")
    covered = _repair(kernel, helpers, product=printer, serial="SN-1")  # 80+90+25 = 195
    _warranty(kernel, printer, _customer_of(kernel, covered), covers="parts", serial="SN-1")
    billed = _repair(kernel, helpers, product=printer, serial="SN-2",
                     labour_minutes=30)  # 80 + 30 + 25 = 135, no warranty
    loose = _repair(kernel, helpers, product=None, serial=None)  # product of its own
    services.update(kernel, REPAIR, loose.id, {"product_id": None}, actor=SYSTEM)
    other_month = _repair(kernel, helpers, product=printer, serial="SN-3")
    not_done = _repair(kernel, helpers, product=printer, serial="SN-4")
    for repair, day in ((covered, DAY), (billed, dt.date(2026, 6, 20)), (loose, DAY),
                        (other_month, dt.date(2026, 7, 2))):
        start_repair(kernel, repair.id, actor=SYSTEM)
        complete_repair(kernel, repair.id, actor=SYSTEM, repaired_on=day)
    start_repair(kernel, not_done.id, actor=SYSTEM)
    query = metric_query(start=dt.date(2026, 6, 1), end=dt.date(2026, 7, 31))
    with kernel.bound():
        cost = compute(kernel, "service.repair_cost", query)
        warranty = compute(kernel, "service.warranty_cost", query)
    # The core lists a grouped metric by group, each over every period (0 when none).
    assert [(p.period, p.group, p.value) for p in cost] == [
        ("2026-06", "Printer A", Decimal("330.00")), ("2026-07", "Printer A", Decimal("195.00")),
        ("2026-06", "no product", Decimal("195.00")), ("2026-07", "no product", Decimal("0"))]
    assert [(p.period, p.group, p.value) for p in warranty] == [
        ("2026-06", "Printer A", Decimal("80.00")), ("2026-07", "Printer A", Decimal("0.00")),
        ("2026-06", "no product", Decimal("0.00")), ("2026-07", "no product", Decimal("0"))]


def test_repairs_appear_on_their_customers_timeline(kernel, helpers):
    covered = _repair(kernel, helpers, serial="SN-1")
    _warranty(kernel, services.get(kernel, "product", covered.product_id),
              _customer_of(kernel, covered), covers="parts", serial="SN-1")
    start_repair(kernel, covered.id, actor=SYSTEM)
    complete_repair(kernel, covered.id, actor=SYSTEM, repaired_on=DAY)
    entries = [i for i in services.timeline(kernel, "organization", covered.organization_id)
               if i.kind == "service.repair"]
    assert [(i.title, i.source_type, i.source_id, i.details["status"]) for i in entries] == [
        (f"Repair {covered.id} (SN-1): done, parts covered, invoice SRV-2026-00001",
         REPAIR, covered.id, "done")]
    open_one = _repair(kernel, helpers, serial=None)
    entries = [i.title for i in services.timeline(kernel, "organization",
                                                   open_one.organization_id)
               if i.kind == "service.repair"]
    assert entries == [f"Repair {open_one.id}: open"]


def test_returns_appear_on_their_customers_timeline(kernel, helpers):
    customer = helpers.customer(kernel)
    rma = services.create(kernel, "service.return", {
        "organization_id": customer.id, "reason": "Broken\non arrival", "items": [
            {"description": "Toner", "quantity": "1", "unit_paid": "40.00"}]}, actor=SYSTEM)
    entries = [i for i in services.timeline(kernel, "organization", customer.id)
               if i.kind == "service.return"]
    assert [(i.title, i.source_type, i.source_id) for i in entries] == [
        (f"Return {rma.id}: requested \u2014 Broken on arrival", "service.return", rma.id)]
