"""Warranties from invoiced sales order lines (with the sales plugin enabled).

The order, its lines and its invoices are read through the sales plugin's record types
(``accord.services`` and ``accord.query``, with the reader's record rules), never its
tables. A warranty starts on the day the order was first invoiced (its earliest issued,
not void, invoice) and runs for the ``warranty_months`` setting; one warranty per serial
number, never more than the line's quantity over all its warranties.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from accord import services
from accord.errors import ValidationError
from accord.query import find
from accord.services import Actor
from accord.services.authz import require

from ..models import Warranty
from ..warranties import WARRANTY

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["warranties_from_order", "add_months", "ORDER", "INVOICE"]

ORDER = "sales.order"
INVOICE = "sales.invoice"
#: Invoice statuses that do not make an order invoiced.
_NOT_ISSUED = ("draft", "void")


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` ``months`` later, on the last day of the month when it has no such day
    (31 January + 1 month = 28 or 29 February)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


def line_ref(order_id: int, line: int) -> str:
    """How a warranty names the order line it came from."""
    return f"sales.order {order_id} line {line}"


def warranties_from_order(kernel: Accord, *, actor: Actor, order_id: int, line: int,
                          serial_numbers: list[str]) -> list[Any]:
    """One warranty per serial number for the product of line ``line`` (1 for the
    first) of an invoiced order, for the order's customer."""
    require(actor, f"{WARRANTY}.write")
    if ORDER not in kernel.records:
        raise ValidationError({"order_id": [
            "the sales plugin is not enabled: warranties come from order lines only with "
            "it; create the warranty by hand instead"]})
    settings = kernel.settings("service")
    with kernel.transaction():
        order: Any = services.get(kernel, ORDER, order_id, actor=actor, for_update=True)
        lines = services.dump(kernel, ORDER, order, actor=actor)["lines"]
        if not 1 <= line <= len(lines):
            raise ValidationError({"line": [f"order {order_id} has {len(lines)} line"
                                             f"{'' if len(lines) == 1 else 's'}; give 1 to "
                                             f"{len(lines)}"]})
        item = lines[line - 1]
        if not item.get("product_id"):
            raise ValidationError({"line": [f"line {line} of order {order_id} names no "
                                            "product: a warranty is for a product"]})
        issued = [i for i in find(kernel, INVOICE, {"order_id": order_id}, sort=("id",),
                                  actor=actor) if i.status not in _NOT_ISSUED]
        if not issued:
            raise ValidationError({"order_id": [
                f"order {order_id} is not invoiced yet: a warranty starts on the day the "
                "order is invoiced"]})
        starts = min(i.issue_date for i in issued)
        ref = line_ref(order_id, line)
        with kernel.bound():
            taken = Warranty.select().where(Warranty.order_line_ref == ref).count()
        quantity = Decimal(item["quantity"])
        if taken + len(serial_numbers) > quantity:
            raise ValidationError({"serial_numbers": [
                f"line {line} of order {order_id} is for {quantity.normalize():f} "
                f"item{'' if quantity == 1 else 's'}, {taken} with a warranty already: "
                f"{len(serial_numbers)} more serial numbers are too many"]})
        ends = add_months(starts, settings["warranty_months"]) - dt.timedelta(days=1)
        rows = [{"product_id": item["product_id"], "serial_number": serial,
                 "organization_id": order.organization_id, "contact_id": order.contact_id,
                 "owner_id": order.owner_id, "team_id": order.team_id,
                 "starts_on": starts, "ends_on": ends, "covers": settings["warranty_covers"],
                 "terms": f"{settings['warranty_months']} months from the invoice of order "
                          f"{order_id}", "order_line_ref": ref}
                for serial in serial_numbers]
        ids = services.bulk_create(kernel, WARRANTY, rows, actor=actor)
        return [services.get(kernel, WARRANTY, key) for key in ids]
