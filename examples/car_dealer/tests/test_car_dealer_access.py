"""What the built-in roles may do with vehicles, through the plugin's grants."""

import pytest

from accord.services.plugins import disable
from accord_sdk.assertions import problem

from conftest import FORD

pytestmark = pytest.mark.plugins("service", "car_dealer")
VEHICLES = "/api/v1/car_dealer/vehicles"
NEW = {"vin": FORD, "make": "Ford", "model": "Transit", "year": 2019,
       "price": {"amount": "18450", "currency": "EUR"}}


def test_sales_sells_the_stock(make_api_client, jane):
    seller = make_api_client("sales")
    created = seller.post(VEHICLES, json=NEW)
    assert created.status_code == 201, created.get_json()
    vehicle = created.get_json()
    for action, body in (("reserve", {"contact_id": jane.id}), ("release", None),
                         ("sell", {"contact_id": jane.id})):
        done = seller.post(f"{VEHICLES}/{vehicle['id']}/{action}", json=body)
        assert done.status_code == 200, (action, done.get_json())
    assert seller.get(f"{VEHICLES}/{vehicle['id']}").get_json()["status"] == "sold"
    workshop = seller.post(f"{VEHICLES}/{vehicle['id']}/book_service", json={"work": "Tyres"})
    assert problem(workshop, 403)["detail"] == (
        f"{seller.user.email} (sales) lacks the permission car_dealer.vehicle.book_service")


def test_service_reads_the_stock_and_books_the_workshop(make_api_client, kernel, ford):
    desk = make_api_client("service")
    assert desk.get(f"{VEHICLES}/{ford.id}").get_json()["vin"] == FORD
    changed = desk.patch(f"{VEHICLES}/{ford.id}", json={"mileage": 1})
    assert problem(changed, 403)["detail"] == (
        f"{desk.user.email} (service) lacks the permission car_dealer.vehicle.write")
    sold = desk.post(f"{VEHICLES}/{ford.id}/sell", json={"contact_id": 1})
    assert problem(sold, 403)["detail"].endswith("lacks the permission car_dealer.vehicle.sell")


def test_marketing_sees_no_vehicle(make_api_client, ford):
    assert problem(make_api_client("marketing").get(VEHICLES), 403)["detail"].endswith(
        "lacks the permission car_dealer.vehicle.read")


def test_the_grants_go_with_the_plugin(make_api_client, kernel, actor, ford):
    seller = make_api_client("sales")
    assert seller.get(VEHICLES).status_code == 200
    disable(kernel, "car_dealer", actor=actor)
    assert seller.get(VEHICLES).status_code == 404
