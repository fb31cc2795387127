"""Competing products: their list price set by the observe_price verb only, the price
history it keeps, and their price against ours."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import accord_competitors.hooks
import accord_sales.hooks
from accord import services
from accord.errors import Conflict, ValidationError
from accord.money import Money
from accord.services import Actor
from accord_competitors.models import PriceObservation
from accord_competitors.reports import price_comparison, price_history
from accord_competitors.services import observe_price

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.plugins(accord_sales.hooks, accord_competitors.hooks)
PRODUCTS = "/api/v1/competitors/products"
JAN, FEB, MAR = dt.date(2026, 1, 10), dt.date(2026, 2, 10), dt.date(2026, 3, 10)


def h_money(amount, currency="EUR"):
    return {"amount": amount, "currency": currency}


@pytest.fixture
def throne(rivals, helpers):
    """Rival Inc's Throne, competing with our SEAT (100 EUR) and CHAIR (80 USD)."""
    ours = [services.create(rivals, "product", {"sku": sku, "name": sku.title(),
                                                "unit_price": helpers.money(*price)},
                            actor=SYSTEM).id
            for sku, price in (("SEAT", ("100",)), ("CHAIR", ("80", "USD")))]
    return services.create(rivals, "competitors.product", {
        "competitor_id": helpers.competitor(rivals).id, "name": "Throne", "category": "Seating",
        "competes_with": ours}, actor=SYSTEM)


def _history(kernel, product):
    return [(p.observed_on, p.price, p.price_currency, p.source, p.recorded_by_label)
            for p in price_history(kernel, product.id)]


def test_each_observation_is_kept_and_the_latest_is_the_current_price(rivals, throne):
    observe_price(rivals, throne.id, Money(Decimal("125"), "EUR"), observed_on=FEB,
                  source="website", actor=SYSTEM)
    product = observe_price(rivals, throne.id, {"amount": "119.90", "currency": "EUR"},
                            observed_on=MAR, actor=Actor.system("analyst"))
    assert (product.list_price, product.list_price_currency, product.price_observed_on,
            product.version) == (Decimal("119.90"), "EUR", MAR, 3)
    # An older price fills in the history without becoming the current one.
    product = observe_price(rivals, throne.id, h_money("130"), observed_on=JAN, actor=SYSTEM)
    assert (product.list_price, product.price_observed_on, product.version) == (
        Decimal("119.90"), MAR, 3)
    assert _history(rivals, throne) == [
        (JAN, Decimal("130"), "EUR", None, "test"),
        (FEB, Decimal("125"), "EUR", "website", "test"),
        (MAR, Decimal("119.90"), "EUR", None, "analyst")]


def test_an_observation_is_today_unless_dated(rivals, throne):
    product = observe_price(rivals, throne.id, h_money("99"), actor=SYSTEM)
    assert product.price_observed_on == dt.datetime.now(dt.timezone.utc).date()


@pytest.mark.parametrize(("price", "day", "messages"), [
    (h_money("0"), JAN, {"price": ["A price is more than 0."]}),
    (h_money("-5"), JAN, {"price": ["A price is more than 0."]}),
    ({"amount": 1.5, "currency": "EUR"}, JAN, {
        "price": ["Give the amount as a string or an integer, not a float."]}),
    (h_money("10"), dt.date(2999, 1, 1), {"observed_on": ["2999-01-01 is in the future"]}),
])
def test_a_bad_observation_is_refused_and_nothing_changes(rivals, throne, helpers, price, day,
                                                          messages):
    with pytest.raises(ValidationError) as caught:
        observe_price(rivals, throne.id, price, observed_on=day, actor=SYSTEM)
    assert caught.value.messages == messages
    assert helpers.count(rivals, PriceObservation) == 0
    assert services.get(rivals, "competitors.product", throne.id).version == 1


def test_the_price_is_changed_only_by_observing_it(rivals, throne, helpers):
    with pytest.raises(ValidationError) as caught:
        services.update(rivals, "competitors.product", throne.id,
                        {"list_price": h_money("50")}, actor=SYSTEM)
    assert caught.value.messages == {"list_price": [
        f"set by the observe_price action only (POST /api/v1/competitors/"
        f"products/{throne.id}/observe_price)"]}
    with pytest.raises(ValidationError) as caught:
        services.create(rivals, "competitors.product", {
            "competitor_id": throne.competitor_id, "name": "Stool",
            "list_price": h_money("50"), "price_observed_on": "2026-01-01"}, actor=SYSTEM)
    assert caught.value.messages == {name: [
        "set by the observe_price action only "
        "(POST /api/v1/competitors/products/<id>/observe_price)"]
        for name in ("list_price", "price_observed_on")}
    # Sending the stored price back unchanged (a PUT of what was read) is no change.
    observe_price(rivals, throne.id, h_money("70"), observed_on=JAN, actor=SYSTEM)
    same = services.update(rivals, "competitors.product", throne.id, {
        "list_price": h_money("70.00"), "price_observed_on": JAN, "main_use": "Offices"},
        actor=SYSTEM)
    assert (same.main_use, same.list_price) == ("Offices", Decimal("70"))


def test_observations_are_history_not_edited_nor_deleted(rivals, throne, helpers, api_client):
    observe_price(rivals, throne.id, h_money("70"), observed_on=JAN, actor=SYSTEM)
    [seen] = helpers.rows(rivals, PriceObservation)
    response = api_client.patch(f"/api/v1/competitors/prices/{seen.id}",
                                json={"source": "a guess"})
    assert helpers.problem(response, 422)["errors"] == {"_schema": [
        "competitors.price records are written by the observe_price action only"]}
    response = api_client.post("/api/v1/competitors/prices", json={
        "product_id": throne.id, "price": h_money("1"), "observed_on": "2026-01-01"})
    assert helpers.problem(response, 422)["errors"]["_schema"][0].startswith(
        "competitors.price records are written by the observe_price action only")
    with pytest.raises(Conflict) as caught:
        services.delete(rivals, "competitors.price", seen.id, actor=SYSTEM)
    assert str(caught.value) == (
        "a price observation is kept in the price history; record a newer observation with "
        "the observe_price action instead of deleting it")


def test_observe_price_over_the_api(rivals, throne, api_client, helpers):
    url = f"{PRODUCTS}/{throne.id}/observe_price"
    response = api_client.post(url, headers={"If-Match": '"1"'}, json={
        "price": h_money("110"), "observed_on": "2026-02-01", "source": "trade show"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["list_price"], body["price_observed_on"], response.headers["ETag"]) == (
        {"amount": "110.00", "currency": "EUR"}, "2026-02-01", '"2"')
    assert helpers.problem(api_client.post(url, headers={"If-Match": '"1"'}, json={
        "price": h_money("1")}), 412)["status"] == 412
    assert helpers.problem(api_client.post(url, json={"observed_on": "2026-02-01"}), 422)[
        "errors"] == {"price": ["Missing data for required field."]}
    assert helpers.problem(api_client.post(url, json={"price": h_money("1"), "colour": "red"}),
                           422)["errors"] == {"colour": ["unknown field 'colour'"]}
    listed = api_client.get(f"/api/v1/competitors/prices?product_id={throne.id}"
                            "&sort=-observed_on").get_json()
    assert [(i["price"], i["observed_on"], i["source"], i["recorded_by_label"])
            for i in listed["items"]] == [
        ({"amount": "110.00", "currency": "EUR"}, "2026-02-01", "trade show",
         api_client.user.email)]
    assert listed["items"][0]["recorded_by_id"] == api_client.user.id


def test_price_comparison_in_the_same_currency_only(rivals, throne, api_client):
    [before] = price_comparison(rivals, [throne.id])
    assert [(o.sku, o.ratio, o.note) for o in before.ours] == [
        ("CHAIR", None, "no list price observed for the competing product"),
        ("SEAT", None, "no list price observed for the competing product")]
    observe_price(rivals, throne.id, h_money("125"), observed_on=JAN, actor=SYSTEM)
    response = api_client.post(f"{PRODUCTS}/{throne.id}/compare_prices")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "product_id": throne.id, "name": "Throne", "competitor": "Rival Inc",
        "category": "Seating", "list_price": {"amount": "125.00", "currency": "EUR"},
        "price_observed_on": "2026-01-10",
        "ours": [
            {"product_id": before.ours[0].product_id, "sku": "CHAIR",
             "name": "Chair", "unit_price": {"amount": "80.00", "currency": "USD"},
             "ratio": None, "note": "the currencies differ (USD against EUR); prices in "
                                    "different currencies are not compared"},
            {"product_id": before.ours[1].product_id, "sku": "SEAT", "name": "Seat",
             "unit_price": {"amount": "100.00", "currency": "EUR"}, "ratio": "0.80",
             "note": None}]}


def test_a_product_name_is_used_once_per_competitor(rivals, throne, helpers):
    with pytest.raises(ValidationError) as caught:
        services.create(rivals, "competitors.product", {
            "competitor_id": throne.competitor_id, "name": "Throne"}, actor=SYSTEM)
    assert caught.value.messages == {"name": [
        f"competitor {throne.competitor_id} already has a product named 'Throne' "
        f"(competitors.product {throne.id})"]}
    other = helpers.competitor(rivals, "Cheapo Ltd")
    twin = services.create(rivals, "competitors.product", {
        "competitor_id": other.id, "name": "Throne"}, actor=SYSTEM)
    assert twin.competitor_id == other.id


def test_competes_with_names_our_products(rivals, throne, helpers, api_client):
    body = api_client.get(f"{PRODUCTS}/{throne.id}").get_json()
    assert len(body["competes_with"]) == 2
    response = api_client.patch(f"{PRODUCTS}/{throne.id}", json={"competes_with": [999]})
    assert helpers.problem(response, 422)["errors"] == {
        "competes_with": ["there is no product 999"]}
    seat = body["competes_with"][1]
    listed = api_client.get(f"{PRODUCTS}?competes_with={seat}").get_json()
    assert [i["id"] for i in listed["items"]] == [throne.id]


def test_a_product_goes_with_its_price_history_and_links(rivals, throne, helpers, api_client):
    from accord_competitors.models import Rivalry

    observe_price(rivals, throne.id, h_money("70"), observed_on=JAN, actor=SYSTEM)
    assert api_client.delete(f"{PRODUCTS}/{throne.id}").status_code == 204
    assert (helpers.count(rivals, PriceObservation), helpers.count(rivals, Rivalry)) == (0, 0)
    # Our products stay.
    assert len(api_client.get("/api/v1/products").get_json()["items"]) == 2
