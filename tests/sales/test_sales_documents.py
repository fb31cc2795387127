"""Quotes, orders and invoices: lines priced in Decimal to the cent, the quote's states
and revisions, an accepted quote's order, order statuses with their history, invoice
numbers without gaps, payments, and every refusal leaving the data as it was."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import accord_sales.hooks
from accord import services
from accord.errors import Conflict, ValidationError
from accord.hooks import hookimpl
from accord.models import AuditEntry
from accord.plugins import PluginManifest
from accord.services import Actor
from accord.services.plugins import disable, enable
from accord_sales.services import invoices, orders, quotes
from accord_sales.models import (Invoice, InvoiceSequence, Order, OrderStatusChange, Payment,
                                 Quote, QuoteLine)
from accord_sales.dates import today
from accord_sdk.assertions import refused

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.plugins(accord_sales.hooks)
QUOTES = "/api/v1/sales/quotes"
ORDERS = "/api/v1/sales/orders"
INVOICES = "/api/v1/sales/invoices"



# Lines and totals --------------------------------------------------------------------

def test_totals_are_decimal_to_the_cent_line_by_line(sales, api_client, helpers):
    org = helpers.org(sales)
    response = api_client.post(QUOTES, json={"name": "Mixed", "organization_id": org.id, "lines": [
        # 3 x 19.99 = 59.97; less 15% = 50.9745 -> 50.97; 20% tax = 10.194 -> 10.19
        {"description": "Seat", "quantity": "3", "unit_price": "19.99",
         "discount_percent": "15", "tax_rate": "20"},
        # 1 x 0.125 = 0.125 -> 0.13 (half up); 5.5% tax = 0.00715 -> 0.01
        {"description": "Sticker", "quantity": "1", "unit_price": "0.125", "tax_rate": "5.5"}]})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert [(l["net"], l["tax"], l["total"]) for l in body["lines"]] == [
        ("50.97", "10.19", "61.16"), ("0.13", "0.01", "0.14")]
    # subtotal: 59.97 + 0.13 = 60.10; net 51.10; discounts 9.00; tax 10.20; total 61.30
    assert (body["subtotal"], body["discount_total"], body["net_total"], body["tax_total"],
            body["total"], body["currency"]) == ("60.10", "9.00", "51.10", "10.20", "61.30",
                                                 "EUR")
    with sales.bound():
        stored = Quote.get_by_id(body["id"])
        assert (stored.net_total, stored.total) == (Decimal("51.10"), Decimal("61.30"))
        assert [l.net for l in QuoteLine.select().order_by(QuoteLine.position)] == [
            Decimal("50.97"), Decimal("0.13")]


def test_a_line_takes_its_product_price_and_name_and_the_default_tax(sales, helpers):
    seat = helpers.product(sales, "SEAT", price="250.00", name="Desk seat")
    from accord.services.plugins import set_settings

    set_settings(sales, "sales", {"default_tax_rate": "19"}, actor=SYSTEM)
    quote = helpers.quote(sales, lines=[{"product_id": seat.id, "quantity": "2"}])
    [line] = services.dump(sales, "sales.quote", quote)["lines"]
    assert (line["description"], line["unit_price"], line["tax_rate"], line["net"],
            line["tax"]) == ("Desk seat", "250.0000", "19.00", "500.00", "95.00")


def test_bad_lines_are_named_and_nothing_is_written(sales, api_client, helpers):
    org = helpers.org(sales)
    usd = helpers.product(sales, "USD1", price="10.00", currency="USD")
    bare = helpers.product(sales, "BARE", price=None)
    response = api_client.post(QUOTES, json={"name": "Bad", "organization_id": org.id, "lines": [
        {"product_id": usd.id, "quantity": "1"},
        {"product_id": bare.id, "quantity": "1"},
        {"quantity": "1"},
        {"product_id": 999, "quantity": "1"}]})
    assert helpers.problem(response, 422)["errors"] == {
        "lines.0.unit_price": ["product USD1 is priced in USD, the document in EUR; give the "
                                "unit price"],
        "lines.1.unit_price": ["product BARE has no unit price; give one"],
        "lines.2.description": ["describe a line without a product"],
        "lines.2.unit_price": ["give the unit price of a line without a product"],
        "lines.3.product_id": ["there is no product 999"]}
    response = api_client.post(QUOTES, json={"name": "Bad", "organization_id": org.id, "lines": [
        {"description": "x", "quantity": "0", "unit_price": "-1", "discount_percent": "101"}]})
    assert helpers.problem(response, 422)["errors"] == {
        "lines.0.quantity": ["Must be more than 0 and at most 99999999."],
        "lines.0.unit_price": ["Must be at least 0 and at most 99999999999."],
        "lines.0.discount_percent": ["Must be at least 0 and at most 100."]}
    assert helpers.count(sales, Quote) == helpers.count(sales, QuoteLine) == 0


class _VolumeDiscount:
    """A pricing plugin: 10 or more of a line get 10% off."""

    MANIFEST = PluginManifest(name="volume", version="1.0.0", requires={"sales": ">=1,<2"})

    @staticmethod
    @hookimpl
    def price_quote_lines(quote, lines):
        for line in lines:
            if Decimal(line["quantity"]) >= 10:
                line["discount_percent"] = Decimal(10)


@pytest.mark.plugins(accord_sales.hooks, _VolumeDiscount)
def test_hook_price_quote_lines_lets_another_plugin_price_the_lines(sales, helpers):
    quote = helpers.quote(sales, lines=[
        {"description": "Bulk", "quantity": "10", "unit_price": "9.99"},
        {"description": "Few", "quantity": "2", "unit_price": "9.99"}])
    body = services.dump(sales, "sales.quote", quote)
    # 10 x 9.99 = 99.90 less 10% = 89.91; 2 x 9.99 = 19.98
    assert [(l["discount_percent"], l["net"]) for l in body["lines"]] == [
        ("10.00", "89.91"), ("0.00", "19.98")]
    assert body["net_total"] == "109.89"
    # Orders are not priced by the hook: they keep the accepted quote's prices.
    disable(sales, "volume", actor=SYSTEM)
    again = helpers.quote(sales, lines=[{"description": "Bulk", "quantity": "10",
                                         "unit_price": "1"}])
    assert services.dump(sales, "sales.quote", again)["net_total"] == "10.00"


# Quotes ------------------------------------------------------------------------------

def test_a_quote_goes_from_draft_to_sent_to_accepted_and_becomes_an_order(sales, api_client,
                                                                           helpers):
    deal = helpers.opportunity(sales, "Seats", amount={"amount": "100", "currency": "EUR"})
    created = api_client.post(QUOTES, json={"name": "Seats", "opportunity_id": deal.id,
                                            "lines": [{"description": "Seat", "quantity": "4",
                                                       "unit_price": "250"}]}).get_json()
    # The quote takes the deal's customer.
    assert (created["organization_id"], created["status"], created["revision"]) == (
        deal.organization_id, "draft", 1)
    quote_id = created["id"]
    sent = api_client.post(f"{QUOTES}/{quote_id}/send").get_json()
    assert (sent["status"], sent["valid_until"]) == (
        "sent", (today() + dt.timedelta(days=30)).isoformat())
    changed = api_client.patch(f"{QUOTES}/{quote_id}", json={"lines": []})
    assert helpers.problem(changed, 422)["errors"] == {"lines": [
        "the sent document cannot change; revise it (POST /api/v1/sales/quotes/<id>/revise) "
        "and change the new draft"]}
    accepted = api_client.post(f"{QUOTES}/{quote_id}/accept", json={"reference": "PO-77"})
    assert accepted.status_code == 200, accepted.get_json()
    order = accepted.get_json()
    assert (order["quote_id"], order["status"], order["reference"], order["net_total"],
            order["opportunity_id"], [l["net"] for l in order["lines"]]) == (
        quote_id, "confirmed", "PO-77", "1000.00", deal.id, ["1000.00"])
    quote = api_client.get(f"{QUOTES}/{quote_id}").get_json()
    assert quote["status"] == "accepted" and quote["decided_at"] is not None
    # What was sold is what the open deal is worth.
    assert services.get(sales, "sales.opportunity", deal.id).amount == Decimal("1000")


def test_sending_an_empty_or_stale_quote_is_refused(sales, helpers):
    empty = helpers.quote(sales, lines=[])
    assert refused(lambda: quotes.send_quote(sales, empty.id, actor=SYSTEM)) == {
        "lines": ["add at least one line before sending the quote"]}
    past = helpers.quote(sales, valid_until="2020-01-31")
    assert refused(lambda: quotes.send_quote(sales, past.id, actor=SYSTEM)) == {
        "valid_until": ["2020-01-31 is past; give a later date before sending the quote"]}
    assert [q.status for q in helpers.rows(sales, Quote)] == ["draft", "draft"]


def test_accepting_an_expired_quote_is_refused(sales, api_client, helpers):
    quote = helpers.quote(sales)
    quotes.send_quote(sales, quote.id, actor=SYSTEM)
    with sales.bound():
        Quote.update(valid_until=today() - dt.timedelta(days=1)).where(
            Quote.id == quote.id).execute()
    refused = api_client.post(f"{QUOTES}/{quote.id}/accept")
    yesterday = today() - dt.timedelta(days=1)
    assert helpers.problem(refused, 422)["errors"] == {"valid_until": [
        f"quote {quote.id} expired on {yesterday}; revise it and send the new revision"]}
    # The daily job marks it expired; accepting still fails, now on its status.
    assert quotes.expire_quotes(sales, today()) == "1 quote expired"
    assert quotes.expire_quotes(sales, today()) == "0 quotes expired"
    refused = api_client.post(f"{QUOTES}/{quote.id}/accept")
    assert helpers.problem(refused, 422)["errors"] == {"status": [
        f"quote {quote.id} expired on {yesterday}; revise it and send the new revision"]}
    assert (helpers.count(sales, Order), services.get(sales, "sales.quote", quote.id).status) == (
        0, "expired")


def test_a_revision_copies_the_lines_and_only_the_latest_is_accepted(sales, helpers):
    first = helpers.quote(sales, lines=[{"description": "Day", "quantity": "3",
                                         "unit_price": "80"}])
    quotes.send_quote(sales, first.id, actor=SYSTEM)
    quotes.reject_quote(sales, first.id, reason="Too dear", actor=SYSTEM)
    second = quotes.revise_quote(sales, first.id, actor=SYSTEM)
    assert (second.status, second.revision, second.revision_of_id, second.net_total) == (
        "draft", 2, first.id, Decimal("240"))
    services.update(sales, "sales.quote", second.id, {"lines": [
        {"description": "Day", "quantity": "3", "unit_price": "70"}]}, actor=SYSTEM)
    quotes.send_quote(sales, second.id, actor=SYSTEM)
    assert refused(lambda: quotes.revise_quote(sales, first.id, actor=SYSTEM)) == {
        "revision": [f"quote {first.id} is revision 1; the latest is revision 2 (quote "
                     f"{second.id}): accept that one"]}
    third = quotes.revise_quote(sales, second.id, actor=SYSTEM)
    assert (third.revision, third.revision_of_id) == (3, first.id)
    assert refused(lambda: quotes.accept_quote(sales, second.id, actor=SYSTEM)) == {
        "revision": [f"quote {second.id} is revision 2; the latest is revision 3 (quote "
                     f"{third.id}): accept that one"]}
    assert refused(lambda: quotes.revise_quote(sales, third.id, actor=SYSTEM)) == {
        "status": [f"quote {third.id} is a draft: change it instead of revising it"]}
    assert refused(lambda: quotes.accept_quote(sales, first.id, actor=SYSTEM)) == {
        "status": [f"quote {first.id} is rejected; only a sent quote can be accepted"]}
    assert services.get(sales, "sales.quote", first.id).reject_reason == "Too dear"


def test_an_accepted_quote_is_accepted_once_and_kept(sales, helpers):
    quote = helpers.quote(sales)
    quotes.send_quote(sales, quote.id, actor=SYSTEM)
    order = quotes.accept_quote(sales, quote.id, actor=SYSTEM)
    assert refused(lambda: quotes.accept_quote(sales, quote.id, actor=SYSTEM)) == {
        "status": [f"quote {quote.id} is accepted; only a sent quote can be accepted"]}
    with pytest.raises(Conflict, match=f"quote {quote.id} is accepted; its order refers"):
        services.delete(sales, "sales.quote", quote.id, actor=SYSTEM)
    assert [o.id for o in helpers.rows(sales, Order)] == [order.id]


# Orders --------------------------------------------------------------------------------

def test_order_status_changes_are_recorded_and_checked(sales, api_client, helpers):
    order = helpers.order(sales)
    url = f"{ORDERS}/{order.id}/status"
    assert api_client.post(url, json={"status": "partially_fulfilled",
                                      "note": "half shipped"}).status_code == 200
    done = api_client.post(url, json={"status": "fulfilled"}).get_json()
    assert done["status"] == "fulfilled"
    assert [(c["from_status"], c["to_status"], c["note"]) for c in done["status_history"]] == [
        ("confirmed", "partially_fulfilled", "half shipped"), ("partially_fulfilled",
                                                               "fulfilled", None)]
    refused = api_client.post(url, json={"status": "cancelled"})
    assert helpers.problem(refused, 422)["errors"] == {"status": [
        f"order {order.id} is fulfilled: it stays so"]}
    refused = api_client.post(url, json={"status": "confirmed"})
    assert helpers.problem(refused, 422)["errors"] == {"status": [
        "Must be one of: partially_fulfilled, fulfilled, cancelled."]}
    assert helpers.count(sales, OrderStatusChange) == 2
    refused = api_client.patch(f"{ORDERS}/{order.id}", json={"lines": []})
    assert helpers.problem(refused, 422)["errors"] == {"lines": [
        "the fulfilled document cannot change; an order's content changes only while it is "
        "confirmed"]}


def test_orders_are_searched_by_customer_product_date_and_status(sales, api_client, helpers):
    seat, desk = helpers.product(sales, "SEAT"), helpers.product(sales, "DESK")
    acme, globex = helpers.org(sales, "Acme"), helpers.org(sales, "Globex")
    first = helpers.order(sales, organization_id=acme.id, order_date="2026-03-01",
                          lines=[{"product_id": seat.id, "quantity": "1"},
                                 {"product_id": seat.id, "quantity": "2"}])
    second = helpers.order(sales, organization_id=globex.id, order_date="2026-04-15",
                           lines=[{"product_id": desk.id, "quantity": "1"},
                                  {"product_id": seat.id, "quantity": "1"}])
    orders.set_order_status(sales, second.id, "cancelled", actor=SYSTEM)

    def ids(query):
        body = api_client.get(f"{ORDERS}?{query}").get_json()
        return [item["id"] for item in body["items"]]

    assert ids(f"products={desk.id}") == [second.id]
    assert ids(f"products={seat.id}&sort=id") == [first.id, second.id]
    assert ids(f"organization_id={acme.id}") == [first.id]
    assert ids("order_date__gte=2026-04-01") == [second.id]
    assert ids("status=cancelled") == [second.id]
    listed = api_client.get(f"{ORDERS}/{first.id}").get_json()
    assert listed["products"] == [seat.id]
    refused = api_client.get(f"{ORDERS}?products__gte=1")
    assert helpers.problem(refused, 400)["errors"] == {"products__gte": [
        "products is a list of ids: filter it with products=ID or products__in=ID,ID"]}


# Invoices --------------------------------------------------------------------------------

def test_invoice_numbers_are_gapless_per_year_and_kept_by_void(sales, helpers):
    drafts = [helpers.invoice(sales) for _ in range(4)]
    issued = [invoices.issue_invoice(sales, d.id, issue_date=day, actor=SYSTEM)
              for d, day in zip(drafts, [dt.date(2026, 12, 30), dt.date(2026, 12, 31),
                                         dt.date(2027, 1, 2), dt.date(2027, 1, 3)])]
    assert [i.number for i in issued] == ["INV-2026-00001", "INV-2026-00002",
                                          "INV-2027-00001", "INV-2027-00002"]
    assert [i.due_date for i in issued][0] == dt.date(2027, 1, 29)  # 30 days
    voided = invoices.void_invoice(sales, issued[1].id, reason="Wrong customer", actor=SYSTEM)
    assert (voided.status, voided.number) == ("void", "INV-2026-00002")
    with pytest.raises(Conflict, match="INV-2026-00001 is issued; issued invoices are never "
                                       "deleted"):
        services.delete(sales, "sales.invoice", issued[0].id, actor=SYSTEM)
    # A failed issue gives its number back.
    draft = helpers.invoice(sales)
    with pytest.raises(RuntimeError), sales.transaction():
        invoices.issue_invoice(sales, draft.id, issue_date=dt.date(2027, 2, 1), actor=SYSTEM)
        raise RuntimeError("the caller's transaction fails after the issue")
    assert services.get(sales, "sales.invoice", draft.id).status == "draft"
    again = invoices.issue_invoice(sales, draft.id, issue_date=dt.date(2027, 2, 1), actor=SYSTEM)
    assert again.number == "INV-2027-00003"
    sequences = helpers.rows(sales, InvoiceSequence, InvoiceSequence.year)
    assert {s.year: s.last for s in sequences} == {2026: 2, 2027: 3}


def test_concurrent_issuing_leaves_no_gap_and_no_duplicate(sales, helpers):
    import threading

    drafts = [helpers.invoice(sales) for _ in range(8)]
    start = threading.Barrier(len(drafts))
    errors: list[BaseException] = []

    def issue(invoice_id):
        try:
            start.wait()
            invoices.issue_invoice(sales, invoice_id, issue_date=dt.date(2026, 6, 1),
                                   actor=SYSTEM)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            sales.database.close()

    threads = [threading.Thread(target=issue, args=(d.id,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(i.sequence for i in helpers.rows(sales, Invoice))
    assert numbers == list(range(1, 9))
    sequences = helpers.rows(sales, InvoiceSequence, InvoiceSequence.year)
    assert {s.year: s.last for s in sequences} == {2026: 8}


def test_payments_are_recorded_and_never_exceed_the_balance(sales, api_client, helpers):
    draft = helpers.invoice(sales, lines=[{"description": "Work", "quantity": "1",
                                           "unit_price": "100", "tax_rate": "20"}])
    url = f"{INVOICES}/{draft.id}"
    refused = api_client.post(f"{url}/pay", json={"amount": "10"})
    assert helpers.problem(refused, 422)["errors"] == {"status": [
        f"invoice {draft.id} is a draft; issue it first"]}
    issued = api_client.post(f"{url}/issue", json={"issue_date": "2026-05-04"}).get_json()
    assert (issued["number"], issued["due_date"], issued["balance_due"]) == (
        "INV-2026-00001", "2026-06-03", "120.00")
    paid = api_client.post(f"{url}/pay", json={"amount": "50", "paid_on": "2026-05-10",
                                               "method": "bank transfer"}).get_json()
    assert (paid["status"], paid["amount_paid"], paid["balance_due"]) == (
        "overdue", "50.00", "70.00")  # due on 2026-06-03, which is past today
    refused = api_client.post(f"{url}/pay", json={"amount": "70.01"})
    assert helpers.problem(refused, 422)["errors"] == {"amount": [
        "70.01 EUR is more than the 70.00 EUR due on invoice INV-2026-00001"]}
    refused = api_client.post(f"{url}/pay", json={"amount": "1", "paid_on": "2026-05-01"})
    assert helpers.problem(refused, 422)["errors"] == {"paid_on": [
        "2026-05-01 is before the invoice's issue date 2026-05-04"]}
    assert helpers.count(sales, Payment) == 1
    done = api_client.post(f"{url}/pay", json={"amount": "70"}).get_json()
    assert (done["status"], done["balance_due"], [p["amount"] for p in done["payments"]]) == (
        "paid", "0.00", ["50.00", "70.00"])
    refused = api_client.post(f"{url}/pay", json={"amount": "1"})
    assert helpers.problem(refused, 422)["errors"] == {"status": [
        "invoice INV-2026-00001 is paid in full"]}
    refused = api_client.post(f"{url}/void", json={"reason": "x"})
    assert helpers.problem(refused, 422)["errors"] == {"status": [
        "invoice INV-2026-00001 is paid; only an issued, unpaid invoice is voided"]}


def test_the_overdue_job_marks_open_invoices_past_their_due_date(sales, helpers):
    early, late, draft = helpers.invoice(sales), helpers.invoice(sales), helpers.invoice(sales)
    invoices.issue_invoice(sales, early.id, issue_date=dt.date(2026, 1, 1), actor=SYSTEM)
    invoices.issue_invoice(sales, late.id, issue_date=dt.date(2026, 3, 1), actor=SYSTEM)
    # early is due 2026-01-31, late 2026-03-31
    assert invoices.mark_overdue(sales, dt.date(2026, 2, 1)) == "1 invoice marked overdue"
    assert invoices.mark_overdue(sales, dt.date(2026, 2, 1)) == "0 invoices marked overdue"
    assert [i.status for i in helpers.rows(sales, Invoice)] == ["overdue", "issued", "draft"]
    assert draft.status == "draft"


def test_an_order_is_invoiced_once_with_its_lines(sales, helpers):
    order = helpers.order(sales, lines=[{"description": "Seat", "quantity": "3",
                                         "unit_price": "9.99", "tax_rate": "7"}])
    invoice = invoices.invoice_order(sales, order.id, actor=SYSTEM)
    body = services.dump(sales, "sales.invoice", invoice)
    assert (body["order_id"], body["status"], body["number"], body["net_total"],
            body["tax_total"], body["total"]) == (order.id, "draft", None, "29.97", "2.10",
                                                  "32.07")
    assert refused(lambda: invoices.invoice_order(sales, order.id, actor=SYSTEM)) == {
        "order_id": [f"order {order.id} is already invoiced (invoice draft {invoice.id})"]}
    assert refused(lambda: orders.set_order_status(sales, order.id, "cancelled",
                                                   actor=SYSTEM)) == {
        "status": [f"order {order.id} is invoiced; void its invoice before cancelling it"]}
    with pytest.raises(Conflict, match=f"order {order.id} has invoice draft {invoice.id}"):
        services.delete(sales, "sales.order", order.id, actor=SYSTEM)


# The whole path ------------------------------------------------------------------------------

def test_lead_to_opportunity_to_quote_to_order_to_invoice_to_paid(sales, api_client, helpers):
    seat = helpers.product(sales, "SEAT", price="450.00", name="Ergonomic seat")
    lead = api_client.post("/api/v1/sales/leads", json={
        "name": "Ada Lovelace", "company": "Analytical Engines", "email": "ada@ae.example"}
    ).get_json()
    converted = api_client.post(f"/api/v1/sales/leads/{lead['id']}/convert", json={
        "create_opportunity": True, "opportunity": {"name": "Seats for AE"}}).get_json()
    deal_id = converted["opportunity_id"]
    quote = api_client.post(QUOTES, json={"name": "Seats", "opportunity_id": deal_id,
                                          "lines": [{"product_id": seat.id, "quantity": "10",
                                                     "tax_rate": "20"}]}).get_json()
    assert (quote["organization_id"], quote["contact_id"]) == (converted["organization_id"],
                                                               converted["contact_id"])
    api_client.post(f"{QUOTES}/{quote['id']}/send")
    order = api_client.post(f"{QUOTES}/{quote['id']}/accept").get_json()
    moved = api_client.post(f"/api/v1/sales/opportunities/{deal_id}/move",
                            json={"stage": "Won", "win_reason": "Best fit"}).get_json()
    assert (moved["stage"], moved["amount"], moved["win_reason"]) == (
        "Won", {"amount": "4500.00", "currency": "EUR"}, "Best fit")
    invoice = api_client.post(f"{ORDERS}/{order['id']}/invoice").get_json()
    issued = api_client.post(f"{INVOICES}/{invoice['id']}/issue").get_json()
    assert (issued["number"], issued["total"]) == (f"INV-{today().year}-00001", "5400.00")
    paid = api_client.post(f"{INVOICES}/{invoice['id']}/pay", json={"amount": "5400.00"})
    assert paid.get_json()["status"] == "paid"
    api_client.post(f"{ORDERS}/{order['id']}/status", json={"status": "fulfilled"})
    timeline = api_client.get(f"/api/v1/organizations/{converted['organization_id']}/timeline"
                              ).get_json()
    kinds = sorted({item["kind"] for item in timeline["items"]})
    assert kinds == ["sales.invoice", "sales.order", "sales.quote", "sales.stage_change"]
    titles = {item["kind"]: item["title"] for item in timeline["items"]}
    assert titles["sales.invoice"] == f"Invoice INV-{today().year}-00001: paid, 5,400.00 EUR"
    assert titles["sales.order"] == f"Order {order['id']}: fulfilled, 5,400.00 EUR"


def test_disabling_keeps_every_document_and_enabling_serves_them_again(sales, api_client, helpers):
    invoice = helpers.invoice(sales)
    invoices.issue_invoice(sales, invoice.id, actor=SYSTEM)
    disable(sales, "sales", actor=SYSTEM)
    gone = api_client.get(f"{INVOICES}/{invoice.id}")
    assert gone.status_code == 404
    enable(sales, "sales", actor=SYSTEM)
    body = api_client.get(f"{INVOICES}/{invoice.id}").get_json()
    assert (body["status"], len(body["lines"])) == ("issued", 1)


# Every action refuses what does not fit, naming why, and writes nothing --------------

def _sent_quote(kernel, helpers):
    quote = helpers.quote(kernel)
    quotes.send_quote(kernel, quote.id, actor=SYSTEM)
    return quote


def _issued_invoice(kernel, helpers):
    invoice = helpers.invoice(kernel)
    invoices.issue_invoice(kernel, invoice.id, actor=SYSTEM)
    return invoice


@pytest.mark.parametrize("make, action, body, errors", [
    (lambda k, helpers: helpers.quote(k), "reject", {},
     {"status": ["quote {id} is a draft; only a sent quote can be rejected"]}),
    (_sent_quote, "send", {}, {"status": ["quote {id} is sent; only a draft quote can be sent"]}),
    (_sent_quote, "accept", {"order_date": "someday"}, {"order_date": ["Not a valid date."]}),
    (_sent_quote, "reject", {"reason": "x", "extra": 1}, {"extra": ["unknown field 'extra'"]}),
    (lambda k, helpers: helpers.order(k), "status", {"status": "shipped"},
     {"status": ["Must be one of: partially_fulfilled, fulfilled, cancelled."]}),
    (_issued_invoice, "issue", {}, {"status": [
        "invoice INV-{year}-00001 is issued; only a draft is issued"]}),
    (_issued_invoice, "pay", {"amount": "0"}, {"amount": [
        "Must be more than 0 and at most 100000000000."]}),
    (_issued_invoice, "void", {}, {"reason": ["give the reason the invoice is voided"]}),
    (lambda k, helpers: helpers.invoice(k), "void", {"reason": "x"}, {"status": [
        "invoice {id} is a draft: delete it instead"]}),
    (lambda k, helpers: helpers.contract(k), "terminate", {"reason": "x"}, {"status": [
        "contract {id} is draft; only an active contract is terminated"]}),
    (lambda k, helpers: helpers.contract(k), "invoice", {}, {"period_start": [
        "Missing data for required field."]}),
], ids=["reject-draft", "send-sent", "accept-bad-date", "reject-unknown-field",
        "order-bad-status", "issue-issued", "pay-zero", "void-no-reason", "void-draft",
        "terminate-draft", "contract-invoice-no-period"])
def test_each_action_refuses_bad_input_and_writes_nothing(sales, api_client, helpers, make, action,
                                                          body, errors):
    record = make(sales, helpers)
    type_name = next(rt.name for rt in sales.records if isinstance(record, rt.model))
    plural = sales.records.get(type_name).plural
    before = services.dump(sales, type_name, services.get(sales, type_name, record.id))
    response = api_client.post(f"/api/v1/sales/{plural}/{record.id}/{action}", json=body)
    expected = {k: [m.format(id=record.id, year=today().year) for m in v]
                for k, v in errors.items()}
    assert helpers.problem(response, 422)["errors"] == expected
    assert services.dump(sales, type_name, services.get(sales, type_name, record.id)) == before


def test_record_rules_apply_to_documents(sales, make_api_client, helpers):
    maria = make_api_client("sales", email="maria@example.com")
    tom = make_api_client("sales", email="tom@example.com")
    invoice = helpers.invoice(sales, owner_id=maria.user.id)
    invoices.issue_invoice(sales, invoice.id, actor=SYSTEM)
    assert maria.get(f"{INVOICES}/{invoice.id}").status_code == 200
    helpers.problem(tom.get(f"{INVOICES}/{invoice.id}"), 404)
    helpers.problem(tom.post(f"{INVOICES}/{invoice.id}/pay", json={"amount": "1"}), 404)
    assert [i["id"] for i in tom.get(INVOICES).get_json()["items"]] == []
    reader = make_api_client("read-only")
    helpers.problem(reader.post(f"{INVOICES}/{invoice.id}/pay", json={"amount": "1"}), 403)
    assert helpers.count(sales, Payment) == 0


# What the review of the first version found ---------------------------------------------

def test_amounts_too_large_or_too_precise_are_refused_not_rounded(sales, api_client, helpers):
    org = helpers.org(sales)

    def post(line):
        return api_client.post(QUOTES, json={"name": "Big", "organization_id": org.id,
                                             "lines": [line]})

    huge = post({"description": "x", "quantity": "12345678.1234",
                 "unit_price": "98765432109.8765"})
    assert helpers.problem(huge, 422)["errors"] == {"lines.0.quantity": [
        "the line comes to 1,219,326,234,547,050,211.13, more than the 99,999,999,999.99 an "
        "amount can be; split it or lower the quantity or the price"]}
    fine = post({"description": "x", "quantity": "1.00005", "unit_price": "0.00005",
                 "tax_rate": "19.995"})
    assert helpers.problem(fine, 422)["errors"] == {
        "lines.0.quantity": ["At most 4 decimal places."],
        "lines.0.unit_price": ["At most 4 decimal places."],
        "lines.0.tax_rate": ["At most 2 decimal places."]}
    assert post({"description": "x", "quantity": "1.50000", "unit_price": "2"}
                ).status_code == 201  # trailing zeros are no extra precision
    assert helpers.count(sales, Quote) == 1


def test_far_dates_are_refused_by_name(sales, api_client, helpers):
    org = helpers.org(sales)
    response = api_client.post("/api/v1/sales/contracts", json={
        "name": "Forever", "organization_id": org.id, "start_date": "2026-01-01",
        "end_date": "9999-12-31", "value": {"amount": "1", "currency": "EUR"}})
    assert helpers.problem(response, 422)["errors"] == {"end_date": [
        "Give a date from 1900-01-01 to 9899-12-31, not 9999-12-31."]}
    invoice = helpers.invoice(sales)
    response = api_client.post(f"{INVOICES}/{invoice.id}/issue", json={
        "issue_date": "9999-12-31"})
    assert helpers.problem(response, 422)["errors"] == {"issue_date": [
        "Give a date from 1900-01-01 to 9899-12-31, not 9999-12-31."]}


def test_quotes_that_were_sent_or_have_revisions_are_kept(sales, helpers):
    first = _sent_quote(sales, helpers)
    with pytest.raises(Conflict, match=f"quote {first.id} is sent; record the customer"):
        services.delete(sales, "sales.quote", first.id, actor=SYSTEM)
    quotes.reject_quote(sales, first.id, actor=SYSTEM)
    second = quotes.revise_quote(sales, first.id, actor=SYSTEM)
    with pytest.raises(Conflict, match=f"quote {first.id} has later revisions \\(quote "
                                       f"{second.id}\\)"):
        services.delete(sales, "sales.quote", first.id, actor=SYSTEM)
    services.delete(sales, "sales.quote", second.id, actor=SYSTEM)  # a draft goes
    services.delete(sales, "sales.quote", first.id, actor=SYSTEM)  # then the first
    assert helpers.count(sales, Quote) == 0


def test_an_order_from_a_quote_is_cancelled_not_deleted(sales, helpers):
    quote = _sent_quote(sales, helpers)
    order = quotes.accept_quote(sales, quote.id, actor=SYSTEM)
    with pytest.raises(Conflict, match=f"order {order.id} comes from the accepted quote "
                                       f"{quote.id}; cancel it"):
        services.delete(sales, "sales.order", order.id, actor=SYSTEM)


def test_products_and_customers_of_documents_stay_even_with_sales_disabled(sales, helpers):
    seat = helpers.product(sales, "SEAT")
    invoice = helpers.invoice(sales, lines=[{"product_id": seat.id, "quantity": "1"}])
    invoices.issue_invoice(sales, invoice.id, actor=SYSTEM)
    with pytest.raises(Conflict, match="product .* is named by 1 sales invoice line"):
        services.delete(sales, "product", seat.id, actor=SYSTEM)
    disable(sales, "sales", actor=SYSTEM)
    # The plugin is off, but its rows still name them: the core refuses, by name.
    for type_name, record_id in (("product", seat.id), ("organization",
                                                        invoice.organization_id)):
        with pytest.raises(Conflict, match=f"{type_name} {record_id} is named by"):
            services.delete(sales, type_name, record_id, actor=SYSTEM)
    enable(sales, "sales", actor=SYSTEM)
    stored = services.get(sales, "sales.invoice", invoice.id)
    assert stored.organization_id is not None
    assert services.dump(sales, "sales.invoice", stored)["lines"][0]["product_id"] == seat.id


def test_an_invoice_with_nothing_to_pay_is_paid_when_issued(sales, helpers):
    free = helpers.invoice(sales, lines=[{"description": "Goodwill", "quantity": "1",
                                          "unit_price": "50", "discount_percent": "100"}])
    issued = invoices.issue_invoice(sales, free.id, issue_date=dt.date(2026, 1, 5),
                                    actor=SYSTEM)
    assert (issued.status, issued.total, issued.number) == ("paid", Decimal("0"),
                                                            "INV-2026-00001")
    assert invoices.mark_overdue(sales, dt.date(2027, 1, 1)) == "0 invoices marked overdue"


def test_a_document_names_only_a_deal_its_writer_can_read(sales, make_api_client, helpers):
    bob = make_api_client("sales", email="bob@example.com")
    alice = make_api_client("sales", email="alice@example.com")
    deal = helpers.opportunity(sales, "Bob's deal", owner_id=bob.user.id)
    refused = alice.post(QUOTES, json={"name": "Mine now", "opportunity_id": deal.id,
                                       "lines": []})
    assert helpers.problem(refused, 422)["errors"] == {"opportunity_id": [
        f"there is no opportunity {deal.id}"]}  # as for one that does not exist
    assert bob.post(QUOTES, json={"name": "Mine", "opportunity_id": deal.id, "lines": []}
                    ).status_code == 201


def test_the_timeline_shows_only_what_the_reader_may_read(sales, make_api_client, helpers):
    bob = make_api_client("sales", email="bob@example.com")
    alice = make_api_client("sales", email="alice@example.com")
    org = helpers.org(sales, "Shared customer")
    deal = helpers.opportunity(sales, "Bob's secret deal", organization_id=org.id,
                               owner_id=bob.user.id)
    from accord_sales.services import move_opportunity

    move_opportunity(sales, deal.id, "Proposal", actor=SYSTEM)
    url = f"/api/v1/organizations/{org.id}/timeline"
    assert [i["title"] for i in bob.get(url).get_json()["items"]] == [
        "Bob's secret deal: Prospecting \u2192 Proposal"]
    assert alice.get(url).get_json()["items"] == []
    service = make_api_client("service")
    assert service.get(url).get_json()["items"] == []


def test_concurrent_verbs_on_one_record_take_turns(sales, helpers):
    import threading

    order = helpers.order(sales)
    quote = _sent_quote(sales, helpers)
    quotes.reject_quote(sales, quote.id, actor=SYSTEM)
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def run(call):
        try:
            start.wait()
            call()
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(str(list(exc.messages)))
        finally:
            sales.database.close()

    calls = [lambda: invoices.invoice_order(sales, order.id, actor=SYSTEM)] * 4 + \
        [lambda: quotes.revise_quote(sales, quote.id, actor=SYSTEM)] * 4
    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["['order_id']"] * 3 + ["['revision']"] * 3 + ["ok"] * 2
    assert helpers.count(sales, Invoice) == 1
    assert sorted(q.revision for q in helpers.rows(sales, Quote)) == [1, 2]


class _Freeze:
    """A plugin refusing any change to the invoice it is given (a stuck record)."""

    MANIFEST = PluginManifest(name="freeze", version="1.0.0")
    invoice_id = 0

    @staticmethod
    @hookimpl
    def validate_records(record_type, existing):
        if record_type.name == "sales.invoice" and any(
                c is not None and c.id == _Freeze.invoice_id for c in existing):
            raise ValidationError({"status": ["frozen by an audit"]})


@pytest.mark.plugins(accord_sales.hooks, _Freeze)
def test_a_job_goes_on_past_a_record_it_cannot_change_and_says_so(sales, cli, helpers,
                                                                  monkeypatch):
    stuck, fine = helpers.invoice(sales), helpers.invoice(sales)
    for invoice in (stuck, fine):
        invoices.issue_invoice(sales, invoice.id, issue_date=dt.date(2026, 1, 1), actor=SYSTEM)
    monkeypatch.setattr(_Freeze, "invoice_id", stuck.id)
    result = cli("jobs", "run", "sales.invoices_overdue", "--date", "2026-03-01")
    assert result.exit_code == 1
    assert (f"1 invoice marked overdue; 1 record could not be: invoice {stuck.id}: "
            in result.output)
    assert [i.status for i in helpers.rows(sales, Invoice)] == ["issued", "overdue"]


# What the second review found ------------------------------------------------------------

def test_numbers_are_read_in_one_form_and_never_overflow_into_a_500(sales, api_client, helpers):
    org = helpers.org(sales)

    def post(**line):
        return api_client.post(QUOTES, json={"name": "N", "organization_id": org.id,
                                             "lines": [{"description": "x", **line}]})

    huge = post(quantity="1", unit_price="123456789012345678901234567890.00001")
    assert helpers.problem(huge, 422)["errors"] == {"lines.0.unit_price": [
        "At most 4 decimal places."]}
    huge = post(quantity="1", unit_price="123456789012345678901234567890.0")
    assert helpers.problem(huge, 422)["errors"] == {"lines.0.unit_price": [
        "Must be at least 0 and at most 99999999999."]}
    for odd in ("1e3", "1_000", " 12.5", "0x10", "NaN"):
        assert helpers.problem(post(quantity=odd, unit_price="1"), 422)["errors"] == {
            "lines.0.quantity": ["Not a valid number."]}, odd
    made = post(quantity="2.50", unit_price="-0")
    assert made.status_code == 201, made.get_json()
    [entry] = [e for e in helpers.rows(sales, AuditEntry) if e.record_type == "sales.quote"]
    assert entry.changes["lines"][1][0]["unit_price"] == "0.0000"
    assert entry.changes["lines"][1][0]["quantity"] == "2.5000"


def test_a_quote_is_still_accepted_after_its_deal_went_to_a_colleague(sales, make_api_client,
                                                                      helpers):
    ann = make_api_client("sales", email="ann@example.com")
    ben = make_api_client("sales", email="ben@example.com")
    deal = helpers.opportunity(sales, "Seats", owner_id=ann.user.id)
    quote = ann.post(QUOTES, json={"name": "Seats", "opportunity_id": deal.id, "lines": [
        {"description": "Seat", "quantity": "1", "unit_price": "10"}]}).get_json()
    assert ann.post(f"{QUOTES}/{quote['id']}/send").status_code == 200
    services.update(sales, "sales.opportunity", deal.id, {"owner_id": ben.user.id},
                    actor=SYSTEM)
    accepted = ann.post(f"{QUOTES}/{quote['id']}/accept")
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["opportunity_id"] == deal.id


def test_the_overdue_job_leaves_an_invoice_paid_meanwhile_alone(sales, helpers, monkeypatch):
    invoice = helpers.invoice(sales)
    invoices.issue_invoice(sales, invoice.id, issue_date=dt.date(2026, 1, 1), actor=SYSTEM)
    from accord_sales import jobs

    real = jobs.each_record

    def paid_first(records, work, what):
        invoices.pay_invoice(sales, invoice.id, Decimal("200"), paid_on=dt.date(2026, 1, 2),
                             actor=SYSTEM)
        return real(records, work, what)

    monkeypatch.setattr(jobs, "each_record", paid_first)
    assert invoices.mark_overdue(sales, dt.date(2026, 3, 1)) == "0 invoices marked overdue"
    assert services.get(sales, "sales.invoice", invoice.id).status == "paid"


def test_a_free_invoice_issued_by_mistake_is_voided(sales, helpers):
    free = helpers.invoice(sales, lines=[{"description": "Goodwill", "quantity": "1",
                                          "unit_price": "50", "discount_percent": "100"}])
    invoices.issue_invoice(sales, free.id, actor=SYSTEM)
    voided = invoices.void_invoice(sales, free.id, reason="Sent by mistake", actor=SYSTEM)
    assert (voided.status, voided.number) == ("void", f"INV-{today().year}-00001")
