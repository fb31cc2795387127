"""The pages of orders and invoices, ``/sales/orders/<id>`` and ``/sales/invoices/<id>``:
lines, totals, status and the document's actions as forms; an invoice's payments, its
balance due and a "Record a payment" form.

Every action runs through ``accord.services.actions.run_action`` with the version the
page showed (the order's ``status`` and ``invoice``, the invoice's ``issue``, ``pay``
and ``void``), so the permission, the record rule and the verb's own checks are the
API's. A refusal draws the page again (HTTP 422) with the message beside the field
it names; a record another user changed meanwhile says so (HTTP 412). The quote pages
(quotes.py) use the same helpers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request

from accord import services
from accord.errors import AccordError, NotFound, PermissionDenied, StaleVersion, ValidationError
from accord.money import minor_units
from accord.pages import Panel
from accord.query import find
from accord.services.actions import find_action, run_action
from accord.services.reading import dump

from ..rules import INVOICE, ORDER, QUOTE
from ..services.invoices import OPEN
from ..services.orders import TRANSITIONS

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

__all__ = ["blueprint", "panels", "TEMPLATES", "ActionForm", "document_actions",
           "run_page_action", "page_url", "title_of", "customer", "shown_lines", "number",
           "price_text"]

#: The plugin's templates (``sales/…``), shared by its blueprints.
TEMPLATES = str(Path(__file__).resolve().parent.parent / "templates")

#: The form fields of each document action (the action's schema loads them).
ACTION_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    (QUOTE, "send"): (), (QUOTE, "accept"): ("order_date", "reference"),
    (QUOTE, "reject"): ("reason",), (QUOTE, "revise"): (),
    (ORDER, "status"): ("status", "note"), (ORDER, "invoice"): (),
    (INVOICE, "issue"): ("issue_date",),
    (INVOICE, "pay"): ("amount", "paid_on", "method", "reference"),
    (INVOICE, "void"): ("reason",),
}
#: The words of each action's button.
LABELS = {"send": "Send", "accept": "Accept", "reject": "Reject", "revise": "Revise",
          "status": "Change the status", "invoice": "Draft the invoice",
          "issue": "Issue", "pay": "Record a payment", "void": "Void"}
_DONE = {"send": "Sent.", "accept": "Accepted: the order is created.", "reject": "Rejected.",
         "revise": "Revised: this is the new draft.", "status": "Status changed.",
         "invoice": "The invoice is drafted.", "issue": "Issued.",
         "pay": "Payment recorded.", "void": "Voided."}
_PAGES = {QUOTE: "quotes", ORDER: "orders", INVOICE: "invoices"}


def kernel() -> Accord:
    return current_app.extensions["accord"]  # type: ignore[no-any-return]


def page_url(type_name: str, record_id: int) -> str:
    """The page of a quote, order or invoice."""
    return f"/sales/{_PAGES[type_name]}/{record_id}"


@dataclass
class ActionForm:
    """One action offered on a document page: its name, words, form fields, what was
    entered and the messages of a refusal (by field; ``general`` for the rest)."""

    name: str
    label: str
    description: str
    fields: tuple[str, ...]
    values: Mapping[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)


def _allowed(type_name: str, name: str, record: Any) -> bool:
    """Whether the record's status lets the action run (else its button is not shown)."""
    status = record.status
    if type_name == QUOTE:
        return status in {"send": ("draft",), "accept": ("sent",), "reject": ("sent",),
                          "revise": ("sent", "rejected", "expired")}[name]
    if type_name == ORDER:
        return bool(TRANSITIONS.get(status)) if name == "status" else status != "cancelled"
    if name == "issue":
        return bool(status == "draft")
    if name == "pay":
        return status in OPEN
    return status in OPEN and not Decimal(record.amount_paid)  # void


def document_actions(type_name: str, record: Any, actor: Actor,
                     failed: str | None = None, form: Mapping[str, str] | None = None,
                     messages: dict[str, list[str]] | None = None) -> list[ActionForm]:
    """The actions the actor may run on the document in its status; the one that
    ``failed`` keeps what was entered, with its messages."""
    out = []
    for (owner, name), names in ACTION_FIELDS.items():
        if owner != type_name or not _allowed(type_name, name, record):
            continue
        action = find_action(kernel(), type_name, name)
        if not actor.can(action.permission):
            continue
        item = ActionForm(name, LABELS[name], action.description, names)
        if name == failed:
            item.values = {k: (form or {}).get(k, "") for k in names}
            for key, problems in (messages or {}).items():
                if key in names:
                    item.errors.setdefault(key, []).extend(problems)
                else:
                    item.general.extend(problems if key in ("_schema", "status")
                                        else [f"{key}: {p}" for p in problems])
        out.append(item)
    return out


def _refused(name: str, messages: dict[str, list[str]]) -> dict[str, Any]:
    return {"failed": name, "messages": messages, "stale": False, "status": 422}


def run_page_action(type_name: str, record_id: int, name: str) -> tuple[Any, Any]:
    """Run a document action with the posted form: ``(result, None)``, or ``(None,
    refusal)`` where a refusal is the keyword arguments that draw the page again with it
    (``failed``, ``messages``, ``stale`` and the status: 412 stale, 422 refused)."""
    fields = ACTION_FIELDS.get((type_name, name))
    if fields is None:
        raise NotFound(f"{type_name} has no action {name!r} on this page")
    body = {k: request.form.get(k, "").strip() for k in fields
            if request.form.get(k, "").strip()}
    try:
        result = run_action(kernel(), type_name, record_id, name, body or None,
                            actor=g.actor, version=request.form.get("version", type=int))
    except (NotFound, PermissionDenied):
        raise
    except ValidationError as exc:
        return None, _refused(name, exc.flat())
    except StaleVersion:
        return None, {"failed": name, "messages": None, "stale": True, "status": 412}
    except AccordError as exc:
        return None, _refused(name, {"_schema": [exc.message]})
    flash(_DONE[name], "info")
    return result, None


def number(value: Any) -> str:
    """A quantity or a percentage as people write it: ``2``, ``2.5``, ``19``."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    text = f"{amount.normalize():f}"
    return text


def price_text(value: Any, currency: str) -> str:
    """A unit price as typed: the currency's places, more only when it has them
    (``49.00``, ``0.1234``)."""
    if value is None or value == "":
        return ""
    amount = Decimal(str(value))
    places = minor_units(currency)
    unit = Decimal(1).scaleb(-(2 if places is None else places))
    return f"{amount.quantize(unit) if amount == amount.quantize(unit) else amount.normalize():f}"


def shown_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dumped lines with their quantity, discount and tax rate as text to show."""
    return [{**line, "quantity_text": number(line.get("quantity")),
             "discount_text": number(line.get("discount_percent")),
             "tax_text": number(line.get("tax_rate"))} for line in lines]


def _names(type_name: str, ids: list[int]) -> dict[int, str]:
    """The titles of referenced records the reader may read (the rest stay ``#id``)."""
    if not ids:
        return {}
    rt = kernel().records.get(type_name)
    title = rt.title_fields[0] if rt.title_fields else "id"
    found = find(kernel(), type_name, {"id__in": sorted(set(ids))}, actor=g.actor)
    return {r.id: str(getattr(r, title) or f"#{r.id}") for r in found}


def title_of(type_name: str, record_id: int) -> str | None:
    """The title of one record the reader may read (None when it may not)."""
    return _names(type_name, [record_id]).get(record_id)


def customer(values: dict[str, Any]) -> dict[str, Any]:
    """The organization and contact a document names, with their titles and pages."""
    out: dict[str, Any] = {}
    for kind, key in (("organization", "organization_id"), ("contact", "contact_id")):
        rid = values.get(key)
        if rid:
            name = _names(kind, [rid]).get(rid, f"#{rid}")
            out[kind] = {"name": name, "url": f"/records/{kind}/{rid}"}
    return out


def blueprint() -> Blueprint:
    """A new blueprint of the pages (one per app: Flask keeps state on blueprints)."""
    bp = Blueprint("documents", __name__, template_folder=TEMPLATES)
    bp.add_url_rule("/orders/<int:order_id>", "order", order_page)
    bp.add_url_rule("/orders/<int:order_id>/actions/<name>", "order_action", order_action,
                    methods=["POST"])
    bp.add_url_rule("/invoices/<int:invoice_id>", "invoice", invoice_page)
    bp.add_url_rule("/invoices/<int:invoice_id>/actions/<name>", "invoice_action",
                    invoice_action, methods=["POST"])
    return bp


# Orders --------------------------------------------------------------------------------

def _order(order_id: int, *, failed: str | None = None, messages: Any = None,
           stale: bool = False, status: int = 200) -> Response:
    record: Any = services.get(kernel(), ORDER, order_id, actor=g.actor)
    values = dump(kernel(), ORDER, record, actor=g.actor)
    invoices = find(kernel(), INVOICE, {"order_id": order_id}, sort=("id",), actor=g.actor)
    actions = [a for a in document_actions(ORDER, record, g.actor, failed, request.form,
                                           messages)
               if a.name != "invoice" or not any(i.status != "void" for i in invoices)]
    body = render_template(
        "sales/order.html", order=record, values=values, customer=customer(values),
        lines=shown_lines(values["lines"]),
        invoices=invoices, actions=actions, stale=stale,
        next_statuses=TRANSITIONS.get(record.status, ()),
        quote=_names(QUOTE, [record.quote_id]) if record.quote_id else {})
    return Response(body, status=status)


def order_page(order_id: int) -> Response:
    return _order(order_id)


def order_action(order_id: int, name: str) -> Any:
    result, refusal = run_page_action(ORDER, order_id, name)
    if refusal is not None:
        return _order(order_id, **refusal)
    if name == "invoice":
        return redirect(page_url(INVOICE, result.id))
    return redirect(page_url(ORDER, order_id))


# Invoices ------------------------------------------------------------------------------

def _invoice(invoice_id: int, *, failed: str | None = None, messages: Any = None,
             stale: bool = False, status: int = 200) -> Response:
    record: Any = services.get(kernel(), INVOICE, invoice_id, actor=g.actor)
    values = dump(kernel(), INVOICE, record, actor=g.actor)
    actions = document_actions(INVOICE, record, g.actor, failed, request.form, messages)
    payments = [{**p, "paid_on": dt.date.fromisoformat(p["paid_on"])}
                for p in values.get("payments") or []]
    body = render_template(
        "sales/invoice.html", invoice=record, values=values, customer=customer(values),
        lines=shown_lines(values["lines"]), payments=payments,
        actions={a.name: a for a in actions}, stale=stale,
        order=_names(ORDER, [record.order_id]) if record.order_id else {})
    return Response(body, status=status)


def invoice_page(invoice_id: int) -> Response:
    return _invoice(invoice_id)


def invoice_action(invoice_id: int, name: str) -> Any:
    result, refusal = run_page_action(INVOICE, invoice_id, name)
    if refusal is not None:
        return _invoice(invoice_id, **refusal)
    return redirect(page_url(INVOICE, invoice_id) + ("#payments" if name == "pay" else ""))


# Panels on the record pages ------------------------------------------------------------

def panels(kernel: Accord, actor: Actor, record_type: str,
           record: dict[str, Any]) -> list[Panel]:
    """On an order's or invoice's record page: a link to its own page."""
    words = {ORDER: ("Order page", "lines, totals, status history and its actions"),
             INVOICE: ("Invoice page", "lines, totals, payments and the balance due")}
    if record_type not in words:
        return []
    title, what = words[record_type]
    return [Panel(title, ("Page", "Shows"), ((title, what),),
                  (page_url(record_type, record["id"]),), order=20)]
