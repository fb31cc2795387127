"""The segment operations answer as the OpenAPI document says, for generated input.

Schemathesis sends requests that fit the document (positive) and requests that break
it (negative) to the marketing plugin's operations, as an admin, on a database holding
a contact, an organization and a static segment; item operations aim at that segment.
No segment operation may answer a 5xx, and every answer the document describes must
match its schema. Bounded: a fixed number of derandomized examples per operation and
mode, and a time budget.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import accord_marketing.hooks
from accord import services
from accord.services import Actor
from accord_sdk.openapi_check import exercise_operations

pytestmark = pytest.mark.plugins(accord_marketing.hooks)
MAX_EXAMPLES = 10
BUDGET = 120.0
SYSTEM = Actor.system("test")
PREFIX = "/api/v1/marketing"
SEGMENTS = f"{PREFIX}/segments"
#: CRUD, history, timeline, the freeze action, count, preview and the draft count.
OPERATIONS = 12


def _seed(kernel: Any) -> dict[str, int]:
    org = services.create(kernel, "organization", {"name": "Acme", "country": "DE"},
                          actor=SYSTEM)
    services.create(kernel, "contact", {"last_name": "Ames", "organization_id": org.id},
                    actor=SYSTEM)
    segment = services.create(kernel, "marketing.segment", {
        "name": "Germany", "kind": "static",
        "rules": [{"field": "organization.country", "op": "eq", "value": "DE"}]},
        actor=SYSTEM)
    return {SEGMENTS: segment.id}


def test_segment_operations_answer_as_the_document_says(kernel, make_api_client):
    run = exercise_operations(make_api_client("admin"), PREFIX, _seed(kernel),
                              max_examples=MAX_EXAMPLES, budget=BUDGET)
    ours = [label for label in run.operations if f"{SEGMENTS}" in label]
    assert len(ours) == OPERATIONS, ours
    if run.cut_short:
        warnings.warn(f"time budget spent; not exercised: {', '.join(run.cut_short)}")
    # The other parts' operations (campaigns, tiers) are checked by their own tests.
    failures = [f for f in run.failures if SEGMENTS in f.split(" (")[0]
                or f.startswith("the document")]
    assert not failures, "\n\n".join(failures)
    for answered in (f"GET {SEGMENTS} 200", f"POST {SEGMENTS} 422",
                     f"GET {SEGMENTS}/{{id}} 200", f"GET {SEGMENTS}/{{id}}/count 200",
                     f"GET {SEGMENTS}/{{id}}/preview 200"):
        assert run.statuses[answered], answered
