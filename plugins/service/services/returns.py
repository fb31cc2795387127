"""The verbs on returns (RMA): approve or reject with a reason, resolve, close.

Each moves the return's status along its workflow (accord_service.returns.TRANSITIONS;
a move it does not allow is refused with the allowed ones named) through the ordinary
service call with ``verb=``, so the record type's rules check the refund cap again at
the decision. A decision writes an outbox row ``service.return.approved`` or
``service.return.rejected`` in its transaction. With a sales order line, the order is
read locked (``for_update``) first, so two returns of one line are decided one after
the other and never refund the line twice.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from accord import services
from accord.errors import ValidationError
from accord.models import utcnow
from accord.money import format_amount
from accord.records import OutboxItem, RecordAction
from accord.services.authz import require
from accord.services.outbox import enqueue

from ..returns import (APPROVE, ORDER, REJECT, RESOLVE, RETURN, TRANSITIONS, ApproveSchema,
                       RejectSchema, moved, sales_running)

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services import Actor

    from ..models import Return

__all__ = ["approve_return", "reject_return", "resolve_return", "close_return", "APPROVED",
           "REJECTED", "ACTIONS"]

#: The outbox topics of a decision.
APPROVED = "service.return.approved"
REJECTED = "service.return.rejected"


def _return(kernel: Accord, return_id: int, actor: Actor, to: str) -> Any:
    """The return as the actor may read it, locked until the verb's transaction ends;
    refused (naming the allowed moves) unless it may go to ``to``."""
    record: Any = services.get(kernel, RETURN, return_id, actor=actor, for_update=True)
    if record.status == to:
        raise ValidationError({"status": [f"return {record.id} is {to} already"]})
    if to not in TRANSITIONS.get(record.status, ()):
        raise ValidationError({"status": [moved(record.id, record.status)]})
    return record


def _lock_order(kernel: Accord, record: Any) -> None:
    if record.order_id is not None and sales_running(kernel):
        services.get(kernel, ORDER, record.order_id, for_update=True)


def _decided(kernel: Accord, record: Any, topic: str) -> None:
    enqueue(kernel, [OutboxItem(topic, {
        "return_id": record.id, "decision": record.decision,
        "reason": record.decision_reason, "resolution": record.resolution,
        "refund_amount": None if record.refund_amount is None else
        format_amount(Decimal(record.refund_amount), record.currency),
        "currency": record.currency,
        "order_id": record.order_id, "order_line": record.order_line,
        "warranty_id": record.warranty_id, "ticket_id": record.ticket_id})])


def approve_return(kernel: Accord, return_id: int, *, actor: Actor, version: int | None = None,
                   reason: str | None = None, resolution: str | None = None,
                   refund_amount: Decimal | None = None,
                   at: dt.datetime | None = None) -> Return:
    """Approve a requested return, with its resolution (given here or on the return)
    and, for a refund or a credit, the amount (at most the cap)."""
    require(actor, APPROVE)
    with kernel.transaction():
        record = _return(kernel, return_id, actor, "approved")
        _lock_order(kernel, record)
        chosen = resolution or record.resolution
        if chosen is None:
            raise ValidationError({"resolution": ["give the resolution to approve: refund, "
                                                  "replacement, repair or credit"]})
        amount = refund_amount if refund_amount is not None else record.refund_amount
        if chosen in ("refund", "credit") and amount is None:
            raise ValidationError({"refund_amount": [f"give the amount of the {chosen} to "
                                                     "approve it"]})
        text = (reason or "").strip() or None
        data: dict[str, Any] = {"status": "approved", "decision": "approved",
                                "decision_reason": text, "decided_at": at or utcnow(),
                                "resolution": chosen}
        if refund_amount is not None:
            data["refund_amount"] = refund_amount
        updated: Any = services.update(kernel, RETURN, record.id, data, actor=actor,
                                       version=version, verb="approve")
        _decided(kernel, updated, APPROVED)
    return updated  # type: ignore[no-any-return]


def reject_return(kernel: Accord, return_id: int, *, actor: Actor, reason: str,
                  version: int | None = None, at: dt.datetime | None = None) -> Return:
    """Reject a requested return, saying why."""
    require(actor, REJECT)
    text = (reason or "").strip()
    if not text:
        raise ValidationError({"reason": ["say why the return is rejected"]})
    with kernel.transaction():
        record = _return(kernel, return_id, actor, "rejected")
        updated: Any = services.update(kernel, RETURN, record.id, {
            "status": "rejected", "decision": "rejected", "decision_reason": text,
            "decided_at": at or utcnow()}, actor=actor, version=version, verb="reject")
        _decided(kernel, updated, REJECTED)
    return updated  # type: ignore[no-any-return]


def resolve_return(kernel: Accord, return_id: int, *, actor: Actor,
                   version: int | None = None, at: dt.datetime | None = None) -> Return:
    """An approved return is settled: refunded, replaced, repaired or credited."""
    require(actor, RESOLVE)
    with kernel.transaction():
        record = _return(kernel, return_id, actor, "resolved")
        updated: Any = services.update(kernel, RETURN, record.id, {
            "status": "resolved", "resolved_at": at or utcnow()}, actor=actor,
            version=version, verb="resolve")
    return updated  # type: ignore[no-any-return]


def close_return(kernel: Accord, return_id: int, *, actor: Actor,
                 version: int | None = None, at: dt.datetime | None = None) -> Return:
    """Close a resolved or rejected return for good."""
    require(actor, RESOLVE)
    with kernel.transaction():
        record = _return(kernel, return_id, actor, "closed")
        updated: Any = services.update(kernel, RETURN, record.id, {
            "status": "closed", "closed_at": at or utcnow()}, actor=actor,
            version=version, verb="close")
    return updated  # type: ignore[no-any-return]


ACTIONS = [
    RecordAction(RETURN, "approve", APPROVE, approve_return, schema=ApproveSchema,
                 description="Approve the return, with its resolution and, for a refund or "
                             "a credit, the amount (at most what was paid for the items)",
                 available_from=("requested",)),
    RecordAction(RETURN, "reject", REJECT, reject_return, schema=RejectSchema,
                 description="Reject the return, saying why", available_from=("requested",)),
    RecordAction(RETURN, "resolve", RESOLVE, resolve_return,
                 description="The approved return is settled (refunded, replaced, repaired "
                             "or credited)", available_from=("approved",)),
    RecordAction(RETURN, "close", RESOLVE, close_return,
                 description="Close a resolved or rejected return for good",
                 available_from=("resolved", "rejected"))]
