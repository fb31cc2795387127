"""Segments: rules over core fields, custom fields, tags and the organization's fields,
evaluated as one query; bad rules refused by name; static snapshots against dynamic
segments; count, preview and the draft count over the API; the CLI; disable/enable."""

from __future__ import annotations

from typing import Any

import pytest

import accord_marketing.hooks
from accord import services
from accord.errors import ValidationError
from accord.services import Actor
from accord.services.actions import run_action
from accord.services.plugins import disable, enable
from accord.services.tags import tag
from accord_marketing.models.segments import Segment, SegmentMember
from accord_marketing.segments import SEGMENT, member_ids, members_query, preview, rules_query

pytestmark = pytest.mark.plugins(accord_marketing.hooks)
SYSTEM = Actor.system("test")


def _segment(kernel: Any, rules: list[dict[str, Any]], **extra: Any) -> Any:
    return services.create(kernel, SEGMENT, {"name": "Test", "rules": rules, **extra},
                           actor=SYSTEM)


def _ids(kernel: Any, rules: list[dict[str, Any]], target: str = "contact") -> list[int]:
    return member_ids(kernel, _segment(kernel, rules, target=target).id)


@pytest.fixture
def people(kernel: Any, helpers: Any) -> dict[str, Any]:
    """Acme (DE, customer) with Ames and Berg; Bolt (FR, prospect) with Cole; Dunn
    alone, with no country."""
    acme = helpers.org(kernel, "Acme", country="DE", relationship="customer", size=50)
    bolt = helpers.org(kernel, "Bolt", country="FR", size=5)
    return {"acme": acme, "bolt": bolt,
            "ames": helpers.contact(kernel, "Ames", first_name="Ann", country="DE",
                                    organization_id=acme.id, title="Buyer"),
            "berg": helpers.contact(kernel, "Berg", country="AT", organization_id=acme.id,
                                    title="Head buyer", email_opt_out=True),
            "cole": helpers.contact(kernel, "Cole", country="FR", organization_id=bolt.id),
            "dunn": helpers.contact(kernel, "Dunn")}


def test_rules_on_core_fields(kernel, people):
    p = {k: v.id for k, v in people.items()}
    assert _ids(kernel, [{"field": "country", "op": "eq", "value": "DE"}]) == [p["ames"]]
    # ne includes the contacts with no country at all.
    assert _ids(kernel, [{"field": "country", "op": "ne", "value": "DE"}]) == [
        p["berg"], p["cole"], p["dunn"]]
    assert _ids(kernel, [{"field": "country", "op": "in", "value": ["DE", "AT"]}]) == [
        p["ames"], p["berg"]]
    assert _ids(kernel, [{"field": "title", "op": "contains", "value": "BUYER"}]) == [
        p["ames"], p["berg"]]
    assert _ids(kernel, [{"field": "country", "op": "is_null"}]) == [p["dunn"]]
    assert _ids(kernel, [{"field": "email_opt_out", "op": "eq", "value": False},
                         {"field": "organization_id", "op": "not_null"}]) == [
        p["ames"], p["cole"]]
    assert _ids(kernel, [{"field": "size", "op": "gte", "value": 10}],
                target="organization") == [p["acme"]]
    assert _ids(kernel, [], target="organization") == [p["acme"], p["bolt"]]


def test_rules_on_the_contacts_organization(kernel, people):
    rules = [{"field": "organization.country", "op": "eq", "value": "DE"},
             {"field": "organization.relationship", "op": "eq", "value": "customer"}]
    assert _ids(kernel, rules) == [people["ames"].id, people["berg"].id]
    tag(kernel, "organization", people["bolt"].id, ["Partner"], actor=SYSTEM)
    assert _ids(kernel, [{"field": "organization.tags", "op": "includes",
                          "value": "partner"}]) == [people["cole"].id]


def test_tags(kernel, people):
    p = {k: v.id for k, v in people.items()}
    tag(kernel, "contact", p["ames"], ["vip", "newsletter"], actor=SYSTEM)
    tag(kernel, "contact", p["cole"], ["newsletter"], actor=SYSTEM)
    tag(kernel, "organization", p["acme"], ["vip"], actor=SYSTEM)  # another type's tag
    assert _ids(kernel, [{"field": "tags", "op": "includes", "value": "VIP "}]) == [p["ames"]]
    assert _ids(kernel, [{"field": "tags", "op": "includes", "value": "newsletter"},
                         {"field": "tags", "op": "excludes", "value": "vip"}]) == [p["cole"]]
    assert _ids(kernel, [{"field": "tags", "op": "includes", "value": ["vip", "nope"]}]) == [
        p["ames"]]


@pytest.fixture
def tiered(make_kernel):
    return make_kernel(plugins=[accord_marketing.hooks], enable=["marketing"], fields={
        "contact": {"x_tier": {"kind": "choice", "choices": ["gold", "silver"]},
                    "x_score": {"kind": "integer"},
                    "x_topics": {"kind": "multi_choice", "choices": ["crm", "erp"]}}})


def test_custom_fields(tiered):
    def contact(name: str, **custom: Any) -> int:
        return services.create(tiered, "contact", {"last_name": name, **custom},
                               actor=SYSTEM).id

    gold = contact("Gold", x_tier="gold", x_score=90, x_topics=["crm", "erp"])
    silver = contact("Silver", x_tier="silver", x_score=40, x_topics=["erp"])
    none = contact("None")
    assert _ids(tiered, [{"field": "x_tier", "op": "eq", "value": "gold"}]) == [gold]
    assert _ids(tiered, [{"field": "x_score", "op": "gt", "value": 50}]) == [gold]
    assert _ids(tiered, [{"field": "x_score", "op": "lte", "value": 90},
                         {"field": "x_score", "op": "gte", "value": 40},
                         {"field": "x_score", "op": "lt", "value": 90}]) == [silver]
    assert _ids(tiered, [{"field": "x_topics", "op": "contains", "value": "crm"}]) == [gold]
    assert _ids(tiered, [{"field": "x_tier", "op": "is_null"}]) == [none]
    assert _ids(tiered, [{"field": "x_tier", "op": "ne", "value": "gold"}]) == [silver, none]
    with pytest.raises(ValidationError) as caught:
        _segment(tiered, [{"field": "x_score", "op": "gt", "value": "lots"}])
    assert caught.value.messages == {"rules.0.value": ["'lots' is not a whole number"]}


def test_a_bad_rule_is_refused_by_name_and_nothing_stored(kernel, people, helpers):
    with pytest.raises(ValidationError) as caught:
        _segment(kernel, [{"field": "country", "op": "eq", "value": "DE"},
                          {"field": "x_nope", "op": "eq", "value": 1}])
    message = caught.value.messages["rules.1.field"][0]
    assert message.startswith("unknown field 'x_nope' of contacts (fields: id, created_at")
    assert "last_name" in message and "tags" in message and "organization.<field>" in message
    with pytest.raises(ValidationError) as caught:
        _segment(kernel, [{"field": "country", "op": "gte", "value": "DE"},
                          {"field": "tags", "op": "eq", "value": "vip"},
                          {"field": "size", "op": "eq", "value": 1}], target="organization")
    assert caught.value.messages == {
        "rules.0.op": ["'gte' does not fit country (text); use one of eq, ne, in, "
                       "contains, is_null, not_null"],
        "rules.1.op": ["'eq' does not fit tags (tags); use one of includes, excludes"]}
    with pytest.raises(ValidationError) as caught:
        _segment(kernel, [{"field": "country", "op": "in", "value": "DE"},
                          {"field": "country", "op": "eq", "value": None},
                          {"field": "created_at", "op": "gt", "value": "yesterday"}])
    assert set(caught.value.messages) == {"rules.0.value", "rules.1.value",
                                          "rules.2.value"}
    assert caught.value.messages["rules.1.value"] == [
        "eq takes one value (a text, a number or true/false), not 'None': use is_null"]
    assert helpers.rows(kernel, Segment) == []


def test_static_snapshot_against_dynamic(kernel, people, helpers):
    rules = [{"field": "organization_id", "op": "eq", "value": people["acme"].id}]
    dynamic = _segment(kernel, rules)
    static = _segment(kernel, rules, kind="static")
    assert member_ids(kernel, static.id) == []  # not frozen yet
    frozen = run_action(kernel, SEGMENT, static.id, "freeze", actor=SYSTEM)
    assert frozen.frozen_at is not None
    both = [people["ames"].id, people["berg"].id]
    assert member_ids(kernel, static.id) == member_ids(kernel, dynamic.id) == both
    newcomer = helpers.contact(kernel, "Eve", organization_id=people["acme"].id)
    services.delete(kernel, "contact", people["berg"].id, actor=SYSTEM)
    assert member_ids(kernel, dynamic.id) == [people["ames"].id, newcomer.id]
    # The snapshot keeps its members (those that still exist); freezing again renews it.
    assert member_ids(kernel, static.id) == [people["ames"].id]
    run_action(kernel, SEGMENT, static.id, "freeze", actor=SYSTEM)
    assert member_ids(kernel, static.id) == [people["ames"].id, newcomer.id]
    assert [(r.segment_id, r.record_id) for r in helpers.rows(kernel, SegmentMember)] == [
        (static.id, people["ames"].id), (static.id, newcomer.id)]
    with pytest.raises(ValidationError) as caught:
        run_action(kernel, SEGMENT, dynamic.id, "freeze", actor=SYSTEM)
    assert list(caught.value.messages) == ["kind"]
    with pytest.raises(ValidationError) as caught:
        services.update(kernel, SEGMENT, static.id, {"target": "organization"}, actor=SYSTEM)
    assert caught.value.messages["target"] == [
        f"segment {static.id} was frozen with contacts as members; its target stays "
        "contact (create another segment)"]


def test_evaluation_is_one_query(kernel, people, count_queries):
    tag(kernel, "contact", people["ames"].id, ["vip"], actor=SYSTEM)
    segment = _segment(kernel, [
        {"field": "country", "op": "ne", "value": "FR"},
        {"field": "tags", "op": "includes", "value": "vip"},
        {"field": "organization.country", "op": "eq", "value": "DE"}])
    with kernel.bound():
        stored = Segment.get_by_id(segment.id)
    with count_queries() as counter:
        rows = list(members_query(kernel, stored))
    assert [r.id for r in rows] == [people["ames"].id]
    assert counter.count == 1


def test_count_preview_and_draft_over_the_api(kernel, people, make_api_client):
    client = make_api_client("admin")
    answer = client.post("/api/v1/marketing/segments", json={
        "name": "Acme people", "rules": [
            {"field": "organization_id", "op": "eq", "value": people["acme"].id}]})
    assert answer.status_code == 201, answer.get_json()
    sid = answer.get_json()["id"]
    assert client.get(f"/api/v1/marketing/segments/{sid}/count").get_json() == {
        "segment": sid, "target": "contact", "count": 2}
    assert client.get(f"/api/v1/marketing/segments/{sid}/preview").get_json() == {
        "segment": sid, "target": "contact", "count": 2, "members": [
            {"id": people["ames"].id, "name": "Ann Ames"},
            {"id": people["berg"].id, "name": "Berg"}]}
    draft = client.post("/api/v1/marketing/segments/count", json={
        "target": "organization", "rules": [{"field": "country", "op": "eq", "value": "FR"}]})
    assert draft.get_json() == {"target": "organization", "count": 1}
    bad = client.post("/api/v1/marketing/segments/count", json={
        "target": "contact", "rules": [{"field": "x_nope", "op": "eq", "value": 1}]})
    assert bad.status_code == 422
    assert bad.get_json()["errors"]["rules.0.field"][0].startswith(
        "unknown field 'x_nope' of contacts")
    refused = client.post("/api/v1/marketing/segments", json={
        "name": "Bad", "rules": [{"field": "x_nope", "op": "eq", "value": 1}]})
    assert refused.status_code == 422
    assert list(refused.get_json()["errors"]) == ["rules.0.field"]
    assert client.get("/api/v1/marketing/segments/999999/count").status_code == 404
    assert client.get(f"/api/v1/marketing/segments/{2 ** 63}/count").status_code == 404


def test_preview_keeps_to_the_readers_record_rule(kernel, people, make_api_client):
    segment = _segment(kernel, [{"field": "organization_id", "op": "not_null"}])
    seller = make_api_client("sales")
    services.update(kernel, "contact", people["cole"].id, {"owner_id": seller.user.id},
                    actor=SYSTEM)
    reader = Actor(seller.user.id, "reader", "custom",
                   grants=("marketing.segment.read", "core.contact.read"),
                   rules=(("contact", "own"),))
    shown = preview(kernel, segment.id, actor=reader)
    # The count is the firm's; the members listed are those the reader may read.
    assert shown["count"] == 3
    assert shown["members"] == [{"id": people["cole"].id, "name": "Cole"}]
    with kernel.bound():
        assert [r.id for r in rules_query(kernel, "contact", [], actor=reader)] == [
            people["cole"].id]
    # The sales role holds no marketing permission.
    answer = seller.get(f"/api/v1/marketing/segments/{segment.id}/preview")
    assert answer.status_code == 403
    assert "marketing.segment.read" in answer.get_json()["detail"]


def test_marketing_role_works_segments(kernel, people, make_api_client):
    marketer = make_api_client("marketing")
    answer = marketer.post("/api/v1/marketing/segments", json={
        "name": "Germany", "kind": "static",
        "rules": [{"field": "country", "op": "eq", "value": "DE"}]})
    assert answer.status_code == 201, answer.get_json()
    sid = answer.get_json()["id"]
    frozen = marketer.post(f"/api/v1/marketing/segments/{sid}/freeze")
    assert frozen.status_code == 200, frozen.get_json()
    assert frozen.get_json()["frozen_at"]
    assert marketer.get(f"/api/v1/marketing/segments/{sid}/count").get_json()["count"] == 1


def test_cli_count(kernel, people, cli):
    segment = _segment(kernel, [{"field": "country", "op": "in", "value": ["DE", "FR"]}])
    result = cli("marketing", "segment", "count", str(segment.id))
    assert (result.exit_code, result.output) == (0, "2\n")
    missing = cli("marketing", "segment", "count", "4242")
    assert missing.exit_code != 0
    assert "no segment 4242" in missing.output


def test_disable_and_enable_keep_every_row(kernel, people, helpers):
    segment = _segment(kernel, [{"field": "country", "op": "eq", "value": "DE"}],
                       kind="static")
    run_action(kernel, SEGMENT, segment.id, "freeze", actor=SYSTEM)
    disable(kernel, "marketing", actor=SYSTEM)
    enable(kernel, "marketing", actor=SYSTEM)
    assert [s.id for s in helpers.rows(kernel, Segment)] == [segment.id]
    assert member_ids(kernel, segment.id) == [people["ames"].id]


def test_deleting_a_static_segment_deletes_its_members(kernel, people, helpers):
    segment = _segment(kernel, [{"field": "country", "op": "not_null"}], kind="static")
    other = _segment(kernel, [{"field": "country", "op": "eq", "value": "FR"}],
                     kind="static")
    run_action(kernel, SEGMENT, segment.id, "freeze", actor=SYSTEM)
    run_action(kernel, SEGMENT, other.id, "freeze", actor=SYSTEM)
    assert len(helpers.rows(kernel, SegmentMember)) == 4
    services.delete(kernel, SEGMENT, segment.id, actor=SYSTEM)
    assert [(m.segment_id, m.record_id) for m in helpers.rows(kernel, SegmentMember)] == [
        (other.id, people["cole"].id)]
