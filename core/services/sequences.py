"""Gapless number sequences: invoice numbers with no holes, whatever runs at once.

``next_value(name)`` takes the next number of a named sequence inside the caller's
transaction. The sequence's row is updated there: its row lock makes concurrent
callers take turns (PostgreSQL holds the second until the first commits; SQLite's write
transactions are serial anyway), and a transaction rolled back gives its number back,
so the numbers that stay are 1, 2, 3… without a gap. Name a sequence after its owner and
period (``"acme_billing.invoice.2026"``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import AccordError
from ..models import NumberSequence

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["next_value", "current_value"]


def next_value(kernel: Accord, name: str) -> int:
    """The next number of sequence ``name`` (1 for a new one); call inside the
    transaction that uses it, so a rollback gives the number back."""
    if not kernel.in_transaction():
        raise AccordError(f"next_value({name!r}) outside a transaction could leave a gap: "
                          "call it inside the transaction that uses the number")
    NumberSequence.insert(name=name, last=0).on_conflict_ignore().execute()
    NumberSequence.update(last=NumberSequence.last + 1).where(
        NumberSequence.name == name).execute()
    return int(NumberSequence.select(NumberSequence.last)
               .where(NumberSequence.name == name).scalar())


def current_value(name: str) -> int:
    """The last number given in sequence ``name`` (0 when none was)."""
    last = (NumberSequence.select(NumberSequence.last)
            .where(NumberSequence.name == name).scalar())
    return int(last or 0)
