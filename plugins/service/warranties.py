"""Warranties: what covers a product by its serial number, and on which days.

``coverage(warranty, on)`` is pure: whether the warranty covers that day (its first and
its last day both are), what it covers, and why not. The write-path rules (the record
type's ``validate``, hooks.py) read and never write; ``lookup`` reads the warranties of
a serial number as the reader's record rule lets them. The reminder job that writes is
in services.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from accord import services
from accord.errors import NotFound, PermissionDenied
from accord.services.authz import require, scoped

from .models import Warranty
from .rules import customer_named

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.records import Write
    from accord.services import Actor

__all__ = ["WARRANTY", "Coverage", "coverage", "warranty_rules", "lookup", "customer_of"]

WARRANTY = "service.warranty"
_COVERS = {"parts": "parts", "labour": "labour", "parts_and_labour": "parts and labour"}


@dataclass(frozen=True)
class Coverage:
    """A warranty's answer for one day: ``covered``, what (``covers``: parts, labour or
    parts_and_labour; None when not covered) and, when not, ``reason``."""

    covered: bool
    covers: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"covered": self.covered, "covers": self.covers, "reason": self.reason}


def coverage(warranty: Any, on: dt.date) -> Coverage:
    """Whether ``warranty`` covers the day ``on``: from ``starts_on`` to ``ends_on``,
    both included."""
    if on < warranty.starts_on:
        return Coverage(False, None, f"starts on {warranty.starts_on.isoformat()}")
    if on > warranty.ends_on:
        return Coverage(False, None, f"expired on {warranty.ends_on.isoformat()}")
    return Coverage(True, warranty.covers,
                    f"covers {_COVERS.get(warranty.covers, warranty.covers)} until "
                    f"{warranty.ends_on.isoformat()}")


def warranty_rules(write: Write) -> None:
    """A customer is named; the end is not before the start; a product's serial number
    has one warranty."""
    taken: set[tuple[int, str]] = set()
    for index, row, current in write:
        problems = customer_named(write, index)
        starts, ends = write.value(index, "starts_on"), write.value(index, "ends_on")
        if starts is not None and ends is not None and ends < starts:
            problems["ends_on"] = [f"{ends.isoformat()} is before starts_on "
                                   f"({starts.isoformat()}): the warranty ends on or after "
                                   "the day it starts"]
        product, serial = write.value(index, "product_id"), write.value(index,
                                                                         "serial_number")
        if ("product_id" in row or "serial_number" in row) and product is not None \
                and serial is not None:
            clash = Warranty.select(Warranty.id).where(Warranty.product == product,
                                                       Warranty.serial_number == serial)
            if current is not None:
                clash = clash.where(Warranty.id != current.id)
            other = clash.first()
            if other is not None or (product, serial) in taken:
                problems["serial_number"] = [
                    f"product {product} has a warranty for serial number {serial!r} already"
                    + (f" (warranty {other.id})" if other is not None else "")]
            taken.add((product, serial))
        write.refuse(index, problems)


def customer_of(kernel: Accord, warranty: Any, actor: Actor) -> str:
    """The customer's name as the reader may see it (organization, contact or both);
    a record out of the reader's reach is named by its id only."""
    parts = []
    for type_name, key in (("organization", warranty.organization_id),
                           ("contact", warranty.contact_id)):
        if key is None:
            continue
        try:
            record: Any = services.get(kernel, type_name, key, actor=actor)
        except (NotFound, PermissionDenied):
            parts.append(f"{type_name} {key}")
            continue
        parts.append(record.name if type_name == "organization" else
                     " ".join(p for p in (record.first_name, record.last_name) if p))
    return ", ".join(parts)


def lookup(kernel: Accord, actor: Actor, serial: str, *,
           today: dt.date | None = None) -> list[dict[str, Any]]:
    """The warranties of a serial number the reader may read (one per product), each
    with its coverage ``today`` and its customer; NotFound naming the serial when there
    is none."""
    record_type = kernel.records.get(WARRANTY)
    require(actor, f"{WARRANTY}.read")
    day = today or dt.date.today()
    with kernel.bound():
        found = list(scoped(Warranty.select().where(Warranty.serial_number == serial),
                            record_type, actor).order_by(Warranty.id))
        if not found:
            raise NotFound(f"no warranty with serial number {serial!r}")
        out = []
        for warranty in found:
            shown = services.dump(kernel, WARRANTY, warranty, actor=actor)
            product: Any = services.get(kernel, "product", warranty.product_id)
            out.append({"warranty": shown, "product": product.name,
                        "customer": customer_of(kernel, warranty, actor),
                        "coverage": coverage(warranty, day).as_dict()})
    return out
