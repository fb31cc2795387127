"""Permission × record-rule matrix over the list and record pages (SQLite only, as
every page test).

For each built-in role but ``admin`` and each record type the kernel knows, with all
four shipped plugins enabled: the list page links no record the role's rule does not
reach; the record page, saving it, adding an activity to it, running an action on it
and assigning it from the list answer 404 or 403 for such a record and leave it as it
was; a record the rule reaches opens.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from accord.models import ADMIN_ROLE, BUILTIN_ROLES
from accord.services.actions import actions_of
from accord.services.authz import permission_for

ROLES = [role for role in BUILTIN_ROLES if role != ADMIN_ROLE]
ALL = ("sales", "competitors", "service", "marketing")


def plugin_pages(app: Any, kernel: Any, method: str = "GET") -> dict[str, list[str]]:
    """Record type -> the plugins' pages on one of its records answering ``method``,
    found in the URL map by their argument (``/sales/quotes/<int:quote_id>`` ->
    sales.quote)."""
    names = [rt.name for rt in kernel.records]
    out: dict[str, list[str]] = {}
    for rule in app.url_map.iter_rules():
        if method not in (rule.methods or ()) or rule.rule.startswith(("/api", "/records")):
            continue
        args = [a for a in rule.arguments if a.endswith("_id")]
        if len(args) != 1:
            continue
        kind = args[0].removesuffix("_id")
        plugin = rule.rule.strip("/").split("/")[0]
        candidates = [n for n in names if n == kind or n.endswith(f".{kind}")]
        # The plugin's own type first (sales.invoice for /sales/invoices/…).
        match = sorted(candidates, key=lambda n: not n.startswith(f"{plugin}."))
        if match:
            url = re.sub(r"<[^>]*_id>", "{}", rule.rule)
            url = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "x", url)  # an action's name
            out.setdefault(match[0], []).append(url)
    return out


def linked(html: str, type_name: str) -> set[int]:
    return {int(m) for m in re.findall(rf'/records/{re.escape(type_name)}/(\d+)"', html)}


@pytest.mark.plugins(*ALL)
@pytest.mark.parametrize("role", ROLES)
def test_security_pages_matrix_every_role_and_record_type(role, kernel, security,
                                                          make_page_client):
    world = security.world(kernel, role)
    actor = world.actor
    client = make_page_client(user=world.user)
    outsider = world.outsider
    problems: list[str] = []
    own_pages = plugin_pages(client.app, kernel)
    own_forms = plugin_pages(client.app, kernel, "POST")
    assert {"sales.quote", "sales.opportunity"} <= set(own_forms)
    assert {"sales.quote", "sales.order", "marketing.segment"} <= set(own_pages)
    for rt in list(kernel.records):
        can_read = actor.can(permission_for(rt, "read"))
        answer = client.get(f"/records/{rt.name}")
        html = answer.get_data(as_text=True)
        if not can_read:
            if answer.status_code != 403:
                problems.append(f"{rt.name}: list page without read gave {answer.status_code}")
            continue
        if answer.status_code != 200:
            problems.append(f"{rt.name}: list page gave {answer.status_code}")
            continue
        if not rt.owned:
            continue
        expected = world.reached(rt.name)
        beyond = linked(html, rt.name) - expected
        if beyond:
            problems.append(f"{rt.name}: list page links {sorted(beyond)} beyond reach")
        placed = world.placed.get(rt.name, {})
        if "user" in placed:
            mine = client.get(f"/records/{rt.name}/{placed['user']}")
            if mine.status_code != 200:
                problems.append(f"{rt.name}: own record page gave {mine.status_code}")
        unreached = sorted(set(world.rows(rt.name)) - expected)
        actions = [a.name for a in actions_of(kernel, rt.name)]
        for record_id in unreached[:2]:
            before = world.version(rt.name, record_id)
            base = f"/records/{rt.name}/{record_id}"
            tries = [("page", client.get(base)),
                     ("save", client.post(base, {"name": "taken", "subject": "taken"})),
                     ("activity", client.post(f"{base}/activities",
                                              {"kind": "note", "subject": "taken"}))]
            tries += [(f"action {name}", client.post(f"{base}/actions/{name}"))
                      for name in actions[:3]]
            tries += [(page, client.get(page.format(record_id)))
                      for page in own_pages.get(rt.name, [])]
            tries += [(f"POST {page}", client.post(page.format(record_id), {"stage": "won"}))
                      for page in own_forms.get(rt.name, [])]
            for what, got in tries:
                if got.status_code not in (403, 404):
                    problems.append(f"{rt.name} {record_id} {what}: {got.status_code}")
            assigned = client.post(f"/records/{rt.name}/assign",
                                   {"ids": str(record_id), "user": world.user.email})
            if assigned.status_code >= 500:
                problems.append(f"{rt.name} {record_id} assign: {assigned.status_code}")
            if world.version(rt.name, record_id) != before:
                problems.append(f"{rt.name} {record_id}: changed by a refused request")
            owners = world.rows(rt.name)
            if owners[record_id][0] == world.user.id:
                problems.append(f"{rt.name} {record_id}: assigned to the user out of reach")
    assert outsider.id not in (None, world.user.id)
    assert not problems, "\n".join(problems)


@pytest.mark.plugins(*ALL)
@pytest.mark.parametrize("role", ["sales", "manager", "service"])
def test_security_search_finds_no_record_out_of_reach(role, kernel, security,
                                                      make_page_client):
    """The outsider's records, named with a word the search looks for, are not found
    by a role whose rule does not reach them (the search page and the API's ``q``)."""
    import peewee

    world = security.world(kernel, role)
    hidden: dict[str, int] = {}
    with kernel.bound():
        for rt in kernel.records:
            record_id = world.placed.get(rt.name, {}).get("outsider")
            model: Any = rt.model
            searchable = [n for n in rt.searchable
                          if isinstance(model._meta.fields.get(n), peewee.CharField)]
            if record_id is None or not searchable or world.actor.scope(rt.name) == "all":
                continue
            model.update({searchable[0]: "Zanzibarquux"}).where(
                model.id == record_id).execute()
            hidden[rt.name] = record_id
    assert hidden
    client = make_page_client(user=world.user)
    html = client.get("/search?q=Zanzibarquux").get_data(as_text=True)
    assert "Nothing you may see matches “Zanzibarquux”." in html
    for type_name, record_id in hidden.items():
        assert f"/records/{type_name}/{record_id}\"" not in html
