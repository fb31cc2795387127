"""Tickets about a vehicle go to the workshop: this plugin's implementation of the
service plugin's ``route_ticket`` hook (declared in ``accord_service.hookspecs``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from accord.models import Team

# The value the hook returns, as the service plugin documents it (docs/service.md#routing).
from accord_service.routing import Routing

from .models import Vehicle
from .vin import VIN_PATTERN, normal_vin, vin_problem

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["vins_named", "workshop_routing"]

log = logging.getLogger(__name__)


def vins_named(text: str) -> list[str]:
    """The valid VINs standing alone in a text, in capitals, in order, once each."""
    found = (normal_vin(m) for m in VIN_PATTERN.findall(text or ""))
    return list(dict.fromkeys(v for v in found if vin_problem(v) is None))


def workshop_routing(kernel: Accord, ticket: dict[str, Any]) -> Routing | None:
    """The workshop's queue and team for a new ticket whose subject or description
    names the VIN of one of the dealer's vehicles; None for any other ticket (the next
    implementation, in the end the service plugin's own, decides)."""
    vins = vins_named(f"{ticket.get('subject') or ''} {ticket.get('description') or ''}")
    if not vins or not Vehicle.select(Vehicle.id).where(Vehicle.vin.in_(vins)).exists():
        return None
    settings = kernel.settings("car_dealer")
    queue: str | None = settings["workshop_queue"]
    if queue not in kernel.settings("service")["queues"]:
        log.warning("car_dealer routing: the service plugin has no queue %r (its queues "
                    "setting); the ticket keeps its queue", queue)
        queue = None
    team = Team.get_or_none(Team.name == settings["workshop_team"])
    if team is None:
        log.warning("car_dealer routing: no team named %r; the ticket keeps its team",
                    settings["workshop_team"])
    if queue is None and team is None:
        return None
    return Routing(queue=queue, team_id=None if team is None else int(team.id))
