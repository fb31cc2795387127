"""Vehicles: the VIN and its check digit, the price, the status the actions own, the
reservation setting and the migration."""

import datetime as dt

import pytest

from accord import services
from accord.errors import Conflict
from accord.query import find
from accord.services.actions import run_action
from accord.services.plugins import disable, enable, set_settings
from accord_sdk.assertions import problem, refused

from conftest import FORD, HONDA, add_vehicle

pytestmark = pytest.mark.plugins("service", "car_dealer")
VEHICLES = "/api/v1/car_dealer/vehicles"


def test_a_vehicle_is_stored_with_its_vin_in_capitals(kernel, actor):
    vehicle = add_vehicle(kernel, vin="1m8gdm9a-xkp042788")
    shown = services.dump(kernel, "car_dealer.vehicle", vehicle)
    assert {k: shown[k] for k in ("vin", "status", "price", "mileage")} == {
        "vin": FORD, "status": "stock", "price": {"amount": "18450.00", "currency": "EUR"},
        "mileage": 84200}


WRONG_VINS = {
    "1M8GDM9AXKP04278": "A VIN has 17 characters, not 16.",
    "1M8GDM9AXKP0427889": "A VIN has 17 characters, not 18.",
    "1M8GDM9AXKO04Q788": "A VIN holds digits and capital letters other than I, O and Q, "
                         "not 'O', 'Q'.",
    "1M8GDM9A5KP042788": "The check digit (the 9th character) is '5' but the other "
                         "characters give 'X': look for a typo.",
    "1M8GDM9AXKP042789": "The check digit (the 9th character) is 'X' but the other "
                         "characters give '1': look for a typo.",
}


def test_a_wrong_vin_is_refused_with_the_reason(kernel, api_client):
    for vin, message in WRONG_VINS.items():
        assert refused(lambda: add_vehicle(kernel, vin=vin)) == {"vin": [message]}, vin
    response = api_client.post(VEHICLES, json={
        "vin": "1M8GDM9A5KP042788", "make": "Ford", "model": "Transit", "year": 2019,
        "price": {"amount": "18450", "currency": "EUR"}})
    assert problem(response, 422)["errors"] == {"vin": [WRONG_VINS["1M8GDM9A5KP042788"]]}
    assert find(kernel, "car_dealer.vehicle", {}) == []  # nothing was stored


def test_a_vin_is_used_once(kernel, ford, api_client):
    response = api_client.post(VEHICLES, json={
        "vin": FORD.lower(), "make": "Ford", "model": "Transit", "year": 2020,
        "price": {"amount": "19000", "currency": "EUR"}})
    assert problem(response, 422)["errors"] == {
        "vin": [f"'{FORD}' is already used by car_dealer.vehicle {ford.id}"]}


def test_the_price_is_in_the_dealers_currency(kernel):
    assert refused(lambda: add_vehicle(kernel, price={"amount": "100", "currency": "USD"})) \
        == {"price": ["vehicles are priced in EUR, not USD"]}
    assert refused(lambda: add_vehicle(kernel, price={"amount": "0", "currency": "EUR"})) \
        == {"price": ["a vehicle costs more than nothing"]}
    assert refused(lambda: add_vehicle(kernel, year=1975)) == {
        "year": [f"Give a model year from 1981 to {dt.date.today().year + 1}."]}


def test_a_client_does_not_set_the_status(api_client, kernel, ford):
    response = api_client.patch(f"{VEHICLES}/{ford.id}", json={"status": "sold"})
    assert problem(response, 422)["errors"] == {"status": [
        f"set by the reserve, release or sell action only "
        f"(POST {VEHICLES}/{ford.id}/reserve)"]}


def test_reserve_release_and_sell(kernel, actor, ford, jane):
    reserved = run_action(kernel, "car_dealer.vehicle", ford.id, "reserve",
                          {"contact_id": jane.id}, actor=actor)
    assert (reserved.status, reserved.reserved_for_id, reserved.reserved_until) == (
        "reserved", jane.id, dt.date.today() + dt.timedelta(days=7))
    with pytest.raises(Conflict) as caught:
        run_action(kernel, "car_dealer.vehicle", ford.id, "reserve", {"contact_id": jane.id},
                   actor=actor)
    assert str(caught.value) == f"vehicle {FORD} is reserved, not in stock"
    released = run_action(kernel, "car_dealer.vehicle", ford.id, "release", actor=actor)
    assert (released.status, released.reserved_for_id, released.version) == ("stock", None, 3)
    sold = run_action(kernel, "car_dealer.vehicle", ford.id, "sell", {"contact_id": jane.id},
                      actor=actor)
    assert (sold.status, sold.owner_contact_id, sold.sold_at is not None) == (
        "sold", jane.id, True)
    # sold is final: the transitions refuse any move away from it.
    assert refused(lambda: services.update(kernel, "car_dealer.vehicle", ford.id,
                                           {"status": "stock"}, actor=actor,
                                           verb="release")) == {
        "status": [f"vehicle {ford.id} is sold: it stays so"]}


def test_a_vehicle_reserved_for_another_is_not_sold(kernel, actor, ford, jane):
    other = services.create(kernel, "contact", {"last_name": "Roe"}, actor=actor)
    run_action(kernel, "car_dealer.vehicle", ford.id, "reserve", {"contact_id": jane.id},
               actor=actor)
    until = dt.date.today() + dt.timedelta(days=7)
    assert refused(lambda: run_action(kernel, "car_dealer.vehicle", ford.id, "sell",
                                      {"contact_id": other.id}, actor=actor)) == {
        "contact_id": [f"vehicle {FORD} is reserved for contact {jane.id} until {until}; "
                       "release it first"]}
    assert refused(lambda: run_action(kernel, "car_dealer.vehicle", ford.id, "release",
                                      {"contact_id": 5}, actor=actor)) == {
        "contact_id": ["the release action takes no 'contact_id'"]}
    assert refused(lambda: run_action(kernel, "car_dealer.vehicle", ford.id, "sell",
                                      {"contact_id": 999}, actor=actor)) == {
        "contact_id": [f"vehicle {FORD} is reserved for contact {jane.id} until {until}; "
                       "release it first"]}


def test_the_reservation_lasts_the_days_of_the_setting(kernel, actor, ford, jane):
    set_settings(kernel, "car_dealer", {"reservation_days": 3}, actor=actor)
    reserved = run_action(kernel, "car_dealer.vehicle", ford.id, "reserve",
                          {"contact_id": jane.id}, actor=actor)
    assert reserved.reserved_until == dt.date.today() + dt.timedelta(days=3)
    assert refused(lambda: set_settings(kernel, "car_dealer", {"reservation_days": 0},
                                        actor=actor)) == {
        "settings": ["plugins.settings.car_dealer.reservation_days: Give whole days from "
                     "1 to 90."]}


def test_an_owner_is_kept_while_their_vehicle_names_them(kernel, actor, jane):
    add_vehicle(kernel, vin=HONDA, owner_contact_id=jane.id)
    with pytest.raises(Conflict):
        services.delete(kernel, "contact", jane.id, actor=actor)


def test_disabling_keeps_the_vehicles(kernel, actor, ford, api_client):
    disable(kernel, "car_dealer", actor=actor)
    assert api_client.get(f"{VEHICLES}/{ford.id}").status_code == 404
    enable(kernel, "car_dealer", actor=actor)
    assert api_client.get(f"{VEHICLES}/{ford.id}").get_json()["vin"] == FORD


def test_the_migration_goes_down_and_up_again(kernel, actor):
    disable(kernel, "car_dealer", actor=actor)
    with kernel.bound():
        assert kernel.migrations.downgrade("car_dealer", 0) == ["0001_create_vehicles"]
        assert "car_dealer_vehicle" not in kernel.database.get_tables()
        assert kernel.migrations.upgrade("car_dealer") == ["0001_create_vehicles"]
        assert "car_dealer_vehicle" in kernel.database.get_tables()
