"""Signals the service plugin sends after commit, with ``sender=kernel``.

Connect receivers from a ``kernel_started`` hook implementation (not at import), so
disabling the receiving plugin silences them. A receiver's exception is logged and
never reaches the caller.
"""

from __future__ import annotations

from blinker import Namespace

__all__ = ["signals", "sla_breached"]

signals = Namespace()

#: The breach job found a ticket past a due time and escalated it. kwargs: ticket_id
#: (int), breach ("first_response" or "resolution"), due_at (aware UTC datetime),
#: priority (the ticket's priority after the escalation), team_id, owner_id, actor.
sla_breached = signals.signal("service.ticket.sla_breached")
