"""Permission × record-rule matrix over every resource of the REST API.

For each built-in role but ``admin`` (which reaches everything) and each record type
the kernel knows (read from ``kernel.records``, so a new type is covered without
touching this file), with all four shipped plugins enabled:

- a list shows exactly the records the role's rule reaches (computed here from the
  rows), and is refused whole (403) without the read permission;
- reading, the history and timeline of, updating and deleting a record the rule does
  not reach answer 404 or 403, never its data, and leave the row as it was;
- so do the plugins' own GET routes on such a record (``…/opportunities/<id>/stages``);
- a record the rule reaches can be read.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from accord.models import ADMIN_ROLE, BUILTIN_ROLES
from accord.services.authz import permission_for

ROLES = [role for role in BUILTIN_ROLES if role != ADMIN_ROLE]
ALL = ("sales", "competitors", "service", "marketing")


def client_of(kernel: Any, user: Any) -> Any:
    from accord.services import Actor
    from accord.services.tokens import create_token
    from accord.web import create_app
    from accord_sdk.pytest_plugin import ApiClient

    with kernel.bound():
        _, token = create_token(kernel, user, name="security", actor=Actor.system("test"))
    return ApiClient(create_app(kernel, TESTING=True).test_client(), token, user)


def listed(client: Any, path: str) -> tuple[int, set[int]]:
    """The status of the list and the ids on all its pages."""
    ids: set[int] = set()
    url = f"/api/v1/{path}?limit=100"
    while True:
        answer = client.get(url)
        if answer.status_code != 200:
            return answer.status_code, ids
        body = answer.get_json()
        ids |= {item["id"] for item in body["items"]}
        if not body["next_cursor"]:
            return 200, ids
        url = f"/api/v1/{path}?limit=100&cursor={body['next_cursor']}"


def refused(answer: Any, record_id: int, what: str) -> str | None:
    """None when ``answer`` refuses without giving the record away; else the problem."""
    if answer.status_code not in (403, 404):
        return f"{what}: {answer.status_code} {answer.get_data(as_text=True)[:200]}"
    body = answer.get_json(silent=True) or {}
    if "id" in body or "items" in body or "version" in body:
        return f"{what}: the refusal carries record data: {json.dumps(body)[:200]}"
    return None


@pytest.mark.plugins(*ALL)
@pytest.mark.parametrize("role", ROLES)
def test_security_api_matrix_every_role_and_record_type(role, kernel, security):
    world = security.world(kernel, role)
    actor = world.actor
    client = client_of(kernel, world.user)
    problems: list[str] = []
    checked_unreached = 0
    # The plugins' own GET routes on one record (/api/v1/sales/opportunities/<id>/stages).
    routes = [rule.rule for rule in client.client.application.url_map.iter_rules()
              if rule.endpoint.startswith("api.route_") and "GET" in (rule.methods or ())
              and "<int:id>" in rule.rule]
    for rt in list(kernel.records):
        path = rt.path
        can_read = actor.can(permission_for(rt, "read"))
        status, ids = listed(client, path)
        if not can_read:
            if status != 403 or ids:
                problems.append(f"{rt.name}: list without read permission gave {status}")
            continue
        if status != 200:
            problems.append(f"{rt.name}: list gave {status}")
            continue
        if not rt.owned:
            continue
        expected = world.reached(rt.name)
        if ids != expected:
            problems.append(f"{rt.name} ({actor.scope(rt.name)}): list shows "
                            f"{sorted(ids - expected)} beyond reach, misses "
                            f"{sorted(expected - ids)}")
        placed = world.placed.get(rt.name, {})
        mine = placed.get("user")
        if mine is not None:
            answer = client.get(f"/api/v1/{path}/{mine}")
            if answer.status_code != 200 or answer.get_json()["id"] != mine:
                problems.append(f"{rt.name}: own record {mine} not readable: "
                                f"{answer.status_code}")
        unreached = sorted(set(world.rows(rt.name)) - expected)
        if (actor.scope(rt.name) != "all" and "outsider" in placed
                and placed["outsider"] not in unreached):
            problems.append(f"{rt.name}: the outsider's record is reached")
        for record_id in unreached[:2]:
            checked_unreached += 1
            before = world.version(rt.name, record_id)
            base = f"/api/v1/{path}/{record_id}"
            for what, answer in (
                    ("read", client.get(base)),
                    ("history", client.get(f"{base}/history")),
                    ("timeline", client.get(f"{base}/timeline")),
                    ("update", client.patch(base, json={"custom": {}})),
                    ("put", client.put(base, json={})),
                    ("delete", client.delete(base)),
                    *((route, client.get(route.replace("<int:id>", str(record_id))))
                      for route in routes if route.startswith(f"/api/v1/{path}/<int:id>"))):
                problem = refused(answer, record_id, f"{rt.name} {record_id} {what}")
                if problem:
                    problems.append(problem)
            if world.version(rt.name, record_id) != before:
                problems.append(f"{rt.name} {record_id}: changed by a refused request")
    assert not problems, "\n".join(problems)
    if role in ("sales", "manager", "service"):
        assert checked_unreached, f"{role} reaches every record: the matrix proved nothing"


@pytest.mark.plugins(*ALL)
def test_security_the_matrix_covers_every_record_type(kernel):
    """The matrix reads the types from the kernel: every running plugin's are there."""
    names = {rt.name for rt in kernel.records}
    for plugin in ALL:
        assert any(name.startswith(f"{plugin}.") for name in names), plugin
    assert {"contact", "organization", "activity"} <= names
