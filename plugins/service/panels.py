"""Panels on record pages (``record_panels``): the ticket's "Conversation" (the SLA
countdowns, the comments oldest first, public and internal told apart, and the reply
box, which posts to the ticket's ``comment`` action like the API), and the repair's
"Parts and coverage" (its parts and totals, and the warranty's decision)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from accord import services
from accord.money import format_amount
from accord.pages import Panel

from .queue import countdowns
from .repairs import REPAIR
from .rules import TICKET
from .services import COMMENT

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services import Actor

__all__ = ["conversation", "repair"]


def conversation(kernel: Accord, actor: Actor, record: dict[str, Any]) -> Panel:
    ticket = services.get(kernel, TICKET, record["id"], actor=actor)
    comments = sorted(record.get("comments") or [], key=lambda c: (c["at"], c["id"]))
    return Panel("Conversation", template="service/_conversation.html", order=5, context={
        "ticket_id": record["id"], "version": record["version"], "comments": comments,
        "countdowns": countdowns(kernel, ticket),
        "may_reply": actor.can(COMMENT) and record["status"] != "closed",
        "new_repair": f"/records/{REPAIR}/new?ticket_id={record['id']}"
        if actor.can(f"{REPAIR}.write") and REPAIR in kernel.records else None})


def repair(kernel: Accord, actor: Actor, record: dict[str, Any]) -> Panel:
    """A repair's parts with their totals, and the coverage decision: the one made when
    it was completed, or, before that, what the warranty would cover if it were
    completed today."""
    from .repairs import decide, warranty_for

    stored = services.get(kernel, REPAIR, record["id"], actor=actor)
    preview = None
    if record["status"] in ("open", "in_progress"):
        with kernel.bound():
            warranty = warranty_for(stored)
        preview = decide(stored, warranty, dt.date.today())
    invoice_url = None
    if record.get("invoice_id") and record.get("invoice_type"):
        invoice_url = f"/records/{record['invoice_type']}/{record['invoice_id']}"
    return Panel("Parts and coverage", template="service/_repair.html", order=5, context={
        "repair": record, "parts": record.get("parts") or [], "preview": preview,
        "currency": record["currency"], "invoice_url": invoice_url,
        "rate": format_amount(Decimal(record["labour_rate"]), record["currency"]),
        "fee": format_amount(Decimal(record["service_fee"]), record["currency"]),
        "covered_text": _COVERED.get(record.get("covered") or "", "")})


_COVERED = {"none": "Not covered: billed in full", "parts": "Parts covered",
            "labour": "Labour covered", "parts_and_labour": "Parts and labour covered"}
