"""Who may do what through the API: a permission matrix generated from the declared
permissions and the built-in roles' grants (stored, and given by plugins), record rules
(own, team, all), and personal data masking."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from accord import services
from accord.builtin import CORE_TYPES
from accord.models import BUILTIN_ROLES
from accord.services import Actor, roles
from accord.services.fields import add_field

SYSTEM = Actor.system("test")
ACTIONS = ("read", "write", "delete")
_unique = itertools.count(1)


def grants_of(kernel: Any, role: str) -> tuple[str, ...]:
    """The permission patterns a role holds: stored, and given by running plugins."""
    return roles.get_role(kernel, role, actor=SYSTEM).grants


def holder(kernel: Any, role: str) -> Actor:
    return Actor(None, role, role=role, grants=grants_of(kernel, role))


def new_body(type_name: str) -> dict[str, Any]:
    """A valid new record of a core type (unique values kept unique)."""
    n = next(_unique)
    return {
        "organization": {"name": f"Org {n}"},
        "contact": {"last_name": f"Person {n}", "email": f"person{n}@example.com"},
        "activity": {"kind": "task", "subject": f"Task {n}"},
        "product": {"sku": f"SKU-{n}", "name": f"Product {n}"},
        "user": {"email": f"user{n}@example.com", "name": f"User {n}", "role": "read-only"},
        "team": {"name": f"Team {n}"},
        "goal": {"metric": "core.new_customers", "period": f"{2000 + n % 7000}",
                 "scope": "user", "target": 10},
    }[type_name]


def record_of(kernel: Any, type_name: str, owner_id: int) -> Any:
    """A record the user reaches under any rule: their own, where records have owners."""
    data = new_body(type_name)
    if kernel.records.get(type_name).owned:
        data["owner_id"] = owner_id
    return services.create(kernel, type_name, data, actor=SYSTEM)


def test_the_matrix_covers_every_declared_record_permission(kernel):
    # core.personal_data.read has a test of its own below, and core.metrics.read in
    # tests/api/test_metrics_api.py.
    declared = {name for name in kernel.permissions
                if re.fullmatch(r"core\.\w+\.(read|write|delete)", name)
                and name not in ("core.personal_data.read", "core.metrics.read")}
    assert {rt.name for rt in kernel.records if rt.plugin == "core"} == {
        rt.name for rt in CORE_TYPES}
    cells = {f"core.{rt.name}.{action}" for rt in CORE_TYPES for action in ACTIONS}
    assert declared == cells
    # The grants allow some cells and refuse others: the matrix tests both.
    outcomes = {holder(kernel, role).can(cell) for role in BUILTIN_ROLES for cell in cells}
    assert outcomes == {True, False}


@pytest.mark.parametrize("type_name, plural", [(rt.name, rt.plural) for rt in CORE_TYPES])
@pytest.mark.parametrize("role", sorted(BUILTIN_ROLES))
def test_permission_matrix(role, type_name, plural, kernel, make_api_client, helpers):
    client = make_api_client(role)
    can = holder(kernel, role).can
    record = record_of(kernel, type_name, client.user.id)
    location = f"/api/v1/{plural}/{record.id}"

    def refused(response: Any, permission: str) -> None:
        problem = helpers.problem(response, 403)
        assert permission in problem["detail"], problem

    # read
    permission = f"core.{type_name}.read"
    if can(permission):
        listed = client.get(f"/api/v1/{plural}?limit=500")
        assert listed.status_code == 200
        assert record.id in [i["id"] for i in listed.get_json()["items"]]
        assert client.get(location).get_json()["id"] == record.id
    else:
        refused(client.get(f"/api/v1/{plural}"), permission)
        refused(client.get(location), permission)

    # write
    permission = f"core.{type_name}.write"
    before = helpers.rows(kernel, type_name)
    created = client.post(f"/api/v1/{plural}", json=new_body(type_name))
    changed = client.patch(location, json={"name": "Renamed"} if "name" in new_body(type_name)
                           else {"subject": "Renamed"} if type_name == "activity"
                           else {"target": 20} if type_name == "goal"
                           else {"title": "Renamed"})
    if can(permission) and type_name == "user" and not can("admin.users"):
        # A new user gets a role, and giving roles is managing users.
        refused(created, "admin.users")
        assert helpers.rows(kernel, type_name) == before
        assert changed.status_code == 200, changed.get_json()
    elif can(permission):
        assert created.status_code == 201, created.get_json()
        assert helpers.rows(kernel, type_name) == before + 1
        assert changed.status_code == 200, changed.get_json()
        assert helpers.stored(kernel, type_name, record.id).version == 2
    else:
        refused(created, permission)
        refused(changed, permission)
        assert helpers.rows(kernel, type_name) == before
        assert helpers.stored(kernel, type_name, record.id).version == 1

    # delete
    permission = f"core.{type_name}.delete"
    deleted = client.delete(location)
    if can(permission):
        assert deleted.status_code == 204
        assert helpers.stored(kernel, type_name, record.id) is None
    else:
        refused(deleted, permission)
        assert helpers.stored(kernel, type_name, record.id) is not None


@pytest.mark.parametrize("role", sorted(BUILTIN_ROLES))
def test_personal_data_follows_the_explicit_grant(role, kernel, make_api_client):
    client = make_api_client(role)
    contact = services.create(kernel, "contact", {
        "last_name": "Ng", "email": "ng@example.com", "phone": "+1 555", "city": "Oslo",
        "birthday": "1980-02-03", "title": "CEO"}, actor=SYSTEM)
    shown = client.get(f"/api/v1/contacts/{contact.id}").get_json()
    visible = holder(kernel, role).can("core.personal_data.read")
    assert visible == (role != "read-only")
    expected = ({"email": "ng@example.com", "phone": "+1 555", "city": "Oslo",
                 "birthday": "1980-02-03"} if visible else
                {"email": None, "phone": None, "city": None, "birthday": None})
    assert {k: shown[k] for k in expected} == expected
    assert (shown["last_name"], shown["title"]) == ("Ng", "CEO")  # not personal


# Record rules ----------------------------------------------------------------------------

@pytest.fixture
def people(kernel: Any, make_api_client: Any) -> dict[str, Any]:
    """Sam and Mia (sales, North), Ole (sales, South), Max (manager, North), Lea (manager,
    no team)."""
    north = services.create(kernel, "team", {"name": "North"}, actor=SYSTEM)
    services.create(kernel, "team", {"name": "South"}, actor=SYSTEM)
    return {
        "north": north.id,
        "sam": make_api_client("sales", email="sam@example.com", teams=["North"]),
        "mia": make_api_client("sales", email="mia@example.com", teams=["North"]),
        "ole": make_api_client("sales", email="ole@example.com", teams=["South"]),
        "max": make_api_client("manager", email="max@example.com", teams=["North"]),
        "lea": make_api_client("manager", email="lea@example.com"),
    }


def activity_of(kernel: Any, client: Any, subject: str, **extra: Any) -> int:
    return int(services.create(kernel, "activity", {"kind": "call", "subject": subject,
                                                    "owner_id": client.user.id, **extra},
                               actor=SYSTEM).id)


def subjects(client: Any, path: str = "/api/v1/activities") -> list[str]:
    response = client.get(f"{path}?limit=500&sort=subject")
    assert response.status_code == 200
    return [i["subject"] for i in response.get_json()["items"]]


def test_sales_reach_the_activities_of_their_team_only(people, kernel, helpers):
    sam, mia, ole = people["sam"], people["mia"], people["ole"]
    activity_of(kernel, sam, "Sam 1")
    activity_of(kernel, sam, "Sam 2")
    activity_of(kernel, mia, "Mia 1")
    south = activity_of(kernel, ole, "Ole 1")
    shared = activity_of(kernel, ole, "Ole for North", team_id=people["north"])
    assert subjects(sam) == ["Mia 1", "Ole for North", "Sam 1", "Sam 2"]
    assert subjects(ole) == ["Ole 1", "Ole for North"]
    assert sam.get(f"/api/v1/activities/{shared}").status_code == 200

    location = f"/api/v1/activities/{south}"
    assert "activity" in helpers.problem(sam.get(location), 404)["detail"]
    helpers.problem(sam.patch(location, json={"subject": "Taken"}), 404)
    helpers.problem(sam.delete(location), 404)
    helpers.problem(sam.get(f"{location}/history"), 404)
    row = helpers.stored(kernel, "activity", south)
    assert (row.subject, row.version) == ("Ole 1", 1)


def test_sales_give_activities_only_within_their_team(people, kernel, helpers):
    sam, mia, ole = people["sam"], people["mia"], people["ole"]
    helpers.problem(sam.post("/api/v1/activities", json={"kind": "call", "subject": "For Ole",
                                                         "owner_id": ole.user.id}), 403)
    mine = activity_of(kernel, sam, "Mine")
    helpers.problem(sam.patch(f"/api/v1/activities/{mine}", json={"owner_id": ole.user.id}), 403)
    assert helpers.stored(kernel, "activity", mine).owner_id == sam.user.id
    handed = sam.patch(f"/api/v1/activities/{mine}", json={"owner_id": mia.user.id})
    assert handed.status_code == 200
    assert helpers.stored(kernel, "activity", mine).owner_id == mia.user.id
    assert helpers.rows(kernel, "activity") == 1


def test_sales_reach_every_organization_and_contact(people, kernel):
    sam, ole = people["sam"], people["ole"]
    org = services.create(kernel, "organization", {"name": "Ole's", "owner_id": ole.user.id},
                          actor=SYSTEM)
    services.create(kernel, "contact", {"last_name": "Ole's contact",
                                        "owner_id": ole.user.id}, actor=SYSTEM)
    assert [i["name"] for i in sam.get("/api/v1/organizations").get_json()["items"]] == ["Ole's"]
    assert len(sam.get("/api/v1/contacts").get_json()["items"]) == 1
    changed = sam.patch(f"/api/v1/organizations/{org.id}", json={"city": "Oslo"})
    assert changed.status_code == 200
    assert changed.get_json()["owner_id"] == ole.user.id


def test_a_manager_reaches_the_activities_of_their_team(people, kernel, helpers):
    sam, ole, max_, lea = people["sam"], people["ole"], people["max"], people["lea"]
    activity_of(kernel, sam, "Sam 1")
    south = activity_of(kernel, ole, "Ole 1")
    activity_of(kernel, max_, "Max 1")
    activity_of(kernel, lea, "Lea 1")
    assert subjects(max_) == ["Max 1", "Sam 1"]
    helpers.problem(max_.get(f"/api/v1/activities/{south}"), 404)
    helpers.problem(max_.delete(f"/api/v1/activities/{south}"), 404)
    assert helpers.stored(kernel, "activity", south) is not None
    # Without a team, a manager's team rule reaches only their own records.
    assert subjects(lea) == ["Lea 1"]
    # Organizations are 'all' for managers.
    services.create(kernel, "organization", {"name": "Far away", "owner_id": ole.user.id},
                    actor=SYSTEM)
    assert [i["name"] for i in lea.get("/api/v1/organizations").get_json()["items"]] == [
        "Far away"]


# Personal data ---------------------------------------------------------------------------

@pytest.fixture
def contact(kernel: Any, api_client: Any) -> dict[str, Any]:
    created = api_client.post("/api/v1/contacts", json={
        "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
        "phone": "+44 20 7946", "mobile": "+44 7700"})
    api_client.patch(f"/api/v1/contacts/{created.get_json()['id']}",
                     json={"email": "ada@engine.example", "title": "Countess"})
    return created.get_json()  # type: ignore[no-any-return]


def test_personal_data_is_null_for_read_only_and_present_for_sales(contact, make_api_client):
    reader, seller = make_api_client("read-only"), make_api_client("sales")
    location = f"/api/v1/contacts/{contact['id']}"
    masked = reader.get(location).get_json()
    assert (masked["email"], masked["phone"], masked["mobile"]) == (None, None, None)
    assert (masked["first_name"], masked["last_name"], masked["title"]) == (
        "Ada", "Lovelace", "Countess")
    shown = seller.get(location).get_json()
    assert (shown["email"], shown["phone"], shown["mobile"]) == (
        "ada@engine.example", "+44 20 7946", "+44 7700")
    listed = reader.get("/api/v1/contacts").get_json()["items"]
    assert [(i["email"], i["phone"]) for i in listed] == [(None, None)]


def test_history_masks_personal_fields_for_read_only(contact, make_api_client):
    reader, seller = make_api_client("read-only"), make_api_client("sales")
    path = f"/api/v1/contacts/{contact['id']}/history"
    masked = reader.get(path).get_json()["items"]
    assert masked[0]["changes"]["email"] is None and masked[0]["changes"]["phone"] is None
    assert masked[0]["changes"]["last_name"] == [None, "Lovelace"]
    assert masked[1]["changes"] == {"email": None, "title": [None, "Countess"]}
    shown = seller.get(path).get_json()["items"]
    assert shown[1]["changes"]["email"] == ["ada@example.com", "ada@engine.example"]


def test_masked_fields_cannot_be_probed_by_filters_sorting_or_search(contact, make_api_client,
                                                                     helpers):
    reader, seller = make_api_client("read-only"), make_api_client("sales")
    for query in ("email=ada@engine.example", "email__contains=ada", "phone__isnull=false",
                  "sort=email", "sort=-mobile"):
        problem = helpers.problem(reader.get(f"/api/v1/contacts?{query}"), 403)
        assert "core.personal_data.read" in problem["detail"]
    assert reader.get("/api/v1/contacts?q=engine").get_json()["items"] == []
    assert len(reader.get("/api/v1/contacts?q=Lovelace").get_json()["items"]) == 1
    assert len(seller.get("/api/v1/contacts?email=ada@engine.example").get_json()["items"]) == 1
    assert len(seller.get("/api/v1/contacts?q=engine").get_json()["items"]) == 1


def test_a_personal_custom_field_is_masked_too(kernel, api_client, make_api_client, helpers):
    add_field(kernel, "contact", "x_passport", "text", actor=SYSTEM, personal=True)
    add_field(kernel, "contact", "x_shoe", "integer", actor=SYSTEM)
    created = api_client.post("/api/v1/contacts", json={"last_name": "Ng",
                                                        "x_passport": "X123", "x_shoe": 44})
    reader = make_api_client("read-only")
    shown = reader.get(f"/api/v1/contacts/{created.get_json()['id']}").get_json()
    assert (shown["x_passport"], shown["x_shoe"]) == (None, 44)
    helpers.problem(reader.get("/api/v1/contacts?x_passport=X123"), 403)


def test_an_expanded_record_is_masked_too(kernel, make_api_client):
    person = services.create(kernel, "contact", {"last_name": "Ng", "email": "ng@example.com"},
                             actor=SYSTEM)
    services.create(kernel, "activity", {"kind": "call", "subject": "Hi",
                                         "contact_id": person.id}, actor=SYSTEM)
    reader = make_api_client("read-only")
    item = reader.get("/api/v1/activities?expand=contact").get_json()["items"][0]
    assert item["contact"]["last_name"] == "Ng" and item["contact"]["email"] is None



def test_a_manager_cannot_make_itself_admin(make_api_client, kernel, helpers):
    manager = make_api_client("manager")
    response = manager.patch(f"/api/v1/users/{manager.user.id}", json={"role": "admin"})
    helpers.problem(response, 403)
    assert helpers.stored(kernel, "user", manager.user.id).role_id == "manager"


# Plugins' grants -------------------------------------------------------------------------

def test_the_built_in_roles_get_plugin_permissions_from_the_plugins(make_kernel,
                                                                    make_api_client, helpers):
    k = make_kernel(plugins=["sales", "competitors"], enable=["sales", "competitors"])
    given = {role: dict(roles.get_role(k, role, actor=SYSTEM).contributed)
             for role in sorted(BUILTIN_ROLES)}
    assert given == {"admin": {}, "marketing": {}, "read-only": {}, "service": {},
                     "manager": {"competitors.*": "competitors", "sales.*": "sales"},
                     "sales": {"competitors.*": "competitors", "sales.*": "sales"}}
    seller, agent = make_api_client("sales", kernel=k), make_api_client("service", kernel=k)
    assert seller.get("/api/v1/sales/opportunities").status_code == 200
    assert "sales.opportunity.read" in helpers.problem(
        agent.get("/api/v1/sales/opportunities"), 403)["detail"]
