"""The ticket page's "Conversation" panel (``record_panels``): the SLA countdowns, the
comments oldest first (public and internal told apart) and the reply box, which posts
to the ticket's ``comment`` action like the API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accord import services
from accord.pages import Panel

from .queue import countdowns
from .rules import TICKET
from .services import COMMENT

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services import Actor

__all__ = ["conversation"]


def conversation(kernel: Accord, actor: Actor, record: dict[str, Any]) -> Panel:
    ticket = services.get(kernel, TICKET, record["id"], actor=actor)
    comments = sorted(record.get("comments") or [], key=lambda c: (c["at"], c["id"]))
    return Panel("Conversation", template="service/_conversation.html", order=5, context={
        "ticket_id": record["id"], "version": record["version"], "comments": comments,
        "countdowns": countdowns(kernel, ticket),
        "may_reply": actor.can(COMMENT) and record["status"] != "closed"})
