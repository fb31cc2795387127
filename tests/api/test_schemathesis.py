"""The API answers as its own OpenAPI document says, for inputs nobody wrote by hand.

Schemathesis reads ``/api/v1/openapi.json`` from the app in-process (WSGI), with all
four shipped plugins enabled (every operation of the document: the core's, the
plugins', imports, exports, webhooks, duplicates, merges, anonymization), and sends
generated requests as an admin with a bearer token, on a database holding the demo
data and a few more records of every kind:

1. for every operation on one record (``/contacts/{id}``, ``/roles/{name}``...),
   requests that fit the document aimed at a record that exists (taken from the
   collection's list), so reads, updates and deletes get past the 404;
2. for every operation, requests that fit the document (positive), then for every
   operation requests that break it (negative).

No answer may be a 5xx, and every answer the document describes must match its
schema. The run is bounded and reproducible: a fixed number of examples per
operation and mode, derandomized generation, no example database, no shrinking,
and a time budget per engine after which the remaining examples are skipped with
a warning naming the operations cut short. Requests that could lock the test's own
admin out (its user, token or role) are not sent.
"""

from __future__ import annotations

import re
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

#: Examples per operation and generation mode (about 330 operations with all plugins).
MAX_EXAMPLES = 3
#: Seconds one engine may spend generating and sending requests.
BUDGET = 100.0
PLUGINS = ("sales", "competitors", "service", "marketing")
CHECKS = [not_a_server_error, response_schema_conformance]
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _seed(kernel: Any) -> None:
    """A few linked records of each kind, so lists, reads and expansions show something
    and every collection has a record the item operations can aim at."""
    from accord import services
    from accord.demo import load_demo
    from accord.models import Role
    from accord.services import Actor
    from accord.services.fields import add_field
    from accord.services.tokens import create_token

    load_demo(kernel)  # every plugin's records, linked (only into an empty database)
    system = Actor.system("test")
    org = services.create(kernel, "organization", {"name": "Acme GmbH"}, actor=system)
    product = services.create(kernel, "product", {"sku": "A-1", "name": "Anvil"}, actor=system)
    for i in range(3):
        contact = services.create(kernel, "contact", {
            "first_name": f"Ada{i}", "last_name": "Lovelace", "email": f"ada{i}@example.com",
            "organization_id": org.id, "products_of_interest": [product.id]}, actor=system)
    services.create(kernel, "activity", {"kind": "call", "subject": "Follow up",
                                         "contact_id": contact.id}, actor=system)
    services.create(kernel, "team", {"name": "Field service"}, actor=system)
    with kernel.bound():
        roles = [r.name for r in Role.select(Role.name).order_by(Role.name)]
    other_role = next((r for r in roles if r != "admin"), "admin")
    user = services.create(kernel, "user", {"email": "grace@example.com", "name": "Grace",
                                            "role": other_role}, actor=system)
    with kernel.bound():
        create_token(kernel, user, name="spare", actor=system)
    add_field(kernel, "contact", "x_tier", "choice", choices=["gold", "silver"], actor=system,
              label="Tier")


@dataclass
class Run:
    """One engine's run: the caller, the budget, and what was seen."""

    client: Any
    auth: dict[str, str]
    #: The caller's user id, role and token id: never the target of a write.
    user_id: int
    role: str
    token_id: int
    deadline: float
    failures: list[str] = field(default_factory=list)
    cut_short: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    def spares_the_caller(self, case: Any) -> bool:
        """False for a write that could lock the caller out (change, deactivate or delete
        its user, revoke its token, edit its role): what follows would see only 401s."""
        if case.method.upper() in SAFE_METHODS:
            return True
        path = case.path.lower()
        values = {str(v) for v in (case.path_parameters or {}).values()}
        if "/users/" in path and str(self.user_id) in values:
            return False
        if "token" in path and str(self.token_id) in values:
            return False
        return not ("/roles/" in path and self.role in values)

    def exercise(self, operation: Any, mode: GenerationMode, label: str,
                 **fixed: Any) -> None:
        if time.monotonic() > self.deadline:
            self.cut_short.append(label)
            return
        sent = 0

        @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
        @given(case=operation.as_strategy(generation_mode=mode, **fixed))
        def check(case: Any) -> None:
            nonlocal sent
            if time.monotonic() > self.deadline or not self.spares_the_caller(case):
                return
            sent += 1
            try:
                response = case.call_and_validate(headers=self.auth, checks=CHECKS)
            except (Exception, BaseExceptionGroup) as exc:  # FailureGroup is a base group
                raise AssertionError(_describe(case, exc)) from None
            self.statuses[response.status_code] += 1

        try:
            check()
        except Unsatisfiable:
            return  # nothing in this operation to break (negative mode)
        except AssertionError as exc:
            self.failures.append(f"{label}: {exc}")
        if time.monotonic() > self.deadline and sent < MAX_EXAMPLES:
            self.cut_short.append(label)

    def existing(self, collection: str) -> list[dict[str, Any]]:
        """The records a collection's list shows (none when it has no list)."""
        response = self.client.get(collection, headers=self.auth)
        if response.status_code != 200:
            return []
        body = response.get_json()
        items = body.get("items", []) if isinstance(body, dict) else body
        return [item for item in items or [] if isinstance(item, dict)]


def _path_parameters(path: str, record: dict[str, Any]) -> dict[str, Any] | None:
    """The path parameters of ``path`` that aim at ``record`` (None if it can't)."""
    names = re.findall(r"{(\w+)}", path)
    if all(name in record for name in names):
        return {name: record[name] for name in names}
    if len(names) == 1 and "id" in record:
        return {names[0]: record["id"]}
    return None


def _describe(case: Any, exc: BaseException) -> str:
    body = getattr(case, "body", None)
    body_text = "-" if type(body).__name__ == "NotSet" else repr(body)
    return (f"{case.method.upper()} {case.formatted_path} query={case.query!r} "
            f"headers={ {k: v for k, v in (case.headers or {}).items()} !r} body={body_text}"
            f"\n    {type(exc).__name__}: {str(exc).strip()[:1500]}")


@pytest.mark.plugins(*PLUGINS)
def test_every_operation_answers_as_the_openapi_document_says(kernel: Any,
                                                               make_api_client: Any) -> None:
    from accord.models import ApiToken

    caller = make_api_client("admin")
    with kernel.bound():
        token_id = ApiToken.select(ApiToken.id).where(ApiToken.user == caller.user.id).scalar()
    _seed(kernel)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", caller.client.application)
    if not schema.raw_schema.get("paths"):
        pytest.skip("the OpenAPI document at /api/v1/openapi.json lists no paths yet")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the OpenAPI document's paths hold no operation"
    run = Run(caller.client, {"Authorization": f"Bearer {caller.token}"}, caller.user.id,
              str(caller.user.role_id), token_id, time.monotonic() + BUDGET)

    # 1. Aimed at records that exist; deletes last, so the others still find theirs.
    aimed = [op for op in operations if "{" in op.path]
    aimed.sort(key=lambda op: op.method.upper() == "DELETE")
    for operation in aimed:
        collection = operation.path[:operation.path.index("/{")]
        for record in reversed(run.existing(collection)):
            fixed = _path_parameters(operation.path, record)
            if fixed is None:
                continue
            probe = type("Probe", (), {"method": operation.method, "path": operation.path,
                                       "path_parameters": fixed})
            if run.spares_the_caller(probe):
                run.exercise(operation, GenerationMode.POSITIVE,
                             f"{operation.label} (positive, existing record)",
                             path_parameters=fixed)
                break
    # 2. Everything, within the document, then outside it: a budget running out on a
    # loaded machine cuts the negative examples first.
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for operation in operations:
            run.exercise(operation, mode, f"{operation.label} ({mode.value})")

    print(f"schemathesis: {len(operations)} operations, {sum(run.statuses.values())} "
          f"requests, statuses {dict(sorted(run.statuses.items()))}")
    if run.cut_short:
        warnings.warn(f"schemathesis: the {BUDGET:.0f} s budget ran out; not (fully) "
                      f"tested: {', '.join(run.cut_short)}", stacklevel=1)
    assert not run.failures, (f"{len(run.failures)} operation(s) answered against the "
                              "document:\n" + "\n".join(run.failures))


HUGE = 10**22  # beyond 64 bits: no column of either engine holds it


@pytest.mark.parametrize("path, body", [
    ("/api/v1/teams", {"name": "Huge", "manager_id": HUGE}),
    ("/api/v1/organizations", {"name": "Huge", "size": HUGE}),
    ("/api/v1/contacts", {"last_name": "Huge", "organization_id": HUGE}),
    ("/api/v1/contacts", {"last_name": "Huge", "products_of_interest": [HUGE]}),
])
def test_a_number_too_large_to_store_is_refused_and_nothing_written(api_client: Any, path: str,
                                                                     body: dict[str, Any]) -> None:
    """Found by the run above: such numbers once answered 500 on SQLite."""
    before = api_client.get(f"{path}?limit=500").get_json()["items"]
    response = api_client.post(path, json=body)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert api_client.get(f"{path}?limit=500").get_json()["items"] == before


@pytest.mark.parametrize("query", [f"size={HUGE}", f"size__gte={HUGE}", f"parent_id={HUGE}"])
def test_a_filter_on_a_number_too_large_to_store_is_bad_input(api_client: Any, query: str) -> None:
    response = api_client.get(f"/api/v1/organizations?{query}")
    # PostgreSQL compares any number; SQLite cannot bind one beyond 64 bits.
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    if response.status_code == 200:
        assert response.get_json()["items"] == []
