"""The dealership's verbs: the plugin's Python API and the handlers of its actions.
Every write of the plugin is here, through ``accord.services``."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from accord import services
from accord.errors import Conflict, NotFound, ValidationError
from accord.models import utcnow
from accord.services.authz import require

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services import Actor

    from .models import Vehicle

__all__ = ["VEHICLE", "reserve", "release", "sell", "book_test_drive", "book_service",
           "vehicle_title", "TEST_DRIVE_SUBJECT", "SERVICE_SUBJECT"]

VEHICLE = "car_dealer.vehicle"
#: The subject of a test drive's activity, and of a service appointment's ticket.
TEST_DRIVE_SUBJECT = "Test drive: {vehicle}"
SERVICE_SUBJECT = "Service appointment: {work} ({vin})"


def vehicle_title(vehicle: Any) -> str:
    return f"{vehicle.make} {vehicle.model} {vehicle.year}"


def _contact(kernel: Accord, contact_id: int, actor: Actor) -> Any:
    """The contact, as the actor may read it; a refusal names ``contact_id``."""
    try:
        return services.get(kernel, "contact", contact_id, actor=actor)
    except NotFound:
        raise ValidationError({"contact_id": [f"there is no contact {contact_id}"]}) from None


def reserve(kernel: Accord, vehicle_id: int, *, actor: Actor, contact_id: int,
            version: int | None = None) -> Vehicle:
    """Hold a vehicle in stock for a customer for ``reservation_days`` days."""
    require(actor, "car_dealer.vehicle.reserve")
    vehicle: Any = services.get(kernel, VEHICLE, vehicle_id, actor=actor)
    if vehicle.status != "stock":
        raise Conflict(f"vehicle {vehicle.vin} is {vehicle.status}, not in stock")
    _contact(kernel, contact_id, actor)
    days = kernel.settings("car_dealer")["reservation_days"]
    until = dt.date.today() + dt.timedelta(days=days)
    result: Any = services.update(
        kernel, VEHICLE, vehicle_id,
        {"status": "reserved", "reserved_for_id": contact_id, "reserved_until": until},
        actor=actor, version=version, verb="reserve")
    return cast("Vehicle", result)


def release(kernel: Accord, vehicle_id: int, *, actor: Actor,
            version: int | None = None) -> Vehicle:
    """Put a reserved vehicle back in stock."""
    require(actor, "car_dealer.vehicle.reserve")
    vehicle: Any = services.get(kernel, VEHICLE, vehicle_id, actor=actor)
    if vehicle.status != "reserved":
        raise Conflict(f"vehicle {vehicle.vin} is {vehicle.status}, not reserved")
    result: Any = services.update(
        kernel, VEHICLE, vehicle_id,
        {"status": "stock", "reserved_for_id": None, "reserved_until": None},
        actor=actor, version=version, verb="release")
    return cast("Vehicle", result)


def sell(kernel: Accord, vehicle_id: int, *, actor: Actor, contact_id: int,
         version: int | None = None) -> Vehicle:
    """Sell a vehicle to a customer, who becomes its owner. A vehicle reserved for
    someone else is refused."""
    require(actor, "car_dealer.vehicle.sell")
    vehicle: Any = services.get(kernel, VEHICLE, vehicle_id, actor=actor)
    if vehicle.status == "sold":
        raise Conflict(f"vehicle {vehicle.vin} is sold already")
    if vehicle.status == "reserved" and vehicle.reserved_for_id != contact_id:
        raise ValidationError({"contact_id": [
            f"vehicle {vehicle.vin} is reserved for contact {vehicle.reserved_for_id} "
            f"until {vehicle.reserved_until}; release it first"]})
    _contact(kernel, contact_id, actor)
    result: Any = services.update(
        kernel, VEHICLE, vehicle_id,
        {"status": "sold", "owner_contact_id": contact_id, "reserved_for_id": None,
         "reserved_until": None, "sold_at": utcnow()},
        actor=actor, version=version, verb="sell")
    return cast("Vehicle", result)


def book_test_drive(kernel: Accord, vehicle_id: int, *, actor: Actor, contact_id: int,
                    at: dt.datetime, notes: str | None = None,
                    version: int | None = None) -> dict[str, Any]:
    """Book a test drive: a core meeting activity on the vehicle, with the contact.
    Returns the activity as the API shows it."""
    require(actor, "car_dealer.vehicle.test_drive")
    vehicle: Any = services.get(kernel, VEHICLE, vehicle_id, actor=actor)
    if vehicle.status == "sold":
        raise Conflict(f"vehicle {vehicle.vin} is sold; it is not driven on trial")
    _contact(kernel, contact_id, actor)
    activity = services.create(kernel, "activity", {
        "kind": "meeting", "subject": TEST_DRIVE_SUBJECT.format(vehicle=vehicle_title(vehicle)),
        "body": notes, "due_at": at, "record_type": VEHICLE, "record_id": vehicle_id,
        "contact_id": contact_id}, actor=actor)
    shown: dict[str, Any] = services.dump(kernel, "activity", activity)
    return shown


def book_service(kernel: Accord, vehicle_id: int, *, actor: Actor, work: str,
                 notes: str | None = None, priority: str | None = None,
                 version: int | None = None) -> dict[str, Any]:
    """Book a workshop appointment: a service ticket for the vehicle's owner, naming
    the VIN, left unassigned so that routing (this plugin's ``route_ticket``) sends it
    to the workshop. Returns the ticket as the API shows it."""
    require(actor, "car_dealer.vehicle.book_service")
    vehicle: Any = services.get(kernel, VEHICLE, vehicle_id, actor=actor)
    if vehicle.owner_contact_id is None:
        raise ValidationError({"owner_contact_id": [
            f"vehicle {vehicle.vin} has no owner: give its owner_contact_id first"]})
    data: dict[str, Any] = {
        "channel": "phone", "contact_id": vehicle.owner_contact_id, "owner_id": None,
        "subject": SERVICE_SUBJECT.format(work=work, vin=vehicle.vin),
        "description": notes or f"{vehicle_title(vehicle)}, {vehicle.mileage} km"}
    if priority is not None:
        data["priority"] = priority
    ticket = services.create(kernel, "service.ticket", data, actor=actor)
    shown: dict[str, Any] = services.dump(kernel, "service.ticket", ticket)
    return shown
