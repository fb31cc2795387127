"""Issue 11, "No 500 for any input" and item 16: odd numbers in filters and cursors,
``__contains`` on fields that hold no text, custom fields re-added as another kind,
text that is no Unicode, parameters repeated without bound, ``%`` and ``_`` taken
literally, and search that ignores case beyond ASCII on SQLite as on PostgreSQL.

Every refusal is a 4xx problem document naming the parameter or field, and the data
is exactly as it was."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from accord import services
from accord.models import Contact
from accord.services.fields import add_field, remove_field
from accord_sdk.assertions import problem

pytestmark = pytest.mark.plugins("sales")


def _cursor(raw: str) -> str:
    """A cursor as a client could edit one: base64 of any JSON text."""
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _names(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item.get("last_name") or item.get("name") for item in response.get_json()["items"]]


def _customs(kernel: Any) -> dict[int, Any]:
    with kernel.bound():
        return {c.id: (c.custom, c.version) for c in Contact.select().order_by(Contact.id)}


@pytest.fixture
def crm(kernel, actor):
    """Contacts with a decimal and an integer custom field, and two opportunities."""
    add_field(kernel, "contact", "x_score", "decimal", actor=actor)
    add_field(kernel, "contact", "x_visits", "integer", actor=actor)
    add_field(kernel, "contact", "x_note", "text", actor=actor)
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=actor)
    for last, score, visits in (("Müller", "1.5", 3), ("Zero", "0", 0), ("Ng", None, None)):
        services.create(kernel, "contact", {"last_name": last, "x_score": score,
                                            "x_visits": visits}, actor=actor)
    for name, amount in (("Small", "10.00"), ("Free", "0.00")):
        services.create(kernel, "sales.opportunity", {
            "name": name, "organization_id": org.id,
            "amount": {"amount": amount, "currency": "EUR"}}, actor=actor)
    return kernel


ODD_NUMBERS = ["Infinity", "-Infinity", "NaN", "sNaN", "1e309", "-1e309", "1e999999999",
               "1E+1000000", "9" * 400, "0x10", "1_000"]


@pytest.mark.parametrize("value", ODD_NUMBERS)
def test_no500_odd_numbers_in_decimal_and_money_filters_are_a_400(crm, make_api_client,
                                                                 value):
    client = make_api_client("admin", kernel=crm)
    before = _customs(crm)
    for path, key in (("/api/v1/sales/opportunities", "amount"),
                      ("/api/v1/sales/opportunities", "amount__gte"),
                      ("/api/v1/contacts", "x_score"), ("/api/v1/contacts", "x_score__lt"),
                      ("/api/v1/contacts", "x_visits")):
        body = problem(client.get(path, query_string={key: value}), 400)
        (message,) = body["errors"][key]
        assert value[:20] in message, message
        assert "plain notation" in message or "whole number" in message, message
    body = problem(client.get("/api/v1/contacts", query_string={"x_score__in": f"1,{value}"}),
                   400)
    assert list(body["errors"]) == ["x_score__in"]
    assert _customs(crm) == before


def test_no500_minus_zero_and_bounds_in_number_filters(crm, make_api_client):
    client = make_api_client("admin", kernel=crm)
    assert _names(client.get("/api/v1/contacts?x_score=-0")) == ["Zero"]
    assert _names(client.get("/api/v1/contacts?x_visits=-0")) == ["Zero"]
    assert _names(client.get("/api/v1/sales/opportunities?amount=-0")) == ["Free"]
    assert _names(client.get("/api/v1/sales/opportunities?amount__gte=-0.00&sort=amount")) == \
        ["Free", "Small"]
    too_big = problem(client.get("/api/v1/sales/opportunities?amount__lt=100000000000000"), 400)
    assert too_big["errors"] == {"amount__lt": [
        "'100000000000000': out of range for amount (at most 14 digits before the point)"]}
    too_fine = problem(client.get("/api/v1/sales/opportunities?amount=10.00001"), 400)
    assert too_fine["errors"] == {"amount": [
        "'10.00001': amount keeps at most 4 decimal places"]}
    huge = problem(client.get(f"/api/v1/contacts?x_visits={2**63}"), 400)
    assert huge["errors"] == {"x_visits": [
        f"'{2**63}' is out of range (a whole number from -{2**63} to {2**63 - 1})"]}


@pytest.mark.parametrize("raw", [
    '[{"n":"Infinity"},1]', '[{"n":"NaN"},1]', '[{"n":"-Infinity"},1]', '[1e309,1]',
    '[-1e309,1]', '[NaN,1]', '[Infinity,1]', '[{"n":"1e999999999"},1]', '[{"n":"abc"},1]',
    '[{"n":"100000000000000"},1]', '["10",1]', '[{"n":"1"},1e400]', '[{"n":"1"},"1"]',
    '[{"n":"1"},true]', '[{"n":"1"},9223372036854775808]', '[' * 5000 + ']' * 5000,
])
def test_no500_odd_values_in_cursors_are_a_400(crm, make_api_client, raw):
    client = make_api_client("admin", kernel=crm)
    body = problem(client.get("/api/v1/sales/opportunities",
                              query_string={"sort": "amount", "cursor": _cursor(raw)}), 400)
    assert body["errors"] == {"cursor": ["not a cursor of this list; use the next_cursor of "
                                         "the previous page with the same sort"]}


@pytest.mark.parametrize("sort, raw", [
    ("x_score", "[Infinity,1]"), ("x_score", "[1e309,1]"), ("x_visits", "[1e309,1]"),
    ("last_name", '["\\ud800",1]'), ("last_name", '["a\\u0000",1]'),
    ("created_at", '[{"dt":"0001-01-01T00:00:00+14:00"},1]'),
    ("created_at", '[{"dt":"2026-01-01T00:00:00"},1]'), ("birthday", '[{"d":"99999-01-01"},1]'),
])
def test_no500_cursors_of_custom_text_and_date_keys_are_checked(crm, make_api_client, sort,
                                                               raw):
    client = make_api_client("admin", kernel=crm)
    body = problem(client.get("/api/v1/contacts",
                              query_string={"sort": sort, "cursor": _cursor(raw)}), 400)
    assert list(body["errors"]) == ["cursor"]


def test_no500_a_cursor_with_minus_zero_pages_on(crm, make_api_client):
    client = make_api_client("admin", kernel=crm)
    page = client.get("/api/v1/sales/opportunities",
                      query_string={"sort": "amount", "cursor": _cursor('[{"n":"-0"},0]')})
    assert _names(page) == ["Free", "Small"]
    page = client.get("/api/v1/contacts",
                      query_string={"sort": "x_score", "cursor": _cursor('[-0.0,0]')})
    assert _names(page) == ["Zero", "Müller", "Ng"]


@pytest.mark.parametrize("path, key", [
    ("/api/v1/contacts", "x_visits__contains"), ("/api/v1/contacts", "x_score__contains"),
    ("/api/v1/contacts", "id__contains"), ("/api/v1/contacts", "organization_id__contains"),
    ("/api/v1/contacts", "created_at__contains"), ("/api/v1/contacts", "birthday__contains"),
    ("/api/v1/contacts", "email_opt_out__contains"), ("/api/v1/organizations", "size__contains"),
    ("/api/v1/sales/opportunities", "amount__contains"),
])
def test_no500_contains_on_a_field_that_holds_no_text_is_a_400(crm, make_api_client, path,
                                                               key):
    client = make_api_client("admin", kernel=crm)
    body = problem(client.get(path, query_string={key: "1"}), 400)
    name = key.partition("__")[0]
    assert body["errors"] == {key: [f"{name} is not a text field; __contains searches text: "
                                    f"compare {name} with =, __gte, __lte, __gt, __lt or __in"]}


def test_no500_a_custom_field_re_added_as_another_kind_is_refused_then_discarded(
        crm, actor, make_api_client, helpers):
    client = make_api_client("admin", kernel=crm)
    remove_field(crm, "contact", "x_score", actor=actor)
    before = _customs(crm)
    refused = problem(client.post("/api/v1/custom_fields", json={
        "record_type": "contact", "name": "x_score", "kind": "date"}), 422)
    assert refused["errors"] == {"kind": [
        "2 contact records hold a value of an earlier field x_score that a date field cannot "
        "hold (contact 1, 2); add it with its earlier kind, choose another name, or discard "
        "those values (API: \"discard_values\": true; CLI: --discard-values), which each "
        "record's history keeps"]}
    assert _customs(crm) == before
    assert "x_score" not in client.get("/api/v1/contacts/1").get_json()
    made = client.post("/api/v1/custom_fields", json={
        "record_type": "contact", "name": "x_score", "kind": "date", "discard_values": True})
    assert made.status_code == 201, made.get_json()
    after = _customs(crm)
    assert after[1] == ({"x_visits": 3}, before[1][1] + 1)
    assert after[2] == ({"x_visits": 0}, before[2][1] + 1)
    assert after[3] == before[3]
    history = client.get("/api/v1/contacts/1/history").get_json()["items"]
    assert history[-1]["action"] == "updated"
    assert history[-1]["changes"] == {"x_score": ["1.5", None]}
    listed = client.get("/api/v1/contacts?sort=x_score&x_score__isnull=true")
    assert [c["x_score"] for c in listed.get_json()["items"]] == [None, None, None]


def test_no500_a_custom_field_re_added_with_a_kind_its_values_fit_keeps_them(crm, actor, cli):
    remove_field(crm, "contact", "x_visits", actor=actor)
    before = _customs(crm)
    result = cli("fields", "add", "contact", "x_visits", "decimal")
    assert result.exit_code == 0, result.output
    assert _customs(crm) == before
    shown = services.dump(crm, "contact", services.get(crm, "contact", 1))
    assert shown["x_visits"] == "3"
    remove_field(crm, "contact", "x_visits", actor=actor)
    refused = cli("fields", "add", "contact", "x_visits", "boolean")
    assert refused.exit_code == 1
    assert "2 contact records hold a value of an earlier field x_visits" in refused.output
    assert _customs(crm) == before
    done = cli("fields", "add", "contact", "x_visits", "boolean", "--discard-values")
    assert done.exit_code == 0, done.output
    assert {i: c for i, (c, _) in _customs(crm).items()} == {
        1: {"x_score": "1.5"}, 2: {"x_score": "0"}, 3: {"x_score": None, "x_visits": None}}


def test_no500_stored_values_of_another_kind_read_as_empty(crm, actor, make_api_client):
    """What accord.toml can do: change a field's kind with values already stored."""
    client = make_api_client("admin", kernel=crm)
    add_field(crm, "contact", "x_flag", "boolean", actor=actor)
    with crm.bound():
        Contact.update(custom={"x_score": "abc", "x_visits": "many", "x_flag": "yes",
                               "x_note": 7}).where(Contact.last_name == "Ng").execute()
    one = client.get("/api/v1/contacts/3")
    assert one.status_code == 200
    shown = one.get_json()
    assert (shown["x_score"], shown["x_visits"], shown["x_flag"], shown["x_note"]) == \
        (None, None, None, None)
    for query in ("sort=x_score", "sort=-x_visits", "sort=x_flag", "x_score__gte=0",
                  "x_flag=true", "x_visits__lt=10", "sort=x_note&x_note__isnull=false"):
        response = client.get(f"/api/v1/contacts?{query}")
        assert response.status_code == 200, (query, response.get_json())
    assert _names(client.get("/api/v1/contacts?sort=x_score")) == ["Zero", "Müller", "Ng"]
    with crm.bound():
        assert Contact.get_by_id(3).custom["x_score"] == "abc"  # kept, not lost


@pytest.mark.parametrize("body, field", [
    ({"last_name": "\ud800"}, "last_name"), ({"last_name": "a\udfffb"}, "last_name"),
    ({"last_name": "Ng", "x_note": "\ud83d"}, "x_note"),
    ({"last_name": "Ng", "\ud800": "x"}, "\\ud800"),
])
def test_no500_lone_surrogates_in_bodies_are_a_422(crm, make_api_client, body, field):
    client = make_api_client("admin", kernel=crm)
    before = _customs(crm)
    text = json.dumps(body)  # ASCII JSON with \ud800 escapes, as a client sends it
    created = problem(client.post("/api/v1/contacts", data=text,
                                  content_type="application/json"), 422)
    assert field in created["errors"], created
    assert "not valid Unicode" in created["errors"][field][0]
    updated = problem(client.patch("/api/v1/contacts/1", data=text,
                                   content_type="application/json"), 422)
    assert field in updated["errors"], updated
    assert _customs(crm) == before


def test_no500_nul_and_invalid_utf8_in_query_strings(crm, make_api_client):
    client = make_api_client("admin", kernel=crm)
    for query in ("q=a%00b", "last_name=%00", "cursor=%00", "x_note__contains=%00"):
        body = problem(client.get(f"/api/v1/contacts?{query}"), 400)
        assert body["detail"] == "list parameters may not contain the NUL character (%00)"
    # Bytes that are no UTF-8 arrive as U+FFFD: searched for, found nowhere.
    assert _names(client.get("/api/v1/contacts?q=%ED%A0%80")) == []
    assert _names(client.get("/api/v1/contacts?last_name=%FF")) == []
    from accord.errors import ValidationError
    from accord.query import find

    with pytest.raises(ValidationError) as caught:
        find(crm, "contact", {"last_name": "\ud800"}, q="\x00")
    assert caught.value.messages == {
        "last_name": ["'\\\\ud800' is not valid Unicode (it holds a lone surrogate such as "
                      "\\ud800)"],
        "q": ["'\\x00' holds a NUL character (\\u0000), which no text may hold"]}


def test_no500_repeated_parameters_are_capped_with_a_400(crm, make_api_client,
                                                        count_queries):
    client = make_api_client("admin", kernel=crm)
    cases = {
        "sort=" + ",".join(["last_name"] * 2000): {"sort": ["2000 sort keys; a list sorts on "
                                                            "at most 5"]},
        "&".join(["sort=last_name"] * 3): {"sort.last_name": ["'last_name' is given twice"]},
        "sort=a,b,c&sort=d,e,f": {"sort": ["6 sort keys; a list sorts on at most 5"]},
        "expand=" + ",".join(f"r{i}" for i in range(11)): {
            "expand": ["11 names; ?expand= embeds at most 10 relations"]},
        "&".join(f"expand=r{i}" for i in range(11)): {
            "expand": ["11 names; ?expand= embeds at most 10 relations"]},
        "fields=" + ",".join(f"f{i}" for i in range(201)): {
            "fields": ["201 names; ?fields= takes at most 200"]},
        "&".join(f"x{i}=a" for i in range(51)): {"filters": ["51 filters; a list takes at "
                                                              "most 50"]},
        "last_name__in=" + ",".join(f"a{i}" for i in range(501)): {
            "last_name__in": ["501 values; __in takes at most 500"]},
        "&".join(f"last_name__in=a{i}" for i in range(501)): {
            "last_name__in": ["501 values; __in takes at most 500"]},
        "cursor=a&cursor=b": {"cursor": ["give cursor once"]},
        "q=a&q=b&limit=1&limit=2": {"q": ["give q once"], "limit": ["give limit once"]},
        "q=" + "x" * 201: {"q": ["searches for at most 200 characters, not 201"]},
    }
    for query, errors in cases.items():
        body = problem(client.get(f"/api/v1/contacts?{query}"), 400)
        assert body["errors"] == errors, query
    # Repeats of a list parameter add to it; a relation named twice is embedded once.
    assert _names(client.get("/api/v1/contacts?sort=-x_visits&sort=last_name")) == \
        ["Müller", "Zero", "Ng"]
    with count_queries() as counter:
        page = client.get("/api/v1/contacts?" + "&".join(["expand=organization"] * 10))
    assert page.status_code == 200
    with count_queries() as once:
        client.get("/api/v1/contacts?expand=organization")
    assert counter.count == once.count


def test_no500_percent_and_underscore_are_taken_literally(crm, actor, make_api_client):
    for last in ("50% off", "5000 off", "a_b", "axb", "back\\slash", "backslash"):
        services.create(crm, "contact", {"last_name": last, "x_note": last}, actor=actor)
    client = make_api_client("admin", kernel=crm)
    for key in ("q", "last_name__contains", "x_note__contains"):
        assert _names(client.get("/api/v1/contacts", query_string={key: "50%"})) == ["50% off"]
        assert _names(client.get("/api/v1/contacts", query_string={key: "a_b"})) == ["a_b"]
        assert _names(client.get("/api/v1/contacts", query_string={key: "%"})) == ["50% off"]
        assert _names(client.get("/api/v1/contacts", query_string={key: "_"})) == ["a_b"]
        assert _names(client.get("/api/v1/contacts", query_string={key: "k\\s"})) == \
            ["back\\slash"]


def test_item_16_search_and_contains_ignore_case_beyond_ascii(crm, actor, make_api_client):
    services.create(crm, "contact", {"last_name": "Σωκράτης", "first_name": "Ödön",
                                     "x_note": "Straße in Köln"}, actor=actor)
    services.update(crm, "contact", 1, {"x_note": "ÉCOLE Müller"}, actor=actor)
    client = make_api_client("admin", kernel=crm)
    cases = [
        ("q", "MÜLLER", ["Müller"]), ("q", "müller", ["Müller"]), ("q", "ÜLL", ["Müller"]),
        ("last_name__contains", "ÜLLER", ["Müller"]), ("last_name__contains", "ü", ["Müller"]),
        ("last_name__contains", "ΣΩΚΡ", ["Σωκράτης"]), ("q", "ödön", ["Σωκράτης"]),
        ("x_note__contains", "école", ["Müller"]), ("x_note__contains", "KÖLN", ["Σωκράτης"]),
        ("x_note__contains", "STRASSE", []), ("q", "MUL", []), ("q", "LLER", ["Müller"]),
    ]
    for key, value, expected in cases:
        assert _names(client.get("/api/v1/contacts", query_string={key: value})) == expected, \
            (key, value)
    from accord.query import find

    assert [c.last_name for c in find(crm, "contact", q="MÜLLER")] == ["Müller"]


def test_item_16_unicode_search_costs_one_query_and_keeps_ascii_on_like(crm, make_api_client,
                                                                       count_queries):
    client = make_api_client("admin", kernel=crm)
    client.get("/api/v1/contacts?q=ller")  # the token's first use is written once
    with count_queries() as ascii_search:
        client.get("/api/v1/contacts?q=ller")
    with count_queries() as unicode_search:
        assert _names(client.get("/api/v1/contacts?q=MÜLLER")) == ["Müller"]
    assert unicode_search.count == ascii_search.count
