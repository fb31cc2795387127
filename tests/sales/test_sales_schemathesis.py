"""The sales resources answer as the OpenAPI document says, for generated input.

Schemathesis sends requests that fit the document (positive) and requests that break
it (negative) to every operation under /api/v1/sales, as an admin, on a database
holding leads and opportunities; item operations aim at records that exist. No answer
may be a 5xx, and every answer the document describes must match its schema. The run
is bounded: a fixed number of derandomized examples per operation and mode, and a time
budget after which the remaining operations are reported as cut short.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

import accord_sales.hooks
from accord import services
from accord.services import Actor
from accord_sales.services import convert_lead

pytestmark = pytest.mark.plugins(accord_sales.hooks)
MAX_EXAMPLES = 10
BUDGET = 45.0
CHECKS = [not_a_server_error, response_schema_conformance]
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
    return {"/api/v1/sales/leads": lead.id + 1, "/api/v1/sales/opportunities": deal.id}


def test_sales_operations_answer_as_the_document_says(sales, make_api_client):
    caller = make_api_client("admin")
    targets = _seed(sales)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", caller.client.application)
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith("/api/v1/sales/")]
    assert len(operations) == 16, [op.label for op in operations]
    auth = {"Authorization": f"Bearer {caller.token}"}
    deadline = time.monotonic() + BUDGET
    failures: list[str] = []
    cut_short: list[str] = []
    statuses: Counter[str] = Counter()

    def exercise(operation: Any, mode: GenerationMode, **fixed: Any) -> None:
        if time.monotonic() > deadline:
            cut_short.append(f"{operation.label} ({mode.value})")
            return

        @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
        @given(case=operation.as_strategy(generation_mode=mode, **fixed))
        def check(case: Any) -> None:
            if time.monotonic() > deadline:
                return
            try:
                response = case.call_and_validate(headers=auth, checks=CHECKS)
                statuses[f"{operation.label} {response.status_code}"] += 1
            except (Exception, BaseExceptionGroup) as exc:
                raise AssertionError(f"{case.method} {case.formatted_path} "
                                     f"body={getattr(case, 'body', None)!r}: "
                                     f"{str(exc).strip()[:1200]}") from None

        try:
            check()
        except Unsatisfiable:
            return
        except AssertionError as exc:
            failures.append(f"{operation.label} ({mode.value}): {exc}")

    # Deletes last, so the other operations still find their records.
    for operation in sorted(operations, key=lambda op: op.method.upper() == "DELETE"):
        collection = operation.path.split("/{", 1)[0]
        if "{" in operation.path:
            exercise(operation, GenerationMode.POSITIVE,
                     path_parameters={"id": targets[collection]})
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            exercise(operation, mode)
    if cut_short:
        import warnings

        warnings.warn(f"time budget spent; not exercised: {', '.join(cut_short)}")
    assert not failures, "\n\n".join(failures)
    # The run reached the records and the verbs, not only the validation errors.
    for answered in ("GET /api/v1/sales/leads/{id} 200", "PATCH /api/v1/sales/leads/{id} 200",
                     "POST /api/v1/sales/leads 201", "POST /api/v1/sales/leads/{id}/convert 200",
                     "POST /api/v1/sales/opportunities/{id}/move 422"):
        assert statuses[answered], answered
