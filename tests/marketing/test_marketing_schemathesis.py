"""The marketing operations answer as the OpenAPI document says, for generated input.

Schemathesis sends requests that fit the document (positive) and requests that break
it (negative) to every operation under /api/v1/marketing, as an admin, on a database
holding a contact, an organization, a static segment and an active campaign with
members and a response; item operations aim at those. No answer may be a 5xx, and
every answer the document describes must match its schema. Bounded: a fixed number of
derandomized examples per operation and mode, and a time budget. (The tier operations,
which need computed tiers, have their own run in test_marketing_tiers_api.py.)
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
MAX_EXAMPLES = 5
BUDGET = 180.0
SYSTEM = Actor.system("test")
PREFIX = "/api/v1/marketing"
SEGMENTS = f"{PREFIX}/segments"
CAMPAIGNS = f"{PREFIX}/campaigns"
#: Segments: CRUD, history, timeline, freeze, count, preview and the draft count (12);
#: campaigns: list, create, read, put, patch, delete, history, timeline, launch,
#: complete, cancel, members, responses (list, record) (14); tiers: the matrix, a
#: tier's customers, recompute (3).
OPERATIONS = 39


def _seed(kernel: Any) -> dict[str, int]:
    org = services.create(kernel, "organization", {"name": "Acme", "country": "DE"},
                          actor=SYSTEM)
    contact = services.create(kernel, "contact", {
        "first_name": "Ann", "last_name": "Ames", "email": "ann@example.com",
        "organization_id": org.id}, actor=SYSTEM)
    frozen = services.create(kernel, "marketing.segment", {
        "name": "Germany", "kind": "static",
        "rules": [{"field": "organization.country", "op": "eq", "value": "DE"}]},
        actor=SYSTEM)
    ames = services.create(kernel, "marketing.segment", {
        "name": "Ames", "rules": [{"field": "last_name", "op": "eq", "value": "Ames"}]},
        actor=SYSTEM)
    campaign = services.create(kernel, "marketing.campaign", {
        "name": "Spring", "type": "email", "segment_id": ames.id, "subject": "Hi",
        "body": "Hello {first_name}", "budget": {"amount": "100", "currency": "EUR"}},
        actor=SYSTEM)
    launch_campaign(kernel, campaign.id, actor=SYSTEM)
    record_response(kernel, campaign.id, contact.id, actor=SYSTEM, message="Yes")
    return {SEGMENTS: frozen.id, CAMPAIGNS: campaign.id}


def test_marketing_operations_answer_as_the_document_says(kernel, make_api_client):
    run = exercise_operations(make_api_client("admin"), PREFIX, _seed(kernel),
                              max_examples=MAX_EXAMPLES, budget=BUDGET)
    assert len(run.operations) == OPERATIONS, run.operations
    if run.cut_short:
        warnings.warn(f"time budget spent; not exercised: {', '.join(run.cut_short)}")
    assert not run.failures, "\n\n".join(run.failures)
    for answered in (f"GET {SEGMENTS} 200", f"POST {SEGMENTS} 422",
                     f"GET {SEGMENTS}/{{id}} 200", f"GET {SEGMENTS}/{{id}}/count 200",
                     f"GET {SEGMENTS}/{{id}}/preview 200", f"GET {CAMPAIGNS} 200",
                     f"POST {CAMPAIGNS} 422", f"GET {CAMPAIGNS}/{{id}} 200",
                     f"GET {CAMPAIGNS}/{{id}}/members 200",
                     f"GET {CAMPAIGNS}/{{id}}/responses 200"):
        assert run.statuses[answered], answered
