"""CSRF: every unsafe route of the pages refuses a request without its token or with a
wrong one, and the API refuses a logged-in browser's cookie without a bearer token
(SQLite only, as every page test).

The routes come from the app's url_map (every rule outside /api and /static taking
POST, PUT, PATCH or DELETE, the plugins' pages included), so a new form is covered
by itself. Each is sent by a logged-in admin, whose session would otherwise be
allowed to do it, with the arguments of a real record where the route takes one.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from accord.pages.csrf import FIELD, HEADER

ALL = ("sales", "competitors", "service", "marketing")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def snapshot(kernel: Any) -> dict[str, int]:
    """Rows of every table the kernel knows (records, audit, login failures, …)."""
    with kernel.bound():
        db = kernel.database
        tables = db.get_tables()
        return {t: db.execute_sql(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
                for t in tables}


def signed(app: Any, endpoint: str) -> bool:
    """A view marked ``signed_link``: its URL's signed token stands in for the CSRF
    token (a mail client's one-click unsubscribe posts without a form)."""
    return bool(getattr(app.view_functions[endpoint], "accord_signed_link", False))


def unsafe_urls(app: Any, *, signed_links: bool = False) -> list[tuple[str, str]]:
    """(method, url) of every unsafe page route, arguments filled with real ones; with
    ``signed_links``, only the routes of signed-link views."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api", "/static")):
            continue
        if signed(app, rule.endpoint) != signed_links:
            continue
        for method in sorted((rule.methods or set()) & UNSAFE):
            url = rule.rule.replace("<type_name>", "contact")
            url = re.sub(r"<(int(\([^)]*\))?:)?[a-z_]*id>", "1", url)
            url = re.sub(r"<(?:[a-z]+:)?(name|pipeline|tier|token)>",
                         lambda m: {"name": "sales", "pipeline": "default"}.get(m[1], "x"),
                         url)
            out.append((method, url))
    return out


@pytest.mark.plugins(*ALL)
def test_security_every_unsafe_page_route_needs_its_csrf_token(kernel, make_page_client):
    from accord.demo import load_demo

    load_demo(kernel)
    client = make_page_client("admin")
    other = make_page_client("admin")  # a valid token, but of another session
    routes = unsafe_urls(client.app)
    assert len(routes) > 40, routes
    before = snapshot(kernel)
    problems: list[str] = []
    for method, url in routes:
        for what, form, headers in (
                ("no token", {}, {}),
                ("a forged token", {FIELD: "forged"}, {}),
                ("another session's token", {FIELD: other.csrf_token}, {}),
                ("a forged header", {}, {HEADER: "forged"})):
            answer = client.client.open(url, method=method, data=form, headers=headers)
            if answer.status_code != 400 or "security token" not in answer.get_data(
                    as_text=True):
                problems.append(f"{method} {url} with {what}: {answer.status_code}")
    assert not problems, "\n".join(problems)
    assert snapshot(kernel) == before


@pytest.mark.plugins(*ALL)
def test_security_signed_link_forms_refuse_a_forged_link(kernel, make_page_client):
    """The views exempt from the CSRF check (signed links) refuse a forged or tampered
    link token instead, and write nothing."""
    client = make_page_client("admin")
    routes = unsafe_urls(client.app, signed_links=True)
    assert routes  # the campaign emails' one-click unsubscribe, at least
    before = snapshot(kernel)
    for method, url in routes:
        for forged in ("x", "eyJjIjoxfQ.forged.sig", "x" * 300):
            answer = client.client.open(url.replace("/x", f"/{forged}"), method=method)
            assert 400 <= answer.status_code < 500, (url, answer.status_code)
    assert snapshot(kernel) == before


def test_security_the_api_refuses_a_session_cookie(make_page_client, kernel):
    client = make_page_client("admin")
    with kernel.bound():
        contacts = kernel.records.get("contact").model.select().count()
    read = client.get("/api/v1/contacts")
    assert read.status_code == 401
    assert read.get_json()["detail"].startswith("send an API token")
    wrote = client.client.post("/api/v1/contacts", json={"first_name": "Eve",
                                                        "last_name": "Forged"},
                               headers={HEADER: client.csrf_token})
    assert wrote.status_code == 401
    with kernel.bound():
        assert kernel.records.get("contact").model.select().count() == contacts


def test_security_a_valid_token_still_works(make_page_client, kernel):
    """The refusals above are the token's doing: the same form with it goes through."""
    client = make_page_client("admin")
    answer = client.post("/records/organization/new", {"name": "Token Ltd"})
    assert answer.status_code == 302
    with kernel.bound():
        model = kernel.records.get("organization").model
        assert model.select().where(model.name == "Token Ltd").count() == 1
