"""The competitors resources answer as the OpenAPI document says, for generated input.

Schemathesis sends requests that fit the document (positive) and requests that break
it (negative) to every operation under /api/v1/competitors, as an admin, on a database
holding a competitor, a product with a price and a deal link; item operations aim at
records that exist. No answer may be a 5xx, and every answer the document describes
must match its schema. Bounded like the sales run: a fixed number of derandomized
examples per operation and mode, and a time budget.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import pytest

import accord_competitors.hooks
import accord_sales.hooks
from accord import services
from accord.services import Actor
from accord_competitors.services import observe_price
from accord_sdk.openapi_check import exercise_operations

pytestmark = pytest.mark.plugins(accord_sales.hooks, accord_competitors.hooks)
MAX_EXAMPLES = 5
BUDGET = 90.0
SYSTEM = Actor.system("test")
PREFIX = "/api/v1/competitors"


def _seed(kernel: Any) -> dict[str, int]:
    rival = services.create(kernel, "competitors.competitor", {"name": "Rival Inc"},
                            actor=SYSTEM)
    seat = services.create(kernel, "product", {"sku": "SEAT", "name": "Seat"}, actor=SYSTEM)
    product = services.create(kernel, "competitors.product", {
        "competitor_id": rival.id, "name": "Throne", "competes_with": [seat.id]},
        actor=SYSTEM)
    observe_price(kernel, product.id, {"amount": "10", "currency": "EUR"},
                  observed_on=dt.date(2026, 1, 1), actor=SYSTEM)
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=SYSTEM)
    deal = services.create(kernel, "sales.opportunity", {"name": "Seats",
                                                         "organization_id": org.id},
                           actor=SYSTEM)
    link = services.create(kernel, "competitors.involvement", {
        "opportunity_id": deal.id, "competitor_id": rival.id}, actor=SYSTEM)
    return {f"{PREFIX}/competitors": rival.id, f"{PREFIX}/products": product.id,
            f"{PREFIX}/prices": 1, f"{PREFIX}/involvements": link.id}


def test_competitors_operations_answer_as_the_document_says(rivals, make_api_client):
    run = exercise_operations(make_api_client("admin"), PREFIX, _seed(rivals),
                              max_examples=MAX_EXAMPLES, budget=BUDGET)
    assert len(run.operations) == 38, run.operations
    if run.cut_short:
        warnings.warn(f"time budget spent; not exercised: {', '.join(run.cut_short)}")
    assert not run.failures, "\n\n".join(run.failures)
    # The run reached the records and the verbs, not only the validation errors.
    assert not run.unreached((
        f"GET {PREFIX}/competitors/{{id}} 200", f"PATCH {PREFIX}/competitors/{{id}} 200",
        f"POST {PREFIX}/competitors 201", f"POST {PREFIX}/products/{{id}}/observe_price 422",
        f"GET {PREFIX}/competitors/{{id}}/timeline 200",
        f"POST {PREFIX}/products/{{id}}/compare_prices 200")), run.statuses
