"""The segment pages without a browser: the builder saves, refuses a bad rule beside
its row with nothing stored, adds and removes rows without scripts, answers the live
count; a static segment is frozen from its page; the list shows the counts."""

from __future__ import annotations

from typing import Any

import pytest

import accord_marketing.hooks
from accord import services
from accord.services import Actor
from accord_marketing.models.segments import Segment, SegmentMember
from accord_marketing.segments import SEGMENT

pytestmark = pytest.mark.plugins(accord_marketing.hooks)
SYSTEM = Actor.system("test")


@pytest.fixture
def contacts(kernel: Any, helpers: Any) -> list[Any]:
    return [helpers.contact(kernel, name, country=country)
            for name, country in (("Ames", "DE"), ("Berg", "DE"), ("Cole", "FR"))]


def _form(**values: Any) -> dict[str, Any]:
    return {"name": "Germany", "target": "contact", "kind": "dynamic", "description": "",
            "rule_field": ["country"], "rule_op": ["eq"], "rule_value": ["DE"], **values}


def test_the_builder_creates_and_saves_a_segment(kernel, contacts, make_page_client, helpers):
    client = make_page_client("marketing")
    assert client.get("/marketing/segments/new").status_code == 200
    created = client.post("/marketing/segments/new", _form(kind="static"))
    assert created.status_code == 302
    segment = helpers.rows(kernel, Segment)[0]
    assert (segment.name, segment.kind, segment.rules) == (
        "Germany", "static", [{"field": "country", "op": "eq", "value": "DE"}])
    page = client.get(created.headers["Location"])
    assert page.status_code == 200 and "Freeze the members now" in page.text
    frozen = client.post(f"/marketing/segments/{segment.id}/freeze",
                         {"version": str(segment.version)})
    assert frozen.status_code == 302
    assert [m.record_id for m in helpers.rows(kernel, SegmentMember)] == [
        contacts[0].id, contacts[1].id]
    saved = client.post(f"/marketing/segments/{segment.id}", _form(
        name="Germany and France", rule_value=["DE, FR"], rule_op=["in"], kind="static",
        version=str(segment.version + 1)))
    assert saved.status_code == 302
    stored = helpers.rows(kernel, Segment)[0]
    assert stored.rules == [{"field": "country", "op": "in", "value": ["DE", "FR"]}]
    # Still the two members frozen before the rules changed.
    listing = client.get("/marketing/segments")
    assert "Germany and France" in listing.text
    assert '<td data-label="Members" class="amount">2</td>' in listing.text


def test_a_bad_rule_is_shown_beside_its_row_and_nothing_saved(kernel, contacts,
                                                             make_page_client, helpers):
    client = make_page_client("marketing")
    refused = client.post("/marketing/segments/new", _form(
        rule_field=["", "country", "x_nope"], rule_op=["eq", "eq", "eq"],
        rule_value=["", "DE", "1"]))
    assert refused.status_code == 422
    assert 'id="rule-2-err">field: unknown field &#39;x_nope&#39; of contacts' in refused.text
    assert helpers.rows(kernel, Segment) == []


def test_rows_are_added_and_removed_without_scripts(kernel, contacts, make_page_client):
    client = make_page_client("marketing")
    added = client.post("/marketing/segments/new", _form(op="add"))
    assert added.status_code == 200 and 'id="rule-1-field"' in added.text
    removed = client.post("/marketing/segments/new", _form(
        op="remove-0", rule_field=["country", "tags"], rule_op=["eq", "includes"],
        rule_value=["DE", "vip"]))
    assert 'id="rule-1-field"' not in removed.text
    assert '<option value="tags" selected>' in removed.text


def test_the_live_count(kernel, contacts, make_page_client):
    client = make_page_client("marketing")
    answer = client.post("/marketing/segments/draft", _form())
    assert 'data-count="2"' in answer.text
    bad = client.post("/marketing/segments/draft", _form(rule_op=["gte"]))
    assert "Rule 1: op: &#39;gte&#39; does not fit country (text)" in bad.text
    rows = client.post("/marketing/segments/draft", _form(op="add"))
    assert 'id="rule-1-field"' in rows.text and 'hx-swap-oob="true"' in rows.text


def test_reading_needs_the_permission(kernel, contacts, make_page_client):
    segment = services.create(kernel, SEGMENT, {"name": "All"}, actor=SYSTEM)
    client = make_page_client("service")
    assert client.get("/marketing/segments/new").status_code == 403
    assert client.get(f"/marketing/segments/{segment.id}").status_code == 403
    assert client.get("/marketing/segments/99999").status_code in (403, 404)


def test_segments_are_found_by_the_site_search(kernel, contacts, make_page_client):
    services.create(kernel, SEGMENT, {"name": "Lapsed buyers"}, actor=SYSTEM)
    found = make_page_client("marketing").get("/search?q=lapsed")
    assert found.status_code == 200 and "Lapsed buyers" in found.text
