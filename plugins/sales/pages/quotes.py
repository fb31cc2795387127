"""The quote editor, ``/sales/quotes/<id>`` (and ``/sales/quotes/new?opportunity=<id>``):
a draft's name, validity, notes and lines (product, description, quantity, unit price,
discount, tax) editable, lines added and removed, with live totals.

While a line is typed, htmx posts the form to ``/sales/quotes/preview``, which prices
the lines with the sales write path's own computation (``LineSchema`` to read them,
then ``services.documents.price_lines`` with the quote pricing hook: product defaults,
rounding to the currency's minor unit, totals) and answers the totals and each line's
net and total; nothing is written and no arithmetic is done in the page. *Save* writes
the quote through ``services.create`` / ``services.update`` (the service prices the
lines again, the same way). A quote that is no longer a draft is shown read-only,
with its actions (send, accept, reject, revise) as forms run through ``run_action``.
Without scripts, *Add a line* and *Remove* post the form and the page comes back with
the lines changed, nothing saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

import marshmallow as ma
from flask import Blueprint, Response, flash, g, redirect, render_template, request

from accord import services
from accord.errors import NotFound, StaleVersion, ValidationError
from accord.money import CurrencyField
from accord.pages import Panel
from accord.query import find
from accord.services.authz import require
from accord.services.reading import dump

from ..rules import OPPORTUNITY, ORDER, QUOTE
from ..schemas import LineSchema
from ..services.documents import TOTALS, price_lines
from .documents import (TEMPLATES, customer, document_actions, kernel, number, page_url,
                        price_text, run_page_action, shown_lines, title_of)

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

__all__ = ["blueprint", "panels", "LINE_INPUTS", "EditedLine", "Priced", "price_form"]

#: The inputs of one line, repeated once per line in the form.
LINE_INPUTS = ("product_id", "description", "quantity", "unit_price", "discount_percent",
               "tax_rate")
#: Products offered in a line's list (by name); a longer catalogue is typed by id.
PRODUCTS_SHOWN = 500


@dataclass
class EditedLine:
    """One line as the form shows it: the entered texts, the computed amounts (from
    the preview) and the messages of a refusal, by input."""

    values: dict[str, str]
    net: Any = None
    total: Any = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def blank(self) -> bool:
        return not any(self.values.values())


@dataclass
class Priced:
    """What pricing the form's lines gave: the lines (with their amounts when priced),
    the totals (None when refused) and the messages not tied to one line."""

    lines: list[EditedLine]
    totals: dict[str, Any] | None
    problems: list[str] = field(default_factory=list)


def _entered(form: Mapping[str, Any]) -> list[EditedLine]:
    """The lines of the posted form, in their order (an input missing from a line is
    empty), with a line added or removed as its buttons ask."""
    columns = {name: form.getlist(name) for name in LINE_INPUTS}  # type: ignore[attr-defined]
    count = max((len(values) for values in columns.values()), default=0)
    lines = [EditedLine({name: (columns[name][i] if i < len(columns[name]) else "").strip()
                         for name in LINE_INPUTS}) for i in range(count)]
    op = str(form.get("op", ""))
    if op == "add":
        lines.append(EditedLine({name: "" for name in LINE_INPUTS}))
    elif op.startswith("remove-") and op[7:].isdigit() and int(op[7:]) < len(lines):
        del lines[int(op[7:])]
    return lines


def _added(lines: list[EditedLine]) -> int | None:
    """The line *Add a line* just added (its first input takes the focus)."""
    return len(lines) - 1 if request.form.get("op") == "add" else None


def _line_data(line: EditedLine) -> dict[str, Any]:
    """A line as the quote's schema reads it: the inputs given (a product's id as a
    number), those left empty out so their defaults apply."""
    data: dict[str, Any] = {k: v for k, v in line.values.items() if v != ""}
    product = data.get("product_id")
    if isinstance(product, str) and product.isdigit():
        data["product_id"] = int(product)
    return data


def _blame(lines: list[EditedLine], filled: list[int], messages: dict[str, list[str]],
           problems: list[str]) -> None:
    """Messages keyed ``lines.N.field`` (N among the filled lines) beside their input."""
    for key, texts in messages.items():
        parts = key.split(".")
        if parts[0] == "lines" and len(parts) >= 3 and parts[1].isdigit() \
                and int(parts[1]) < len(filled):
            line = lines[filled[int(parts[1])]]
            name = parts[2] if parts[2] in LINE_INPUTS else "description"
            line.errors.setdefault(name, []).extend(texts)
        else:
            problems.extend(texts if key in ("lines", "_schema") else
                            [f"{key.replace('_', ' ')}: {t}" for t in texts])


def price_form(kernel: Accord, lines: list[EditedLine], currency: str,
               quote: Any = None, document: dict[str, Any] | None = None) -> Priced:
    """Price the form's lines as the write path would (nothing is written): read them
    with ``LineSchema``, then ``price_lines`` with the pricing hook. Blank lines are
    left out."""
    filled = [i for i, line in enumerate(lines) if not line.blank]
    result = Priced(lines, None)
    try:
        CurrencyField().deserialize(currency)
    except ma.ValidationError as exc:
        result.problems.extend(f"currency: {m}" for m in _texts(exc.messages))
        return result
    data = [_line_data(lines[i]) for i in filled]
    try:
        loaded = LineSchema(many=True).load(data)
    except ma.ValidationError as exc:
        flat = {f"lines.{index}.{name}": texts
                for index, errors in exc.messages.items()  # type: ignore[union-attr]
                for name, texts in errors.items()}
        _blame(lines, filled, flat, result.problems)
        return result
    row = {**(document or {}), "currency": currency, "lines": loaded}
    try:
        with kernel.bound():
            price_lines(kernel, [row], [quote], hook=True)
    except ValidationError as exc:
        _blame(lines, filled, exc.flat(), result.problems)
        return result
    for index, priced in zip(filled, row["lines"]):
        lines[index].net, lines[index].total = priced["net"], priced["total"]
    result.totals = {name: row[name] for name in TOTALS}
    return result


def _texts(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [t for v in messages.values() for t in _texts(v)]
    if isinstance(messages, list):
        return [str(t) for t in messages]
    return [str(messages)]


def _products(kernel: Accord) -> list[Any]:
    if not g.actor.can("core.product.read"):
        return []
    return find(kernel, "product", {}, sort=("name",), limit=PRODUCTS_SHOWN, actor=g.actor)


def _stored_lines(values: dict[str, Any]) -> list[EditedLine]:
    currency = values["currency"]
    return [EditedLine({"product_id": str(line.get("product_id") or ""),
                        "description": line.get("description") or "",
                        "quantity": number(line.get("quantity")),
                        "unit_price": price_text(line.get("unit_price"), currency),
                        "discount_percent": number(line.get("discount_percent")),
                        "tax_rate": number(line.get("tax_rate"))},
                       line.get("net"), line.get("total")) for line in values["lines"]]


def blueprint() -> Blueprint:
    """A new blueprint of the pages (one per app: Flask keeps state on blueprints)."""
    bp = Blueprint("quotes", __name__, template_folder=TEMPLATES)
    bp.add_url_rule("/quotes/new", "new_quote", new_quote, methods=["GET", "POST"])
    bp.add_url_rule("/quotes/preview", "preview", preview, methods=["POST"])
    bp.add_url_rule("/quotes/<int:quote_id>", "quote", quote_page, methods=["GET"])
    bp.add_url_rule("/quotes/<int:quote_id>", "save", save_quote, methods=["POST"])
    bp.add_url_rule("/quotes/<int:quote_id>/actions/<name>", "action", quote_action,
                    methods=["POST"])
    return bp


# The editor ----------------------------------------------------------------------------

def _editor(*, quote: Any, values: dict[str, Any], lines: list[EditedLine],
            priced: Priced | None = None, problems: list[str] | None = None,
            field_errors: dict[str, list[str]] | None = None, stale: bool = False,
            status: int = 200, deal: Any = None, failed: str | None = None,
            messages: Any = None) -> Response:
    k = kernel()
    currency = values.get("currency") or k.settings("sales")["currency"]
    if priced is None:
        priced = price_form(k, lines, currency, quote, _document(values))
    actions = document_actions(QUOTE, quote, g.actor, failed, request.form, messages) \
        if quote is not None else []
    may_write = g.actor.can(f"{QUOTE}.write")
    body = render_template(
        "sales/quote.html", quote=quote, values=values, lines=priced.lines,
        totals=priced.totals, preview_problems=priced.problems, problems=problems or [],
        errors=field_errors or {}, stale=stale, currency=currency, actions=actions,
        products=_products(k), customer=customer(values),
        deal=deal or _deal_of(values), default_tax=k.settings("sales")["default_tax_rate"],
        editable=may_write and (quote is None or quote.status == "draft"),
        order=_order_of(quote), shown_lines=shown_lines(values.get("lines") or []),
        focus_line=_added(lines))
    return Response(body, status=status)


def _deal_of(values: dict[str, Any]) -> Any:
    """The quote's opportunity, when the reader may read it (its title shown)."""
    rid = values.get("opportunity_id")
    name = title_of(OPPORTUNITY, rid) if rid else None
    return {"name": name} if name else None


def _document(values: dict[str, Any]) -> dict[str, Any]:
    """What the pricing hook is told of the quote besides its lines."""
    return {k: values.get(k) for k in ("name", "opportunity_id", "organization_id",
                                       "contact_id") if values.get(k) is not None}


def _order_of(quote: Any) -> Any:
    if quote is None or quote.status != "accepted" or not g.actor.can(f"{ORDER}.read"):
        return None
    found = find(kernel(), ORDER, {"quote_id": quote.id}, limit=1, actor=g.actor)
    return found[0] if found else None


def _header(form: Mapping[str, Any]) -> dict[str, Any]:
    """The quote's own inputs as entered (name, valid until, notes)."""
    return {"name": str(form.get("name", "")).strip(),
            "valid_until": str(form.get("valid_until", "")).strip(),
            "notes": str(form.get("notes", "")).strip()}


def _write_data(header: dict[str, Any], lines: list[EditedLine]) -> dict[str, Any]:
    return {"name": header["name"], "valid_until": header["valid_until"] or None,
            "notes": header["notes"] or None,
            "lines": [_line_data(line) for line in lines if not line.blank]}


def _refused(exc: ValidationError, lines: list[EditedLine]) -> tuple[list[str],
                                                                     dict[str, list[str]]]:
    """A refused save's messages: beside a line's input, beside the quote's own inputs,
    or above the form."""
    filled = [i for i, line in enumerate(lines) if not line.blank]
    problems: list[str] = []
    field_errors: dict[str, list[str]] = {}
    rest: dict[str, list[str]] = {}
    for key, texts in exc.flat().items():
        if key in ("name", "valid_until", "notes", "currency"):
            field_errors.setdefault(key, []).extend(texts)
        else:
            rest[key] = texts
    _blame(lines, filled, rest, problems)
    return problems, field_errors


def quote_page(quote_id: int) -> Response:
    quote: Any = services.get(kernel(), QUOTE, quote_id, actor=g.actor)
    values = dump(kernel(), QUOTE, quote, actor=g.actor)
    lines = _stored_lines(values)
    if quote.status == "draft" and not lines:
        lines = [EditedLine({name: "" for name in LINE_INPUTS})]
    return _editor(quote=quote, values=values, lines=lines)


def save_quote(quote_id: int) -> Any:
    k = kernel()
    quote: Any = services.get(k, QUOTE, quote_id, actor=g.actor)
    values = dump(k, QUOTE, quote, actor=g.actor)
    header = _header(request.form)
    lines = _entered(request.form)
    shown = {**values, **header}
    if request.form.get("op"):  # add or remove a line (without scripts): nothing saved
        return _editor(quote=quote, values=shown, lines=lines)
    try:
        services.update(k, QUOTE, quote_id, _write_data(header, lines), actor=g.actor,
                        version=request.form.get("version", type=int))
    except ValidationError as exc:
        problems, field_errors = _refused(exc, lines)
        return _editor(quote=quote, values=shown, lines=lines, problems=problems,
                       field_errors=field_errors, status=422)
    except StaleVersion:
        return _editor(quote=quote, values=shown, lines=lines, stale=True, status=412)
    flash("Saved.", "info")
    return redirect(page_url(QUOTE, quote_id))


def new_quote() -> Any:
    """A new draft quote for an opportunity (``?opportunity=<id>``), written on Save."""
    k = kernel()
    require(g.actor, f"{QUOTE}.write")
    raw = request.values.get("opportunity", "")
    if not raw.isdigit():
        raise NotFound("A new quote is made for an opportunity: open one and choose "
                       "“New quote” (/sales/quotes/new?opportunity=<id>).")
    deal: Any = services.get(k, OPPORTUNITY, int(raw), actor=g.actor)
    currency = deal.amount_currency or k.settings("sales")["currency"]
    values: dict[str, Any] = {"name": f"Quote for {deal.name}", "opportunity_id": deal.id,
                              "organization_id": deal.organization_id,
                              "contact_id": deal.contact_id, "currency": currency,
                              "valid_until": "", "notes": "", "lines": []}
    if request.method == "GET":
        return _editor(quote=None, values=values, deal=deal,
                       lines=[EditedLine({name: "" for name in LINE_INPUTS})])
    header = _header(request.form)
    values.update(header, currency=str(request.form.get("currency", currency)).strip())
    lines = _entered(request.form)
    if request.form.get("op"):
        return _editor(quote=None, values=values, lines=lines, deal=deal)
    data = {**_write_data(header, lines), "opportunity_id": deal.id,
            "currency": values["currency"]}
    try:
        created: Any = services.create(k, QUOTE, data, actor=g.actor)
    except ValidationError as exc:
        problems, field_errors = _refused(exc, lines)
        return _editor(quote=None, values=values, lines=lines, problems=problems,
                       field_errors=field_errors, deal=deal, status=422)
    flash("Quote created.", "info")
    return redirect(page_url(QUOTE, created.id))


def preview() -> Response:
    """The totals and each line's amounts for the lines being typed (htmx): priced as
    the write path prices them, nothing written. With ``op`` (add or remove a line),
    the whole lines editor comes back."""
    k = kernel()
    quote: Any = None
    raw = str(request.form.get("quote_id", ""))
    if raw.isdigit():
        quote = services.get(k, QUOTE, int(raw), actor=g.actor)
    else:
        require(g.actor, f"{QUOTE}.write")
    currency = quote.currency if quote is not None else str(request.form.get("currency", ""))
    lines = _entered(request.form)
    document = {"name": request.form.get("name") or None}
    if quote is not None:
        document.update(opportunity_id=quote.opportunity_id,
                        organization_id=quote.organization_id, contact_id=quote.contact_id)
    priced = price_form(k, lines, currency.strip().upper(), quote,
                        {key: v for key, v in document.items() if v is not None})
    template = "sales/_quote_lines.html" if request.form.get("op") else \
        "sales/_quote_preview.html"
    body = render_template(template, lines=priced.lines, totals=priced.totals,
                           preview_problems=priced.problems, currency=currency,
                           products=_products(k), oob_totals=True, oob_lines=True,
                           default_tax=k.settings("sales")["default_tax_rate"],
                           focus_line=_added(lines))
    return Response(body)


def quote_action(quote_id: int, name: str) -> Any:
    result, refusal = run_page_action(QUOTE, quote_id, name)
    if refusal is not None:
        quote: Any = services.get(kernel(), QUOTE, quote_id, actor=g.actor)
        values = dump(kernel(), QUOTE, quote, actor=g.actor)
        return _editor(quote=quote, values=values, lines=_stored_lines(values), **refusal)
    if name == "accept" and g.actor.can(f"{ORDER}.read"):
        return redirect(page_url(ORDER, result.id))
    if name == "revise":
        return redirect(page_url(QUOTE, result.id))
    return redirect(page_url(QUOTE, quote_id))


# Panels on the record pages ------------------------------------------------------------

def panels(kernel: Accord, actor: Actor, record_type: str,
           record: dict[str, Any]) -> list[Panel]:
    """An opportunity's quotes (with *New quote*); on a quote's record page, a link to
    its editor."""
    if record_type == QUOTE:
        return [Panel("Quote editor", ("Page", "Shows"),
                      (("Open the quote editor", "lines with live totals, and its actions"),),
                      (page_url(QUOTE, record["id"]),), order=20)]
    if record_type != OPPORTUNITY or not actor.can(f"{QUOTE}.read"):
        return []
    quotes = find(kernel, QUOTE, {"opportunity_id": record["id"]}, sort=("id",),
                  actor=actor)
    return [Panel("Quotes", template="sales/_quotes_panel.html", order=25, context={
        "quotes": quotes, "new_url": f"/sales/quotes/new?opportunity={record['id']}",
        "may_write": actor.can(f"{QUOTE}.write")})]
