"""accord.query.find: filters with operators on built-in and custom fields, text
search, and sorting, on a small fixed set of organizations."""

from __future__ import annotations

import pytest

from accord import services
from accord.errors import ValidationError
from accord.query import find
from accord.services.fields import add_field

ORGS = [
    # name, city, size, relationship, industry, customer_since, custom values
    ("Northwind Traders", "Hamburg", 120, "customer", "Wholesale", "2023-06-01",
     {"x_tier": "gold", "x_seats": 100, "x_budget": "9.75", "x_markets": ["de", "fr"],
      "x_renewal": "2025-01-31", "x_partner": True}),
    ("Blue Harbor Dental", "Lyon", 35, "customer", "Healthcare", "2024-02-15",
     {"x_tier": "silver", "x_seats": 10, "x_budget": "10.25", "x_markets": ["fr"],
      "x_renewal": "2024-12-31", "x_partner": False}),
    ("Kestrel Logistics", "Rotterdam", 800, "prospect", None, None,
     {"x_seats": 2, "x_budget": "100"}),
    ("Meridian Foods", "Milan", 260, "customer", "Food", "2024-01-01",
     {"x_tier": "gold", "x_markets": ["it"]}),
    ("Orbit Office Supply", "Vienna", 45, "reseller", "Retail", None, {"x_seats": 10}),
    ("Cobalt Engineering", "Hamburg", None, "prospect", "Manufacturing", None, {}),
]


@pytest.fixture
def orgs(kernel, actor):
    """The organizations above; returns their ids by name."""
    add_field(kernel, "organization", "x_tier", "choice", choices=["gold", "silver"],
              actor=actor)
    add_field(kernel, "organization", "x_seats", "integer", actor=actor, indexed=True)
    add_field(kernel, "organization", "x_budget", "decimal", actor=actor)
    add_field(kernel, "organization", "x_markets", "multi_choice",
              choices=["de", "fr", "it"], actor=actor)
    add_field(kernel, "organization", "x_renewal", "date", actor=actor)
    add_field(kernel, "organization", "x_partner", "boolean", actor=actor)
    rows = [{"name": name, "city": city, "size": size, "relationship": rel,
             "industry": industry, "customer_since": since,
             "website": f"https://{name.split()[0].lower()}.example", **custom}
            for name, city, size, rel, industry, since, custom in ORGS]
    ids = services.bulk_create(kernel, "organization", rows, actor=actor)
    return dict(zip([o[0] for o in ORGS], ids))


def names(kernel, filters=None, **kwargs):
    return [o.name for o in find(kernel, "organization", filters, **kwargs)]


def first_words(kernel, filters=None, **kwargs):
    return [n.split()[0] for n in names(kernel, filters, **kwargs)]


@pytest.mark.parametrize("filters, expected", [
    ({"city": "Hamburg"}, ["Northwind", "Cobalt"]),
    ({"relationship": "prospect"}, ["Kestrel", "Cobalt"]),
    ({"size__gte": 260}, ["Kestrel", "Meridian"]),
    ({"size__gt": "260"}, ["Kestrel"]),
    ({"size__lte": 45}, ["Blue", "Orbit"]),
    ({"size__lt": 45}, ["Blue"]),
    ({"size__gte": 40, "size__lt": 200}, ["Northwind", "Orbit"]),
    ({"city__in": ["Lyon", "Milan"]}, ["Blue", "Meridian"]),
    ({"city__in": "Lyon,Vienna"}, ["Blue", "Orbit"]),
    ({"name__contains": "ENGIN"}, ["Cobalt"]),
    ({"industry__isnull": True}, ["Kestrel"]),
    ({"size__isnull": "false", "city": "Hamburg"}, ["Northwind"]),
    ({"customer_since__gte": "2024-01-01"}, ["Blue", "Meridian"]),
    ({"customer_since__lt": "2024-01-01"}, ["Northwind"]),
    ({"customer_since": "2024-02-15"}, ["Blue"]),
], ids=lambda v: str(v) if isinstance(v, dict) else "")
def test_filters_on_built_in_fields(kernel, orgs, filters, expected):
    assert first_words(kernel, filters) == expected


@pytest.mark.parametrize("filters, expected", [
    ({"x_tier": "gold"}, ["Northwind", "Meridian"]),
    ({"x_tier__in": ["silver", "gold"]}, ["Northwind", "Blue", "Meridian"]),
    ({"x_tier__isnull": True}, ["Kestrel", "Orbit", "Cobalt"]),
    ({"x_seats": 10}, ["Blue", "Orbit"]),
    # Numbers compare as numbers, not as text ("100" < "2" as text).
    ({"x_seats__gte": "10"}, ["Northwind", "Blue", "Orbit"]),
    ({"x_seats__lt": 10}, ["Kestrel"]),
    ({"x_budget__gt": "9.75"}, ["Blue", "Kestrel"]),
    ({"x_budget__lte": "10.25"}, ["Northwind", "Blue"]),
    ({"x_markets__contains": "fr"}, ["Northwind", "Blue"]),
    ({"x_markets__contains": "it"}, ["Meridian"]),
    ({"x_renewal__lt": "2025-01-01"}, ["Blue"]),
    ({"x_renewal__gte": "2024-12-31"}, ["Northwind", "Blue"]),
    ({"x_partner": True}, ["Northwind"]),
    ({"x_partner": "false"}, ["Blue"]),
    ({"x_tier": "gold", "size__gt": 200}, ["Meridian"]),
], ids=lambda v: str(v) if isinstance(v, dict) else "")
def test_filters_on_custom_fields(kernel, orgs, filters, expected):
    assert first_words(kernel, filters) == expected


def test_filters_on_a_reference_by_its_id(kernel, actor, orgs):
    maria = services.create(kernel, "user", {"email": "maria@example.com", "name": "Maria",
                                             "role": "sales"}, actor=actor)
    services.update(kernel, "organization", orgs["Orbit Office Supply"],
                    {"owner_id": maria.id}, actor=actor)
    assert first_words(kernel, {"owner_id": maria.id}) == ["Orbit"]
    assert len(names(kernel, {"owner_id__isnull": True})) == 5


def test_filters_on_datetimes_take_dates_and_aware_datetimes(kernel, actor):
    for subject, done in [("early", "2024-02-29T23:30:00+00:00"),
                          ("midday", "2024-03-01T12:00:00+00:00"),
                          ("late", "2024-03-02T00:30:00+02:00")]:
        services.create(kernel, "activity", {"kind": "call", "subject": subject,
                                             "done_at": done}, actor=actor)

    def subjects(filters):
        return [a.subject for a in find(kernel, "activity", filters)]

    assert subjects({"done_at__gte": "2024-03-01"}) == ["midday", "late"]
    # 12:30 in Paris is 11:30 UTC: before midday.
    assert subjects({"done_at__lt": "2024-03-01T12:30:00+01:00"}) == ["early"]
    assert subjects({"done_at__gt": "2024-03-01T22:00:00+00:00"}) == ["late"]
    assert subjects({"due_at__isnull": True, "done_at__lte": "2024-02-29T23:30:00Z"}) == [
        "early"]


@pytest.mark.parametrize("q, expected", [
    ("harbor", ["Blue"]),
    ("HAMBURG", ["Northwind", "Cobalt"]),
    ("kestrel.example", ["Kestrel"]),
    ("  milan  ", ["Meridian"]),
    ("nowhere", []),
])
def test_text_search_looks_in_the_searchable_fields_whatever_the_case(kernel, orgs, q,
                                                                      expected):
    assert first_words(kernel, q=q) == expected


def test_text_search_combines_with_filters(kernel, orgs):
    assert first_words(kernel, {"relationship": "customer"}, q="hamburg") == ["Northwind"]


@pytest.mark.parametrize("sort, expected", [
    (["name"], ["Blue", "Cobalt", "Kestrel", "Meridian", "Northwind", "Orbit"]),
    (["-name"], ["Orbit", "Northwind", "Meridian", "Kestrel", "Cobalt", "Blue"]),
    (["-size"], ["Kestrel", "Meridian", "Northwind", "Orbit", "Blue", "Cobalt"]),
    # Empty values come last in both directions, on both engines.
    (["size"], ["Blue", "Orbit", "Northwind", "Meridian", "Kestrel", "Cobalt"]),
    (["x_seats"], ["Kestrel", "Blue", "Orbit", "Northwind", "Meridian", "Cobalt"]),
    (["-x_budget"], ["Kestrel", "Blue", "Northwind", "Cobalt", "Orbit", "Meridian"]),
    (["relationship", "-size"], ["Meridian", "Northwind", "Blue", "Kestrel", "Cobalt",
                                 "Orbit"]),
])
def test_sorting(kernel, orgs, sort, expected):
    assert first_words(kernel, sort=sort) == expected


def test_ties_are_broken_by_id_in_the_direction_of_the_last_key(kernel, orgs):
    customers = [orgs[n] for n, *_ in ORGS if _[2] == "customer"]
    got = [o.id for o in find(kernel, "organization", {"relationship": "customer"},
                              sort=["relationship"])]
    assert got == sorted(customers)
    got = [o.id for o in find(kernel, "organization", {"relationship": "customer"},
                              sort=["-relationship"])]
    assert got == sorted(customers, reverse=True)
    assert [o.id for o in find(kernel, "organization")] == sorted(orgs.values())


def test_limit_cuts_the_sorted_list(kernel, orgs):
    assert first_words(kernel, sort=["-size"], limit=2) == ["Kestrel", "Meridian"]


@pytest.mark.parametrize("filters, sort, messages", [
    ({"colour": "red"}, [], {"colour": ["organization has no field 'colour'"]}),
    ({"x_colour": "red"}, [], {"x_colour": ["organization has no field 'x_colour'"]}),
    ({"custom": "{}"}, [], {"custom": ["organization has no field 'custom'"]}),
    ({"name__like": "N%"}, [], {"name__like": [
        "unknown operator 'like'; use one of gte, lte, gt, lt, in, contains, isnull"]}),
    ({}, ["-colour"], {"sort.colour": ["organization has no field 'colour'"]}),
    ({"size__gte": "big"}, [], {"size__gte": ["'big' is not a whole number"]}),
    ({"x_seats": "ten"}, [], {"x_seats": ["'ten' is not a whole number"]}),
    ({"industry__isnull": "maybe"}, [], {"industry__isnull": ["expected true or false, got 'maybe'"]}),
    ({"customer_since": "yesterday"}, [], {"customer_since": [
        "'yesterday' is not a date (YYYY-MM-DD)"]}),
    ({"created_at__gte": "2024-03-01T10:00:00"}, [], {"created_at__gte": [
        "'2024-03-01T10:00:00' is not a date or an ISO datetime with a zone"]}),
    ({"colour": 1, "size__near": 3}, ["shade"], {
        "colour": ["organization has no field 'colour'"],
        "size__near": ["unknown operator 'near'; use one of gte, lte, gt, lt, in, contains, "
                       "isnull"],
        "sort.shade": ["organization has no field 'shade'"]}),
])
def test_bad_filters_and_sorts_are_refused_naming_them(kernel, orgs, filters, sort, messages):
    with pytest.raises(ValidationError) as exc:
        find(kernel, "organization", filters, sort=sort)
    assert exc.value.messages == messages


def test_secrets_cannot_be_filtered_on(kernel, actor):
    services.create(kernel, "user", {"email": "a@example.com", "name": "A", "role": "sales"},
                    actor=actor)
    with pytest.raises(ValidationError) as exc:
        find(kernel, "user", {"password_hash__isnull": True})
    assert exc.value.messages == {"password_hash__isnull": ["user has no field 'password_hash'"]}


@pytest.mark.parametrize("filters, q, sort", [
    ({}, None, []),
    ({"city": "Hamburg", "size__gte": 40}, None, ["-size"]),
    ({"x_tier": "gold", "x_markets__contains": "de"}, "north", ["name"]),
    ({"relationship__in": "customer,prospect", "industry__isnull": "false"}, "o", ["-x_seats"]),
])
def test_a_list_pages_sql_is_peewees_own_with_the_columns_rendered_once(
        kernel, orgs, make_api_client, filters, q, sort):
    # fetch_records renders a page's columns as one text (rows.records_sql): the SQL
    # must be the very statement peewee renders, whatever the filters, search, record
    # rule, sort and cursor add (subqueries and joins take aliases after the table's).
    from accord.models import Organization
    from accord.pagination import after_cursor, cursor_of
    from accord.query import build_query, order_by, sort_keys
    from accord.services.authz import actor_for
    from accord.services.lists import _sort_value
    from accord.services.rows import fetch_records, records_sql

    rt = kernel.records.get("organization")
    seller = make_api_client("sales").user
    with kernel.bound():
        reader = actor_for(kernel, seller)
        keys = sort_keys(kernel, rt, sort)
        for actor in (None, reader):
            query = build_query(kernel, rt, filters, q=q, actor=actor)
            query = query.order_by(*order_by(rt, keys)).limit(3)
            assert records_sql(query) == query.sql()
            first = Organization.select().order_by(Organization.id).first()
            values = {k.name: _sort_value(kernel, k, first) for k in keys}
            later = after_cursor(query, rt.model, keys, cursor_of(first, keys, values))
            assert records_sql(later) == later.sql()
            assert [r.name for r in fetch_records(kernel, query)] == [r.name for r in query]
        assert records_sql(Organization.select(Organization.id, Organization.name)) == (
            Organization.select(Organization.id, Organization.name).sql())
        assert records_sql(Organization.select(Organization.name.alias("n"))) is None
