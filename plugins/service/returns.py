"""Returns and claims (RMA): the record type's schemas and write-path rules, the refund
cap, the returns page and panel, and the return-rate metric.

**The rule**: a refund never exceeds what was paid for the items returned. The cap is
Σ quantity × unit_paid of the return's items. When the return names a sales order line
(``order_id`` and ``order_line``, the line's position from 1), the line is read through
``accord.services`` (the record type ``sales.order``: the plugin reads no sales table
and imports nothing of the sales plugin): each item's ``unit_paid`` is at most what was
paid per unit on the line (its total with tax ÷ its quantity; the default when left
out), the quantity returned is at most the line's less what other returns of the line
(not rejected) take back, and the refund at most the line's total less the refunds
other approved returns of the line granted. (The return-rate metric sums the order
lines in SQL, through the tables the record type declares: see ``_sold``.) Without the sales plugin (or without an
order line: a warranty claim, a return of items named by hand) the items' ``unit_paid``
are given and the cap is their sum.

The rules read and never write; the verbs that write (approve, reject, resolve, close)
are in services/returns.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, g, render_template, request
from marshmallow import fields, validate

from accord import services
from accord.errors import BadQuery, Conflict, NotFound, PermissionDenied
from accord.metrics import Metric, MetricPoint, MetricQuery, exact_sum, month_of, scoped
from accord.money import CurrencyField, format_amount, places_problem
from accord.pages import Panel
from accord.records import Lines, Permission, RecordType, Transitions, VerbField
from accord.schemas import Between, ExactDecimal, InputSchema, OwnedRecordSchema
from accord.services.authz import require
from accord.services.lists import list_page

from .models import RESOLUTIONS, RETURN_STATUSES, Return, ReturnItem
from .rules import customer_named

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.records import Write
    from accord.services import Actor

__all__ = ["RETURN", "ORDER", "TRANSITIONS", "APPROVE", "REJECT", "RESOLVE", "DECISIONS",
           "ReturnSchema", "ReturnItemSchema", "ApproveSchema", "RejectSchema",
           "return_defaults", "return_rules", "return_computed", "return_kept",
           "OrderLine", "order_line", "refund_cap", "Cap", "items_panel", "add_routes",
           "RETURN_RATE", "moved", "RETURN_TYPE", "PERMISSIONS", "AGENT", "ReturnItem"]

RETURN = "service.return"
#: The sales record type a return's order line is read from (when sales runs).
ORDER = "sales.order"
APPROVE = "service.return.approve"
REJECT = "service.return.reject"
RESOLVE = "service.return.resolve"
DECISIONS = ("approved", "rejected")
#: The workflow: a request is approved or rejected; an approved return is resolved
#: (refunded, replaced, repaired or credited); a resolved or rejected one is closed.
TRANSITIONS = {
    "requested": ("approved", "rejected"),
    "approved": ("resolved",),
    "rejected": ("closed",),
    "resolved": ("closed",),
}
#: Resolutions that pay money back (the others leave refund_amount empty).
_PAID_BACK = ("refund", "credit")
#: What stays as it is once the return was decided, and once it was settled.
_FIXED_ONCE_DECIDED = ("items", "order_id", "order_line", "warranty_id", "currency")
_FIXED_ONCE_SETTLED = ("resolution", "refund_amount")
_PLACES = Decimal("0.0001")
_AMOUNT_MAX = 99_999_999_999


def moved(return_id: int, status: str) -> str:
    """The message refusing a move the workflow does not allow (the core's wording)."""
    allowed = TRANSITIONS.get(status, ())
    options = ("it can go to " + (" or ".join(allowed) if len(allowed) < 3 else
                                  f"{', '.join(allowed[:-1])} or {allowed[-1]}")
               if allowed else "it stays so")
    return f"return {return_id} is {status}: {options}"


# Schemas ------------------------------------------------------------------------------

class _Amount(ExactDecimal):
    """An amount in the return's currency: read with up to 4 places, shown with the
    currency's (an item finds it on its return, read with it)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", Between(0, _AMOUNT_MAX))
        metadata = dict(kwargs.pop("metadata", {}))
        metadata["description"] = (f"{metadata.get('description', 'An amount')} (from 0 to "
                                   f"{_AMOUNT_MAX}, at most 4 decimal places)")
        super().__init__(4, metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        owner = getattr(obj, "rma", obj) if not isinstance(obj, dict) else obj
        code = owner.get("currency") if isinstance(owner, dict) else \
            getattr(owner, "currency", None)
        return format_amount(Decimal(value), code)


def _ref(**kwargs: Any) -> fields.Integer:
    return fields.Integer(allow_none=True, strict=True,
                          validate=validate.Range(min=1, max=2 ** 63 - 1), **kwargs)


class ReturnItemSchema(InputSchema):
    """An item returned: a product (or a description), how many, what was paid each."""

    product_id = _ref(metadata={"description": "The product; the order line's when left "
                                               "out"})
    description = fields.String(allow_none=True, validate=validate.Length(max=500))
    quantity = ExactDecimal(4, required=True, validate=Between(0, 99_999_999, above=True),
                            metadata={"description": "More than 0 to 99999999, at most 4 "
                                                     "decimal places"})
    unit_paid = _Amount(metadata={
        "description": "What was paid for one, in the return's currency; what was paid per "
                       "unit on the order line when left out (required without one)"})


class ReturnSchema(OwnedRecordSchema):
    """A return or claim (RMA); the refund cap and the order line's figures are checked
    by its rules (accord_service.returns)."""

    organization_id = _ref(metadata={"description": "The customer: an organization, a "
                                                    "contact, or both (the order's or the "
                                                    "warranty's when left out)"})
    contact_id = _ref()
    ticket_id = _ref(metadata={"description": "The ticket the customer asked on, if any"})
    order_id = _ref(metadata={"description": "The sales order the items were bought on "
                                             "(with order_line; the sales plugin reads it)"})
    order_line = fields.Integer(allow_none=True, strict=True, validate=validate.Range(
        min=1, max=10_000), metadata={"description": "The order's line, by its position "
                                                     "from 1"})
    warranty_id = _ref(metadata={"description": "The warranty claimed under (instead of an "
                                                "order line)"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=10_000),
                           metadata={"description": "Why the customer returns the items"})
    currency = CurrencyField(validate=validate.Length(min=3, max=3), metadata={
        "description": "ISO 4217 code of unit_paid and refund_amount: the order's with an "
                       "order line, else the base currency, when left out; fixed once "
                       "created"})
    items = fields.List(fields.Nested(ReturnItemSchema), validate=validate.Length(max=100),
                        metadata={"description": "Given on a write, replaces every item"})
    status = fields.String(validate=validate.OneOf(RETURN_STATUSES), metadata={
        "description": "requested, approved, rejected, resolved or closed: set by the "
                       "approve, reject, resolve and close actions"})
    decision = fields.String(allow_none=True, validate=validate.OneOf(DECISIONS), metadata={
        "description": "approved or rejected: set by the approve and reject actions"})
    decision_reason = fields.String(allow_none=True, validate=validate.Length(max=10_000),
                                    metadata={"description": "Why, given with the decision"})
    decided_at = fields.AwareDateTime(allow_none=True)
    resolution = fields.String(allow_none=True, validate=validate.OneOf(RESOLUTIONS),
                               metadata={"description": "refund, replacement, repair or "
                                                        "credit"})
    refund_amount = _Amount(allow_none=True, metadata={
        "description": "The money paid back (refund or credit), at most what was paid for "
                       "the items"})
    resolved_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)


class ApproveSchema(InputSchema):
    """The body of ``POST /api/v1/service/returns/<id>/approve``."""

    reason = fields.String(allow_none=True, validate=validate.Length(max=10_000), metadata={
        "description": "Why it is approved"})
    resolution = fields.String(allow_none=True, validate=validate.OneOf(RESOLUTIONS),
                               metadata={"description": "refund, replacement, repair or "
                                                        "credit; the return's when left out"})
    refund_amount = _Amount(allow_none=True, metadata={
        "description": "The refund granted (refund or credit); the return's when left out"})


class RejectSchema(InputSchema):
    """The body of ``POST /api/v1/service/returns/<id>/reject``."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=10_000),
                           metadata={"description": "Why it is rejected (the customer is "
                                                    "told)"})


# The order line, read through the services ------------------------------------------

@dataclass(frozen=True)
class OrderLine:
    """What a return needs of a sales order line: the order's id, customer, currency
    and status, and the line's position, product, quantity and total paid (with tax)."""

    order_id: int
    position: int
    product_id: int | None
    quantity: Decimal
    total: Decimal
    currency: str
    status: str
    organization_id: int | None
    contact_id: int | None

    @property
    def name(self) -> str:
        return f"order {self.order_id} line {self.position}"

    @property
    def unit_paid(self) -> Decimal:
        """What was paid per unit, to 4 places, rounded down (never above)."""
        return (self.total / self.quantity).quantize(_PLACES, rounding=ROUND_DOWN)


def sales_running(kernel: Accord) -> bool:
    return ORDER in kernel.records


def order_line(kernel: Accord, order_id: int, position: int) -> OrderLine:
    """The line of a sales order, read through ``accord.services`` (no actor: the rules
    check facts whoever writes); NotFound when the order or the line does not exist or
    the sales plugin does not run."""
    if not sales_running(kernel):
        raise NotFound("the sales plugin is not enabled: the order cannot be read; name a "
                       "warranty or none, and give the items' unit_paid")
    order = services.get(kernel, ORDER, order_id)
    data = services.dump(kernel, ORDER, order)
    lines = data.get("lines") or []
    if not 1 <= position <= len(lines):
        raise NotFound(f"order {order_id} has no line {position}"
                       + (f" (it has {len(lines)})" if lines else " (it has none)"))
    line = lines[position - 1]
    return OrderLine(order_id, position, line.get("product_id"), Decimal(line["quantity"]),
                     Decimal(line["total"]), data["currency"], data.get("status") or "",
                     data.get("organization_id"), data.get("contact_id"))


@dataclass(frozen=True)
class Cap:
    """The most a return may refund, and the figures it comes from."""

    amount: Decimal
    #: Σ quantity × unit_paid of the items, with the terms (``2 × 60.00``).
    paid: Decimal
    terms: tuple[str, ...]
    #: With an order line: its total, what other approved returns of it refunded (and
    #: which), and what is left.
    line: OrderLine | None = None
    refunded: Decimal = Decimal(0)
    refunded_by: tuple[int, ...] = ()
    left: Decimal | None = None

    def refusal(self, refund: Decimal, currency: str) -> str:
        def money(value: Decimal) -> str:
            return format_amount(value, currency)
        if self.line is not None and self.left is not None and self.left < self.paid:
            earlier = ", ".join(str(i) for i in self.refunded_by)
            return (f"{money(refund)} {currency} is more than is left to refund on "
                    f"{self.line.name}: {money(self.left)} {currency} (paid "
                    f"{money(self.line.total)}, {money(self.refunded)} refunded on "
                    f"return{'s' if len(self.refunded_by) > 1 else ''} {earlier})")
        return (f"{money(refund)} {currency} is more than was paid for the items: "
                f"{money(self.paid)} {currency} ({' + '.join(self.terms)})")


def _others(line: OrderLine, current_id: int | None) -> list[Any]:
    """The other returns of the same order line that were not rejected."""
    query = Return.select(Return.id, Return.decision, Return.refund_amount).where(
        Return.order_id == line.order_id, Return.order_line == line.position,
        Return.decision.is_null() | (Return.decision == "approved"))
    if current_id is not None:
        query = query.where(Return.id != current_id)
    return list(query.order_by(Return.id))


def _returned(return_ids: list[int]) -> Decimal:
    if not return_ids:
        return Decimal(0)
    rows: Any = ReturnItem.select(ReturnItem.quantity).where(
        ReturnItem.rma.in_(return_ids)).tuples()
    return sum((Decimal(row[0]) for row in rows), Decimal(0))


def refund_cap(items: list[dict[str, Any]], currency: str, line: OrderLine | None = None,
               current_id: int | None = None) -> Cap:
    """The cap of a return's refund: Σ quantity × unit_paid of ``items``; with an order
    line, at most its total less what other approved returns of it refunded."""
    paid, terms = Decimal(0), []
    for item in items:
        quantity, unit = Decimal(item["quantity"]), Decimal(item["unit_paid"])
        paid += quantity * unit
        terms.append(f"{format(quantity.normalize(), 'f')} × {format_amount(unit, currency)}")
    if line is None:
        return Cap(paid, paid, tuple(terms))
    granted = [r for r in _others(line, current_id)
               if r.decision == "approved" and r.refund_amount is not None]
    refunded = sum((Decimal(r.refund_amount) for r in granted), Decimal(0))
    left = max(line.total - refunded, Decimal(0))
    return Cap(min(paid, left), paid, tuple(terms), line, refunded,
               tuple(r.id for r in granted), left)


# Write-path rules --------------------------------------------------------------------

def _line_of(write: Write, index: int,
             problems: dict[str, list[str]]) -> OrderLine | None:
    """The order line the row names (None without one), problems noted by field."""
    order_id, position = write.value(index, "order_id"), write.value(index, "order_line")
    if order_id is None and position is None:
        return None
    if order_id is None or position is None:
        missing = "order_id" if order_id is None else "order_line"
        problems[missing] = ["give the order and its line (order_id and order_line) "
                             "together"]
        return None
    try:
        return order_line(write.kernel, order_id, position)
    except (NotFound, PermissionDenied) as exc:
        problems["order_line" if "line" in exc.message and "has no" in exc.message
                 else "order_id"] = [exc.message]
        return None


def return_defaults(write: Write) -> None:
    """A new return takes the order's customer and currency (or the warranty's
    customer) when it names none; the base currency without an order."""
    for index, row, _ in write:
        line = None
        if row.get("order_id") is not None and row.get("order_line") is not None:
            try:
                line = order_line(write.kernel, row["order_id"], row["order_line"])
            except (NotFound, PermissionDenied):
                line = None  # named by the rules
        if line is not None:
            row.setdefault("currency", line.currency)
            if row.get("organization_id") is None and row.get("contact_id") is None:
                row["organization_id"], row["contact_id"] = (line.organization_id,
                                                             line.contact_id)
        row.setdefault("currency", write.kernel.config.base_currency)
        if row.get("warranty_id") is not None and row.get("organization_id") is None \
                and row.get("contact_id") is None:
            try:
                warranty: Any = services.get(write.kernel, "service.warranty",
                                             row["warranty_id"])
            except NotFound:
                continue
            row["organization_id"], row["contact_id"] = (warranty.organization_id,
                                                         warranty.contact_id)


def _items(write: Write, index: int, current: Any) -> list[dict[str, Any]]:
    if "items" in write.rows[index]:
        return list(write.rows[index]["items"] or [])
    if current is None:
        return []
    return [{"product_id": i.product_id, "quantity": Decimal(i.quantity),
             "unit_paid": Decimal(i.unit_paid), "description": i.description}
            for i in ReturnItem.select().where(ReturnItem.rma == current.id)
            .order_by(ReturnItem.position)]


def return_rules(write: Write) -> None:
    """A customer is named; an order line or a warranty, not both; items are given;
    what was decided and settled stays; the figures of the order line and the refund
    cap hold (see the module's docstring)."""
    for index, row, current in write:
        problems = customer_named(write, index)
        _fixed(row, current, problems)
        if write.value(index, "order_id") is not None \
                and write.value(index, "warranty_id") is not None:
            problems["warranty_id"] = ["name the sales order line or the warranty, not both"]
        line = _line_of(write, index, problems)
        currency = write.value(index, "currency")
        if current is None and line is not None and currency != line.currency:
            problems["currency"] = [f"{line.name} was paid in {line.currency}: the return's "
                                    f"amounts are in that currency too"]
        items = _items(write, index, current)
        if not items:
            problems.setdefault("items", ["give the items returned (product, quantity, "
                                          "unit_paid)"])
        _products_exist(write.kernel, items, problems)
        if line is not None:
            _line_rules(write, index, current, line, items, problems)
        elif write.value(index, "order_id") is None \
                and any(item.get("unit_paid") is None for item in items):
            problems.setdefault("items", [
                f"item {n} has no unit_paid: give what was paid for each (there is no order "
                "line to read it from)" for n, item in enumerate(items, 1)
                if item.get("unit_paid") is None][:1])
        _refund_rules(write, index, current, line, items, problems)
        _customer_matches(write, index, line, problems)
        write.refuse(index, problems)


def _products_exist(kernel: Accord, items: list[dict[str, Any]],
                    problems: dict[str, list[str]]) -> None:
    for n, item in enumerate(items, 1):
        product = item.get("product_id")
        if product is None:
            continue
        try:
            services.get(kernel, "product", product)
        except NotFound:
            problems.setdefault("items", []).append(f"item {n}: there is no product {product}")


def _fixed(row: dict[str, Any], current: Any, problems: dict[str, list[str]]) -> None:
    if current is None:
        return
    if row.get("currency") is not None and row["currency"] != current.currency:
        problems["currency"] = [f"return {current.id} is in {current.currency}; that stays "
                                "so"]
    if current.status != "requested":
        for name in _FIXED_ONCE_DECIDED:
            if name in row and name != "currency" and \
                    (name == "items" or row[name] != getattr(current, name)):
                problems[name] = [f"return {current.id} is {current.status}: {name} stays "
                                  "as it was decided"]
    if current.status not in ("requested", "approved"):
        for name in _FIXED_ONCE_SETTLED:
            if name in row and row[name] != getattr(current, name):
                problems[name] = [f"return {current.id} is {current.status}: {name} stays "
                                  "as it is"]


def _line_rules(write: Write, index: int, current: Any, line: OrderLine,
                items: list[dict[str, Any]], problems: dict[str, list[str]]) -> None:
    """Items of an order line: its product, at most what was paid per unit, and no more
    than the line's quantity less what other returns of it take back."""
    if line.status == "cancelled":
        problems["order_id"] = [f"order {line.order_id} is cancelled: nothing was paid "
                                "for it"]
        return
    for n, item in enumerate(items, 1):
        product = item.get("product_id")
        if product is not None and line.product_id is not None and product != line.product_id:
            problems.setdefault("items", []).append(
                f"item {n} is product {product}; {line.name} is product {line.product_id}")
        unit = item.get("unit_paid")
        if unit is not None and Decimal(unit) * line.quantity > line.total:
            problems.setdefault("items", []).append(
                f"item {n}: unit_paid {format_amount(Decimal(unit), line.currency)} is more "
                f"than was paid per unit on {line.name}: {format_amount(line.unit_paid, line.currency)} "
                f"({format_amount(line.total, line.currency)} for "
                f"{format(line.quantity.normalize(), 'f')})")
    others = _others(line, current.id if current is not None else None)
    before = _returned([r.id for r in others])
    asked = sum((Decimal(item["quantity"]) for item in items), Decimal(0))
    if asked > line.quantity - before:
        left = max(line.quantity - before, Decimal(0))
        earlier = (f", {_n(before)} returned on return{'s' if len(others) > 1 else ''} "
                   + ", ".join(str(r.id) for r in others)) if others else ""
        problems.setdefault("items", []).append(
            f"quantity {_n(asked)} is more than is left to return on {line.name}: "
            f"{_n(left)} (bought {_n(line.quantity)}{earlier})")


def _n(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _refund_rules(write: Write, index: int, current: Any, line: OrderLine | None,
                  items: list[dict[str, Any]], problems: dict[str, list[str]]) -> None:
    refund = write.value(index, "refund_amount")
    resolution = write.value(index, "resolution")
    currency = write.value(index, "currency")
    if refund is None or "refund_amount" in problems:
        return
    refund = Decimal(refund)
    if resolution is not None and resolution not in _PAID_BACK and refund:
        problems["refund_amount"] = [f"a {resolution} pays nothing back: leave "
                                     "refund_amount empty (or choose refund or credit)"]
        return
    if currency:
        wrong = places_problem(refund, currency)
        if wrong:
            problems["refund_amount"] = [wrong]
            return
    if "items" in problems or any(item.get("unit_paid") is None and line is None
                                  for item in items):
        return
    priced = [{**item, "unit_paid": item.get("unit_paid")
               if item.get("unit_paid") is not None else line.unit_paid}  # type: ignore[union-attr]
              for item in items]
    cap = refund_cap(priced, currency, line, current.id if current is not None else None)
    if refund > cap.amount:
        problems["refund_amount"] = [cap.refusal(refund, currency)]


def _customer_matches(write: Write, index: int, line: OrderLine | None,
                      problems: dict[str, list[str]]) -> None:
    """The return's customer is the order's (where both name one)."""
    if line is None or "organization_id" in problems:
        return
    org = write.value(index, "organization_id")
    if org is not None and line.organization_id is not None and org != line.organization_id:
        problems["organization_id"] = [f"order {line.order_id} is organization "
                                       f"{line.organization_id}'s, not {org}'s"]


def return_computed(write: Write) -> None:
    """Items of an order line take its product and what was paid per unit when left
    out."""
    for index, row, _ in write:
        if not row.get("items"):
            continue
        order_id, position = write.value(index, "order_id"), write.value(index, "order_line")
        if order_id is None or position is None:
            continue
        line = order_line(write.kernel, order_id, position)
        for item in row["items"]:
            if item.get("unit_paid") is None:
                item["unit_paid"] = line.unit_paid
            if item.get("product_id") is None:
                item["product_id"] = line.product_id


def return_kept(kernel: Accord, records: list[Any], actor: Actor) -> None:
    """Only a return still requested is deleted; a decided one is the service's
    history."""
    for record in records:
        if record.status != "requested":
            raise Conflict(f"return {record.id} is {record.status}: only a requested "
                           "return is deleted")


# The record page's panel ---------------------------------------------------------------

def items_panel(kernel: Accord, actor: Actor, record: dict[str, Any]) -> Panel:
    """The items returned with what was paid, the most the refund may be, and the
    decision with its reason."""
    currency = record.get("currency") or ""
    items = record.get("items") or []
    names = _product_names(kernel, [i.get("product_id") for i in items])

    def money(value: Decimal) -> str:
        return f"{format_amount(value, currency)} {currency}"

    shown = []
    for item in items:
        quantity, unit = Decimal(item["quantity"]), Decimal(item["unit_paid"])
        shown.append({"product": names.get(item.get("product_id"), "—"),
                      "description": item.get("description"), "quantity": _n(quantity),
                      "unit_paid": money(unit), "paid": money(quantity * unit)})
    line = None
    with kernel.bound():
        if record.get("order_id") and record.get("order_line") and sales_running(kernel):
            try:
                line = order_line(kernel, record["order_id"], record["order_line"])
            except NotFound:
                line = None
        cap = refund_cap([{"quantity": i["quantity"], "unit_paid": i["unit_paid"]}
                          for i in items], currency, line, record["id"]) if items else None
    why = ""
    if cap is not None:
        why = f"paid for the items: {' + '.join(cap.terms)}"
        if cap.line is not None and cap.left is not None and cap.left < cap.paid:
            why = (f"left to refund on {cap.line.name}: paid {money(cap.line.total)}, "
                   f"{money(cap.refunded)} refunded before")
    return Panel("Items returned", template="service/_return_items.html", order=5,
                 context={"items": shown, "cap": money(cap.amount) if cap else "",
                          "cap_why": why, "decision": record.get("decision"),
                          "decision_reason": record.get("decision_reason")})


def _product_names(kernel: Accord, ids: list[Any]) -> dict[Any, str]:
    out: dict[Any, str] = {}
    for product_id in {i for i in ids if i is not None}:
        try:
            product: Any = services.get(kernel, "product", product_id)
        except NotFound:
            continue
        out[product_id] = product.name
    return out


# The returns page ----------------------------------------------------------------------

def add_routes(bp: Blueprint) -> None:
    """/service/returns: the returns the reader may read, newest first, by status."""
    bp.add_url_rule("/returns", "returns_page", returns_page)


def returns_page() -> Response:
    kernel = current_app.extensions["accord"]
    require(g.actor, f"{RETURN}.read")
    status = request.args.get("status", "").strip()
    cursor = request.args.get("cursor", "").strip() or None
    problem, page_items, next_cursor = "", [], None
    if status and status not in RETURN_STATUSES:
        problem = f"choose one of {', '.join(RETURN_STATUSES)}"
    else:
        try:
            found = list_page(kernel, RETURN, actor=g.actor,
                              filters={"status": status} if status else {},
                              sort=["-created_at"], cursor=cursor, limit=50)
        except BadQuery as exc:
            problem = exc.message
        else:
            page_items, next_cursor = found["items"], found["next_cursor"]
    rows = [_row(kernel, item) for item in page_items]
    body = render_template("service/returns.html", rows=rows, statuses=RETURN_STATUSES,
                           status=status, problem=problem, next_cursor=next_cursor)
    return Response(body, status=400 if problem else 200)


def _row(kernel: Accord, item: dict[str, Any]) -> dict[str, Any]:
    currency = item.get("currency") or ""
    refund = item.get("refund_amount")
    source = (f"Order {item['order_id']} line {item['order_line']}" if item.get("order_id")
              else f"Warranty {item['warranty_id']}" if item.get("warranty_id") else "—")
    created = item.get("created_at") or ""
    return {"id": item["id"], "status": item["status"], "decision": item.get("decision"),
            "decision_reason": item.get("decision_reason"),
            "resolution": item.get("resolution"), "customer": _customer(kernel, item),
            "refund": f"{refund} {currency}" if refund is not None else "",
            "source": source, "reason": item.get("reason") or "",
            "requested": str(created)[:10],
            "quantity": _n(sum((Decimal(i["quantity"]) for i in item.get("items") or []),
                               Decimal(0)))}


def _customer(kernel: Accord, item: dict[str, Any]) -> str:
    parts = []
    for type_name, key in (("organization", item.get("organization_id")),
                           ("contact", item.get("contact_id"))):
        if key is None:
            continue
        try:
            record: Any = services.get(kernel, type_name, key, actor=g.actor)
        except (NotFound, PermissionDenied):
            parts.append(f"{type_name} {key}")
            continue
        parts.append(record.name if type_name == "organization" else
                     " ".join(p for p in (record.first_name, record.last_name) if p))
    return ", ".join(parts)


# The metric ----------------------------------------------------------------------------

def _period(moment: dt.date | dt.datetime, mq: MetricQuery) -> str:
    return "total" if mq.by == "total" else f"{moment.year:04d}-{moment.month:02d}"


def _product_labels(kernel: Accord, ids: set[int | None]) -> dict[int | None, str]:
    """Each product's label ("Fuser (PT-1)", or its name without a SKU) in one query;
    "(no product)" for None and "product N" for one that is gone."""
    model: Any = kernel.records.get("product").model
    wanted = sorted(i for i in ids if i is not None)
    labels: dict[int | None, str] = {None: "(no product)"}
    labels.update({i: f"product {i}" for i in wanted})
    with kernel.bound():
        for at in range(0, len(wanted), 500):
            for ident, name, sku in (model.select(model.id, model.name, model.sku)
                                     .where(model.id.in_(wanted[at:at + 500])).tuples()):
                labels[ident] = f"{name} ({sku})" if sku else name
    return labels


def _return_rate(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    """Per product and period: the quantity returned (items of the returns requested in
    the period, rejected ones left out) over the quantity sold (lines of the sales
    orders dated in the period, cancelled ones left out), in percent. Without the sales
    plugin there is nothing sold to divide by: the value is the quantity returned."""
    returned: dict[tuple[str, int | None], Decimal] = {}
    query = (ReturnItem.select(Return.created_at, ReturnItem.product, ReturnItem.quantity)
             .join(Return, on=(ReturnItem.rma == Return.id))
             .where(Return.created_at >= mq.start_at, Return.created_at < mq.end_exclusive,
                    Return.decision.is_null() | (Return.decision != "rejected")))
    for created, product, quantity in scoped(query, Return, mq, record_type=RETURN).tuples():
        key = (_period(created, mq), product)
        returned[key] = returned.get(key, Decimal(0)) + Decimal(quantity)
    if not sales_running(kernel):
        labels = _product_labels(kernel, {product for _, product in returned})
        return [MetricPoint(period, quantity.normalize() if quantity == quantity.to_integral()
                            else quantity, labels[product])
                for (period, product), quantity in returned.items()]
    sold = _sold(kernel, mq)
    labels = _product_labels(kernel, {product for _, product in sold})
    out = []
    for key in sorted(set(returned) | set(sold), key=lambda k: (k[0], k[1] or 0)):
        if not sold.get(key):
            continue  # nothing sold in the period: no rate
        rate = (returned.get(key, Decimal(0)) * 100 / sold[key]).quantize(Decimal("0.01"))
        out.append(MetricPoint(key[0], rate, labels[key[1]]))
    return out


def _sold(kernel: Accord, mq: MetricQuery) -> dict[tuple[str, int | None], Decimal]:
    """The quantities sold per period and product: the lines of the orders dated in the
    range (not cancelled) that the reader's rule reaches, summed in one grouped query.

    The tables are the ones the record type ``sales.order`` declares (its model and
    its ``lines`` model, from ``kernel.records``): nothing of the sales plugin is
    imported, and the columns read are the documented ``product`` and ``quantity`` of
    an order line. (Reading every order through the services took seconds at scale.)"""
    order_type = kernel.records.get(ORDER)
    order: Any = order_type.model
    spec = next(lines for lines in order_type.lines if lines.name == "lines")
    line: Any = spec.model
    period = month_of(kernel, order.order_date, mq)
    total, as_decimal = exact_sum(kernel, line.quantity)
    query = (line.select(period, line.product, total)
             .join(order, on=(getattr(line, spec.parent) == order.id))
             .where(order.order_date >= mq.start, order.order_date <= mq.end,
                    order.status != "cancelled")
             .group_by(period, line.product))
    out: dict[tuple[str, int | None], Decimal] = {}
    for bucket, product, quantity in scoped(query, order, mq, record_type=ORDER).tuples():
        out[(bucket, product)] = as_decimal(quantity)
    return out


RETURN_RATE = Metric(
    "service.return_rate_by_product",
    "Quantity returned (returns requested in the period, rejected ones left out) over the "
    "quantity sold (sales order lines dated in the period, cancelled orders left out), per "
    "product, in percent; without the sales plugin, the quantity returned",
    "percent", _return_rate, group_by="product", adds_up=False)


# The declarations hooks.py registers ---------------------------------------------------

#: Which action sets each field the actions own.
_VERBS = {
    "status": ("approve", "reject", "resolve", "close"),
    "decision": ("approve", "reject"),
    "decision_reason": ("approve", "reject"),
    "decided_at": ("approve", "reject"),
    "resolved_at": ("resolve",),
    "closed_at": ("close",),
}

RETURN_TYPE = RecordType(
    RETURN, Return, ReturnSchema, "returns", "Return",
    searchable=("reason", "decision_reason"), title_fields=("reason",),
    lines=(Lines("items", ReturnItem, "rma", ReturnItemSchema),),
    verb_fields=tuple(VerbField(name, actions) for name, actions in _VERBS.items()),
    transitions=Transitions("status", TRANSITIONS),
    protects=("organization", "contact"),
    defaults=return_defaults, validate=return_rules, compute=return_computed,
    check_delete=return_kept)

PERMISSIONS = [
    Permission(f"{RETURN}.read", "Read returns (RMA)"),
    Permission(f"{RETURN}.write", "Create and change requested returns"),
    Permission(f"{RETURN}.delete", "Delete requested returns"),
    Permission(APPROVE, "Approve returns, with the refund granted"),
    Permission(REJECT, "Reject returns, with a reason"),
    Permission(RESOLVE, "Resolve and close returns")]

#: What the built-in service role holds (managers hold service.*).
AGENT = (f"{RETURN}.read", f"{RETURN}.write")


# On the customer's timeline ------------------------------------------------------------

def return_items(record_type: str, record_ids: list[int]) -> list[Any]:
    """Each return of the organizations or contacts asked for, when it was requested,
    with where it stands: ``Return 3: approved, refund 40.00 EUR — Broken on arrival``."""
    from accord.records import TimelineItem

    column = getattr(Return, record_type)
    out = []
    rma: Any
    for rma in Return.select().where(column.in_(record_ids)):
        state = rma.status
        if rma.resolution:
            state += f", {rma.resolution}"
        if rma.refund_amount is not None:
            state += f" {format_amount(Decimal(rma.refund_amount), rma.currency)} {rma.currency}"
        reason = " ".join(rma.reason.split())
        if len(reason) > 120:
            reason = reason[:119] + "\u2026"
        out.append(TimelineItem(
            record_type=record_type, record_id=getattr(rma, column.object_id_name),
            at=rma.created_at, kind="service.return",
            title=f"Return {rma.id}: {state} \u2014 {reason}", source_type=RETURN,
            source_id=rma.id,
            details={"status": rma.status, "decision": rma.decision,
                     "resolution": rma.resolution, "ticket_id": rma.ticket_id}))
    return out
