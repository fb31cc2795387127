"""The campaign operations answer as the OpenAPI document says, for generated input.

Schemathesis sends requests that fit the document (positive) and requests that break
it (negative) to every operation under /api/v1/marketing/campaigns, as an admin, on a
database holding an active campaign with members and a response; item operations aim
at that campaign. No answer may be a 5xx, and every answer the document describes must
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
from accord_marketing.services.campaigns import launch_campaign, record_response
from accord_sdk.openapi_check import exercise_operations

pytestmark = pytest.mark.plugins(accord_marketing.hooks)
MAX_EXAMPLES = 10
BUDGET = 240.0
SYSTEM = Actor.system("test")
PREFIX = "/api/v1/marketing/campaigns"
#: List, create, read, put, patch, delete, history, timeline; launch, complete,
#: cancel; the members (list) and responses (list, record).
OPERATIONS = 14


def _seed(kernel: Any) -> dict[str, int]:
    contact = services.create(kernel, "contact", {"first_name": "Ann", "last_name": "Ames",
                                                  "email": "ann@example.com"}, actor=SYSTEM)
    segment = services.create(kernel, "marketing.segment", {
        "name": "Ames", "rules": [{"field": "last_name", "op": "eq", "value": "Ames"}]},
        actor=SYSTEM)
    campaign = services.create(kernel, "marketing.campaign", {
        "name": "Spring", "type": "email", "segment_id": segment.id, "subject": "Hi",
        "body": "Hello {first_name}", "budget": {"amount": "100", "currency": "EUR"}},
        actor=SYSTEM)
    launch_campaign(kernel, campaign.id, actor=SYSTEM)
    record_response(kernel, campaign.id, contact.id, actor=SYSTEM, message="Yes")
    return {PREFIX: campaign.id}


def test_campaign_operations_answer_as_the_document_says(kernel, make_api_client):
    # The collection operations (list, create) sit right under /api/v1/marketing: the
    # run covers the plugin's other parts too, and judges only the campaigns'.
    run = exercise_operations(make_api_client("admin"), "/api/v1/marketing", _seed(kernel),
                              max_examples=MAX_EXAMPLES, budget=BUDGET)
    ours = [op for op in run.operations if op.split(" ", 1)[1].startswith(PREFIX)]
    assert len(ours) == OPERATIONS, ours
    cut = [entry for entry in run.cut_short if PREFIX in entry]
    if cut:
        warnings.warn(f"time budget spent; not exercised: {', '.join(cut)}")
    failures = [f for f in run.failures if PREFIX in f.split(":", 1)[0]
                or f.startswith("the document")]
    assert not failures, "\n\n".join(failures)
    for answered in (f"GET {PREFIX} 200", f"POST {PREFIX} 422",
                     f"GET {PREFIX}/{{id}} 200", f"GET {PREFIX}/{{id}}/members 200",
                     f"GET {PREFIX}/{{id}}/responses 200"):
        assert run.statuses[answered], answered
