"""Merging contacts and organizations: the service records that name the loser move
to the winner (tickets, warranties, repair orders, returns, surveys, service
invoices)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.hooks import hookimpl
from accord.services.merging import Moved, move_rows

from .models import RepairOrder, Return, ServiceInvoice, Survey, Ticket, Warranty

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.records import RecordType

#: (kind, model) of every service record with a contact and an organization.
CUSTOMER_RECORDS = (("tickets", Ticket), ("warranties", Warranty),
                    ("repair orders", RepairOrder), ("returns", Return),
                    ("surveys", Survey), ("service invoices", ServiceInvoice))


@hookimpl
def merge_records(kernel: Accord, record_type: RecordType, winner_id: int,
                  loser_id: int) -> list[Moved]:
    if record_type.name not in ("contact", "organization"):
        return []
    moved = [Moved(kind, move_rows(kernel, getattr(model, record_type.name), winner_id,
                                   loser_id))
             for kind, model in CUSTOMER_RECORDS]
    return [m for m in moved if m.count]
