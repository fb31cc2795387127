"""SQL injection shapes in every parameter of every list endpoint.

The record types and their fields are read from the kernel (all four shipped plugins
enabled, custom fields included), so a new type or field is covered by itself. Each
payload goes into every field's filter (equality, and ``__contains`` / ``__in``),
``sort``, ``q``, ``fields``, ``expand`` and ``cursor``. Every answer is either a 400
naming the parameter or a normal page holding no row (no stored value matches an
injection string), never a 500; afterwards every table holds what it held before.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import marshmallow as ma
import pytest

from accord.services import Actor
from accord.services.fields import add_field

ALL = ("sales", "competitors", "service", "marketing")

PAYLOADS = [
    "' OR 1=1 --",
    '"; DROP TABLE accord_contact; --',
    "1) OR (1=1",
    "\u2019 OR \u20181\u2019=\u20181",          # typographic quotes
    "\uff07; DROP TABLE accord_user; --",       # fullwidth apostrophe
    "x\x00' OR 1=1",                            # NUL byte
    "' UNION SELECT password_hash FROM accord_user --" + "A" * 5000,  # very long
]
TEXT = (ma.fields.String,)


def counts(kernel: Any) -> dict[str, int]:
    with kernel.bound():
        return {rt.name: rt.model.select().count() for rt in kernel.records}


def check(answer: Any, param: str, problems: list[str], where: str) -> None:
    """A 400 naming ``param``, or an empty page."""
    body = answer.get_json(silent=True) or {}
    if answer.status_code == 400:
        named = param in (body.get("errors") or {}) or param in body.get("detail", "")
        if not named and not any(param.split("__")[0] in key
                                 for key in (body.get("errors") or {})):
            problems.append(f"{where}: 400 not naming {param}: {str(body)[:200]}")
        return
    if answer.status_code == 403 and param.split("__")[0] in body.get("detail", ""):
        return  # filtering on masked personal data: refused, naming it
    if answer.status_code != 200:
        problems.append(f"{where}: {answer.status_code} {answer.get_data(as_text=True)[:200]}")
        return
    if body.get("items"):
        problems.append(f"{where}: {len(body['items'])} rows for an injection string")


@pytest.mark.plugins(*ALL)
def test_security_injection_in_every_list_parameter(kernel, api_client):
    from accord.demo import load_demo

    load_demo(kernel)
    add_field(kernel, "contact", "x_note", "text", actor=Actor.system("test"))
    before = counts(kernel)
    problems: list[str] = []
    requests = 0
    for rt in list(kernel.records):
        path = f"/api/v1/{rt.path}"
        fields = kernel.schema(rt).fields
        for payload in PAYLOADS:
            params: list[tuple[str, str]] = []
            for name, field in fields.items():
                if field.dump_only and name != "id":
                    continue
                params.append((name, payload))
                if isinstance(field, TEXT):
                    params.append((f"{name}__contains", payload))
                else:
                    params.append((f"{name}__in", f"1,{payload}"))
            params += [("sort", payload), ("sort", f"-{payload}"), ("q", payload),
                       ("fields", payload), ("expand", payload), ("cursor", payload),
                       ("limit", payload), (payload[:40], "1")]
            for param, value in params:
                answer = api_client.get(f"{path}?{urlencode({param: value})}")
                requests += 1
                check(answer, param, problems, f"{rt.name} {param}={value[:30]!r}")
    assert requests > 1000
    assert not problems, "\n".join(problems[:40])
    assert counts(kernel) == before


@pytest.mark.plugins(*ALL)
def test_security_injection_in_filters_never_widens_a_restricted_list(kernel,
                                                                      make_api_client):
    """A salesperson's own-rule list stays theirs whatever the filter says."""
    from accord.demo import load_demo

    load_demo(kernel)
    client = make_api_client("sales")
    for payload in PAYLOADS[:4]:
        for param in ("name", "name__contains", "owner_id", "q", "sort"):
            answer = client.get(f"/api/v1/sales/opportunities?{urlencode({param: payload})}")
            assert answer.status_code in (200, 400), answer.get_data(as_text=True)
            if answer.status_code == 200:
                assert answer.get_json()["items"] == [], (param, payload)


def test_security_injection_in_search_pages_is_harmless(make_page_client, kernel):
    """The pages' search and list filters take the same strings without a 500."""
    client = make_page_client("admin")
    for payload in PAYLOADS:
        for url in (f"/search?{urlencode({'q': payload})}",
                    f"/records/contact?{urlencode({'q': payload})}",
                    f"/records/contact?{urlencode({'sort': payload})}",
                    f"/records/contact?{urlencode({'last_name__contains': payload})}"):
            answer = client.get(url)
            assert answer.status_code < 500, (url, answer.get_data(as_text=True)[:300])
    with kernel.bound():
        assert kernel.records.get("contact").model.select().count() == 0
