"""The fee record type, and the rules it carries: every write of a fee, from the
API, the CLI, Python or the pay action, goes through them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from accord.errors import Conflict
from accord.records import RecordType, Transitions, VerbField

from .models import Fee
from .schemas import FeeSchema

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.records import Write
    from accord.services import Actor


def fee_defaults(write: Write) -> None:
    """Before validation, for creates only: fill what the client left out."""
    for row in write.rows:
        row.setdefault("treated_on", dt.date.today())


def fee_rules(write: Write) -> None:
    """Inside the transaction: refuse a row with ``write.refuse(index, problems)``."""
    currency = write.kernel.settings("acme_fees")["currency"]
    for index, row, current in write:  # current: the stored fee, None for a create
        problems = {}
        amount = row.get("amount")
        if amount is not None and amount.currency != currency:
            problems["amount"] = [f"the clinic charges in {currency}"]
        elif amount is not None and amount.amount <= 0:
            problems["amount"] = ["a fee is more than nothing"]
        # write.value: the value after the write, from the row or else the stored fee.
        if write.value(index, "paid_by") == "insurer" and write.value(index, "insurer_id") is None:
            problems["paid_by"] = ["name the insurer (insurer_id) first"]
        write.refuse(index, problems)


def fee_computed(write: Write) -> None:
    """After validation: set the values derived from the others."""
    days = write.kernel.settings("acme_fees")["payment_days"]
    for row in write.rows:
        if "treated_on" in row:
            row["due_on"] = row["treated_on"] + dt.timedelta(days=days)


def fee_kept(kernel: Accord, records: list[Any], actor: Actor) -> None:
    """Before a delete, inside its transaction: raise Conflict (409) to keep them."""
    for fee in records:
        if fee.status == "paid":
            raise Conflict(f"fee {fee.id} is paid; it stays in the books")


FEE = RecordType(
    "acme_fees.fee", Fee, FeeSchema, "fees", "Fee",
    searchable=("treatment",), title_fields=("treatment",),
    verb_fields=(VerbField("status", ("pay", "waive")), VerbField("paid_by", ("pay",)),
                 VerbField("paid_at", ("pay",))),
    transitions=Transitions("status", {"open": ("paid", "waived")}),
    protects=("insurer",),
    defaults=fee_defaults, validate=fee_rules, compute=fee_computed, check_delete=fee_kept)
