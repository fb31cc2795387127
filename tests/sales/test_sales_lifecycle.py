"""The plugin's life: its migration runs down and up, its tables match its models, it
declares its permissions, and demo data builds a pipeline on the core's demo firm."""

from __future__ import annotations

import pytest

import accord_sales.hooks
from accord.demo import load_demo
from accord.models import Contact, Organization
from accord.services import Actor
from accord.services.plugins import disable, enable, purge_plan
from accord_sales.models import (Contract, Invoice, Lead, Opportunity, Order, Quote,
                                 StageChange)

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.plugins(accord_sales.hooks)
TABLES = ["sales_contract", "sales_invoice", "sales_invoice_line", "sales_invoice_sequence",
          "sales_lead", "sales_opportunity", "sales_order", "sales_order_line",
          "sales_order_status_change", "sales_payment", "sales_quote", "sales_quote_line",
          "sales_stage_change"]
MIGRATIONS = ["0002_create_documents", "0001_create_pipeline_tables"]


def _tables(kernel):
    with kernel.bound():
        return sorted(t for t in kernel.database.get_tables() if t.startswith("sales_"))


def test_the_migration_goes_down_and_up_again(sales, helpers):
    helpers.opportunity(sales, "Gone with the tables")
    assert _tables(sales) == TABLES
    disable(sales, "sales", actor=SYSTEM)
    with sales.bound():
        assert sales.migrations.downgrade("sales", 0) == MIGRATIONS
    assert _tables(sales) == []
    with sales.bound():
        assert sales.migrations.upgrade("sales") == MIGRATIONS[::-1]
    assert _tables(sales) == TABLES
    enable(sales, "sales", actor=SYSTEM)
    assert helpers.count(sales, Opportunity) == 0
    assert helpers.opportunity(sales, "Fresh").stage == "Prospecting"


def test_the_tables_match_the_models(sales, cli):
    result = cli("db", "check")
    assert (result.exit_code, result.output) == (0, "the tables match the models\n")


def test_the_plugin_declares_its_permissions_and_purge_sees_every_table(sales, helpers):
    assert {name for name, (plugin, _) in sales.permissions.items() if plugin == "sales"} == {
        "sales.lead.read", "sales.lead.write", "sales.lead.delete", "sales.lead.convert",
        "sales.opportunity.read", "sales.opportunity.write", "sales.opportunity.delete",
        "sales.opportunity.move",
        "sales.quote.read", "sales.quote.write", "sales.quote.delete", "sales.quote.send",
        "sales.quote.accept", "sales.quote.reject", "sales.quote.revise",
        "sales.order.read", "sales.order.write", "sales.order.delete", "sales.order.status",
        "sales.order.invoice",
        "sales.invoice.read", "sales.invoice.write", "sales.invoice.delete",
        "sales.invoice.issue", "sales.invoice.pay", "sales.invoice.void",
        "sales.contract.read", "sales.contract.write", "sales.contract.delete",
        "sales.contract.activate", "sales.contract.terminate", "sales.contract.invoice"}
    helpers.opportunity(sales, "Counted")
    helpers.quote(sales)
    assert purge_plan(sales, "sales").tables == {
        "sales_lead": 0, "sales_opportunity": 1, "sales_stage_change": 0, "sales_quote": 1,
        "sales_quote_line": 1, "sales_order": 0, "sales_order_line": 0,
        "sales_order_status_change": 0, "sales_invoice": 0, "sales_invoice_line": 0,
        "sales_invoice_sequence": 0, "sales_payment": 0, "sales_contract": 0}


def test_hook_load_demo_data_builds_a_pipeline_on_the_core_demo(sales, helpers):
    counts = load_demo(sales)
    assert (counts["sales.leads"], counts["sales.opportunities"]) == (12, 17)
    leads = helpers.rows(sales, Lead)
    assert sorted({lead.status for lead in leads}) == ["contacted", "disqualified", "new",
                                                       "qualified"]
    converted = [lead for lead in leads if lead.converted_at is not None]
    assert [(lead.name, lead.opportunity_id is not None) for lead in converted] == [
        ("Yuki Tanaka", True), ("Liam O'Brien", True), ("Hanna Schulz", False)]
    with sales.bound():
        kestrel = Organization.get(Organization.name == "Kestrel Logistics")
        hanna = Contact.get(Contact.email == "hanna.schulz@northwind.example")
    # Converting matched the core's organization and contact instead of copying them.
    assert converted[1].organization_id == kestrel.id
    assert converted[2].contact_id == hanna.id
    assert helpers.count(sales, Organization) == 9  # the core's eight and Sakura Dental
    deals = helpers.rows(sales, Opportunity)
    stages = {(d.pipeline, d.stage) for d in deals}
    assert {("new_business", "Won"), ("new_business", "Lost"), ("renewals", "Renewed"),
            ("new_business", "Negotiation"), ("renewals", "Upcoming")} <= stages
    assert all(d.loss_reason for d in deals if d.stage == "Lost")
    assert helpers.count(sales, StageChange) == 14
    # Documents: quotes in every state, orders, invoices paid, part paid and overdue.
    assert sorted((q.name, q.revision, q.status) for q in helpers.rows(sales, Quote)) == [
        ("Onboarding package", 1, "draft"), ("Premium support", 1, "accepted"),
        ("Professional seats for purchasing", 1, "sent"), ("Training day", 1, "accepted"),
        ("Web shop integration", 1, "rejected"), ("Web shop integration", 2, "sent")]
    # The two accepted quotes' orders, then thirteen earlier fulfilled orders of five
    # customers (the purchase history retention and the value tiers read).
    assert sorted(o.status for o in helpers.rows(sales, Order)) == [
        *["fulfilled"] * 14, "partially_fulfilled"]
    history = {}
    for order in helpers.rows(sales, Order):
        history[order.organization_id] = history.get(order.organization_id, 0) + 1
    assert sorted(history.values()) == [1, 2, 2, 4, 6]
    issued = helpers.rows(sales, Invoice, Invoice.issue_date)
    assert sorted(i.status for i in issued) == ["overdue", "paid", "paid"]
    numbers: dict[int, list[int]] = {}
    for invoice in sorted(issued, key=lambda i: i.sequence):
        numbers.setdefault(invoice.year, []).append(invoice.sequence)
    assert all(seq == list(range(1, len(seq) + 1)) for seq in numbers.values()), numbers
    assert sorted((c.name, c.status, c.renewal_reminded_at is not None)
                  for c in helpers.rows(sales, Contract)) == [
        ("Hosting", "active", True), ("Premium support", "active", True)]
