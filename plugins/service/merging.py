"""Merging contacts and organizations: the service records that name the loser move
to the winner (tickets, warranties, repair orders, returns, surveys, service
invoices)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.hooks import hookimpl
from accord.services.merging import Moved, move_customer_rows

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
    return move_customer_rows(kernel, record_type, winner_id, loser_id, CUSTOMER_RECORDS)
