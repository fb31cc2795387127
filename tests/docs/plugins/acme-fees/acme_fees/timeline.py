"""Fees on their patients' timelines."""

from __future__ import annotations

from typing import Any

from accord.money import Money
from accord.records import TimelineItem

from .models import Fee


def fee_items(record_type: str, record_ids: list[int]) -> list[TimelineItem]:
    """One entry per fee of these contacts: one query for all of them."""
    if record_type != "contact":
        return []
    fees: Any = Fee.select().where(Fee.patient.in_(record_ids))  # Any: peewee adds patient_id
    return [TimelineItem(
        record_type="contact", record_id=fee.patient_id, at=fee.created_at,
        kind="acme_fees.fee",
        title=f"{fee.treatment}: {Money(fee.amount, fee.amount_currency)}",
        source_type="acme_fees.fee", source_id=fee.id,
        details={"status": fee.status, "due_on": fee.due_on.isoformat()}) for fee in fees]
