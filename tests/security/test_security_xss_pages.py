"""Stored XSS: a script payload in every text field of every record type, in a custom
field, a tag, activity notes and a user's name, rendered on the list, record, search,
dashboard, admin and plugin pages, never appears as markup (SQLite only, as every
page test).

The payloads are stored through the services (the path of every form, API call and
import), one record per type, every text field its schema takes (a field whose
validation refuses the payload, an email or a code, cannot hold it by any path).
The pages come from the app's url_map: every GET page without arguments, and those
taking a record id of a type (``/sales/quotes/<quote_id>``) with the poisoned record.

The template spots that mark text safe on purpose (``|safe`` in record_inputs.html on
an id made from a field name; ``replace("/", "/<wbr>"|safe)`` after ``|e`` in
dashboard.html on metric group labels) are reached by the pages above: the record
form, and the dashboard with the poisoned records grouped by name.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import marshmallow as ma
import pytest

from accord import services
from accord.errors import AccordError, ValidationError
from accord.services import Actor
from accord.services.fields import add_field
from accord.services.tags import tag

ALL = ("sales", "competitors", "service", "marketing")
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD = SCRIPT + IMG
#: What must never be in a page: the payloads' markup, unescaped.
MARKUP = re.compile(r"<script>alert\(1\)|<img src=x onerror|\bonerror=alert\(1\)(?![^<]*&gt;)")


def poison(kernel: Any, rt: Any, record_id: int) -> list[str]:
    """Store the payload in every text field of one record that takes it; the fields
    it went into."""
    system = Actor.system("test")
    schema = kernel.schema(rt)
    names = [n for n, f in schema.fields.items()
             if isinstance(f, ma.fields.String) and not f.dump_only
             and not any(isinstance(v, ma.validate.OneOf) for v in f.validators)
             and n not in {name.name for name in rt.verb_fields}]
    stored: list[str] = []
    for name in names:
        for value in (PAYLOAD, IMG, SCRIPT):
            try:
                services.update(kernel, rt.name, record_id, {name: value}, actor=system)
            except (ValidationError, AccordError):
                continue
            stored.append(name)
            break
    return stored


def pages(app: Any, poisoned: dict[str, int]) -> list[str]:
    """Every GET page of the app: those without arguments, and those taking a record
    id of a poisoned type."""
    urls = ["/search?q=" + quote("<script>"), "/search?q=alert"]
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api", "/static")) or \
                rule.endpoint.endswith("static") or "logout" in rule.rule:
            continue
        args = list(rule.arguments)
        if not args:
            urls.append(rule.rule)
            continue
        values = {}
        for arg in args:
            if arg in ("type_name", "record_id"):
                continue
            kind = arg.removesuffix("_id")
            match = [n for n in poisoned if n == kind or n.endswith(f".{kind}")]
            if not match or kind == arg:
                break
            values[arg] = poisoned[match[0]]
        else:
            if "type_name" in args:
                for type_name, record_id in poisoned.items():
                    urls.append(rule.rule.replace("<type_name>", type_name)
                                .replace("<int:record_id>", str(record_id)))
            else:
                url = rule.rule
                for arg, value in values.items():
                    url = re.sub(rf"<[^>]*\b{arg}>", str(value), url)
                urls.append(url)
    return urls


@pytest.mark.plugins(*ALL)
def test_security_stored_xss_never_renders_as_markup(kernel, make_page_client):
    from accord.demo import load_demo

    load_demo(kernel)
    system = Actor.system("test")
    add_field(kernel, "contact", "x_note", "text", actor=system)
    poisoned: dict[str, int] = {}
    fields: dict[str, list[str]] = {}
    for rt in list(kernel.records):
        with kernel.bound():
            first = rt.model.select(rt.model.id).order_by(rt.model.id).first()
        if first is None:
            continue
        stored = poison(kernel, rt, first.id)
        if stored:
            poisoned[rt.name] = first.id
            fields[rt.name] = stored
    assert "x_note" in fields["contact"] and "body" in fields["activity"]
    assert "name" in fields["user"]
    for type_name, record_id in poisoned.items():
        tag(kernel, type_name, record_id, ["xss<script>alert(1)</script>"], actor=system)
    services.create(kernel, "activity", {
        "kind": "note", "subject": PAYLOAD, "body": PAYLOAD,
        "contact_id": poisoned["contact"]}, actor=system)
    client = make_page_client("admin", name=PAYLOAD)
    # The search finds the payload (its text is there, escaped), so the test is live.
    found = client.get("/search?q=alert").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in found
    problems: list[str] = []
    visited = 0
    for url in pages(client.app, poisoned):
        answer = client.get(url)
        visited += 1
        html = answer.get_data(as_text=True)
        if answer.status_code >= 500:
            problems.append(f"{url}: {answer.status_code}")
        hit = MARKUP.search(html)
        if hit:
            start = max(hit.start() - 120, 0)
            problems.append(f"{url}: unescaped payload: …{html[start:hit.end() + 40]}…")
    assert visited > 100
    assert not problems, "\n".join(problems)


def test_security_xss_in_a_flash_message_and_a_refused_form(make_page_client, kernel):
    """What the user typed comes back escaped: in the flash line after a save, and
    beside the field of a refused form."""
    client = make_page_client("admin")
    created = client.post("/records/organization/new", {"name": PAYLOAD},
                          follow_redirects=True)
    assert created.status_code == 200
    html = created.get_data(as_text=True)
    assert "&lt;script&gt;" in html and not MARKUP.search(html)
    refused = client.post("/records/contact/new", {"first_name": PAYLOAD,
                                                    "email": PAYLOAD})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and not MARKUP.search(html)


def _templates() -> list[Any]:
    from pathlib import Path

    import accord

    roots = [Path(accord.__file__).parent / "templates",
             *Path(accord.__file__).parents[1].joinpath("plugins").glob("*/templates")]
    return sorted(p for root in roots for p in root.rglob("*.html"))


def test_security_every_safe_mark_in_the_templates_is_a_reviewed_one():
    """A new ``|safe`` (or Markup) in a template fails here until it is reviewed and
    tested like the two below."""
    reviewed = {
        "record_inputs.html": "(' aria-invalid=\"true\" aria-describedby=\"' ~ id ~ '-err\"')|safe",
        "dashboard.html": '"/<wbr>"|safe',
    }
    found = {}
    for path in _templates():
        for match in re.finditer(r"[^{}]*\|\s*safe\b|Markup\(", path.read_text()):
            found.setdefault(path.name, []).append(match[0].strip())
    assert set(found) == set(reviewed), found
    for name, marks in found.items():
        assert len(marks) == 1 and marks[0].endswith(reviewed[name]), (name, marks)


def test_security_the_dashboard_group_label_is_escaped_before_its_wbr(kernel):
    """dashboard.html escapes a metric's group label, then marks its "/" breakable:
    the expression, taken from the template itself, keeps a label's markup inert."""
    from accord.web import create_app

    source = next(p for p in _templates() if p.name == "dashboard.html").read_text()
    expression = re.search(r"\{\{ group\|e\|replace\([^}]*\}\}", source)
    assert expression
    app = create_app(kernel, SECRET_KEY="x")
    with app.app_context():
        html = app.jinja_env.from_string(expression[0]).render(group=f"a/{PAYLOAD}")
    assert html.startswith("a/<wbr>&lt;script&gt;") and not MARKUP.search(html)


def test_security_the_record_form_ids_come_from_field_names_only(kernel):
    """record_inputs.html marks an aria-describedby safe; its id is made from a field's
    name, and custom field names are refused unless plain ``x_[a-z0-9_]``."""
    from accord.services.fields import add_field as add

    with pytest.raises(ValidationError):
        add(kernel, "contact", 'x_a"><script>', "text", actor=Actor.system("test"))
