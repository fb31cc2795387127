"""Property tests: no input answers 500, and no request costs more than a bound.

Resources and their fields come from what is running, never from a list written here:
every collection of the OpenAPI document (core, shipped plugins and a local plugin,
custom fields of every kind included) with its filterable fields, its create body's
properties and its references. For generated list parameters (filters with every
operator, ``q``, ``sort``, ``limit``, ``expand``, ``fields``), cursors (real ones with a
value replaced, and made-up ones) and bodies (POST and PATCH with values of every JSON
type, numbers too large or not finite, text that is no Unicode or holds NUL):

- the answer is a success or a 4xx problem document, never a 5xx;
- a refused write leaves the rows exactly as they were;
- a list runs a bounded number of queries, whatever it was asked.

The runs are bounded and reproducible (the ``accord-properties`` hypothesis profile:
derandomized, a fixed number of examples, no deadline, no example database); on
PostgreSQL only the properties that reach the engine's SQL run, with fewer examples.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from typing import Any
from urllib.parse import quote

import peewee
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from accord import services
from accord.query import OPERATORS
from accord.services import Actor
from accord.services.fields import add_field
from accord_sdk.assertions import problem

settings.register_profile(
    "accord-properties", derandomize=True, database=None, deadline=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink], print_blob=False,
    suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
PROFILE = settings.get_profile("accord-properties")

#: Examples per property and engine (PostgreSQL resets slowly and runs fewer).
EXAMPLES = {"sqlite": {"lists": 250, "cursors": 120, "create": 150, "update": 100,
                       "caps": 60},
            "postgres": {"lists": 60, "cursors": 40, "create": 40, "update": 30}}
#: The most queries one list request may run (token, role, meta, the page, its links),
#: plus one per embedded relation.
LIST_QUERIES = 8
#: The most queries a create or update may run, whatever its body holds.
WRITE_QUERIES = 40

#: Strings that have broken number, date and text handling somewhere once.
NASTY = ["Infinity", "-Infinity", "NaN", "sNaN", "1e309", "-1e309", "1e999999999", "-0",
         "0x10", "1_000", " 1", "1.", ".5", "٣", "²", str(2**63), str(-2**63 - 1), "9" * 400,
         "2026-02-30", "0001-01-01", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-14:00",
         "2026-01-01T00:00:00", "true", "yes", "2", "", ",", ",,", "%", "_", "\\", "%_%",
         "Ü", "ß", "MÜLLER", "\ud800", "a\udfffb", "\x00", "a\x00b", "null", "[]", "{}",
         "'; DROP TABLE accord_contact; --", "x" * 300]

ANY_CHAR = st.one_of(st.characters(), st.sampled_from(["\ud800", "\udc00", "\x00", "%", "_",
                                                       "\\", "ü", "Ü", ","]))
TEXT = st.text(ANY_CHAR, max_size=40)
QUERY_VALUE = st.one_of(
    st.sampled_from(NASTY), TEXT,
    st.integers(min_value=-2**70, max_value=2**70).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(str), st.datetimes().map(lambda d: d.isoformat() + "+00:00"),
    st.lists(st.sampled_from(NASTY + ["1", "2", "a"]), max_size=6).map(",".join))
JSON_SCALAR = st.one_of(
    st.none(), st.booleans(), st.sampled_from(NASTY), TEXT,
    st.integers(min_value=-2**80, max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -0.0, 0.1, 10.005, 1e-320]))
JSON_VALUE = st.recursive(
    JSON_SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=60),
                                         st.dictionaries(TEXT, inner, max_size=5)),
    max_leaves=80)


def _profile(engine: str, name: str) -> settings:
    return settings(PROFILE, max_examples=EXAMPLES[engine][name])


# The world: every resource, as the running app describes it ----------------------------

class Resource:
    """A collection of the OpenAPI document, with what its list and bodies take."""

    def __init__(self, kernel: Any, path: str, doc: dict[str, Any]) -> None:
        self.path = path
        get = doc["paths"][path]["get"]
        filters = next(p for p in get["parameters"]
                       if isinstance(p, dict) and p.get("name") == "filters")
        rel = path[len("/api/v1/"):]
        self.record_type = next(t for t in kernel.records if _path_of(t) == rel)
        self.links = [link.name for link in self.record_type.links]
        self.fields = sorted(set(filters["schema"]["properties"]) - set(self.links))
        self.searchable = any(isinstance(p, dict) and p.get("name") == "q"
                              for p in get["parameters"])
        post = doc["paths"][path].get("post", {})
        ref = post.get("requestBody", {}).get("content", {}).get(
            "application/json", {}).get("schema", {}).get("$ref", "")
        schema = doc["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {}) if ref else {}
        self.body = {name: prop for name, prop in schema.get("properties", {}).items()
                     if not prop.get("readOnly")}
        self.values: dict[str, list[str]] = {}
        self.sample: dict[str, Any] = {}
        self.relations = sorted(n for n, f in self.record_type.model._meta.fields.items()
                                if isinstance(f, peewee.ForeignKeyField))

    def __repr__(self) -> str:
        return self.path


def _path_of(record_type: Any) -> str:
    from accord.api.resources import path_of

    return str(path_of(record_type))


@pytest.fixture
def world(make_kernel: Any, plugins_folder: str, make_api_client: Any) -> Any:
    """Every shipped plugin and the local acme_notes, custom fields of every kind on a
    core and a plugin type, a few records of each kind."""
    kernel = make_kernel(plugins=["sales", "competitors"], plugins_dir=plugins_folder,
                         enable=["sales", "competitors", "acme_notes"])
    system = Actor.system("test")
    for type_name in ("contact", "sales.opportunity", "acme_notes.note"):
        add_field(kernel, type_name, "x_text", "text", actor=system)
        add_field(kernel, type_name, "x_int", "integer", actor=system, indexed=True)
        add_field(kernel, type_name, "x_dec", "decimal", actor=system)
        add_field(kernel, type_name, "x_day", "date", actor=system)
        add_field(kernel, type_name, "x_flag", "boolean", actor=system)
        add_field(kernel, type_name, "x_tier", "choice", choices=["gold", "silver"],
                  actor=system)
        add_field(kernel, type_name, "x_tags", "multi_choice", choices=["a", "b"],
                  actor=system)
    custom = {"x_text": "Müller 50%", "x_int": 7, "x_dec": "2.50", "x_day": "2026-03-01",
              "x_flag": True, "x_tier": "gold", "x_tags": ["a"]}
    org = services.create(kernel, "organization", {"name": "Acme GmbH", "size": 12},
                          actor=system)
    product = services.create(kernel, "product", {"sku": "A-1", "name": "Anvil"},
                              actor=system)
    for i, last in enumerate(("Müller", "Ng", "O'Brien_%")):
        contact = services.create(kernel, "contact", {
            "first_name": f"Ada{i}", "last_name": last, "email": f"ada{i}@example.com",
            "organization_id": org.id, "products_of_interest": [product.id],
            **(custom if i == 0 else {})}, actor=system)
        services.create(kernel, "sales.opportunity", {
            "name": f"Deal {i}", "organization_id": org.id, "contact_id": contact.id,
            "amount": {"amount": f"{1000 * i}.50", "currency": "EUR"},
            **(custom if i == 0 else {})}, actor=system)
        services.create(kernel, "acme_notes.note", {"title": f"Note {last}", "priority": 2,
                                                    **(custom if i == 0 else {})},
                        actor=system)
    services.create(kernel, "activity", {"kind": "call", "subject": "Follow up",
                                         "contact_id": contact.id}, actor=system)
    client = make_api_client("admin", kernel=kernel)
    doc = client.get("/api/v1/openapi.json").get_json()
    # A list's export (``/contacts/export``) takes its filters too; the lists are checked.
    resources = [Resource(kernel, path, doc) for path, ops in sorted(doc["paths"].items())
                 if not path.endswith("/export")
                 and any(isinstance(p, dict) and p.get("name") == "filters"
                         for p in ops.get("get", {}).get("parameters", []))]
    for resource in resources:
        resource.values = _held_values(client, resource)
        items = client.get(resource.path).get_json()["items"]
        resource.sample = {k: v for k, v in (items[0] if items else {}).items()
                           if k in resource.body and v is not None}
    names = {r.record_type.plugin for r in resources}
    assert {"core", "sales", "competitors", "acme_notes"} <= names, names
    return kernel, client, resources


def _held_values(client: Any, resource: Resource) -> dict[str, list[str]]:
    """The values the records of a resource hold, as text for a query string."""
    out: dict[str, list[str]] = {}
    for item in client.get(resource.path).get_json()["items"]:
        for name, value in item.items():
            if isinstance(value, dict):
                value = value.get("amount")
            if isinstance(value, list):
                value = ",".join(map(str, value))
            if value is not None:
                text = json.dumps(value) if isinstance(value, bool) else str(value)
                out.setdefault(name, []).append(text)
    return out


def _get(client: Any, path: str, params: list[tuple[str, str]] | dict[str, str]) -> Any:
    """GET with the parameters percent-encoded as UTF-8 bytes, a lone surrogate too (as
    a client that does not check its strings sends it)."""
    pairs = params.items() if isinstance(params, dict) else params
    query = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in pairs)
    return client.get(f"{path}?{query}" if query else path)


def _quote(text: str) -> str:
    return quote(text, safe="", encoding="utf-8", errors="surrogatepass")


def _report() -> None:
    print({method: dict(sorted(seen.items())) for method, seen in SEEN.items()})
    SEEN.clear()


def _engine(kernel: Any) -> str:
    return "postgres" if isinstance(kernel.database, peewee.PostgresqlDatabase) else "sqlite"


#: Statuses seen per property, printed after each (``pytest -s`` shows them).
SEEN: dict[str, Counter[int]] = {}


def _check_answer(response: Any, what: str) -> dict[str, Any] | None:
    """A success, or a 4xx problem document; None for a success."""
    SEEN.setdefault(what.split(" ")[0], Counter())[response.status_code] += 1
    assert response.status_code < 500, (what, response.status_code,
                                         response.get_data(as_text=True)[:500])
    if response.status_code < 400:
        return None
    return problem(response, response.status_code)


def _rows(kernel: Any, resource: Resource) -> list[Any]:
    model = resource.record_type.model
    with kernel.bound():
        return list(model.select().order_by(model.id).tuples())


# Lists ---------------------------------------------------------------------------------

@st.composite
def list_queries(draw: Any, resources: list[Resource]) -> tuple[Resource, list[tuple[str, str]]]:
    """Mostly one odd value among parameters that are otherwise fine, so that it is
    the one that reaches the SQL; sometimes anything at all."""
    resource = draw(st.sampled_from(resources))
    fields = resource.fields or ["id"]
    wild = draw(st.integers(0, 9)) == 0
    params: list[tuple[str, str]] = []
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 1, 2, 3]))):
        names = fields + resource.links
        if wild:
            names = names + ["unknown", "custom", "x_nope", ""]
        name = draw(st.sampled_from(names))
        op = draw(st.sampled_from(["", *OPERATORS] + (["like", ""] if wild else [])))
        held = resource.values.get(name, [])
        value = draw(st.one_of(st.sampled_from(NASTY), st.sampled_from(held or ["1"]),
                               QUERY_VALUE))
        params.append((f"{name}__{op}" if op else name, value))
    if draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from(fields + (["nope", ""] if wild else [])),
                             max_size=3, unique=not wild))
        params.append(("sort", ",".join(draw(st.sampled_from(["", "-"])) + k for k in keys)))
    if resource.searchable and draw(st.booleans()):
        params.append(("q", draw(st.one_of(st.sampled_from(NASTY), TEXT))))
    if draw(st.booleans()):
        params.append(("limit", draw(st.integers(1, 500).map(str) if not wild else
                                     st.one_of(st.integers(-5, 600).map(str), QUERY_VALUE))))
    if resource.relations and draw(st.booleans()):
        names = draw(st.lists(st.sampled_from(resource.relations + (["nope"] if wild else [])),
                              max_size=3))
        params.append(("expand", ",".join(names)))
    if draw(st.booleans()):
        params.append(("fields", ",".join(draw(st.lists(
            st.sampled_from(fields + (["nope"] if wild else [])), max_size=4)))))
    return resource, params


def test_property_no_list_parameter_answers_500_or_costs_more_than_a_bound(world: Any,
                                                                        count_queries: Any):
    kernel, client, resources = world

    @_profile(_engine(kernel), "lists")
    @given(query=list_queries(resources))
    def check(query: tuple[Resource, list[tuple[str, str]]]) -> None:
        resource, params = query
        with count_queries() as counter:
            response = _get(client, resource.path, params)
        body = _check_answer(response, f"GET {resource.path} {params!r}")
        if body is None:
            assert response.status_code == 200
            page = response.get_json()
            assert isinstance(page["items"], list)
            expanded = {n for k, v in params if k == "expand" for n in v.split(",") if n}
            assert counter.count <= LIST_QUERIES + len(expanded), (params, counter.count)
        else:
            assert response.status_code in (400, 403), (params, body)

    check()
    _report()


def test_property_refused_list_parameters_name_the_culprit(world: Any):
    """Every 400 of a list names, in ``errors``, a parameter the request gave."""
    kernel, client, resources = world

    @_profile(_engine(kernel), "lists")
    @given(query=list_queries(resources))
    def check(query: tuple[Resource, list[tuple[str, str]]]) -> None:
        resource, params = query
        response = _get(client, resource.path, params)
        body = _check_answer(response, f"GET {resource.path} {params!r}")
        if body is not None and response.status_code == 400:
            given_names = {k for k, _ in params}
            named = {key.split(".")[0] for key in body.get("errors", {})}
            assert named and all(n in given_names or n == "filters" for n in named), \
                (params, body)

    if _engine(kernel) == "postgres":
        pytest.skip("message shapes do not depend on the engine")
    check()
    _report()


#: One value of each kind that has broken a filter somewhere once.
SWEEP_VALUES = ["Infinity", "NaN", "sNaN", "1e309", "-0", "9" * 400, str(2**63), "0x10",
                "2026-02-30", "0001-01-01T00:00:00-14:00", "\ud800", "%_", "a,b", "true", "",
                ["1", "\ud800"]]


def test_property_every_field_takes_every_odd_value_with_every_operator(world: Any):
    """Exhaustive where the random properties above sample: each filterable field of
    each record type, each operator, each kind of odd value, straight at the query layer
    (the SQL runs): the only refusal is a ValidationError naming the filter."""
    from accord.errors import ValidationError
    from accord.query import build_query

    kernel, _, resources = world
    failures, refused, ran = [], 0, 0
    for resource in resources:
        for name in resource.fields + resource.links:
            for op in ("", *OPERATORS):
                key = f"{name}__{op}" if op else name
                for value in SWEEP_VALUES:
                    try:
                        with kernel.bound():
                            list(build_query(kernel, resource.record_type, {key: value})
                                 .limit(2))
                        ran += 1
                    except ValidationError as exc:
                        refused += 1
                        if list(exc.messages) != [key]:
                            failures.append(f"{resource} {key}={value!r}: {exc.messages}")
                    except Exception as exc:  # anything else would be a 500
                        failures.append(f"{resource} {key}={value!r}: {exc!r}")
    print(f"sweep: {ran} queries ran, {refused} refused")
    assert not failures, "\n".join(failures[:30])


def test_property_every_sort_key_takes_every_odd_cursor_value(world: Any):
    """Each sortable field of each record type, a cursor whose sort value is odd."""
    from accord.errors import BadQuery
    from accord.services.lists import list_page

    kernel, client, resources = world
    actor = Actor.system("test")
    odd = [float("inf"), float("nan"), 1e308, -0.0, 2**63, -2**63 - 1, "\ud800", "a\x00",
           True, None, [1], {"n": "NaN"}, {"n": "1e999999999"}, {"n": "-0"}, {"d": "0001-01-01"},
           {"dt": "0001-01-01T00:00:00+14:00"}, {"dt": "9999-12-31T23:59:59-14:00"}]
    failures = []
    for resource in resources:
        for name in resource.fields:
            for value in odd:
                raw = json.dumps([value, 1], allow_nan=True)
                cursor = base64.urlsafe_b64encode(raw.encode("utf-8", "surrogatepass"))
                try:
                    list_page(kernel, resource.record_type, actor=actor, sort=[name],
                              cursor=cursor.decode().rstrip("="), limit=2)
                except BadQuery:
                    pass
                except Exception as exc:  # anything else would be a 500
                    failures.append(f"{resource} sort={name} cursor={raw}: {exc!r}")
    assert not failures, "\n".join(failures[:30])


# Cursors -------------------------------------------------------------------------------

def _encode(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode("utf-8", "surrogatepass")).decode().rstrip("=")


@st.composite
def cursors(draw: Any, resources: list[Resource]) -> tuple[Resource, str, int | None, Any]:
    resource = draw(st.sampled_from(resources))
    sort = draw(st.lists(st.sampled_from(resource.fields or ["id"]), max_size=2, unique=True))
    sort_text = ",".join(draw(st.sampled_from(["", "-"])) + k for k in sort)
    position = draw(st.one_of(st.none(), st.integers(0, len(sort))))
    replacement = draw(st.one_of(JSON_VALUE, st.sampled_from([
        {"n": "Infinity"}, {"n": "NaN"}, {"n": "1e999999999"}, {"n": "-0"}, {"n": "abc"},
        {"dt": "0001-01-01T00:00:00+14:00"}, {"dt": "2026-01-01T00:00:00"}, {"d": "99999-1-1"},
        {"d": "2026-01-01"}, {"x": 1}])))
    return resource, sort_text, position, replacement


def test_property_no_cursor_answers_500(world: Any):
    """A real cursor (from a first page of one) with one value replaced, or made up."""
    kernel, client, resources = world

    @_profile(_engine(kernel), "cursors")
    @given(case=cursors(resources), made_up=st.one_of(st.none(), TEXT,
                                                      st.binary(max_size=60).map(
                                                          lambda b: base64.urlsafe_b64encode(
                                                              b).decode())))
    def check(case: tuple[Resource, str, int | None, Any], made_up: str | None) -> None:
        resource, sort, position, replacement = case
        first = _get(client, resource.path, {"limit": "1", "sort": sort})
        refused = _check_answer(first, f"GET {resource.path} sort={sort}")
        if refused is not None:
            # A key that cannot be sorted on (a multi-choice field) is refused by name.
            assert first.status_code == 400 and all(
                key.startswith("sort") for key in refused["errors"]), refused
            return
        cursor = first.get_json()["next_cursor"]
        if made_up is not None:
            cursor = made_up
        elif cursor is not None and position is not None:
            values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            values[min(position, len(values) - 1)] = replacement
            cursor = _encode(json.dumps(values, allow_nan=True))
        if cursor is None:
            return
        response = _get(client, resource.path, {"sort": sort, "cursor": cursor, "limit": "2"})
        body = _check_answer(response, f"GET {resource.path} sort={sort} cursor={cursor}")
        if body is not None:
            assert response.status_code == 400 and "cursor" in body["errors"], body

    check()
    _report()


# Bodies --------------------------------------------------------------------------------

def _typed(prop: dict[str, Any]) -> Any:
    """Values of the property's own type (so some bodies get past the first refusal)."""
    kinds = prop.get("type", "string")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    options = []
    for kind in kinds:
        if kind == "integer":
            options.append(st.one_of(st.integers(1, 5), st.integers(-2**70, 2**70)))
        elif kind == "number":
            options.append(st.floats(allow_nan=True, allow_infinity=True))
        elif kind == "boolean":
            options.append(st.booleans())
        elif kind == "array":
            options.append(st.lists(st.one_of(st.integers(1, 3), JSON_SCALAR), max_size=60))
        elif kind == "object":
            options.append(st.fixed_dictionaries({
                "amount": st.one_of(st.sampled_from(NASTY), st.decimals().map(str)),
                "currency": st.sampled_from(["EUR", "XYZ", "eur", "\ud800", ""])}))
        elif kind == "string":
            choices = prop.get("enum")
            options.append(st.sampled_from(choices) if choices else
                           st.one_of(TEXT, st.sampled_from(NASTY)))
    return st.one_of(*options) if options else JSON_VALUE


@st.composite
def bodies(draw: Any, resources: list[Resource]) -> tuple[Resource, dict[str, Any]]:
    """A body for one resource: often an existing record's values with one to three
    replaced by odd ones (so that the odd value is what the write meets), sometimes
    odd values alone."""
    resource = draw(st.sampled_from([r for r in resources if r.body]))
    return resource, draw(body_for(resource))


def body_for(resource: Resource) -> Any:
    @st.composite
    def build(draw: Any) -> dict[str, Any]:
        base = dict(resource.sample) if draw(st.integers(0, 3)) else {}
        names = draw(st.lists(st.sampled_from(sorted(resource.body) + ["x_nope", "id",
                                                                       "\ud800"]),
                              min_size=1, max_size=3, unique=True))
        for name in names:
            prop = resource.body.get(name, {})
            base[name] = draw(st.one_of(_typed(prop), JSON_VALUE) if prop else JSON_VALUE)
        return base

    return build()


def _send(client: Any, method: str, path: str, body: Any) -> Any:
    # allow_nan: NaN and Infinity as Python's json (and so Flask) reads them.
    return client.open(method, path, data=json.dumps(body, allow_nan=True),
                       content_type="application/json")


def test_property_no_create_body_answers_500_and_a_refusal_writes_nothing(
        world: Any, count_queries: Any):
    kernel, client, resources = world

    @_profile(_engine(kernel), "create")
    @given(case=bodies(resources))
    def check(case: tuple[Resource, dict[str, Any]]) -> None:
        resource, body = case
        before = _rows(kernel, resource)
        with count_queries() as counter:
            response = _send(client, "POST", resource.path, body)
        answer = _check_answer(response, f"POST {resource.path} {body!r}")
        assert counter.count <= WRITE_QUERIES, (body, counter.count)
        if answer is not None:
            assert response.status_code in (400, 403, 404, 409, 422), answer
            assert _rows(kernel, resource) == before, body
        else:
            assert response.status_code == 201

    check()
    _report()


def test_property_no_update_body_answers_500_and_a_refusal_changes_nothing(
        world: Any, count_queries: Any):
    kernel, client, resources = world
    targets = [(r, client.get(r.path, query_string={"limit": "1"}).get_json()["items"])
               for r in resources if r.body]
    targets = [(r, items[0]["id"]) for r, items in targets if items]
    assert len(targets) >= 4, targets

    @_profile(_engine(kernel), "update")
    @given(case=st.sampled_from(targets).flatmap(
        lambda t: st.tuples(st.just(t), body_for(t[0]))))
    def check(case: tuple[tuple[Resource, int], dict[str, Any]]) -> None:
        (resource, record_id), body = case
        before = _rows(kernel, resource)
        with count_queries() as counter:
            response = _send(client, "PATCH", f"{resource.path}/{record_id}", body)
        answer = _check_answer(response, f"PATCH {resource.path}/{record_id} {body!r}")
        assert counter.count <= WRITE_QUERIES, (body, counter.count)
        if answer is not None:
            assert response.status_code in (400, 403, 404, 409, 412, 422), answer
            assert _rows(kernel, resource) == before, body

    check()
    _report()


# Caps: refused before any SQL, so one engine is enough --------------------------------

@pytest.mark.sqlite_only
def test_property_any_number_of_repeated_parameters_is_bounded(world: Any,
                                                              count_queries: Any):
    kernel, client, resources = world

    @_profile("sqlite", "caps")
    @given(resource=st.sampled_from(resources),
           name=st.sampled_from(["sort", "expand", "fields", "cursor", "q", "limit",
                                 "last_name__in", "name", "x_int__in"]),
           repeats=st.integers(1, 3000), value=st.sampled_from(["id", "-id", "a", "1,2"]))
    def check(resource: Resource, name: str, repeats: int, value: str) -> None:
        with count_queries() as counter:
            response = _get(client, resource.path, [(name, value)] * repeats)
        _check_answer(response, f"GET {resource.path} {name}={value} x{repeats}")
        assert counter.count <= LIST_QUERIES + 1, (name, repeats, counter.count)

    check()
    _report()
