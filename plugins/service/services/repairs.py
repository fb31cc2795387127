"""The repair actions: start, complete (decide the coverage and bill), cancel.

Completing a repair reads the warranty's coverage on the day of the repair
(``accord_service.repairs.decide``), and bills what the warranty did not cover: through
the sales plugin's invoices when it is enabled (a draft ``sales.invoice`` with one line
per billed item, issued by its own ``issue`` action, which numbers it from the sales
sequence), otherwise as the plugin's own ``service.invoice``, numbered from a gapless
yearly sequence (``accord.services.sequences``). All in the completion's one
transaction: a failure leaves the repair in progress and no number used.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from accord import services
from accord.errors import StaleVersion, ValidationError
from accord.money import format_amount, round_amount
from accord.records import OutboxItem
from accord.services import Actor
from accord.services.actions import run_action
from accord.services.authz import require
from accord.services.outbox import enqueue
from accord.services.sequences import next_value

from ..models import RepairPart
from ..repairs import CANCEL, COMPLETE, INVOICE, REPAIR, START, decide, warranty_for

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["start_repair", "complete_repair", "cancel_repair",
           "SALES_INVOICE", "DONE"]

#: The sales plugin's invoices, used when that plugin is enabled.
SALES_INVOICE = "sales.invoice"
#: The outbox topic of a completed repair.
DONE = "service.repair.done"
_HUNDRED = Decimal(100)


def _repair(kernel: Accord, repair_id: int, actor: Actor, version: int | None) -> Any:
    """The repair as the actor may read it, locked until the verb's transaction ends;
    a stale ``version`` is refused before anything is written."""
    repair: Any = services.get(kernel, REPAIR, repair_id, actor=actor, for_update=True)
    if version is not None and version != repair.version:
        raise StaleVersion(f"repair {repair_id} is at version {repair.version}, not "
                           f"{version}; read it again")
    return repair


def start_repair(kernel: Accord, repair_id: int, *, actor: Actor,
                 version: int | None = None) -> Any:
    """Start working on an open repair."""
    require(actor, START)
    with kernel.transaction():
        repair = _repair(kernel, repair_id, actor, version)
        if repair.status != "open":
            raise ValidationError({"status": [f"repair {repair.id} is {repair.status}; only "
                                              "an open repair is started"]})
        return services.update(kernel, REPAIR, repair.id, {"status": "in_progress"},
                               actor=actor, version=repair.version, verb="start")


def cancel_repair(kernel: Accord, repair_id: int, *, actor: Actor,
                  version: int | None = None) -> Any:
    """Cancel a repair not done yet: nothing is billed."""
    require(actor, CANCEL)
    with kernel.transaction():
        repair = _repair(kernel, repair_id, actor, version)
        return services.update(kernel, REPAIR, repair.id, {"status": "cancelled"},
                               actor=actor, version=repair.version, verb="cancel")


def complete_repair(kernel: Accord, repair_id: int, *, actor: Actor,
                    repaired_on: dt.date | None = None, version: int | None = None) -> Any:
    """The repair is done on ``repaired_on`` (today when left out): the warranty's
    coverage that day decides what is billed, and what is billed is invoiced."""
    require(actor, COMPLETE)
    day = repaired_on or dt.date.today()
    if day > dt.date.today():
        raise ValidationError({"repaired_on": [f"{day.isoformat()} is in the future: "
                                               "complete the repair once it is done"]})
    with kernel.transaction():
        repair = _repair(kernel, repair_id, actor, version)
        if repair.status != "in_progress":
            raise ValidationError({"status": [
                f"repair {repair.id} is {repair.status}; only a repair in progress is "
                "completed" + (" (start it first)" if repair.status == "open" else "")]})
        warranty = warranty_for(repair)
        decision = decide(repair, warranty, day)
        done: dict[str, Any] = {"status": "done", "repaired_on": day, **decision.fields()}
        if warranty is not None and repair.warranty_id is None:
            done["warranty_id"] = warranty.id
        if decision.billed_net > 0:
            done.update(_bill(kernel, repair, decision.covered, day, actor))
        updated = services.update(kernel, REPAIR, repair.id, done, actor=actor,
                                  version=repair.version, verb="complete")
        enqueue(kernel, [OutboxItem(DONE, {
            "repair_id": repair.id, "ticket_id": repair.ticket_id, "covered": decision.covered,
            "billed_net": format_amount(decision.billed_net, repair.currency),
            "warranty_cost": format_amount(decision.warranty_cost, repair.currency),
            "currency": repair.currency, "invoice_type": done.get("invoice_type"),
            "invoice_number": done.get("invoice_number")})])
    return updated


# Billing -----------------------------------------------------------------------------

def billed_lines(repair: Any, covered: str) -> list[dict[str, Any]]:
    """The lines the customer pays: the parts unless covered, the labour unless
    covered, the fee unless parts and labour both are."""
    lines: list[dict[str, Any]] = []
    if "parts" not in covered:
        for part in (RepairPart.select().where(RepairPart.repair == repair.id)
                     .order_by(RepairPart.position)):
            lines.append({"product_id": part.product_id, "description": part.description,
                          "quantity": Decimal(part.quantity),
                          "unit_price": Decimal(part.unit_price)})
    if "labour" not in covered and Decimal(repair.labour_total) > 0:
        lines.append({"description": f"Labour, {repair.labour_minutes} min at "
                                     f"{format_amount(Decimal(repair.labour_rate), repair.currency)}"
                                     f" {repair.currency}/h",
                      "quantity": Decimal(1), "unit_price": Decimal(repair.labour_total)})
    if covered != "parts_and_labour" and Decimal(repair.service_fee) > 0:
        lines.append({"description": "Service fee", "quantity": Decimal(1),
                      "unit_price": Decimal(repair.service_fee)})
    return lines


def _bill(kernel: Accord, repair: Any, covered: str, day: dt.date,
          actor: Actor) -> dict[str, Any]:
    """Invoice what the customer pays; the repair's invoice fields."""
    lines = billed_lines(repair, covered)
    # The invoice is the plugin's doing on the agent's behalf: written by a system
    # actor that names the agent in the audit trail.
    writer = Actor.system(f"service repair {repair.id} ({actor.label})")
    if SALES_INVOICE in kernel.records:
        return _sales_invoice(kernel, repair, lines, day, writer)
    return _service_invoice(kernel, repair, lines, day, writer)


def _sales_invoice(kernel: Accord, repair: Any, lines: list[dict[str, Any]], day: dt.date,
                   writer: Actor) -> dict[str, Any]:
    tax = Decimal(repair.tax_rate)
    draft = services.create(kernel, SALES_INVOICE, {
        "organization_id": repair.organization_id, "contact_id": repair.contact_id,
        "currency": repair.currency, "owner_id": repair.owner_id,
        "notes": f"Repair {repair.id} (ticket {repair.ticket_id})",
        "lines": [{**line, "tax_rate": tax} for line in lines]}, actor=writer)
    issued: Any = run_action(kernel, SALES_INVOICE, draft.id, "issue",
                             {"issue_date": day.isoformat()}, actor=writer)
    return {"invoice_type": SALES_INVOICE, "invoice_id": issued.id,
            "invoice_number": issued.number}


def _service_invoice(kernel: Accord, repair: Any, lines: list[dict[str, Any]], day: dt.date,
                     writer: Actor) -> dict[str, Any]:
    currency = repair.currency
    shown = []
    for line in lines:
        total = round_amount(line["quantity"] * line["unit_price"], currency)
        shown.append({"description": line["description"],
                      "quantity": str(line["quantity"].normalize()),
                      "unit_price": format_amount(line["unit_price"], currency),
                      "total": format_amount(total, currency)})
    net = sum((Decimal(line["total"]) for line in shown), Decimal(0))
    tax = round_amount(net * Decimal(repair.tax_rate) / _HUNDRED, currency)
    sequence = next_value(kernel, f"{INVOICE}.{day.year}")
    prefix = kernel.settings("service")["invoice_prefix"]
    number = f"{prefix}{day.year}-{sequence:05d}"
    invoice = services.create(kernel, INVOICE, {
        "repair_id": repair.id, "number": number, "year": day.year, "sequence": sequence,
        "organization_id": repair.organization_id, "contact_id": repair.contact_id,
        "owner_id": repair.owner_id, "team_id": repair.team_id, "issue_date": day,
        "currency": currency, "net_total": net, "tax_rate": Decimal(repair.tax_rate),
        "tax_total": tax, "total": net + tax, "lines": shown}, actor=writer, verb="bill")
    return {"invoice_type": INVOICE, "invoice_id": invoice.id, "invoice_number": number}
