"""Orders: from an accepted quote or entered directly; a status with its history.

confirmed -> partially_fulfilled -> fulfilled, or confirmed -> cancelled. An
order's lines may change while it is confirmed and not invoiced. Every status
change is recorded (from, to, when, by whom, a note) with the change.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from accord import services
from accord.errors import ValidationError
from accord.models import utcnow
from accord.services.authz import require

from ..dates import today
from ..models import Invoice, Order, OrderStatusChange, QuoteLine
from ..rules import ORDER
from . import check_version
from .documents import copy_lines, document_computed, document_defaults, document_rules
from .quotes import customer_from_opportunity

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.records import Write
    from accord.services.actors import Actor

__all__ = ["order_defaults", "order_rules", "order_computed", "order_from_quote",
           "set_order_status", "TRANSITIONS", "STATUS"]

STATUS = "sales.order.status"
#: The statuses an order may go to from each status.
TRANSITIONS = {"confirmed": ("partially_fulfilled", "fulfilled", "cancelled"),
               "partially_fulfilled": ("fulfilled",),
               "fulfilled": (), "cancelled": ()}


def order_defaults(write: Write) -> None:
    document_defaults(write)
    customer_from_opportunity(write.rows)
    for row in write.rows:
        row.setdefault("order_date", today())


def order_rules(write: Write) -> None:
    found = document_rules(write, editable="confirmed",
                           verb_hint="an order's content changes only while it is confirmed")
    invoiced = _invoiced([c.id for _, row, c in write if c is not None and "lines" in row])
    for (index, row, current), problems in zip(write, found):
        if current is not None and current.id in invoiced:
            problems.setdefault("lines", [f"order {current.id} is invoiced (invoice "
                                          f"{invoiced[current.id]}); its lines stay"])
        if current is not None and row.get("status") == "cancelled" \
                and current.status != "cancelled" and _invoiced([current.id]):
            problems["status"] = [f"order {current.id} is invoiced; void its invoice before "
                                  "cancelling it"]
        write.refuse(index, problems)


def _invoiced(order_ids: list[int]) -> dict[int, str]:
    if not order_ids:
        return {}
    query: Any = (Invoice.select(Invoice.order, Invoice.number, Invoice.id)
                  .where(Invoice.order.in_(order_ids), Invoice.status != "void"))
    return {i.order_id: i.number or f"draft {i.id}" for i in query}


def order_computed(write: Write) -> None:
    document_computed(write)


def order_from_quote(kernel: Accord, quote: Any, *, actor: Actor,
                     order_date: dt.date | None = None, reference: str | None = None) -> Order:
    """The order of an accepted quote: its customer, currency and lines (at the quote's
    prices). Runs inside the caller's transaction."""
    lines = [{k: v for k, v in line.items() if k not in ("net", "tax", "total")}
             for line in copy_lines(QuoteLine, QuoteLine.quote, quote.id)]
    data: dict[str, Any] = {
        "opportunity_id": quote.opportunity_id, "organization_id": quote.organization_id,
        "contact_id": quote.contact_id, "currency": quote.currency, "lines": lines,
        "order_date": order_date or today(), "reference": reference, "notes": quote.notes,
        **{k: v for k, v in (("owner_id", quote.owner_id), ("team_id", quote.team_id)) if v}}
    order = services.create(kernel, ORDER, {**data, "quote_id": quote.id}, actor=actor,
                            verb="accept")
    return order  # type: ignore[return-value]


def set_order_status(kernel: Accord, order_id: int, status: str, *, actor: Actor,
                     note: str | None = None, version: int | None = None) -> Order:
    """Move an order to another status (the record type's TRANSITIONS); the change is
    recorded."""
    require(actor, STATUS)
    with kernel.transaction():
        order: Any = services.get(kernel, ORDER, order_id, actor=actor, for_update=True)
        check_version(ORDER, order, version)
        if status == order.status:
            raise ValidationError({"status": [f"order {order.id} is {status} already"]})
        services.update(kernel, ORDER, order.id, {"status": status}, actor=actor,
                        version=order.version, verb="status")
        OrderStatusChange.insert(order=order.id, from_status=order.status, to_status=status,
                                 note=(note or "").strip() or None, at=utcnow(),
                                 actor=actor.user_id, actor_label=actor.label).execute()
    return services.get(kernel, ORDER, order_id)  # type: ignore[return-value]
