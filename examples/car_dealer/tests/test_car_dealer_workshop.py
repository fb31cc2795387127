"""Test drives as core activities, and the workshop through the service plugin: its
route_ticket hook sends tickets naming a vehicle's VIN to the workshop, and the
book_service action opens such a ticket for the vehicle's owner."""

import logging

import pytest

from accord import services
from accord.query import find
from accord.services.actions import run_action
from accord.services.plugins import set_settings
from accord_sdk.assertions import problem, refused

from conftest import FORD, HONDA, add_vehicle

pytestmark = pytest.mark.plugins("service", "car_dealer")
VEHICLES = "/api/v1/car_dealer/vehicles"
WHEN = "2026-12-08T10:00:00+00:00"


@pytest.fixture
def workshop(kernel, actor):
    set_settings(kernel, "service", {"queues": ["general", "workshop"]}, actor=actor)
    return services.create(kernel, "team", {"name": "Workshop"}, actor=actor)


def test_a_test_drive_is_a_meeting_on_the_vehicle(kernel, actor, ford, jane, api_client):
    response = api_client.post(f"{VEHICLES}/{ford.id}/book_test_drive",
                               json={"contact_id": jane.id, "at": WHEN, "notes": "Wet road"})
    assert response.status_code == 200, response.get_json()
    drive = response.get_json()
    assert {k: drive[k] for k in ("kind", "subject", "body", "due_at", "record_type",
                                  "record_id", "contact_id")} == {
        "kind": "meeting", "subject": "Test drive: Ford Transit 2019", "body": "Wet road",
        "due_at": WHEN, "record_type": "car_dealer.vehicle", "record_id": ford.id,
        "contact_id": jane.id}
    # An ordinary core activity: on the contact's timeline too.
    timeline = services.timeline(kernel, "contact", jane.id, actor=actor)
    assert "Test drive: Ford Transit 2019" in [item.title for item in timeline]


def test_a_test_drive_needs_a_contact_and_a_vehicle_for_sale(kernel, actor, ford, jane,
                                                             api_client):
    missing = api_client.post(f"{VEHICLES}/{ford.id}/book_test_drive",
                              json={"contact_id": 999, "at": WHEN})
    assert problem(missing, 422)["errors"] == {"contact_id": ["there is no contact 999"]}
    run_action(kernel, "car_dealer.vehicle", ford.id, "sell", {"contact_id": jane.id},
               actor=actor)
    sold = api_client.post(f"{VEHICLES}/{ford.id}/book_test_drive",
                           json={"contact_id": jane.id, "at": WHEN})
    assert problem(sold, 409)["detail"] == f"vehicle {FORD} is sold; it is not driven on trial"
    assert find(kernel, "activity", {"record_type": "car_dealer.vehicle"}) == []


def test_a_ticket_naming_a_vin_goes_to_the_workshop(kernel, actor, ford, jane, workshop):
    ticket = services.create(kernel, "service.ticket", {
        "channel": "email", "contact_id": jane.id,
        "subject": "Strange noise", "description": f"My van {FORD.lower()} rattles."},
        actor=actor)
    assert (ticket.queue, ticket.team_id) == ("workshop", workshop.id)
    other = services.create(kernel, "service.ticket", {
        "channel": "email", "contact_id": jane.id, "subject": f"Invoice for {HONDA}"},
        actor=actor)  # a valid VIN, but none of the dealer's vehicles
    assert (other.queue, other.team_id) == ("general", None)


def test_without_a_workshop_queue_only_the_team_is_set(kernel, actor, ford, jane, caplog):
    team = services.create(kernel, "team", {"name": "Workshop"}, actor=actor)
    with caplog.at_level(logging.WARNING):
        ticket = services.create(kernel, "service.ticket", {
            "channel": "phone", "contact_id": jane.id, "subject": f"Brakes of {FORD}"},
            actor=actor)
    assert (ticket.queue, ticket.team_id) == ("general", team.id)
    assert "the service plugin has no queue 'workshop'" in caplog.text


def test_book_service_opens_a_routed_ticket_for_the_owner(kernel, actor, jane, workshop,
                                                          api_client):
    van = add_vehicle(kernel, owner_contact_id=jane.id)
    response = api_client.post(f"{VEHICLES}/{van.id}/book_service",
                               json={"work": "Annual inspection", "priority": "high"})
    assert response.status_code == 200, response.get_json()
    ticket = response.get_json()
    assert {k: ticket[k] for k in ("subject", "contact_id", "queue", "team_id", "owner_id",
                                   "priority", "channel", "description")} == {
        "subject": f"Service appointment: Annual inspection ({FORD})", "contact_id": jane.id,
        "queue": "workshop", "team_id": workshop.id, "owner_id": None, "priority": "high",
        "channel": "phone", "description": "Ford Transit 2019, 84200 km"}


def test_book_service_needs_an_owner(kernel, actor, ford, api_client):
    response = api_client.post(f"{VEHICLES}/{ford.id}/book_service", json={"work": "Tyres"})
    assert problem(response, 422)["errors"] == {"owner_contact_id": [
        f"vehicle {FORD} has no owner: give its owner_contact_id first"]}
    assert refused(lambda: run_action(kernel, "car_dealer.vehicle", ford.id, "book_service",
                                      {"work": ""}, actor=actor)) == {
        "work": ["Length must be between 1 and 150."]}
