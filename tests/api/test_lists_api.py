"""List endpoints: limits, filters with every operator (custom fields too), text search,
sorting with empty values, keyset pages, field choice, expand, and record rules."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
from decimal import Decimal
from typing import Any

import pytest

from accord import services
from accord.models import Role, RolePermission, RoleRule
from accord.services import Actor
from accord.services.fields import add_field

SYSTEM = Actor.system("test")

# Names sort alike under every collation: one capital, then lower-case ASCII.
ORGS = [
    # name, city, size, industry, customer_since, x_score, x_rate, x_tier, x_note, x_since,
    # x_vip, x_tags
    ("Alpha", "Oslo", 10, "Energy", "2020-01-15", 7, "1.25", "gold", "urgent call", "2021-05-01",
     True, ["eu"]),
    ("Bravo", "Berlin", 250, "Retail", None, 3, "2.50", "silver", None, None, False, ["us"]),
    ("Charlie", None, 10, "Energy", "2019-06-30", None, None, None, "not urgent", "2023-01-01",
     None, []),
    ("Delta", "Oslo", None, None, "2022-11-11", 7, "0.75", "bronze", "call later", "2022-02-02",
     True, ["eu", "us"]),
    ("Echo", "Bergen", 55, "Retail", "2021-02-01", 1, "1.25", "gold", None, None, False, None),
    ("Foxtrot", None, None, "Energy", None, None, "3.00", "silver", "Urgent!", "2020-12-31",
     None, ["apac"]),
    ("Golf", "Berlin", 55, None, "2020-01-15", 3, None, "gold", None, "2021-05-01", True, ["eu"]),
    ("Hotel", "Oslo", 1000, "Shipping", "2018-03-03", 9, "9.99", None, "quiet", None, False,
     None),
    ("India", None, 10, "Retail", None, 1, "0.10", "bronze", None, "2019-09-09", None, ["us"]),
    ("Juliett", "Bergen", 3, "Energy", "2023-04-04", None, "2.50", "silver", "urgent", None,
     True, []),
    ("Alpha", "Bergen", 40, "Shipping", "2017-07-07", 5, "1.00", "gold", None, None, None, None),
    ("Kilo", "Oslo", 10, None, None, 7, None, None, None, "2024-01-01", False, ["apac", "eu"]),
]
COLUMNS = ("name", "city", "size", "industry", "customer_since", "x_score", "x_rate", "x_tier",
           "x_note", "x_since", "x_vip", "x_tags")


def define_fields(kernel: Any) -> None:
    add_field(kernel, "organization", "x_score", "integer", actor=SYSTEM, indexed=True)
    add_field(kernel, "organization", "x_rate", "decimal", actor=SYSTEM)
    add_field(kernel, "organization", "x_tier", "choice", actor=SYSTEM,
              choices=["gold", "silver", "bronze"])
    add_field(kernel, "organization", "x_note", "text", actor=SYSTEM)
    add_field(kernel, "organization", "x_since", "date", actor=SYSTEM)
    add_field(kernel, "organization", "x_vip", "boolean", actor=SYSTEM)
    add_field(kernel, "organization", "x_tags", "multi_choice", actor=SYSTEM,
              choices=["eu", "us", "apac"])


@pytest.fixture
def orgs(kernel: Any) -> list[dict[str, Any]]:
    """The organizations above, stored; each as a dict with its id and typed values."""
    define_fields(kernel)
    rows = [dict(zip(COLUMNS, values)) for values in ORGS]
    ids = services.bulk_create(kernel, "organization", rows, actor=SYSTEM)
    out = []
    for rid, row in zip(ids, rows):
        typed = dict(row, id=rid)
        typed["customer_since"] = row["customer_since"] and dt.date.fromisoformat(
            row["customer_since"])
        typed["x_rate"] = row["x_rate"] and Decimal(row["x_rate"])
        out.append(typed)
    return out


def ids_of(response: Any) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def expected_order(rows: list[dict[str, Any]], sort: list[str]) -> list[int]:
    """The order the API promises: empty values last either way, the id breaking ties in
    the direction of the last key."""
    keys = [(s.lstrip("-"), s.startswith("-")) for s in sort]
    id_desc = bool(keys) and keys[-1][1]

    def compare(a: dict[str, Any], b: dict[str, Any]) -> int:
        for name, desc in keys:
            va, vb = a[name], b[name]
            if va == vb:
                continue
            if va is None or vb is None:
                return 1 if va is None else -1
            result = (va > vb) - (va < vb)
            return -result if desc else result
        result = (a["id"] > b["id"]) - (a["id"] < b["id"])
        return -result if id_desc else result

    return [r["id"] for r in sorted(rows, key=functools.cmp_to_key(compare))]


def walk(client: Any, path: str, limit: int) -> list[int]:
    """Every id of a list, following next_cursor page by page."""
    seen: list[int] = []
    separator = "&" if "?" in path else "?"
    url = f"{path}{separator}limit={limit}"
    for _ in range(1000):
        response = client.get(url)
        page = ids_of(response)
        assert len(page) <= limit
        seen += page
        cursor = response.get_json()["next_cursor"]
        if cursor is None:
            return seen
        assert len(page) == limit  # only full pages point further
        url = f"{path}{separator}limit={limit}&cursor={cursor}"
    raise AssertionError("the pages never end")


def cursor(values: list[Any]) -> str:
    raw = json.dumps(values).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Limits --------------------------------------------------------------------------------

def test_limit_defaults_to_50_and_stops_at_500(api_client, kernel):
    services.bulk_create(kernel, "organization", [{"name": f"Org{i:04d}"} for i in range(501)],
                         actor=SYSTEM)
    first = api_client.get("/api/v1/organizations").get_json()
    assert len(first["items"]) == 50 and first["next_cursor"]
    biggest = api_client.get("/api/v1/organizations?limit=500").get_json()
    assert len(biggest["items"]) == 500
    rest = api_client.get(f"/api/v1/organizations?limit=500&cursor={biggest['next_cursor']}")
    assert ids_of(rest) == [max(ids_of(rest))] and rest.get_json()["next_cursor"] is None
    assert len(api_client.get("/api/v1/organizations?limit=1").get_json()["items"]) == 1


@pytest.mark.parametrize("value", ["0", "501", "abc", "-1", "", "2.5", "1e2", "²", "%C2%B9"])
def test_a_limit_out_of_range_is_a_400_naming_it(value, api_client, helpers):
    problem = helpers.problem(api_client.get(f"/api/v1/organizations?limit={value}"), 400)
    assert "limit" in problem["errors"]
    assert "500" in problem["detail"]


# Filters -------------------------------------------------------------------------------

FILTERS = [
    ("name=Alpha", lambda r: r["name"] == "Alpha"),
    ("size=10", lambda r: r["size"] == 10),
    ("size__gte=55", lambda r: r["size"] is not None and r["size"] >= 55),
    ("size__gt=55", lambda r: r["size"] is not None and r["size"] > 55),
    ("size__lte=10", lambda r: r["size"] is not None and r["size"] <= 10),
    ("size__lt=10", lambda r: r["size"] is not None and r["size"] < 10),
    ("city__in=Oslo,Bergen", lambda r: r["city"] in ("Oslo", "Bergen")),
    ("name__contains=LPH", lambda r: "lph" in r["name"].lower()),
    ("city__isnull=true", lambda r: r["city"] is None),
    ("city__isnull=false", lambda r: r["city"] is not None),
    ("industry=Energy&size__lte=10", lambda r: r["industry"] == "Energy" and r["size"] is not None
     and r["size"] <= 10),
    ("customer_since__gte=2020-01-15", lambda r: r["customer_since"] is not None
     and r["customer_since"] >= dt.date(2020, 1, 15)),
    ("customer_since__lt=2020-01-15", lambda r: r["customer_since"] is not None
     and r["customer_since"] < dt.date(2020, 1, 15)),
    ("customer_since__isnull=true", lambda r: r["customer_since"] is None),
    ("x_score=7", lambda r: r["x_score"] == 7),
    ("x_score__gte=5", lambda r: r["x_score"] is not None and r["x_score"] >= 5),
    ("x_score__lt=3", lambda r: r["x_score"] is not None and r["x_score"] < 3),
    ("x_score__in=1,9", lambda r: r["x_score"] in (1, 9)),
    ("x_score__isnull=true", lambda r: r["x_score"] is None),
    ("x_rate__gt=1.25", lambda r: r["x_rate"] is not None and r["x_rate"] > Decimal("1.25")),
    ("x_rate__lte=1.25", lambda r: r["x_rate"] is not None and r["x_rate"] <= Decimal("1.25")),
    ("x_rate=2.5", lambda r: r["x_rate"] == Decimal("2.5")),
    ("x_tier=gold", lambda r: r["x_tier"] == "gold"),
    ("x_tier__in=silver,bronze", lambda r: r["x_tier"] in ("silver", "bronze")),
    ("x_note__contains=URGENT", lambda r: r["x_note"] is not None and "urgent" in r["x_note"].lower()),
    ("x_since__gte=2021-05-01", lambda r: r["x_since"] is not None and r["x_since"] >= "2021-05-01"),
    ("x_since__lt=2021-05-01", lambda r: r["x_since"] is not None and r["x_since"] < "2021-05-01"),
    ("x_vip=true", lambda r: r["x_vip"] is True),
    ("x_vip=false", lambda r: r["x_vip"] is False),
    ("x_vip__isnull=true", lambda r: r["x_vip"] is None),
    ("x_tags__contains=eu", lambda r: "eu" in (r["x_tags"] or [])),
    ("x_tags__contains=apac", lambda r: "apac" in (r["x_tags"] or [])),
    ("x_score__gte=3&x_tier=gold&city__isnull=false", lambda r: (r["x_score"] or 0) >= 3
     and r["x_tier"] == "gold" and r["city"] is not None),
]


@pytest.mark.parametrize("query, wanted", FILTERS, ids=[f[0] for f in FILTERS])
def test_filters_with_each_operator(query, wanted, orgs, api_client):
    expected = [r["id"] for r in orgs if wanted(r)]
    assert expected, "a filter that matches nothing proves little"
    assert expected != [r["id"] for r in orgs], "nor one that matches everything"
    assert ids_of(api_client.get(f"/api/v1/organizations?{query}")) == expected


def test_filters_on_the_creation_time_and_ids(orgs, api_client):
    everyone = [r["id"] for r in orgs]
    assert ids_of(api_client.get("/api/v1/organizations?created_at__gte=2000-01-01")) == everyone
    assert ids_of(api_client.get(
        "/api/v1/organizations?created_at__lt=2000-01-01T00:00:00%2B00:00")) == []
    some = everyone[2:5]
    assert ids_of(api_client.get(
        f"/api/v1/organizations?id__in={','.join(map(str, some))}")) == some


def test_filtered_values_come_back_in_the_body(orgs, api_client):
    items = api_client.get("/api/v1/organizations?x_tier=gold&sort=x_rate").get_json()["items"]
    assert [(i["name"], i["x_rate"], i["x_score"], i["x_vip"]) for i in items] == [
        ("Alpha", "1.00", 5, None), ("Alpha", "1.25", 7, True), ("Echo", "1.25", 1, False),
        ("Golf", None, 3, True)]


@pytest.mark.parametrize("query, name", [
    ("colour=red", "colour"), ("x_nope=1", "x_nope"), ("size__near=3", "size__near"),
    ("size=big", "size"), ("x_score=high", "x_score"), ("x_rate__gt=lots", "x_rate__gt"),
    ("customer_since=yesterday", "customer_since"), ("city__isnull=maybe", "city__isnull"),
    ("custom=1", "custom"), ("size__in=1,two", "size__in")])
def test_an_unknown_or_malformed_filter_is_a_400_naming_it(query, name, orgs, api_client, helpers):
    problem = helpers.problem(api_client.get(f"/api/v1/organizations?{query}"), 400)
    assert name in problem["errors"]


def test_a_nul_character_in_a_parameter_is_a_400(api_client, helpers):
    helpers.problem(api_client.get("/api/v1/organizations?name=a%00b"), 400)
    helpers.problem(api_client.get("/api/v1/organizations?q=%00"), 400)


# Text search ---------------------------------------------------------------------------

def test_q_searches_the_searchable_fields_case_insensitively(orgs, api_client):
    def q(text: str) -> list[str]:
        return [i["name"] for i in api_client.get(
            f"/api/v1/organizations?q={text}&sort=name").get_json()["items"]]

    assert q("ALPH") == ["Alpha", "Alpha"]
    assert q("osl") == ["Alpha", "Delta", "Hotel", "Kilo"]  # the city is searched too
    assert q("energy") == []  # the industry is not
    assert q("ber") == ["Alpha", "Bravo", "Echo", "Golf", "Juliett"]
    assert q("zzz") == []


def test_q_combines_with_filters(orgs, api_client):
    response = api_client.get("/api/v1/organizations?q=oslo&size__gte=10&sort=-size")
    # Alpha and Kilo tie on size; the id breaks the tie in the last key's direction.
    assert [i["name"] for i in response.get_json()["items"]] == ["Hotel", "Kilo", "Alpha"]


# Sorting and keyset pages ------------------------------------------------------------

SORTS = [
    ["name"], ["-name"], ["size"], ["-size"], ["size", "name"], ["-size", "-name"],
    ["city", "-size"], ["-city", "size"], ["customer_since"], ["-customer_since", "name"],
    ["x_score"], ["-x_score", "name"], ["x_rate", "-x_score"], ["-x_rate"], ["x_tier", "name"],
    ["x_since"], ["-x_vip", "x_score"], ["industry", "city", "size"], ["-id"], [],
]


@pytest.mark.parametrize("sort", SORTS, ids=[",".join(s) or "none" for s in SORTS])
def test_sorting_puts_empty_values_last_and_ids_break_ties(sort, orgs, api_client):
    path = f"/api/v1/organizations?sort={','.join(sort)}"
    expected = expected_order(orgs, sort)
    assert ids_of(api_client.get(path)) == expected


@pytest.mark.parametrize("sort", SORTS, ids=[",".join(s) or "none" for s in SORTS])
@pytest.mark.parametrize("limit", [1, 4])
def test_walking_the_pages_returns_every_row_once_in_order(sort, limit, orgs, api_client):
    path = f"/api/v1/organizations?sort={','.join(sort)}"
    assert walk(api_client, path, limit) == expected_order(orgs, sort)


def test_pages_of_a_filtered_list_keep_the_filter(orgs, api_client):
    path = "/api/v1/organizations?city__isnull=false&sort=-size,name"
    expected = expected_order([r for r in orgs if r["city"] is not None], ["-size", "name"])
    assert walk(api_client, path, 2) == expected


def test_a_row_added_before_the_cursor_does_not_shift_the_next_page(orgs, api_client,
                                                                   kernel):
    # Keyset pages are positions, not offsets: nothing is seen twice or skipped.
    first = api_client.get("/api/v1/organizations?sort=name&limit=4").get_json()
    services.create(kernel, "organization", {"name": "Aardvark"}, actor=SYSTEM)
    rest = api_client.get(f"/api/v1/organizations?sort=name&limit=100"
                          f"&cursor={first['next_cursor']}")
    assert ids_of(rest) == expected_order(orgs, ["name"])[4:]


@pytest.mark.parametrize("bad", [
    "abc", "!!!", cursor([]), cursor([1, 2, 3]), cursor(["Alpha", "x"]),
    cursor({"name": "Alpha"}), cursor([{"dt": "not a time"}, 1]),
])
def test_a_bad_cursor_is_a_400(bad, orgs, api_client, helpers):
    problem = helpers.problem(api_client.get(f"/api/v1/organizations?sort=name&cursor={bad}"), 400)
    assert "cursor" in problem["errors"]


@pytest.mark.parametrize("sort, values", [
    ("size", ["big", 1]), ("size", [[1, 2], 1]), ("size", [2 ** 70, 1]),
    ("name", [{"n": "1"}, 1]), ("name", ["A\u0000", 1]),
    ("created_at", ["yesterday", 1]), ("created_at", [{"dt": "2020-01-01T00:00:00"}, 1]),
    ("customer_since", [5, 1]), ("x_score", ["high", 1]), ("x_vip", [1, 1]),
    ("", [True]), ("", [2 ** 70]), ("", ["1"]), ("", [None]),
], ids=lambda v: str(v)[:30])
def test_an_edited_cursor_is_a_400_not_a_500(sort, values, orgs, api_client, helpers):
    problem = helpers.problem(api_client.get(
        f"/api/v1/organizations?sort={sort}&cursor={cursor(values)}"), 400)
    assert "cursor" in problem["errors"]


def test_a_cursor_of_another_sort_is_a_400(orgs, api_client, helpers):
    page = api_client.get("/api/v1/organizations?sort=size,name&limit=2").get_json()
    helpers.problem(api_client.get(f"/api/v1/organizations?sort=name&cursor={page['next_cursor']}"),
                    400)


@pytest.mark.parametrize("sort, name", [
    ("colour", "sort.colour"), ("-x_nope", "sort.x_nope"), ("custom", "sort.custom"),
    ("unit_price_currency", "sort.unit_price_currency")])
def test_an_unknown_sort_field_is_a_400_naming_it(sort, name, orgs, api_client, helpers):
    path = "products" if "currency" in sort else "organizations"
    problem = helpers.problem(api_client.get(f"/api/v1/{path}?sort={sort}"), 400)
    assert name in problem["errors"]
    assert name.split(".", 1)[1] in problem["errors"][name][0]


# Field choice and expand ---------------------------------------------------------------

def test_fields_keeps_only_those_and_the_id(orgs, api_client):
    items = api_client.get("/api/v1/organizations?fields=name,x_score&sort=name&limit=3")
    assert items.get_json()["items"] == [
        {"id": r["id"], "name": r["name"], "x_score": r["x_score"]}
        for r in sorted(orgs, key=lambda r: (r["name"], r["id"]))[:3]]
    assert items.get_json()["next_cursor"]


def test_fields_naming_an_unknown_field_is_a_400(orgs, api_client, helpers):
    problem = helpers.problem(api_client.get("/api/v1/organizations?fields=name,colour"), 400)
    assert "colour" in problem["errors"]["fields"][0]


@pytest.fixture
def contacts(kernel: Any, api_client: Any) -> list[int]:
    org_ids = services.bulk_create(kernel, "organization", [
        {"name": f"Org{i}", "city": f"City{i}"} for i in range(12)], actor=SYSTEM)
    rows = [{"last_name": f"Person{i:02d}", "email": f"p{i}@example.com",
             "owner_id": api_client.user.id,
             "organization_id": None if i % 5 == 0 else org_ids[i % 12]} for i in range(45)]
    return services.bulk_create(kernel, "contact", rows, actor=SYSTEM)


def test_expand_embeds_the_organization(contacts, api_client, kernel):
    items = api_client.get("/api/v1/contacts?expand=organization&limit=10").get_json()["items"]
    for item in items:
        if item["organization_id"] is None:
            assert item["organization"] is None
        else:
            org = api_client.get(f"/api/v1/organizations/{item['organization_id']}").get_json()
            assert item["organization"] == org
    assert any(i["organization"] is None for i in items)
    assert any(i["organization"] is not None for i in items)


@pytest.mark.parametrize("limit", [3, 45])
def test_expand_costs_one_query_whatever_the_page_size(limit, contacts, api_client,
                                                      count_queries):
    api_client.get("/api/v1/contacts?limit=1")  # the token's first use is noted once

    def queries(path: str) -> int:
        with count_queries() as counter:
            response = api_client.get(path)
        assert len(response.get_json()["items"]) == limit
        return int(counter.count)

    plain = queries(f"/api/v1/contacts?limit={limit}")
    expanded = queries(f"/api/v1/contacts?limit={limit}&expand=organization")
    assert expanded == plain + 1
    both = queries(f"/api/v1/contacts?limit={limit}&expand=organization,owner")
    assert both == plain + 2


@pytest.mark.parametrize("name", ["nope", "last_name", "organization_id"])
def test_expand_of_something_not_a_reference_is_a_400(name, contacts, api_client, helpers):
    problem = helpers.problem(api_client.get(f"/api/v1/contacts?expand={name}"), 400)
    assert name in problem["errors"]["expand"][0]


def test_expand_of_a_reference_to_a_plain_table_is_a_400(api_client, helpers):
    # A user's role is a plain table, not a record type: nothing to embed, nothing erased.
    helpers.problem(api_client.get("/api/v1/users?expand=role"), 400)
    assert api_client.get("/api/v1/users").get_json()["items"][0]["role"] == "admin"


# Record rules in lists -------------------------------------------------------------------

@pytest.fixture
def team_activities(kernel: Any, make_api_client: Any) -> dict[str, Any]:
    """Sales people in two teams and activities of each; sales reach activities by team."""
    north = services.create(kernel, "team", {"name": "North"}, actor=SYSTEM)
    services.create(kernel, "team", {"name": "South"}, actor=SYSTEM)
    sam = make_api_client("sales", email="sam@example.com", teams=["North"])
    mia = make_api_client("sales", email="mia@example.com", teams=["North"])
    ole = make_api_client("sales", email="ole@example.com", teams=["South"])
    rows = []
    for i in range(17):
        owner = (sam, mia, ole)[i % 3].user.id
        rows.append({"kind": "call", "subject": f"Call {i:02d}", "owner_id": owner,
                     "due_at": None if i % 4 == 0 else f"2024-01-{(i % 7) + 1:02d}T10:00:00Z",
                     "team_id": north.id if i in (2, 11) else None})
    ids = services.bulk_create(kernel, "activity", rows, actor=SYSTEM)
    visible = [rid for rid, row in zip(ids, rows)
               if row["owner_id"] in (sam.user.id, mia.user.id) or row["team_id"] == north.id]
    return {"sam": sam, "ole": ole, "ids": ids, "visible": visible, "rows": rows}


@pytest.mark.parametrize("sort", ["", "-due_at", "due_at,-subject", "owner_id,-id"])
def test_a_restricted_user_never_sees_other_records_through_cursors(sort, team_activities,
                                                                   api_client):
    sam, visible = team_activities["sam"], team_activities["visible"]
    assert 0 < len(visible) < len(team_activities["ids"])
    path = f"/api/v1/activities?sort={sort}"
    everything = walk(api_client, path, 4)
    assert sorted(everything) == sorted(team_activities["ids"])
    assert walk(sam, path, 2) == [i for i in everything if i in visible]
    # A cursor taken from someone who sees more only leads to what this user may see.
    admin_page = api_client.get(f"{path}&limit=3").get_json()
    later = sam.get(f"{path}&limit=100&cursor={admin_page['next_cursor']}")
    assert ids_of(later) == [i for i in everything[3:] if i in visible]


def test_filters_do_not_reach_past_the_record_rule(team_activities):
    sam, ole = team_activities["sam"], team_activities["ole"]
    hidden = [i for i in team_activities["ids"] if i not in team_activities["visible"]]
    assert ids_of(sam.get(f"/api/v1/activities?id__in={','.join(map(str, hidden))}")) == []
    # Ole's activities Sam reaches are the ones put in Sam's team.
    north_of_ole = [rid for rid, row in zip(team_activities["ids"], team_activities["rows"])
                    if row["owner_id"] == ole.user.id and row["team_id"] is not None]
    assert north_of_ole
    assert ids_of(sam.get(f"/api/v1/activities?owner_id={ole.user.id}")) == north_of_ole
    assert ids_of(sam.get("/api/v1/activities?limit=500")) == sorted(team_activities["visible"])


def test_expand_shows_only_what_the_rule_reaches(kernel, make_api_client):
    # A role that reads everything but reaches only its own organizations.
    with kernel.bound():
        Role.create(name="own-orgs", description="test")
        RolePermission.insert_many([("own-orgs", "core.*.read")],
                                   fields=[RolePermission.role, RolePermission.permission]).execute()
        RoleRule.insert_many([("own-orgs", "organization", "own"), ("own-orgs", "*", "all")],
                             fields=[RoleRule.role, RoleRule.record_type, RoleRule.scope]).execute()
    viewer = make_api_client("own-orgs")
    mine = services.create(kernel, "organization", {"name": "Mine", "owner_id": viewer.user.id},
                           actor=SYSTEM)
    theirs = services.create(kernel, "organization", {"name": "Theirs"}, actor=SYSTEM)
    for org in (mine, theirs):
        services.create(kernel, "contact", {"last_name": f"At {org.name}",
                                            "organization_id": org.id}, actor=SYSTEM)
    items = viewer.get("/api/v1/contacts?expand=organization&sort=last_name").get_json()["items"]
    assert [(i["last_name"], i["organization"] and i["organization"]["name"])
            for i in items] == [("At Mine", "Mine"), ("At Theirs", None)]
    assert [i["name"] for i in viewer.get("/api/v1/organizations").get_json()["items"]] == [
        "Mine"]


def test_a_filter_value_past_64_bits_is_not_a_500(api_client):
    response = api_client.get("/api/v1/organizations?size=99999999999999999999999")
    assert response.status_code in (200, 400), response.get_json()
    assert response.mimetype == ("application/json" if response.status_code == 200
                                 else "application/problem+json")


def test_fields_keeps_the_relations_asked_to_expand(contacts, api_client):
    items = api_client.get("/api/v1/contacts?fields=last_name&expand=organization&limit=2"
                           ).get_json()["items"]
    assert items and all(set(item) == {"id", "last_name", "organization"} for item in items)
    assert any(item["organization"] for item in items)
    assert all(item["organization"]["id"] for item in items if item["organization"])


def test_a_list_request_reads_its_token_actor_and_counters_in_one_statement(
        contacts, api_client, count_queries):
    api_client.get("/api/v1/contacts?limit=1")  # the token's first use is noted once
    with count_queries() as counter:
        response = api_client.get("/api/v1/contacts?limit=5")
    assert len(response.get_json()["items"]) == 5
    statements = [record.msg[0] for record in counter.get_queries()]
    # One statement before the page: the token's user, its role's grants and rules, its
    # teams, and the counters the kernel syncs from (a toggle elsewhere is seen); then
    # the page and its contacts' products of interest.
    assert len(statements) == 3, statements
    lookup = statements[0]
    for table in ("accord_api_token", "accord_meta", "accord_role_permission",
                  "accord_role_rule", "accord_team_member"):
        assert f'"{table}"' in lookup, table
    assert statements[1].startswith("SELECT") and '"accord_contact"' in statements[1]
    assert '"contact_id" IN' in statements[2]
