"""Check a plugin's API against its own OpenAPI document with generated requests.

``exercise_operations(api_client, "/api/v1/sales", targets)`` reads
``/api/v1/openapi.json`` from the test app in-process, and for every operation under
the prefix sends requests that fit the document (positive) and requests that break it
(negative), as the client's user; operations on one record (``…/{id}``) are also sent
at the record ``targets`` names for their collection, so reads, writes and actions get
past the 404. No answer may be a 5xx, and every answer the document describes must
match its schema. The run is bounded and reproducible: ``max_examples`` derandomized
examples per operation and mode, no example database, no shrinking, and a time
``budget`` after which the rest is reported as cut short. Deletes go last, so the other
operations still find their records.

``document_problems(document)`` checks what client generators need of the document
(openapi-python-client drops a schema it cannot read, and every operation answering
with it): every array schema says what its items are, every tag is a name a module can
take, every operation has an operationId of its own. ``exercise_operations`` reports
these problems among its failures.

Needs schemathesis (the ``dev`` extra of accord-crm); imported when called.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

__all__ = ["OperationRun", "document_problems", "exercise_operations"]

#: Keys whose values are data, not schemas: never read as schemas.
_DATA_KEYS = frozenset({"example", "examples", "enum", "const", "default"})
_TAG = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def document_problems(document: dict[str, Any]) -> list[str]:
    """What keeps a client generator from reading ``document`` whole (see the module),
    one message per problem, each naming its place as a JSON pointer."""
    problems: list[str] = []

    def walk(node: Any, pointer: str) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{pointer}/{i}")
            return
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        kinds = kind if isinstance(kind, list) else [kind]
        if "array" in kinds and "items" not in node and "prefixItems" not in node:
            problems.append(f"{pointer}: an array schema without items (give items, {{}} "
                            "for any value, or prefixItems)")
        for key, value in node.items():
            if key not in _DATA_KEYS:
                walk(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")

    walk(document, "#")
    seen: dict[str, str] = {}
    for path, item in (document.get("paths") or {}).items():
        for method in _METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if not isinstance(operation, dict):
                continue
            label = f"{method.upper()} {path}"
            for tag in operation.get("tags", []):
                if not _TAG.match(str(tag)):
                    problems.append(f"{label}: tag {tag!r} is not a module name (letters, "
                                    "digits, '_' and '-' only, a letter first)")
            operation_id = operation.get("operationId")
            if not operation_id:
                problems.append(f"{label}: no operationId")
            elif operation_id in seen:
                problems.append(f"{label}: operationId {operation_id!r} is also "
                                f"{seen[operation_id]}'s")
            else:
                seen[operation_id] = label
    return problems


@dataclass
class OperationRun:
    """What a run saw: the operations, the failures, what the budget cut short, and the
    answers by ``"<METHOD> <path> <status>"``."""

    operations: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    cut_short: list[str] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)

    def unreached(self, answers: Iterable[str]) -> list[str]:
        """The answers (``"POST /api/v1/x/{id}/move 422"``) the run never saw, leaving
        out those of operations the budget cut short (a slow machine's run is not a
        failure; the cut is warned about)."""
        cut = {entry.rsplit(" (", 1)[0] for entry in self.cut_short}
        return [answer for answer in answers
                if not self.statuses[answer] and answer.rsplit(" ", 1)[0] not in cut]


def exercise_operations(api_client: Any, prefix: str, targets: dict[str, int], *,
                        max_examples: int = 10, budget: float = 45.0) -> OperationRun:
    """Run the operations under ``prefix`` (see the module); ``targets`` maps a
    collection path (``/api/v1/sales/quotes``) to the id of a record of it."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    checks = [not_a_server_error, response_schema_conformance]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json",
                                            api_client.client.application)
    # A part of the document schemathesis cannot read is an error result; ok() raises it.
    found: list[Any] = [r.ok() for r in schema.get_all_operations()]  # type: ignore[union-attr]
    operations = [op for op in found if op.path.startswith(f"{prefix}/")]
    run = OperationRun(operations=[op.label for op in operations])
    document = api_client.get("/api/v1/openapi.json").get_json()
    run.failures += [f"the document: {problem}" for problem in document_problems(document)]
    auth = {"Authorization": f"Bearer {api_client.token}"}
    deadline = time.monotonic() + budget

    def exercise(operation: Any, mode: Any, **fixed: Any) -> None:
        if time.monotonic() > deadline:
            run.cut_short.append(f"{operation.label} ({mode.value})")
            return

        @settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
        @given(case=operation.as_strategy(generation_mode=mode, **fixed))
        def check(case: Any) -> None:
            if time.monotonic() > deadline:
                return
            try:
                response = case.call_and_validate(headers=auth, checks=checks)
                run.statuses[f"{operation.label} {response.status_code}"] += 1
            except (Exception, BaseExceptionGroup) as exc:
                raise AssertionError(f"{case.method} {case.formatted_path} "
                                     f"body={getattr(case, 'body', None)!r}: "
                                     f"{str(exc).strip()[:1200]}") from None

        try:
            check()
        except Unsatisfiable:
            return
        except AssertionError as exc:
            run.failures.append(f"{operation.label} ({mode.value}): {exc}")

    for operation in sorted(operations, key=lambda op: op.method.upper() == "DELETE"):
        collection = operation.path.split("/{", 1)[0]
        if "{" in operation.path and collection in targets:
            exercise(operation, GenerationMode.POSITIVE,
                     path_parameters={"id": targets[collection]})
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            exercise(operation, mode)
    return run
