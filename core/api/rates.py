"""``/api/v1/rates``: the exchange rates money metrics convert with (accord.rates).

``GET /rates`` lists them (newest first, keyset pages); ``PUT``, ``GET`` and ``DELETE``
``/rates/<currency>/<quote>/<date>`` set, read and delete one (``EUR/USD/2026-12-01``
with ``{"rate": "1.08"}``: one euro for 1.08 dollars from that day on);
``POST /rates/fetch`` asks the rates-provider plugins. The rates service checks the
permissions (``admin.rates`` to change, ``core.metrics.read`` or it to read) and every
value, for the CLI alike.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import marshmallow as ma
from flask import Blueprint, Response, jsonify, request
from marshmallow import fields

from ..errors import ValidationError
from ..services.rates import RATES, RATES_READ
from .admin import _before, _load, _next_cursor, _only_params
from .auth import current_actor
from .bodies import json_object
from .lists import limit_arg
from .problems import ApiError

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["register", "RATES", "RATES_READ", "RateBody", "FetchBody"]


class RateBody(ma.Schema):
    rate = fields.Raw(required=True, metadata={
        "description": "What 1 unit of the currency is worth in the quote currency, as "
                       "a string in plain decimal notation (or an integer)",
        "examples": ["1.08"]})


class FetchBody(ma.Schema):
    date = fields.Date(metadata={"description": "The day to fetch rates for (default: "
                                                "today, UTC)"})
    currencies = fields.List(fields.String(), metadata={
        "description": "The currencies to fetch against the base currency (default: "
                       "those that have a rate against it)"})


def _day(raw: str) -> Any:
    """A path's date, or the text as given, for the service to refuse by name (after
    checking the permission)."""
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return raw


def register(bp: Blueprint, kernel: Accord) -> None:
    from ..services import rates as service

    @bp.get("/rates", endpoint="rates")
    def rates() -> Any:
        """Filters: currency (either side of a pair), quote, from, to (days, included)."""
        _only_params("currency", "quote", "from", "to")
        args = request.args
        try:
            page = service.list_rates(
                kernel, actor=current_actor(), currency=args.get("currency"),
                quote=args.get("quote"), start=args.get("from"), end=args.get("to"),
                limit=limit_arg(), before=_before())
        except ValidationError as exc:
            raise ApiError(400, "bad list parameters; see errors",
                           errors=exc.flat()) from None
        return jsonify({"items": [r.as_dict() for r in page.items],
                        "next_cursor": _next_cursor(page)})

    @bp.route("/rates/<currency>/<quote>/<date>", methods=["GET", "PUT", "DELETE"],
              endpoint="rate")
    def rate(currency: str, quote: str, date: str) -> Any:
        """PUT stores the rate of that pair from that day on, replacing one stored (200
        either way: the same request twice leaves the same rate)."""
        actor = current_actor()
        if request.method == "PUT":
            body = _load(RateBody, json_object())
            info = service.set_rate(kernel, currency, quote, body["rate"], day=_day(date),
                                    actor=actor)
            return jsonify(info.as_dict())
        try:
            if request.method == "DELETE":
                service.delete_rate(kernel, currency, quote, day=_day(date),
                                    actor=actor)
                return Response(status=204)
            found = service.get_rate(kernel, currency, quote, day=_day(date),
                                     actor=actor)
        except ValidationError as exc:
            raise ApiError(400, "bad rate in the path; see errors", errors=exc.flat()) from None
        return jsonify(found.as_dict())

    @bp.post("/rates/fetch", endpoint="rates_fetch")
    def rates_fetch() -> Any:
        body = _load(FetchBody, json_object() if request.get_data(cache=True) else {})
        found = service.fetch_rates(kernel, actor=current_actor(), day=body.get("date"),
                                    currencies=body.get("currencies"))
        return jsonify({"items": [r.as_dict() for r in found]})
