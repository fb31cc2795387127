"""Who works which tickets: the built-in service role works its teams' queue through the
API, managers delete new tickets, and the settings are checked."""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
import pytest

from accord import services
from accord.errors import ValidationError
from accord.services.plugins import disable, set_settings
from accord_sdk.assertions import problem

import accord_service.hooks
from accord_service.settings import ServiceSettings

pytestmark = pytest.mark.plugins(accord_service.hooks)
TICKETS = "/api/v1/service/tickets"


@pytest.fixture
def teams(kernel, actor):
    for name in ("First line", "Billing"):
        services.create(kernel, "team", {"name": name}, actor=actor)
    return kernel


def test_an_agent_works_the_queue_of_their_team(teams, make_api_client, helpers):
    kernel = teams
    agent = make_api_client("service", teams=["First line"])
    colleague = make_api_client("service", teams=["First line"])
    billing = make_api_client("service", teams=["Billing"])
    customer = helpers.customer(kernel)
    # An agent opens a ticket: it is theirs and in their team's queue.
    created = agent.post(TICKETS, json={"organization_id": customer.id, "channel": "phone",
                                        "subject": "Invoice missing"})
    assert created.status_code == 201, created.get_json()
    ticket = created.get_json()
    assert (ticket["owner_id"], ticket["team_id"]) == (agent.user.id, _team(kernel, "First line"))
    # A colleague of the team sees it and answers it; the billing team does not see it.
    url = f"{TICKETS}/{ticket['id']}"
    answered = colleague.post(f"{url}/comment", json={"body": "Sent again",
                                                      "visibility": "public"})
    assert answered.status_code == 200, answered.get_json()
    assert answered.get_json()["comments"][0]["author_label"] == colleague.user.email
    assert billing.get(url).status_code == 404
    assert billing.get(TICKETS).get_json()["items"] == []
    assert [t["id"] for t in colleague.get(TICKETS).get_json()["items"]] == [ticket["id"]]
    # An unassigned ticket placed in the billing queue's team: billing sees it only.
    placed = helpers.ticket(kernel, owner_id=None, team_id=_team(kernel, "Billing"))
    assert billing.get(f"{TICKETS}/{placed.id}").status_code == 200
    assert agent.get(f"{TICKETS}/{placed.id}").status_code == 404


def test_agents_do_not_delete_tickets_managers_do(teams, make_api_client, helpers):
    agent = make_api_client("service", teams=["First line"])
    manager = make_api_client("manager", teams=["First line"])
    ticket = agent.post(TICKETS, json={"organization_id": helpers.customer(teams).id,
                                       "channel": "web", "subject": "Twice"}).get_json()
    refused = agent.delete(f"{TICKETS}/{ticket['id']}")
    assert problem(refused, 403)["detail"].endswith(
        "lacks the permission service.ticket.delete")
    assert manager.delete(f"{TICKETS}/{ticket['id']}").status_code == 204


def test_the_grants_go_with_the_plugin(kernel, actor, make_api_client):
    agent = make_api_client("service")
    assert agent.get(TICKETS).status_code == 200
    disable(kernel, "service", actor=actor)
    assert agent.get(TICKETS).status_code == 404


def test_the_actions_are_in_the_openapi_document(api_client):
    paths = api_client.get("/api/v1/openapi.json").get_json()["paths"]
    ours = {path for path in paths if path.startswith(TICKETS)}
    assert ours == {TICKETS, f"{TICKETS}/export", f"{TICKETS}/{{id}}",
                    f"{TICKETS}/{{id}}/history", f"{TICKETS}/{{id}}/timeline",
                    *(f"{TICKETS}/{{id}}/{verb}" for verb in ("open", "wait", "resolve",
                                                              "close", "reopen", "comment"))}
    comment = paths[f"{TICKETS}/{{id}}/comment"]["post"]["requestBody"]
    assert "visibility" in str(comment)


@pytest.mark.parametrize("settings, errors", [
    ({"time_zone": "Mars/Olympus"}, {"time_zone": [
        "'Mars/Olympus' is not a time zone; give an IANA name such as Europe/Berlin or UTC."]}),
    ({"business_hours": {"mon": ["17:00-09:00"], "tue": ["9-5"]}}, {"business_hours": [
        "mon: '17:00-09:00' ends before it starts",
        "tue: '9-5' is not an interval such as 09:00-17:00"]}),
    ({"business_hours": {"mon": ["09:00-13:00", "12:00-17:00"]}}, {"business_hours": [
        "mon: the intervals overlap"]}),
    ({"sla": {"low": {"first_response": 600, "resolution": 60}}}, {"sla": [
        "give the targets of every priority: normal, high, urgent missing",
        "low: the first response target is longer than the resolution target"]}),
    ({"channels": ["phone", "sms", "sms"]}, {"channels": [
        "'sms' listed twice", "'phone' is built in already"]}),
])
def test_bad_settings_are_refused_by_name(settings, errors):
    with pytest.raises(ma.ValidationError) as caught:
        ServiceSettings().load(settings)
    assert caught.value.messages == errors


def test_settings_stored_are_checked_too(kernel, actor):
    with pytest.raises(ValidationError) as caught:
        set_settings(kernel, "service", {"reopen_days": 400}, actor=actor)
    assert caught.value.messages == {"settings": [
        "plugins.settings.service.reopen_days: Give a number of days from 0 to 365."]}
    set_settings(kernel, "service", {"reopen_days": 14, "holidays": ["2026-12-25"]},
                 actor=actor)
    assert kernel.settings("service")["holidays"] == [dt.date(2026, 12, 25)]


def _team(kernel, name):
    with kernel.bound():
        from accord.models import Team

        return Team.get(Team.name == name).id
