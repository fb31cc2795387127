"""Hooks the service plugin declares for other plugins.

A plugin implementing them declares ``requires={"service": ">=1,<2"}`` in its
manifest, so it loads after the service plugin has added these specifications (an
implementation of a hook nobody declared is a load error).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from accord.hooks import hookspec

if TYPE_CHECKING:
    from accord.kernel import Accord

    from .routing import Routing

__all__ = ["route_ticket", "ticket_due_times"]


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


@hookspec(firstresult=True)
def ticket_due_times(kernel: Accord, ticket: dict[str, Any],
                     first_response_due_at: dt.datetime, resolution_due_at: dt.datetime
                     ) -> tuple[dt.datetime, dt.datetime] | None:
    """Compute a ticket's SLA due times in place of the plugin's policies.

    Called: whenever the plugin computes a ticket's due times: for a new ticket, and for
        a ticket whose priority, customer or SLA clock (a pause that ends) changes;
        once per such ticket of the batch, inside the write's transaction, before the row
        is written. Not called while the ticket's due times stay as they are.
    Args: ticket: the ticket's values after the write (a dict: ``id``, None for a new
        ticket; ``subject``, ``channel``, ``category``, ``priority``,
        ``organization_id``, ``contact_id``, ``queue``, ``team_id``, ``owner_id``,
        ``received_at``, ``sla_paused_seconds``, ``first_responded_at`` and
        ``sla_policy``, the policy whose targets gave the due times: ``default``,
        ``contract`` or ``tier:<tier>``). Changing the dict changes nothing.
        first_response_due_at, resolution_due_at: the due times that policy gives
        (aware UTC datetimes, the business time the clock stood still included).
    Returns: a pair ``(first_response_due_at, resolution_due_at)`` of aware datetimes
        that replace them (the ticket's ``sla_policy`` is then ``hook``); or None to
        keep them. Once the first response is given its due time stays as it was,
        whatever the hook returns. Anything but a pair of aware datetimes refuses the
        write, naming the hook.
    Order: firstresult: the first implementation returning a pair decides; a firm's
        plugin (registered after the service plugin) is asked first. The service
        plugin implements none: without one, the policies' due times stand.
    Since: service 1.2
    """
