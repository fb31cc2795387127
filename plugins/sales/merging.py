"""Merging contacts and organizations: the sales records that name the loser move to
the winner (leads, opportunities, quotes, orders, invoices, contracts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.hooks import hookimpl
from accord.services.merging import Moved, move_customer_rows

from .models import Contract, Invoice, Lead, Opportunity, Order, Quote

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.records import RecordType

#: (kind, model) of every sales record with a contact and an organization.
CUSTOMER_RECORDS = (("leads", Lead), ("opportunities", Opportunity), ("quotes", Quote),
                    ("orders", Order), ("invoices", Invoice), ("contracts", Contract))


@hookimpl
def merge_records(kernel: Accord, record_type: RecordType, winner_id: int,
                  loser_id: int) -> list[Moved]:
    return move_customer_rows(kernel, record_type, winner_id, loser_id, CUSTOMER_RECORDS)
