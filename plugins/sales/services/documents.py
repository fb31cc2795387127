"""The write path of quotes, orders and invoices: their lines, prices and totals.

A document's lines are written with it (``accord.records.Lines``): giving ``lines``
on a create or an update replaces them all. On the write path (``compute_fields``)
each line's unit price and description default from its product, the quote
pricing hook may adjust the prices, and every amount is computed in Decimal and
rounded half up to the minor unit of the document's currency (JPY 1, EUR 0.01, BHD
0.001: ``accord.money.round_amount``), line by line:

- ``net`` = quantity x unit price x (1 - discount / 100)
- ``tax`` = net x tax rate / 100
- ``total`` = net + tax

and the document's ``subtotal`` (before discounts), ``discount_total``,
``net_total``, ``tax_total`` and ``total`` are the sums of its lines. The schemas
of documents and lines are in ``accord_sales.schemas``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from accord.errors import ValidationError
from accord.models import Product
from accord.money import MoneyField, format_amount, minor_units, round_amount

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.records import Write

__all__ = ["document_defaults", "document_rules", "document_computed", "price_lines",
           "totals", "copy_lines", "largest_amount", "TOTALS"]

HUNDRED = Decimal(100)
#: The computed totals of a document, in its currency.
TOTALS = ("subtotal", "discount_total", "net_total", "tax_total", "total")
#: What a line stores besides its document and position.
LINE_FIELDS = ("product_id", "description", "quantity", "unit_price", "discount_percent",
               "tax_rate", "net", "tax", "total")


def document_defaults(write: Write) -> None:
    currency = write.kernel.settings("sales")["currency"]
    for row in write.rows:
        row.setdefault("currency", currency)


def document_rules(write: Write, *, editable: str,
                   verb_hint: str) -> list[dict[str, list[str]]]:
    """The checks every document shares; one dict of problems per row. ``editable``
    is the status in which its content may change (``draft``; ``confirmed`` for
    orders). (That it names only an opportunity its writer can read, the core checks.)"""
    out = []
    for _, row, current in write:
        problems: dict[str, list[str]] = {}
        if current is None:
            if row.get("organization_id") is None and row.get("contact_id") is None:
                problems["organization_id"] = ["give an organization or a contact (or both)"]
        else:
            if "currency" in row and row["currency"] != current.currency:
                problems["currency"] = [f"a document keeps its currency ({current.currency})"]
            content = sorted(k for k in row if k in ("lines", "organization_id", "contact_id"))
            if content and current.status != editable:
                problems[content[0]] = [f"the {current.status} document cannot change; "
                                        f"{verb_hint}"]
            org = row.get("organization_id", current.organization_id)
            contact = row.get("contact_id", current.contact_id)
            # Checked when the customer changes (a verb writing its status is not).
            touched = "organization_id" in row or "contact_id" in row
            if touched and org is None and contact is None:
                problems["organization_id"] = ["give an organization or a contact (or both)"]
        out.append(problems)
    return out


def document_computed(write: Write, *, hook: bool = False) -> None:
    """The computed values of quotes, orders and invoices: a new document without lines
    gets none (and zero totals), and lines are priced (``hook``: through the quote
    pricing hook)."""
    for _, row, current in write:
        if current is None:
            row.setdefault("lines", [])
    price_lines(write.kernel, write.rows, write.existing, hook=hook)


def price_lines(kernel: Accord, rows: list[dict[str, Any]], existing: list[Any], *,
                hook: bool = False) -> None:
    """Fill the lines' defaults from their products (one query for the batch), let the
    pricing hook adjust them (quotes), and compute every line's and the document's
    amounts. Rows without ``lines`` are left alone."""
    priced = [(i, row, current) for i, (row, current) in enumerate(zip(rows, existing))
              if "lines" in row]
    if not priced:
        return
    wanted = {line["product_id"] for _, row, _ in priced for line in row["lines"]
              if line.get("product_id")}
    products = {p.id: p for p in Product.select().where(Product.id.in_(sorted(wanted)))} \
        if wanted else {}
    tax_rate = Decimal(str(kernel.settings("sales")["default_tax_rate"]))
    for index, row, current in priced:
        currency = row.get("currency") or current.currency
        problems: dict[str, list[str]] = {}
        for n, line in enumerate(row["lines"]):
            _line_defaults(line, products, currency, tax_rate, f"lines.{n}", problems)
        if problems:
            raise ValidationError(problems, row=index if len(rows) > 1 else None)
        if hook:
            document = {k: v for k, v in row.items() if k != "lines"}
            if current is not None:
                document.setdefault("currency", current.currency)
            kernel.hooks.price_quote_lines(kernel=kernel, quote=document, lines=row["lines"])
        row["lines"] = [_priced(line, currency) for line in row["lines"]]
        row.update(totals(row["lines"], currency))
        _within_limit(row, currency, index if len(rows) > 1 else None)


def largest_amount(currency: str) -> Decimal:
    """The largest amount in ``currency`` a money column keeps exactly: 11 digits
    before the point, the currency's places after it (99,999,999,999.99 EUR)."""
    places = minor_units(currency)
    unit = Decimal(1).scaleb(-(2 if places is None else places))
    return Decimal(10) ** MoneyField.whole_digits - unit


def _within_limit(row: dict[str, Any], currency: str, index: int | None) -> None:
    """Refuse lines or totals too large to store exactly (rather than round them)."""
    limit = largest_amount(currency)
    shown = format_amount(limit, currency, grouped=True)
    problems: dict[str, list[str]] = {}
    for n, line in enumerate(row["lines"]):
        largest = max(line["total"],
                      round_amount(line["quantity"] * line["unit_price"], currency))
        if largest > limit:
            problems[f"lines.{n}.quantity"] = [
                f"the line comes to {format_amount(largest, currency, grouped=True)}, more "
                f"than the {shown} an amount can be; split it or lower the quantity or the "
                "price"]
    if not problems and max(row["subtotal"], row["total"]) > limit:
        problems.setdefault("lines", [f"the document comes to more than the {shown} "
                                      "an amount can be; split it into several"])
    if problems:
        raise ValidationError(problems, row=index)


def _line_defaults(line: dict[str, Any], products: dict[int, Any], currency: str,
                   tax_rate: Decimal, where: str, problems: dict[str, list[str]]) -> None:
    product_id = line.get("product_id")
    product = products.get(product_id) if product_id else None
    if product_id and product is None:
        problems[f"{where}.product_id"] = [f"there is no product {product_id}"]
        return
    if product is None:
        line["product_id"] = None
        if not line.get("description"):
            problems[f"{where}.description"] = ["describe a line without a product"]
        if line.get("unit_price") is None:
            problems[f"{where}.unit_price"] = ["give the unit price of a line without a "
                                               "product"]
        line.setdefault("tax_rate", tax_rate)
        return
    line.setdefault("description", product.name)
    line.setdefault("tax_rate", tax_rate)
    if line.get("unit_price") is None:
        if product.unit_price is None:
            problems[f"{where}.unit_price"] = [f"product {product.sku} has no unit price; "
                                               "give one"]
        elif product.unit_price_currency != currency:
            problems[f"{where}.unit_price"] = [
                f"product {product.sku} is priced in {product.unit_price_currency}, the "
                f"document in {currency}; give the unit price"]
        else:
            line["unit_price"] = Decimal(product.unit_price)


def _priced(line: dict[str, Any], currency: str) -> dict[str, Any]:
    quantity = Decimal(line["quantity"])
    price = Decimal(line["unit_price"])
    discount = Decimal(line.get("discount_percent") or 0)
    rate = Decimal(line["tax_rate"])
    net = round_amount(quantity * price * (HUNDRED - discount) / HUNDRED, currency)
    tax = round_amount(net * rate / HUNDRED, currency)
    return {"product_id": line.get("product_id"), "description": line["description"],
            "quantity": quantity, "unit_price": price, "discount_percent": discount,
            "tax_rate": rate, "net": net, "tax": tax, "total": net + tax}


def totals(lines: list[dict[str, Any]], currency: str) -> dict[str, Decimal]:
    """A document's totals in ``currency`` from its priced lines."""
    subtotal = sum((round_amount(Decimal(l["quantity"]) * Decimal(l["unit_price"]), currency)
                    for l in lines), Decimal(0))
    net = sum((Decimal(l["net"]) for l in lines), Decimal(0))
    tax = sum((Decimal(l["tax"]) for l in lines), Decimal(0))
    return {"subtotal": subtotal, "discount_total": subtotal - net, "net_total": net,
            "tax_total": tax, "total": net + tax}


def copy_lines(model: Any, parent: Any, parent_id: int) -> list[dict[str, Any]]:
    """The lines of a stored document as line dicts (to copy into another document)."""
    query = model.select().where(parent == parent_id).order_by(model.position)
    return [{name: getattr(line, name) for name in LINE_FIELDS} for line in query]
