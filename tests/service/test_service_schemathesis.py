"""The service resources answer as the OpenAPI document says, for generated input.

Schemathesis sends requests that fit the document (positive) and requests that break
it (negative) to every operation under /api/v1/service, as an admin, on a database
holding a ticket with a comment; item operations aim at that ticket. No answer may be a
5xx, and every answer the document describes must match its schema. Bounded like the
sales run: a fixed number of derandomized examples per operation and mode, and a time
budget.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import accord_service.hooks
from accord import services
from accord.services import Actor
from accord_sdk.openapi_check import exercise_operations
from accord_service.services import comment_ticket, resolve_ticket
from accord_service.services.repairs import complete_repair, start_repair

pytestmark = pytest.mark.plugins(accord_service.hooks)
MAX_EXAMPLES = 5
BUDGET = 120.0
#: Tickets, warranties, repairs, service invoices, returns and surveys (CRUD and their
#: actions), the inbound email, the warranty lookup and warranties from an order.
OPERATIONS = 71
SYSTEM = Actor.system("test")
PREFIX = "/api/v1/service"


def _seed(kernel: Any) -> dict[str, int]:
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=SYSTEM)
    ticket = services.create(kernel, "service.ticket", {
        "organization_id": org.id, "channel": "phone", "subject": "Broken"}, actor=SYSTEM)
    comment_ticket(kernel, ticket.id, actor=SYSTEM, body="Checking", visibility="public")
    product = services.create(kernel, "product", {"sku": "P-1", "name": "Printer"},
                              actor=SYSTEM)
    warranty = services.create(kernel, "service.warranty", {
        "product_id": product.id, "serial_number": "SN-1", "organization_id": org.id,
        "starts_on": "2026-01-01", "ends_on": "2027-12-31"}, actor=SYSTEM)
    repair = services.create(kernel, "service.repair", {
        "ticket_id": ticket.id, "product_id": product.id, "serial_number": "SN-1",
        "labour_minutes": 30, "labour_rate": "60.00"}, actor=SYSTEM)
    start_repair(kernel, repair.id, actor=SYSTEM)
    done = services.create(kernel, "service.repair", {
        "ticket_id": ticket.id, "labour_minutes": 30, "labour_rate": "60.00"}, actor=SYSTEM)
    start_repair(kernel, done.id, actor=SYSTEM)
    invoice = complete_repair(kernel, done.id, actor=SYSTEM).invoice_id
    rma = services.create(kernel, "service.return", {
        "organization_id": org.id, "reason": "Broken on arrival", "items": [
            {"product_id": product.id, "quantity": "1", "unit_paid": "100.00"}]},
        actor=SYSTEM)
    resolve_ticket(kernel, ticket.id, actor=SYSTEM)
    survey = helpers_rows(kernel)
    return {f"{PREFIX}/tickets": ticket.id, f"{PREFIX}/warranties": warranty.id,
            f"{PREFIX}/repairs": repair.id, f"{PREFIX}/invoices": invoice,
            f"{PREFIX}/returns": rma.id, f"{PREFIX}/surveys": survey}


def helpers_rows(kernel: Any) -> int:
    """The id of the CSAT survey the resolution sent."""
    from accord_service.models import Survey

    with kernel.bound():
        return int(Survey.select(Survey.id).scalar())


def test_service_operations_answer_as_the_document_says(kernel, make_api_client):
    run = exercise_operations(make_api_client("admin"), PREFIX, _seed(kernel),
                              max_examples=MAX_EXAMPLES, budget=BUDGET)
    assert len(run.operations) == OPERATIONS, run.operations
    if run.cut_short:
        warnings.warn(f"time budget spent; not exercised: {', '.join(run.cut_short)}")
    assert not run.failures, "\n\n".join(run.failures)
    # The run reached the ticket and its verbs, not only the validation errors.
    for answered in (f"GET {PREFIX}/tickets 200", f"POST {PREFIX}/tickets 422",
                     f"GET {PREFIX}/tickets/{{id}} 200"):
        assert run.statuses[answered], answered
    assert any(run.statuses[f"POST {PREFIX}/tickets/{{id}}/{verb} 200"]
               for verb in ("open", "wait", "resolve", "close", "reopen", "comment"))
