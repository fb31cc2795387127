"""Hooks the service plugin declares for other plugins.

A plugin implementing them declares ``requires={"service": ">=1,<2"}`` in its
manifest, so it loads after the service plugin has added these specifications (an
implementation of a hook nobody declared is a load error).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accord.hooks import hookspec

if TYPE_CHECKING:
    from accord.kernel import Accord

    from .routing import Routing

__all__ = ["route_ticket"]


@hookspec(firstresult=True)
def route_ticket(kernel: Accord, ticket: dict[str, Any]) -> Routing | None:
    """Decide the queue, team and assignee of a new ticket nobody is assigned to.

    Called: once per new ticket that has no assignee once its defaults are applied
        (one from the web form or an email, one created by a system actor, or one
        whose creator sent ``"owner_id": null``), inside the create's transaction,
        before the row is written. A ticket created with an assignee is not routed.
    Args: ticket: the new ticket's values (a dict: ``subject``, ``description``,
        ``channel``, ``category``, ``priority``, ``organization_id``, ``contact_id``,
        ``queue``, ``team_id`` when given, ``received_at``); it has no id yet.
        Changing the dict changes nothing: return a Routing.
    Returns: an ``accord_service.routing.Routing(queue=None, team_id=None,
        owner_id=None)``, whose fields that are not None replace the ticket's; or None
        to leave the decision to the next implementation. The plugin's own
        implementation (``trylast``) routes by category to the team of the ``routing``
        setting, then to that team's active member assigned a ticket least recently.
        A queue that is not one of the ``queues`` setting, a team or user that does
        not exist, or a deactivated user refuses the ticket with a message naming the
        hook's mistake.
    Order: firstresult: the first implementation returning a Routing decides; a
        firm's plugin (registered after the service plugin) is asked first, so it
        replaces the default.
    Since: service 1.1
    """
