"""The stock page and its navigation entry, the panels on the contact's and the
vehicle's pages, the stock value metric and the demo data."""

import datetime as dt
from decimal import Decimal

import pytest

from accord import services
from accord.metrics import compute, metric_query
from accord.query import find
from accord.services.actions import run_action

from accord_car_dealer.demo import VEHICLES as DEMO, car_dealer_demo
from conftest import FORD, HONDA, add_vehicle

pytestmark = pytest.mark.plugins("service", "car_dealer")
STOCK = "/car_dealer/stock"


@pytest.fixture
def showroom(kernel, actor, jane):
    honda = add_vehicle(kernel, vin=HONDA, make="Honda", model="Accord", year=2021,
                        price={"amount": "21900", "currency": "EUR"})
    ford = add_vehicle(kernel)
    sold = add_vehicle(kernel, vin="11111111111111111", make="Fiat", model="Panda",
                       year=2015, price={"amount": "4000", "currency": "EUR"})
    run_action(kernel, "car_dealer.vehicle", sold.id, "sell", {"contact_id": jane.id},
               actor=actor)
    run_action(kernel, "car_dealer.vehicle", honda.id, "reserve", {"contact_id": jane.id},
               actor=actor)
    return honda, ford, sold


def test_the_stock_page_lists_what_is_for_sale(page_client, showroom):
    page = page_client.get(STOCK)
    assert page.status_code == 200
    assert '<a href="/car_dealer/stock" aria-current="page">Vehicles in stock</a>' \
        in page.text
    assert "2 vehicles, worth 40,350.00 EUR" in page.text
    assert FORD in page.text and HONDA in page.text and "Panda" not in page.text
    until = dt.date.today() + dt.timedelta(days=7)
    assert f"Reserved until {until}" in page.text


def test_the_stock_page_filters(page_client, showroom):
    for query, shown, hidden in (("?make=Honda", HONDA, FORD), ("?status=stock", FORD, HONDA),
                                 ("?max_price=20000", FORD, HONDA),
                                 ("?year_from=2020", HONDA, FORD), ("?q=transit", FORD, HONDA)):
        page = page_client.get(STOCK + query)
        assert page.status_code == 200, query
        assert shown in page.text and hidden not in page.text, query


def test_a_bad_filter_is_named(page_client, showroom):
    page = page_client.get(STOCK + "?max_price=cheap&year_from=old")
    assert page.status_code == 400
    assert "Price up to: Give an amount such as 25000, not &#39;cheap&#39;." in page.text
    assert "Model year from: Give a year such as 2020, not &#39;old&#39;." in page.text
    assert FORD not in page.text


def test_the_page_is_not_for_marketing(make_page_client, showroom):
    marketer = make_page_client("marketing")
    assert marketer.get(STOCK).status_code == 403
    assert "Vehicles in stock" not in marketer.get("/").text


def test_the_contact_page_lists_their_vehicles(page_client, showroom, jane):
    page = page_client.get(f"/records/contact/{jane.id}")
    assert page.status_code == 200
    # The plugin's panels replace the core's boxes of the same titles: each is shown once.
    assert page.text.count("Vehicles (owner contact)") == 1
    assert page.text.count("Vehicles (reserved for)") == 1
    assert "Fiat Panda 2015" in page.text and "11111111111111111" in page.text  # its VIN
    until = dt.date.today() + dt.timedelta(days=7)
    assert "Honda Accord 2021" in page.text and f"<td>{until.day} {until:%b %Y}</td>" in page.text
    assert "Ford Transit 2019" not in page.text


def test_the_vehicle_page_lists_its_test_drives(kernel, actor, page_client, showroom, jane):
    ford = showroom[1]
    run_action(kernel, "car_dealer.vehicle", ford.id, "book_test_drive",
               {"contact_id": jane.id, "at": "2026-12-08T10:00:00+00:00"}, actor=actor)
    page = page_client.get(f"/records/car_dealer.vehicle/{ford.id}")
    assert page.status_code == 200
    assert "Test drives" in page.text and "8 Dec 10:00" in page.text
    assert "Jane Doe" in page.text
    assert "No service appointments." in page.text


def test_the_stock_value_metric(kernel, showroom):
    today = dt.datetime.now(dt.timezone.utc).date()  # the vehicles came in today (UTC)
    points = compute(kernel, "car_dealer.stock_value",
                     metric_query(start=today, end=today, by="total"))
    assert [(p.period, p.value) for p in points] == [("total", Decimal("40350.00"))]


def test_the_demo_data(kernel, actor):
    for name in ("Ann", "Ben"):
        services.create(kernel, "contact", {"last_name": name}, actor=actor)
    car_dealer_demo(kernel, actor)
    vehicles = find(kernel, "car_dealer.vehicle", {}, sort=("id",))
    assert [(v.vin, v.status) for v in vehicles] == [
        (DEMO[0][0], "reserved"), (DEMO[1][0], "stock"), (DEMO[2][0], "stock"),
        (DEMO[3][0], "stock"), (DEMO[4][0], "sold")]
    drives = find(kernel, "activity", {"record_type": "car_dealer.vehicle"})
    assert [d.subject for d in drives] == ["Test drive: Tesla Model 3 2022"]
