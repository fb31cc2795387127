"""Demo data: a showroom of vehicles, one reserved and one sold to contacts of the
core's demo firm, with a test drive booked; written through the plugin's verbs."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from accord import services
from accord.query import find

from . import services as verbs

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services import Actor

__all__ = ["VEHICLES", "car_dealer_demo"]

#: VIN, make, model, year, mileage, price (every VIN carries its check digit).
VEHICLES = [
    ("1HGCM82633A004352", "Honda", "Accord", 2021, 38_500, "21900"),
    ("1M8GDM9AXKP042788", "Ford", "Transit", 2019, 84_200, "18450"),
    ("5YJ3E1EA2KF317000", "Tesla", "Model 3", 2022, 22_100, "33900"),
    ("JTDKB20UX93521479", "Toyota", "Prius", 2020, 51_000, "17500"),
    ("WBA3A5C53CF256551", "BMW", "320i", 2018, 97_300, "15990"),
]


def car_dealer_demo(kernel: Accord, actor: Actor) -> None:
    currency = kernel.settings("car_dealer")["currency"]
    made = services.bulk_create(kernel, verbs.VEHICLE, [
        {"vin": vin, "make": make, "model": model, "year": year, "mileage": mileage,
         "price": {"amount": price, "currency": currency}}
        for vin, make, model, year, mileage, price in VEHICLES], actor=actor)
    contacts: list[Any] = find(kernel, "contact", {}, sort=("id",), limit=2)
    if len(contacts) < 2:
        return
    buyer, prospect = contacts
    verbs.sell(kernel, made[4], actor=actor, contact_id=buyer.id)
    verbs.reserve(kernel, made[0], actor=actor, contact_id=prospect.id)
    tomorrow = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0) \
        + dt.timedelta(days=1)
    verbs.book_test_drive(kernel, made[2], actor=actor, contact_id=prospect.id,
                          at=tomorrow, notes="Interested in the long-range version")
