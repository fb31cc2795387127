"""Hook implementations of car_dealer: declarations, each a thin adapter over the
plugin's record type, services, routing, panels, page and metric.

It extends the service plugin only through that plugin's own hook (``route_ticket``,
declared in ``accord_service.hookspecs``) and its record type (``service.ticket``,
written through ``accord.services``); it never imports the service plugin's models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accord.hooks import hookimpl
from accord.pages import NavEntry, SearchType
from accord.records import Permission, RecordAction, RoleGrant

from . import services
from .records import VEHICLE
from .schemas import ReserveSchema, SellSchema, ServiceSchema, TestDriveSchema

if TYPE_CHECKING:
    from flask import Blueprint

    from accord.kernel import Accord
    from accord.metrics import Metric
    from accord.pages import Panel
    from accord.records import RecordType
    from accord.services import Actor
    from accord_service.routing import Routing

_PERMISSIONS = {
    "read": "Read vehicles", "write": "Add and change vehicles", "delete": "Delete vehicles",
    "reserve": "Reserve a vehicle for a customer, and release it",
    "sell": "Sell a vehicle", "test_drive": "Book a test drive",
    "book_service": "Book a workshop appointment for a vehicle"}


@hookimpl
def register_record_types() -> list[RecordType]:
    return [VEHICLE]


@hookimpl
def register_permissions() -> list[Permission]:
    return [Permission(f"{VEHICLE.name}.{verb}", text) for verb, text in _PERMISSIONS.items()]


@hookimpl
def register_actions() -> list[RecordAction]:
    name = VEHICLE.name
    return [
        RecordAction(name, "reserve", f"{name}.reserve", services.reserve, schema=ReserveSchema,
                     description="Hold the vehicle for a customer (reservation_days days)",
                     available_from=("stock",)),
        RecordAction(name, "release", f"{name}.reserve", services.release,
                     description="Put a reserved vehicle back in stock",
                     available_from=("reserved",)),
        RecordAction(name, "sell", f"{name}.sell", services.sell, schema=SellSchema,
                     description="Sell the vehicle: the buyer becomes its owner",
                     available_from=("stock", "reserved")),
        RecordAction(name, "book_test_drive", f"{name}.test_drive", services.book_test_drive,
                     schema=TestDriveSchema,
                     description="Book a test drive (a meeting on the vehicle's timeline)",
                     available_from=("stock", "reserved")),
        RecordAction(name, "book_service", f"{name}.book_service", services.book_service,
                     schema=ServiceSchema,
                     description="Book a workshop appointment: a service ticket for the "
                                 "owner, routed to the workshop")]


@hookimpl
def register_role_grants() -> list[RoleGrant]:
    """Sales people sell the whole stock; the service desk reads it and books the
    workshop; managers hold everything."""
    name = VEHICLE.name
    return [RoleGrant("sales", (f"{name}.read", f"{name}.write", f"{name}.reserve",
                                f"{name}.sell", f"{name}.test_drive"),
                      rules=((name, "all"),)),
            RoleGrant("service", (f"{name}.read", f"{name}.book_service"),
                      rules=((name, "all"),)),
            RoleGrant("manager", ("car_dealer.*",))]


# The service plugin's hook: this plugin requires service (MANIFEST.requires), so its
# specification is known when these hooks register.
@hookimpl
def route_ticket(kernel: Accord, ticket: dict[str, Any]) -> Routing | None:
    from .routing import workshop_routing

    return workshop_routing(kernel, ticket)


@hookimpl
def record_panels(kernel: Accord, actor: Actor, record_type: str,
                  record: dict[str, Any]) -> list[Panel]:
    from .panels import contact_panels, vehicle_panels

    if record_type == "contact":
        return contact_panels(kernel, actor, record["id"])
    if record_type == VEHICLE.name:
        return vehicle_panels(kernel, actor, record)
    return []


@hookimpl
def navigation_entries() -> list[NavEntry]:
    return [NavEntry("Vehicles in stock", "/car_dealer/stock", f"{VEHICLE.name}.read",
                     order=45)]


@hookimpl
def register_search_types() -> list[SearchType]:
    return [SearchType(VEHICLE.name, "Vehicles", ("vin", "status"), order=45)]


@hookimpl
def register_pages() -> list[Blueprint]:
    from .pages import blueprint

    return [blueprint()]


@hookimpl
def register_metrics() -> list[Metric]:
    from .metrics import STOCK_VALUE

    return [STOCK_VALUE]


@hookimpl(trylast=True)  # sells and reserves to the core demo's contacts: theirs first
def load_demo_data(kernel: Accord, actor: Actor) -> None:
    from .demo import car_dealer_demo

    car_dealer_demo(kernel, actor)
