"""The plugin's life: demo data builds a pipeline on the core's demo firm. (Its
migrations, tables, permissions and enable/disable round trip are the conformance kit's:
tests/sdk/test_sdk_conformance_shipped.py.)"""

from __future__ import annotations

import pytest

import accord_sales.hooks
from accord.demo import load_demo
from accord.models import Contact, Organization
from accord_sales.models import (Contract, Invoice, Lead, Opportunity, Order, Quote,
                                 StageChange)

pytestmark = pytest.mark.plugins(accord_sales.hooks)


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
