"""The generic record API: CRUD on every core resource and a plugin's, ETags and
If-Match, problem+json errors, history, and no partial writes."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from accord import services
from accord.models import ContactInterest
from accord.services import Actor
from accord.services.plugins import disable, enable

UTC = dt.timezone.utc
SYSTEM = Actor.system("test")


@dataclass(frozen=True)
class Case:
    """One core resource: what is sent, and what the stored row must then hold."""

    type_name: str
    create: dict[str, Any]
    created: dict[str, Any]  # attribute of the stored row -> value
    patch: dict[str, Any]
    patched: dict[str, Any]
    put: dict[str, Any]
    put_stored: dict[str, Any]
    required: str  # a required field a PUT may not leave out
    shown: dict[str, Any] = field(default_factory=dict)  # in the body, when it differs


CASES = {
    "organizations": Case(
        "organization",
        create={"name": "Acme GmbH", "city": "Berlin", "size": 40, "country": "DE",
                "customer_since": "2021-03-01", "website": "https://acme.example"},
        created={"name": "Acme GmbH", "city": "Berlin", "size": 40, "country": "DE",
                 "customer_since": dt.date(2021, 3, 1), "relationship": "prospect"},
        patch={"city": "Hamburg", "relationship": "customer"},
        patched={"city": "Hamburg", "relationship": "customer", "name": "Acme GmbH"},
        put={"name": "Acme AG", "size": 41},
        put_stored={"name": "Acme AG", "size": 41, "city": "Hamburg"},
        required="name"),
    "contacts": Case(
        "contact",
        create={"first_name": "Mia", "last_name": "Wong", "email": "mia@example.com",
                "birthday": "1990-07-14"},
        created={"first_name": "Mia", "last_name": "Wong", "email": "mia@example.com",
                 "birthday": dt.date(1990, 7, 14), "email_opt_out": False},
        patch={"phone": "+49 30 1234", "email_opt_out": True},
        patched={"phone": "+49 30 1234", "email_opt_out": True, "last_name": "Wong"},
        put={"last_name": "Wong-Li", "title": "CTO"},
        put_stored={"last_name": "Wong-Li", "title": "CTO", "first_name": "Mia"},
        required="last_name"),
    "activities": Case(
        "activity",
        create={"kind": "call", "subject": "Intro call", "due_at": "2024-05-01T09:30:00+02:00"},
        created={"kind": "call", "subject": "Intro call",
                 "due_at": dt.datetime(2024, 5, 1, 7, 30, tzinfo=UTC), "done_at": None},
        patch={"done_at": "2024-05-01T08:00:00Z", "body": "Went well"},
        patched={"done_at": dt.datetime(2024, 5, 1, 8, 0, tzinfo=UTC), "body": "Went well"},
        put={"kind": "meeting", "subject": "Demo"},
        put_stored={"kind": "meeting", "subject": "Demo", "body": "Went well"},
        required="subject",
        shown={"due_at": "2024-05-01T07:30:00+00:00"}),
    "products": Case(
        "product",
        create={"sku": "W-1", "name": "Widget", "unit_price": {"amount": "10.50",
                                                               "currency": "EUR"}},
        created={"sku": "W-1", "name": "Widget", "unit_price": Decimal("10.50"),
                 "unit_price_currency": "EUR", "active": True},
        patch={"category": "Tools", "active": False},
        patched={"category": "Tools", "active": False},
        put={"sku": "W-1", "name": "Widget Pro",
             "unit_price": {"amount": "12", "currency": "USD"}},
        put_stored={"name": "Widget Pro", "unit_price": Decimal("12"),
                    "unit_price_currency": "USD", "category": "Tools"},
        required="sku"),
    "users": Case(
        "user",
        create={"email": "Ann@Example.com", "name": "Ann", "role": "sales"},
        created={"email": "ann@example.com", "name": "Ann", "role_id": "sales", "active": True},
        patch={"name": "Ann Berg", "active": False},
        patched={"name": "Ann Berg", "active": False},
        put={"email": "ann@example.com", "name": "Ann C", "role": "service"},
        put_stored={"name": "Ann C", "role_id": "service"},
        required="role",
        shown={"email": "ann@example.com"}),
    "teams": Case(
        "team",
        create={"name": "North"},
        created={"name": "North", "manager_id": None},
        patch={"name": "North-East"},
        patched={"name": "North-East"},
        put={"name": "Nord"},
        put_stored={"name": "Nord"},
        required="name"),
}


def assert_row(row: Any, expected: dict[str, Any]) -> None:
    assert row is not None
    assert {k: getattr(row, k) for k in expected} == expected


@pytest.mark.parametrize("plural", sorted(CASES))
def test_crud_with_etags_on_every_core_resource(plural, api_client, kernel, helpers):
    case = CASES[plural]
    created = api_client.post(f"/api/v1/{plural}", json=case.create)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    rid = body["id"]
    location = f"/api/v1/{plural}/{rid}"
    assert created.headers["Location"] == location
    assert created.headers["ETag"] == '"1"'
    assert body["version"] == 1
    for name, value in {**case.create, **case.shown}.items():
        assert body[name] == value, name
    row = helpers.stored(kernel, case.type_name, rid)
    assert_row(row, {**case.created, "version": 1})
    if kernel.records.get(case.type_name).owned:
        assert row.owner_id == api_client.user.id  # the creator owns it

    read = api_client.get(location)
    assert read.status_code == 200
    assert read.headers["ETag"] == '"1"'
    assert read.get_json() == body

    patched = api_client.patch(location, json=case.patch, headers={"If-Match": '"1"'})
    assert patched.status_code == 200, patched.get_json()
    assert patched.headers["ETag"] == '"2"'
    assert patched.get_json()["version"] == 2
    assert_row(helpers.stored(kernel, case.type_name, rid), {**case.patched, "version": 2})

    stale = api_client.patch(location, json=case.put, headers={"If-Match": '"1"'})
    problem = helpers.problem(stale, 412)
    assert "version 2" in problem["detail"]
    assert_row(helpers.stored(kernel, case.type_name, rid), {**case.patched, "version": 2})

    incomplete = {k: v for k, v in case.put.items() if k != case.required}
    if case.required not in case.put:
        incomplete = dict(case.put)
    missing = api_client.put(location, json=incomplete, headers={"If-Match": '"2"'})
    assert case.required in helpers.problem(missing, 422)["errors"]
    assert_row(helpers.stored(kernel, case.type_name, rid), {**case.patched, "version": 2})

    full = {**({case.required: case.create[case.required]}
               if case.required in case.create else {}), **case.put}
    put = api_client.put(location, json=full, headers={"If-Match": '"2"'})
    assert put.status_code == 200, put.get_json()
    assert put.headers["ETag"] == '"3"'
    assert_row(helpers.stored(kernel, case.type_name, rid), {**case.put_stored, "version": 3})
    helpers.problem(api_client.put(location, json=full, headers={"If-Match": '"2"'}), 412)

    helpers.problem(api_client.delete(location, headers={"If-Match": '"2"'}), 412)
    assert helpers.stored(kernel, case.type_name, rid) is not None
    deleted = api_client.delete(location, headers={"If-Match": '"3"'})
    assert deleted.status_code == 204
    assert deleted.get_data() == b""
    assert helpers.stored(kernel, case.type_name, rid) is None
    assert str(rid) in helpers.problem(api_client.get(location), 404)["detail"]
    assert [e.action for e in helpers.audit(kernel, case.type_name, rid)] == [
        "created", "updated", "updated", "deleted"]


def test_writes_without_if_match_apply_to_the_current_version(api_client, kernel, helpers):
    rid = api_client.post("/api/v1/organizations", json={"name": "Acme"}).get_json()["id"]
    api_client.patch(f"/api/v1/organizations/{rid}", json={"city": "Oslo"})
    second = api_client.patch(f"/api/v1/organizations/{rid}", json={"city": "Bergen"})
    assert second.status_code == 200
    assert second.headers["ETag"] == '"3"'
    assert helpers.stored(kernel, "organization", rid).city == "Bergen"
    assert api_client.delete(f"/api/v1/organizations/{rid}").status_code == 204


def test_a_patch_that_changes_nothing_keeps_the_version(api_client, kernel, helpers):
    rid = api_client.post("/api/v1/organizations", json={"name": "Acme"}).get_json()["id"]
    same = api_client.patch(f"/api/v1/organizations/{rid}", json={"name": "Acme"},
                            headers={"If-Match": '"1"'})
    assert same.status_code == 200
    assert same.headers["ETag"] == '"1"'
    assert [e.action for e in helpers.audit(kernel, "organization", rid)] == ["created"]


def test_contact_products_of_interest_are_stored_as_links(api_client, kernel, helpers):
    product = services.create(kernel, "product", {"sku": "P-1", "name": "Pump"}, actor=SYSTEM)
    other = services.create(kernel, "product", {"sku": "P-2", "name": "Pipe"}, actor=SYSTEM)
    created = api_client.post("/api/v1/contacts", json={
        "last_name": "Ng", "products_of_interest": [product.id]})
    assert created.status_code == 201
    rid = created.get_json()["id"]
    assert created.get_json()["products_of_interest"] == [product.id]
    patched = api_client.patch(f"/api/v1/contacts/{rid}",
                               json={"products_of_interest": [other.id]})
    assert patched.get_json()["products_of_interest"] == [other.id]
    with kernel.bound():
        links = [(i.contact_id, i.product_id) for i in ContactInterest.select()]
    assert links == [(rid, other.id)]


# Errors as problem documents -------------------------------------------------------

BIG = json.dumps({"name": "x" * (1024 * 1024)})


@pytest.mark.parametrize("send, status, fields", [
    (dict(data="{\"name\": ", content_type="application/json"), 400, None),
    (dict(data="name=Acme", content_type="application/x-www-form-urlencoded"), 415, None),
    (dict(data="<name>Acme</name>", content_type="text/xml"), 415, None),
    (dict(data=BIG, content_type="application/json"), 413, None),
    (dict(json=[{"name": "Acme"}]), 400, None),
    (dict(json="Acme"), 400, None),
    (dict(data="", content_type="application/json"), 400, None),
    (dict(json={"name": 5, "size": "big", "customer_since": "yesterday"}), 422,
     {"name", "size", "customer_since"}),
    (dict(json={"name": "Acme", "colour": "red", "vat_id": 7}), 422, {"colour", "vat_id"}),
    (dict(json={"name": "Acme", "id": 9, "version": 4}), 422, {"id", "version"}),
    (dict(json={"city": "Oslo"}), 422, {"name"}),
    (dict(json={"name": "Acme", "country": "Germany"}), 422, {"country"}),
    (dict(json={"name": "Acme", "relationship": "enemy"}), 422, {"relationship"}),
    (dict(json={"name": "Acme", "owner_id": 999}), 422, {"owner_id"}),
    (dict(json={"name": "Ac\u0000me"}), 422, {"name"}),
], ids=["malformed-json", "form", "xml", "over-1MiB", "array", "string", "empty",
        "wrong-types", "unknown-fields", "read-only-fields", "missing-required",
        "bad-country", "bad-relationship", "no-such-owner", "nul-character"])
def test_bad_input_is_a_problem_document_and_writes_nothing(send, status, fields, api_client,
                                                            kernel, helpers):
    before = len(helpers.audit(kernel))
    problem = helpers.problem(api_client.post("/api/v1/organizations", **send), status)
    if fields:
        assert set(problem["errors"]) == fields
        assert all(problem["errors"][f] and isinstance(problem["errors"][f][0], str)
                   for f in fields)
    assert helpers.rows(kernel, "organization") == 0
    assert len(helpers.audit(kernel)) == before


def test_the_size_limit_is_one_mebibyte(api_client, helpers):
    name = "x" * 150
    padding = " " * (1024 * 1024 - len(json.dumps({"name": name})) - 1)
    just_under = json.dumps({"name": name}) + padding
    assert len(just_under) < 1024 * 1024
    ok = api_client.post("/api/v1/organizations", data=just_under,
                         content_type="application/json")
    assert ok.status_code == 201
    helpers.problem(api_client.post("/api/v1/organizations", data=just_under + "  ",
                                    content_type="application/json"), 413)


def test_a_bad_patch_leaves_the_row_as_it_was(api_client, kernel, helpers):
    rid = api_client.post("/api/v1/organizations", json={"name": "Acme"}).get_json()["id"]
    # One good field beside a bad one: neither is written.
    problem = helpers.problem(api_client.patch(f"/api/v1/organizations/{rid}",
                                               json={"city": "Oslo", "size": -3}), 422)
    assert set(problem["errors"]) == {"size"}
    row = helpers.stored(kernel, "organization", rid)
    assert (row.city, row.size, row.version) == (None, None, 1)
    assert [e.action for e in helpers.audit(kernel, "organization", rid)] == ["created"]


def test_a_refused_link_leaves_no_contact_and_no_links(api_client, kernel, helpers):
    problem = helpers.problem(api_client.post("/api/v1/contacts", json={
        "last_name": "Ng", "products_of_interest": [404]}), 422)
    assert "products_of_interest" in problem["errors"]
    assert helpers.rows(kernel, "contact") == 0
    with kernel.bound():
        assert ContactInterest.select().count() == 0
    assert helpers.audit(kernel, "contact") == []


def test_a_taken_unique_value_is_a_422_naming_the_field(api_client, kernel, helpers):
    api_client.post("/api/v1/contacts", json={"last_name": "A", "email": "a@example.com"})
    problem = helpers.problem(api_client.post("/api/v1/contacts", json={
        "last_name": "B", "email": "A@Example.com"}), 422)
    assert set(problem["errors"]) == {"email"}
    api_client.post("/api/v1/products", json={"sku": "S-1", "name": "One"})
    problem = helpers.problem(api_client.post("/api/v1/products",
                                              json={"sku": "S-1", "name": "Two"}), 422)
    assert set(problem["errors"]) == {"sku"}
    assert helpers.rows(kernel, "contact") == 1 and helpers.rows(kernel, "product") == 1


@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
def test_an_unknown_id_is_a_404_naming_it(method, api_client, helpers):
    kwargs = {"json": {"name": "X"}} if method in ("PATCH", "PUT") else {}
    problem = helpers.problem(api_client.open(method, "/api/v1/organizations/4711", **kwargs), 404)
    assert "organization 4711" in problem["detail"]


@pytest.mark.parametrize("path", [
    "/api/v1/widgets", "/api/v1/widgets/1", "/api/v1/acme/widgets",
    "/api/v1/organizations/99999999999999999999999",
    "/api/v1/organizations/99999999999999999999999/history"])
def test_an_unknown_resource_is_a_404(path, api_client, helpers):
    helpers.problem(api_client.get(path), 404)


def test_an_unknown_action_is_a_404(api_client, helpers):
    rid = api_client.post("/api/v1/organizations", json={"name": "Acme"}).get_json()["id"]
    problem = helpers.problem(api_client.post(f"/api/v1/organizations/{rid}/merge"), 404)
    assert "merge" in problem["detail"]


@pytest.mark.parametrize("header", ['W/"1"', "one", '"1.0"', '"²"', '"-1"'])
def test_a_malformed_if_match_is_a_400(header, api_client, kernel, helpers):
    rid = api_client.post("/api/v1/organizations", json={"name": "Acme"}).get_json()["id"]
    helpers.problem(api_client.patch(f"/api/v1/organizations/{rid}", json={"city": "Oslo"},
                                     headers={"If-Match": header}), 400)
    assert helpers.stored(kernel, "organization", rid).city is None


def test_without_a_valid_token_every_resource_is_a_401(api_client, helpers):
    for headers in ({}, {"Authorization": "Bearer acc_nope"}, {"Authorization": "Basic eA=="}):
        response = api_client.client.get("/api/v1/organizations", headers=headers)
        helpers.problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_method_is_a_405_with_allow(api_client, helpers):
    response = api_client.delete("/api/v1/organizations")
    helpers.problem(response, 405)
    assert "POST" in response.headers["Allow"]


# A plugin's resources ----------------------------------------------------------------

def test_a_plugins_resources_come_and_go_with_it_without_a_restart(
        notes_kernel, make_kernel, plugins_folder, make_api_client, helpers):
    client = make_api_client(kernel=notes_kernel)
    created = client.post("/api/v1/acme_notes/notes", json={"title": "Call back", "priority": 2})
    assert created.status_code == 201, created.get_json()
    rid = created.get_json()["id"]
    location = f"/api/v1/acme_notes/notes/{rid}"
    assert created.headers["Location"] == location
    assert helpers.stored(notes_kernel, "acme_notes.note", rid).title == "Call back"
    patched = client.patch(location, json={"priority": 5}, headers={"If-Match": '"1"'})
    assert patched.status_code == 200 and patched.headers["ETag"] == '"2"'
    assert helpers.stored(notes_kernel, "acme_notes.note", rid).priority == 5
    assert client.get(location).get_json()["priority"] == 5
    listed = client.get("/api/v1/acme_notes/notes").get_json()["items"]
    assert [(n["id"], n["title"]) for n in listed] == [(rid, "Call back")]
    helpers.problem(client.post("/api/v1/acme_notes/notes",
                                json={"title": "x", "priority": 9}), 422)
    helpers.problem(client.put(location, json={"priority": 1}), 422)

    # Another process (another kernel on the same database) disables the plugin.
    other = make_kernel(plugins_dir=plugins_folder)
    disable(other, "acme_notes", actor=SYSTEM)
    for method, path in (("GET", "/api/v1/acme_notes/notes"), ("GET", location),
                         ("PATCH", location), ("DELETE", location),
                         ("POST", "/api/v1/acme_notes/notes"),
                         ("GET", f"{location}/history")):
        kwargs = {"json": {"title": "While off"}} if method in ("PATCH", "POST") else {}
        problem = helpers.problem(client.open(method, path, **kwargs), 404)
        assert "acme_notes" in problem["detail"] and "disabled" in problem["detail"], problem

    enable(other, "acme_notes", actor=SYSTEM)
    back = client.get("/api/v1/acme_notes/notes")
    assert back.status_code == 200
    assert [(n["id"], n["title"], n["priority"], n["version"])
            for n in back.get_json()["items"]] == [(rid, "Call back", 5, 2)]
    assert client.delete(location, headers={"If-Match": '"2"'}).status_code == 204
    assert helpers.stored(notes_kernel, "acme_notes.note", rid) is None


def test_a_plugins_veto_is_a_422_and_writes_nothing(notes_kernel, make_api_client, helpers):
    client = make_api_client(kernel=notes_kernel)
    problem = helpers.problem(client.post("/api/v1/acme_notes/notes",
                                          json={"title": "URGENT"}), 422)
    assert "capitals" in problem["errors"]["title"][0]
    assert helpers.rows(notes_kernel, "acme_notes.note") == 0
    assert helpers.audit(notes_kernel, "acme_notes.note") == []


# History -----------------------------------------------------------------------------

def test_history_lists_each_change_with_its_actor(api_client, make_api_client, kernel, helpers):
    other = make_api_client("admin", email="ola@example.com")
    rid = api_client.post("/api/v1/organizations", json={"name": "Acme"}).get_json()["id"]
    other.patch(f"/api/v1/organizations/{rid}", json={"city": "Oslo"})
    api_client.patch(f"/api/v1/organizations/{rid}", json={"city": "Bergen", "size": 12})
    response = api_client.get(f"/api/v1/organizations/{rid}/history")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [(i["action"], i["actor"]["label"], i["actor"]["id"]) for i in items] == [
        ("created", api_client.user.email, api_client.user.id),
        ("updated", "ola@example.com", other.user.id),
        ("updated", api_client.user.email, api_client.user.id)]
    assert items[0]["changes"]["name"] == [None, "Acme"]
    assert items[1]["changes"] == {"city": [None, "Oslo"]}
    assert items[2]["changes"] == {"city": ["Oslo", "Bergen"], "size": [None, 12]}
    assert all(dt.datetime.fromisoformat(i["at"]).tzinfo is not None for i in items)


def test_history_of_a_plugin_record_and_of_a_deleted_one(notes_kernel, make_api_client, helpers):
    client = make_api_client(kernel=notes_kernel, email="nina@example.com")
    rid = client.post("/api/v1/acme_notes/notes", json={"title": "Memo"}).get_json()["id"]
    client.patch(f"/api/v1/acme_notes/notes/{rid}", json={"title": "Memo 2"})
    items = client.get(f"/api/v1/acme_notes/notes/{rid}/history").get_json()["items"]
    assert [(i["action"], i["actor"]["label"]) for i in items] == [
        ("created", "nina@example.com"), ("updated", "nina@example.com")]
    assert items[1]["changes"] == {"title": ["Memo", "Memo 2"]}
    client.delete(f"/api/v1/acme_notes/notes/{rid}")
    helpers.problem(client.get(f"/api/v1/acme_notes/notes/{rid}/history"), 404)


def test_timeline_lists_the_activities_of_a_record_newest_first(api_client, make_api_client,
                                                                 kernel, helpers):
    rid = api_client.post("/api/v1/organizations", json={"name": "Acme"}).get_json()["id"]
    for subject, done in (("Intro call", "2026-03-01T10:00:00+00:00"),
                          ("Quarterly review", "2026-06-01T10:00:00+00:00")):
        made = api_client.post("/api/v1/activities", json={
            "kind": "call", "subject": subject, "organization_id": rid, "done_at": done})
        assert made.status_code == 201, made.get_json()
    body = api_client.get(f"/api/v1/organizations/{rid}/timeline").get_json()
    assert [(i["kind"], i["title"], i["source_type"]) for i in body["items"]] == [
        ("activity.call", "Quarterly review", "activity"),
        ("activity.call", "Intro call", "activity")]
    assert [i["title"] for i in api_client.get(
        f"/api/v1/organizations/{rid}/timeline?limit=1").get_json()["items"]] == [
        "Quarterly review"]
    assert helpers.problem(api_client.get(f"/api/v1/organizations/{rid}/timeline?limit=0"),
                           400)["errors"] == {"limit": ["'0' is not between 1 and 500"]}
    helpers.problem(api_client.get(f"/api/v1/organizations/{rid + 1}/timeline"), 404)



def test_an_integer_too_large_for_the_column_is_a_422(api_client, helpers):
    response = api_client.post("/api/v1/organizations", json={"name": "Big", "size": 2 ** 70})
    assert "size" in helpers.problem(response, 422)["errors"]


def test_an_email_longer_than_its_column_is_a_422(api_client, kernel, helpers):
    email = "a" * 60 + "@" + ("b" * 60 + ".") * 4 + "com"
    response = api_client.post("/api/v1/organizations", json={"name": "Mail", "email": email})
    assert "email" in helpers.problem(response, 422)["errors"]


def test_changing_a_users_email_to_a_taken_one_is_a_422(api_client, kernel, helpers):
    taken = api_client.post("/api/v1/users", json={"email": "bo@example.com", "name": "Bo",
                                                   "role": "sales"}).get_json()
    other = api_client.post("/api/v1/users", json={"email": "cy@example.com", "name": "Cy",
                                                   "role": "sales"}).get_json()
    response = api_client.patch(f"/api/v1/users/{other['id']}", json={"email": taken["email"]})
    assert "email" in helpers.problem(response, 422)["errors"]
