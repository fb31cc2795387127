"""The vehicle record type and the rules it carries: every write of a vehicle, from
the API, the pages, Python or the plugin's own actions, goes through them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.records import RecordType, Transitions, VerbField

from .models import Vehicle
from .schemas import VehicleSchema

if TYPE_CHECKING:
    from accord.records import Write

__all__ = ["VEHICLE", "NAME", "ACTIONS_OF_STATUS", "vehicle_rules"]

NAME = "car_dealer.vehicle"
#: The actions that move the status (and set the reservation).
ACTIONS_OF_STATUS = ("reserve", "release", "sell")


def vehicle_rules(write: Write) -> None:
    """A vehicle is priced in the dealer's currency, above nothing."""
    currency = write.kernel.settings("car_dealer")["currency"]
    for index, row, _current in write:
        price = row.get("price")
        if price is None:
            continue
        if price.currency != currency:
            write.refuse(index, {"price": [f"vehicles are priced in {currency}, "
                                           f"not {price.currency}"]})
        if price.amount <= 0:
            write.refuse(index, {"price": ["a vehicle costs more than nothing"]})


VEHICLE = RecordType(
    NAME, Vehicle, VehicleSchema, "vehicles", "Vehicle",
    searchable=("vin", "make", "model"), title_fields=("make", "model", "year"),
    verb_fields=(VerbField("status", ACTIONS_OF_STATUS),
                 VerbField("reserved_for_id", ACTIONS_OF_STATUS),
                 VerbField("reserved_until", ACTIONS_OF_STATUS),
                 VerbField("sold_at", ("sell",))),
    transitions=Transitions("status", {"stock": ("reserved", "sold"),
                                       "reserved": ("stock", "sold")}),
    protects=("owner_contact",),
    validate=vehicle_rules)
