"""The sales resources answer as the OpenAPI document says, for generated input.

Schemathesis sends requests that fit the document (positive) and requests that break
it (negative) to every operation under /api/v1/sales, as an admin, on a database
holding leads and opportunities; item operations aim at records that exist. No answer
may be a 5xx, and every answer the document describes must match its schema. The run
is bounded: a fixed number of derandomized examples per operation and mode, and a time
budget after which the remaining operations are reported as cut short.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import accord_sales.hooks
from accord import services
from accord.services import Actor
from accord_sales.services import convert_lead
from accord_sdk.openapi_check import exercise_operations

pytestmark = pytest.mark.plugins(accord_sales.hooks)
MAX_EXAMPLES = 5
BUDGET = 120.0
SYSTEM = Actor.system("test")


def _seed(kernel: Any) -> dict[str, int]:
    org = services.create(kernel, "organization", {"name": "Acme GmbH"}, actor=SYSTEM)
    lead = services.create(kernel, "sales.lead", {"name": "Ada Lovelace", "company": "AE",
                                                  "email": "ada@ae.example"}, actor=SYSTEM)
    services.create(kernel, "sales.lead", {"name": "Bo Fresh"}, actor=SYSTEM)
    convert_lead(kernel, lead.id, actor=SYSTEM, create_opportunity=True)
    deal = services.create(kernel, "sales.opportunity", {"name": "Seats",
                                                         "organization_id": org.id},
                           actor=SYSTEM)
    line = [{"description": "Seat", "quantity": "3", "unit_price": "12.50"}]
    quote = services.create(kernel, "sales.quote", {"name": "Seats", "opportunity_id": deal.id,
                                                    "lines": line}, actor=SYSTEM)
    order = services.create(kernel, "sales.order", {"organization_id": org.id, "lines": line},
                            actor=SYSTEM)
    invoice = services.create(kernel, "sales.invoice", {"organization_id": org.id,
                                                        "lines": line}, actor=SYSTEM)
    contract = services.create(kernel, "sales.contract", {
        "name": "Support", "organization_id": org.id, "start_date": "2026-01-01",
        "end_date": "2026-12-31", "value": {"amount": "1200", "currency": "EUR"}},
        actor=SYSTEM)
    return {"/api/v1/sales/leads": lead.id + 1, "/api/v1/sales/opportunities": deal.id,
            "/api/v1/sales/quotes": quote.id, "/api/v1/sales/orders": order.id,
            "/api/v1/sales/invoices": invoice.id, "/api/v1/sales/contracts": contract.id}


def test_sales_operations_answer_as_the_document_says(sales, make_api_client):
    run = exercise_operations(make_api_client("admin"), "/api/v1/sales", _seed(sales),
                              max_examples=MAX_EXAMPLES, budget=BUDGET)
    assert len(run.operations) == 73, run.operations  # 67 + an export per record type
    if run.cut_short:
        warnings.warn(f"time budget spent; not exercised: {', '.join(run.cut_short)}")
    assert not run.failures, "\n\n".join(run.failures)
    # The run reached the records and the verbs, not only the validation errors.
    assert not run.unreached((
        "GET /api/v1/sales/leads/{id} 200", "PATCH /api/v1/sales/leads/{id} 200",
        "POST /api/v1/sales/leads 201", "POST /api/v1/sales/leads/{id}/convert 200",
        "POST /api/v1/sales/opportunities/{id}/move 422")), run.statuses
