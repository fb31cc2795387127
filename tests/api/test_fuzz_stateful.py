"""Chains of requests follow the OpenAPI document's links, with all shipped plugins on.

Every create operation's answer links to the operations on the record it created
(read, change, replace, delete, history, timeline and its actions, the ``id`` taken
from the answer's body), and so do the admin endpoints that make something (a role, a
custom field, a token, a team's member, a webhook subscription). Schemathesis's state machine follows those links only (its
own guesses at links are switched off): it creates a record with a generated body,
then reads, changes, acts on and deletes *that* record in generated orders, so the
item operations are reached with ids that exist, in states only a sequence reaches
(a deleted record read again, an action after a change, a change after an action).

Every answer must be a success or a 4xx that the document describes, in the shape it
gives; never a 5xx. The run is bounded and reproducible: a fixed number of scenarios
of a few steps each, derandomized, no example database, and a time budget after
which the remaining steps are not sent.
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from typing import Any

import pytest
import schemathesis
import hypothesis.core
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

#: Scenarios (a create and what follows it) per engine, and steps per scenario.
SCENARIOS = 60
STEPS = 6
#: Seconds one engine may spend sending the scenarios' requests.
BUDGET = 45.0
#: The first run's seed, and how many fresh runs a changed database may cause.
SEED = 17
MAX_RUNS = 10
CHECKS = [not_a_server_error, response_schema_conformance]
PLUGINS = ("sales", "competitors", "service", "marketing")


class _OutOfTime(Exception):
    """The budget ran out: the scenario is not sent, the run ends."""


@pytest.mark.plugins(*PLUGINS)
def test_every_create_operation_links_to_the_operations_on_its_record(api_client: Any) -> None:
    document = api_client.get("/api/v1/openapi.json").get_json()
    operations = {op["operationId"]: (method, path) for path, item in document["paths"].items()
                  for method, op in item.items() if isinstance(op, dict) and "operationId" in op}
    created = document["paths"]["/api/v1/contacts"]["post"]["responses"]["201"]
    assert created["links"]["Get"] == {"operationId": "get_contact",
                                       "parameters": {"path.id": "$response.body#/id"}}
    # A plugin's action on a core record is linked too (the service plugin's survey).
    assert {name: link["operationId"] for name, link in created["links"].items()} == {
        "Get": "get_contact", "Update": "update_contact", "Replace": "replace_contact",
        "Delete": "delete_contact", "History": "history_of_contact",
        "Timeline": "timeline_of_contact", "Action_send_nps_survey": "send_nps_survey_contact"}
    linked: dict[str, set[str]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            for status, answer in operation.get("responses", {}).items():
                for name, link in answer.get("links", {}).items():
                    assert status.startswith("2"), (method, path, status)
                    assert link["operationId"] in operations, (method, path, name)
                    _, target = operations[link["operationId"]]
                    # On what the operation made: below its path, or its path itself.
                    assert target == path or target.startswith(path + "/{"), (path, target)
                    # Every path parameter of the target is given, and only those.
                    wanted = {p[1:-1] for p in target.split("/") if p.startswith("{")}
                    assert {k.removeprefix("path.") for k in link["parameters"]} == wanted, (
                        path, name)
                    linked.setdefault(operation["operationId"], set()).add(
                        link["operationId"])
    # The admin endpoints that make something link to what works on it.
    assert linked["add_role"] == {"get_role", "update_role", "delete_role"}
    assert linked["add_custom_field"] == {"remove_custom_field"}
    assert linked["create_token"] == {"revoke_token"}
    assert linked["add_team_member"] == {"list_team_members", "remove_team_member"}
    assert linked["add_webhook"] == {"get_webhook", "update_webhook", "remove_webhook",
                                     "test_webhook"}


@pytest.mark.plugins(*PLUGINS)
def test_chains_of_linked_requests_answer_as_the_document_says(
        kernel: Any, make_api_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from accord.demo import load_demo

    caller = make_api_client("admin")
    load_demo(kernel)  # references (organizations, contacts, pipelines) a body can name
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", caller.client.application)
    schema.config.phases.stateful.inference.algorithms = []  # the document's links only
    auth = {"Authorization": f"Bearer {caller.token}"}
    deadline = time.monotonic() + BUDGET
    failures: list[str] = []
    statuses: Counter[str] = Counter()
    reached: Counter[str] = Counter()

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            # The caller's token, in place of one generated from the security scheme.
            case.headers = {**(case.headers or {}), **auth}

        def step(self, input: Any) -> Any:
            if time.monotonic() > deadline:
                raise _OutOfTime
            return super().step(input)

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None,
                              **kwargs: Any) -> None:
            statuses[f"{case.method.upper()} {response.status_code}"] += 1
            reached[f"{case.method.upper()} {case.path}"] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=auth)
            except (Exception, BaseExceptionGroup) as exc:
                body = getattr(case, "body", None)
                shown = "-" if type(body).__name__ == "NotSet" else repr(body)[:300]
                failures.append(f"{case.method.upper()} {case.formatted_path} "
                                f"query={case.query!r} body={shown}\n    "
                                f"{type(exc).__name__}: {str(exc).strip()[:1200]}")

    # A scenario replayed by hypothesis can draw differently once the database has
    # changed (a create that succeeded now conflicts): like schemathesis's own runner,
    # start a fresh run with the next seed. Seeds are fixed, so every run is the same.
    runs = 0
    while time.monotonic() < deadline and runs < MAX_RUNS:
        monkeypatch.setattr(hypothesis.core, "global_force_seed", SEED + runs)
        runs += 1
        try:
            Machine.run(settings=settings(
                max_examples=SCENARIOS, stateful_step_count=STEPS, database=None,
                deadline=None, phases=[Phase.generate], report_multiple_bugs=False,
                suppress_health_check=list(HealthCheck)))
            break
        except FlakyStrategyDefinition:
            continue
        except _OutOfTime:
            warnings.warn(f"stateful: the {BUDGET:.0f} s budget ran out after "
                          f"{sum(statuses.values())} steps", stacklevel=1)
            break

    print(f"stateful: {runs} run(s), {sum(statuses.values())} steps, "
          f"{dict(sorted(statuses.items()))}; reached {dict(sorted(reached.items()))}")
    linked = sum(n for key, n in statuses.items()
                 if key.split()[0] in ("GET", "PATCH", "PUT", "DELETE") and key.endswith("200"))
    assert linked, f"no linked request reached a record it created: {dict(statuses)}"
    assert not failures, (f"{len(failures)} answer(s) against the document:\n"
                          + "\n".join(dict.fromkeys(failures)))
