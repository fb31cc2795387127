"""The plugin's own page, ``/car_dealer/stock``: the vehicles in stock (and reserved),
filtered by make, model year, price and text, with what they are worth.

Mounted by the core under ``/car_dealer`` (``register_pages``), behind its login,
CSRF check and error pages; the view parses the query string, reads through
``accord.query.find`` with the reader's rules, and renders.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, request

from accord.money import Money
from accord.query import find

from .services import VEHICLE, vehicle_title

__all__ = ["blueprint", "stock_filters"]

#: The statuses the page lists: what is still for sale.
IN_STOCK = ("stock", "reserved")


def blueprint() -> Blueprint:
    """A new blueprint of the page (one per app: Flask keeps state on blueprints)."""
    bp = Blueprint("stock", __name__, template_folder="templates")
    bp.add_url_rule("/stock", "index", index)
    return bp


def stock_filters(args: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The ``find`` filters of the page's query string, and the problems by field."""
    filters: dict[str, Any] = {"status__in": list(IN_STOCK)}
    problems: dict[str, str] = {}
    status = args.get("status", "").strip()
    if status:
        if status not in IN_STOCK:
            problems["status"] = f"choose stock or reserved, not {status[:20]!r}"
        else:
            filters["status__in"] = [status]
    make = args.get("make", "").strip()
    if make:
        filters["make"] = make[:60]
    year = args.get("year_from", "").strip()
    if year:
        if not year.isdigit() or not 1900 <= int(year) <= 9999:
            problems["year_from"] = f"give a year such as 2020, not {year[:20]!r}"
        else:
            filters["year__gte"] = int(year)
    price = args.get("max_price", "").strip()
    if price:
        try:
            amount = Decimal(price)
            if not amount.is_finite() or amount <= 0 or amount >= 10 ** 14:
                raise InvalidOperation
            filters["price__lte"] = str(amount)
        except InvalidOperation:
            problems["max_price"] = f"give an amount such as 25000, not {price[:20]!r}"
    return filters, problems


def index() -> Response:
    kernel = current_app.extensions["accord"]
    filters, problems = stock_filters(request.args)
    q = request.args.get("q", "").strip()[:100] or None
    vehicles: list[Any] = []
    if not problems:
        vehicles = find(kernel, VEHICLE, filters, q=q, sort=("make", "model", "-year"),
                        limit=500, actor=g.actor)
    makes = sorted({v.make for v in find(kernel, VEHICLE, {"status__in": list(IN_STOCK)},
                                         limit=500, actor=g.actor)})
    currency = kernel.settings("car_dealer")["currency"]
    total = sum((v.price for v in vehicles if v.price_currency == currency), Decimal(0))
    rows = [(v, vehicle_title(v), Money(v.price, v.price_currency)) for v in vehicles]
    body = render_template("car_dealer/stock.html", rows=rows, makes=makes,
                           args=request.args, problems=problems,
                           total=Money(total, currency),
                           may_write=g.actor.can(f"{VEHICLE}.write"))
    return Response(body, status=400 if problems else 200)
