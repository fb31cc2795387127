"""Competitor profiles over HTTP: the generic routes serve them, search and filter them,
and name the field of every mistake."""

from __future__ import annotations

import pytest

import accord_competitors.hooks
import accord_sales.hooks

pytestmark = pytest.mark.plugins(accord_sales.hooks, accord_competitors.hooks)
COMPETITORS = "/api/v1/competitors/competitors"


def _create(client, **fields):
    response = client.post(COMPETITORS, json={"name": "Rival Inc", **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_profile_is_created_read_and_changed(rivals, api_client):
    made = _create(api_client, website="https://rival.example", ownership="Family owned",
                   markets="Mid-market CRM", regions="DACH", strengths="Brand")
    assert (made["threat_level"], made["status"], made["ownership"], made["version"]) == (
        "medium", "active", "Family owned", 1)
    changed = api_client.patch(f"{COMPETITORS}/{made['id']}", headers={"If-Match": '"1"'},
                               json={"status": "watch", "threat_level": "high"})
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["status"], changed.headers["ETag"]) == ("watch", '"2"')
    history = api_client.get(f"{COMPETITORS}/{made['id']}/history").get_json()["items"]
    assert history[-1]["changes"] == {"status": ["active", "watch"],
                                      "threat_level": ["medium", "high"]}


@pytest.mark.parametrize(("fields", "errors"), [
    ({"threat_level": "extreme"}, {"threat_level": ["Must be one of: low, medium, high."]}),
    ({"status": "dead"}, {"status": ["Must be one of: active, watch, inactive."]}),
    ({"website": "not a url"}, {"website": ["Not a valid URL."]}),
    ({"name": ""}, {"name": ["Length must be between 1 and 200."]}),
    ({"colour": "red"}, {"colour": ["unknown field 'colour'"]}),
])
def test_a_mistake_names_its_field(rivals, api_client, helpers, fields, errors):
    response = api_client.post(COMPETITORS, json={"name": "Rival Inc", **fields})
    assert helpers.problem(response, 422)["errors"] == errors


def test_a_name_is_used_once(rivals, api_client, helpers):
    first = _create(api_client)
    response = api_client.post(COMPETITORS, json={"name": "Rival Inc"})
    assert helpers.problem(response, 422)["errors"] == {"name": [
        f"'Rival Inc' is already used by competitors.competitor {first['id']}"]}


def test_profiles_are_searched_and_filtered(rivals, api_client):
    rival = _create(api_client, markets="Mid-market CRM", regions="DACH, Nordics")
    other = _create(api_client, name="OpenLedger", markets="ERP", status="watch")

    def ids(query):
        return [i["id"] for i in api_client.get(f"{COMPETITORS}?{query}").get_json()["items"]]

    assert ids("q=nordics") == [rival["id"]]
    assert ids("markets__contains=crm") == [rival["id"]]
    assert ids("status=watch") == [other["id"]]
    assert ids("sort=-name") == [rival["id"], other["id"]]
