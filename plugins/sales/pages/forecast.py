"""The forecast page, ``/sales/forecast?months=6&from=2026-05&by=owner``: per month of
expected close, the open opportunities, the weighted pipeline, what is committed, the
best case and what was won, then the product demand (as ``accord sales forecast``).

The query string means what it means to ``GET /api/v1/sales/forecast`` (the same
``ForecastArgs`` schema reads it; a bad value is a 400 with the message beside its
field), and the figures are ``accord_sales.forecast.forecast`` with the reader: only
the opportunities, quotes and orders the reader's record rules reach count.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma
from flask import Blueprint, Response, g, render_template, request

from accord.errors import ValidationError
from accord.money import Money

from ..api_reports import ForecastArgs
from ..forecast import FORECAST_GROUPS, MAX_MONTHS, Forecast, forecast
from .documents import TEMPLATES, kernel

__all__ = ["blueprint", "amounts"]


def blueprint() -> Blueprint:
    """A new blueprint of the page (one per app: Flask keeps state on blueprints)."""
    bp = Blueprint("forecast", __name__, template_folder=TEMPLATES)
    bp.add_url_rule("/forecast", "forecast", forecast_page)
    return bp


def amounts(figure: dict[str, Decimal], base: str) -> list[Money]:
    """A figure by currency as money to show: the base currency first (zero when
    empty), then what had no exchange rate, each apart."""
    out = [Money(figure.get(base, Decimal(0)), base)]
    return out + [Money(v, code) for code, v in sorted(figure.items()) if code != base]


def forecast_page() -> Response:
    k = kernel()
    asked = {key: request.args.get(key, "") for key in ("months", "from", "by")}
    given = {key: value for key, value in asked.items() if value.strip()}
    errors: dict[str, list[str]] = {}
    result: Forecast | None = None
    try:
        args = ForecastArgs().load(given)
    except ma.ValidationError as exc:
        messages: Any = exc.messages
        errors = {key: list(texts) for key, texts in messages.items()}
    else:
        try:
            result = forecast(k, args["months"], args["start"], args["by"],
                              reader=g.actor)
        except ValidationError as exc:
            errors = exc.flat()
    body = render_template(
        "sales/forecast.html", result=result, asked=asked, errors=errors,
        groups=FORECAST_GROUPS, max_months=MAX_MONTHS, amounts=amounts,
        unconverted=_unconverted(result) if result is not None else [])
    return Response(body, status=400 if errors else 200)


def _unconverted(result: Forecast) -> list[str]:
    """The currencies shown apart for want of an exchange rate."""
    base = result.base_currency
    figures = [*result.rows, *result.undated]
    found = {code for row in figures
             for figure in (row.weighted, row.committed, row.best_case, row.won)
             for code in figure if code != base}
    found |= {code for item in result.demand for code in item.value if code != base}
    return sorted(found)
