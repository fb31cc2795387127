"""What the record pages show: a contact's vehicles, a vehicle's test drives and
service tickets; each read with the reader's permissions and record rules."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from accord.pages import Panel
from accord.query import find

from .services import TEST_DRIVE_SUBJECT, VEHICLE, vehicle_title

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services import Actor

__all__ = ["contact_panels", "vehicle_panels"]

#: The titles the core gives its boxes of vehicles naming a contact (the vehicle's
#: label, and the key when the type has several): the same titles replace them.
OWNED = "Vehicles (owner contact)"
HELD = "Vehicles (reserved for)"


def contact_panels(kernel: Accord, actor: Actor, contact_id: int) -> list[Panel]:
    """The vehicles a contact owns, with their VIN, and those reserved for them, with
    the day the reservation ends. Titled like the core's boxes of records referring to
    the contact, which they replace; left out when empty, as those are."""
    if not actor.can(f"{VEHICLE}.read"):
        return []
    panels = []
    owned = find(kernel, VEHICLE, {"owner_contact_id": contact_id}, sort=("-year",),
                 limit=100, actor=actor)
    if owned:
        panels.append(Panel(OWNED, columns=("Vehicle", "VIN"),
                            rows=tuple((vehicle_title(v), v.vin) for v in owned),
                            links=tuple(f"/records/{VEHICLE}/{v.id}" for v in owned),
                            order=45))
    held = find(kernel, VEHICLE, {"reserved_for_id": contact_id}, sort=("reserved_until",),
                limit=100, actor=actor)
    if held:
        # A day as text the page shows as it is ("14 Dec 2026").
        panels.append(Panel(HELD, columns=("Vehicle", "Until"),
                            rows=tuple((vehicle_title(v), _day(v.reserved_until)) for v in held),
                            links=tuple(f"/records/{VEHICLE}/{v.id}" for v in held),
                            order=46))
    return panels


def vehicle_panels(kernel: Accord, actor: Actor, record: dict[str, Any]) -> list[Panel]:
    """The vehicle's test drives (core meeting activities on it) and its service
    tickets (those naming its VIN), each when the reader may read them."""
    panels = []
    if actor.can("core.activity.read"):
        prefix = TEST_DRIVE_SUBJECT.split("{")[0]
        drives = find(kernel, "activity", {"record_type": VEHICLE, "record_id": record["id"],
                                           "kind": "meeting", "subject__contains": prefix},
                      sort=("-due_at",), limit=50, actor=actor)
        names = _contact_names(kernel, actor, [d.contact_id for d in drives])
        panels.append(Panel(
            "Test drives", columns=("When", "With"),
            # ISO text: the page shows it as it shows every moment ("8 Dec 10:00").
            rows=tuple((d.due_at.isoformat() if d.due_at else "",
                        names.get(d.contact_id, "")) for d in drives),
            links=tuple(f"/records/activity/{d.id}" for d in drives),
            empty="No test drives booked.", order=47))
    if actor.can("service.ticket.read"):
        tickets = find(kernel, "service.ticket", {"subject__contains": record["vin"]},
                       sort=("-received_at",), limit=50, actor=actor)
        panels.append(Panel(
            "Service appointments", columns=("Ticket", "Subject", "Queue", "Status"),
            rows=tuple((f"T-{t.id}", t.subject, t.queue, t.status) for t in tickets),
            links=tuple(f"/records/service.ticket/{t.id}" for t in tickets),
            empty="No service appointments.", order=48))
    return panels


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _contact_names(kernel: Accord, actor: Actor, ids: list[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted or not actor.can("core.contact.read"):
        return {}
    contacts = find(kernel, "contact", {"id__in": wanted}, actor=actor)
    return {c.id: " ".join(p for p in (c.first_name, c.last_name) if p) for c in contacts}

