"""The sales plugin's report endpoints (``register_api_routes``): the forecast and
win/loss, as ``accord sales forecast`` and the pages show them.

- ``GET /api/v1/sales/forecast?months=6&from=2026-05&by=owner`` (forecast.py)
- ``GET /api/v1/sales/win-loss?from=2026-01-01&to=2026-06-30&by=reason`` (winloss.py)

Thin: the core authenticates, checks the permission and loads the query string with
the ``…Args`` schema (a bad or unknown parameter is a 400 naming it); each handler
calls one read function with the caller as its reader, so only the records the
caller's record rules reach count; the ``…Answer`` schema dumps the result, and both
appear in the OpenAPI document.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import marshmallow as ma
from marshmallow import fields, validate

from accord.money import format_amount
from accord.routes import ApiRoute

from .forecast import FORECAST_GROUPS, MAX_MONTHS, Forecast, forecast
from .rules import OPPORTUNITY
from .winloss import WIN_LOSS_GROUPS, WinLoss, win_loss

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

__all__ = ["api_routes", "ForecastArgs", "ForecastAnswer", "WinLossArgs", "WinLossAnswer",
           "Month"]


class Month(fields.Field[dt.date]):
    """A month written ``YYYY-MM`` (a string in the OpenAPI document), loaded as the
    date of its first day."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$",
                    **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any,
                     **kwargs: Any) -> dt.date:
        if not isinstance(value, str):
            raise ma.ValidationError("give a month as YYYY-MM")
        text = value
        try:
            return dt.datetime.strptime(text.strip(), "%Y-%m").date()
        except ValueError:
            raise ma.ValidationError(f"give a month as YYYY-MM, not {text[:20]!r}") from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else f"{value:%Y-%m}"


class Amounts(fields.Dict):
    """Amounts by currency code, each written with its currency's places: the base
    currency holds what was converted, another what had no exchange rate."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(), values=fields.String(), **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any,
                   **kwargs: Any) -> dict[str, str] | None:
        if value is None:
            return None
        return {code: format_amount(Decimal(amount), code)
                for code, amount in sorted(value.items())}


# The forecast ---------------------------------------------------------------------

class ForecastArgs(ma.Schema):
    months = fields.Integer(load_default=6, strict=False,
                            validate=validate.Range(1, MAX_MONTHS), metadata={
        "description": f"How many months (1 to {MAX_MONTHS})"})
    start = Month(data_key="from", load_default=None, metadata={
        "description": "The first month, YYYY-MM (default: the current month, UTC)"})
    by = fields.String(load_default=None, validate=validate.OneOf(FORECAST_GROUPS), metadata={
        "description": "One row per owner (email), team (name) or pipeline and month"})
    products = fields.Boolean(load_default=True, metadata={
        "description": "Include the product demand (false: two queries fewer)"})


class ForecastRowSchema(ma.Schema):
    month = fields.String(metadata={"description": "YYYY-MM, undated or total"})
    group = fields.String(allow_none=True, metadata={
        "description": "The owner, team or pipeline (with by)"})
    opportunities = fields.Integer(metadata={"description": "Open opportunities counted"})
    weighted = Amounts(metadata={"description": "Σ amount × probability / 100"})
    committed = Amounts(metadata={
        "description": "Σ amount of those at commit_probability or more"})
    best_case = Amounts(metadata={"description": "Σ amount of every open one"})
    won = Amounts(metadata={"description": "Σ amount of those won in the month"})


class DemandSchema(ma.Schema):
    month = fields.String()
    product_id = fields.Integer()
    sku = fields.String()
    name = fields.String()
    pipeline_units = fields.Decimal(as_string=True)
    run_rate_units = fields.Decimal(as_string=True)
    units = fields.Decimal(as_string=True)
    value = Amounts()


class ForecastAnswer(ma.Schema):
    start = Month(metadata={"description": "The first month"})
    months = fields.List(fields.String())
    by = fields.String(allow_none=True)
    commit_probability = fields.Integer()
    base_currency = fields.String()
    rows = fields.List(fields.Nested(ForecastRowSchema), metadata={
        "description": "One per group and month, every month (zero when empty)"})
    undated = fields.List(fields.Nested(ForecastRowSchema), metadata={
        "description": "Per group, the open opportunities without an expected close date"})
    total = fields.Method("_total", metadata={
        "description": "The months added up over every group (undated left out)"})
    demand = fields.List(fields.Nested(DemandSchema))
    run_rate_months = fields.List(fields.String(), metadata={
        "description": "The first and last months averaged into the order run-rate"})

    def _total(self, result: Forecast) -> Any:
        return ForecastRowSchema().dump(result.total())


def forecast_report(kernel: Accord, *, actor: Actor, months: int, start: dt.date | None,
                    by: str | None, products: bool) -> Forecast:
    return forecast(kernel, months, start, by, products, reader=actor)


# Win/loss -------------------------------------------------------------------------

class WinLossArgs(ma.Schema):
    start = fields.Date(data_key="from", load_default=None, metadata={
        "description": "First day of closing (default: a year of whole months up to the "
                       "end)"})
    end = fields.Date(data_key="to", load_default=None, metadata={
        "description": "Last day of closing (default: today)"})
    by = fields.String(load_default="month", validate=validate.OneOf(WIN_LOSS_GROUPS),
                       metadata={"description": "month (of closing), owner (email), reason "
                                                "(the win or loss reason), pipeline or total"})
    owner_id = fields.Integer(load_default=None, strict=False,
                              validate=validate.Range(min=1, max=2 ** 63 - 1), metadata={
        "description": "Only this user's deals (one whose records you may read)"})


class MoneyText(fields.Field[Any]):
    """Money ``{"amount": "1250.00", "currency": "EUR"}`` from accord.money.Money."""

    def _serialize(self, value: Any, attr: str | None, obj: Any,
                   **kwargs: Any) -> dict[str, str] | None:
        if value is None:
            return None
        return {"amount": format_amount(value.amount, value.currency),
                "currency": value.currency}


class WinLossRowSchema(ma.Schema):
    group = fields.String(metadata={"description": "The month, owner, reason or pipeline"})
    won = fields.Integer()
    lost = fields.Integer()
    won_value = fields.Decimal(as_string=True, metadata={
        "description": "Σ amount of the deals won, in the base currency"})
    lost_value = fields.Decimal(as_string=True, metadata={
        "description": "Σ amount of the deals lost, in the base currency"})
    won_unconverted = fields.List(MoneyText(), metadata={
        "description": "Won amounts without an exchange rate on their closing day"})
    lost_unconverted = fields.List(MoneyText())
    win_rate = fields.Decimal(as_string=True, allow_none=True, metadata={
        "description": "Won among the closed, in percent (null without any)"})


class WinLossAnswer(ma.Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    by = fields.String()
    base_currency = fields.String()
    rows = fields.List(fields.Nested(WinLossRowSchema))
    total = fields.Nested(WinLossRowSchema)


def win_loss_report(kernel: Accord, *, actor: Actor, start: dt.date | None,
                    end: dt.date | None, by: str, owner_id: int | None) -> WinLoss:
    return win_loss(kernel, actor=actor, start=start, end=end, by=by, owner_id=owner_id)


def api_routes() -> list[ApiRoute]:
    read = f"{OPPORTUNITY}.read"
    return [
        ApiRoute("/sales/forecast", forecast_report, read, "The sales forecast by month",
                 args=ForecastArgs, response=ForecastAnswer,
                 description="Weighted pipeline, committed, best case and won per month of "
                             "expected close, and the product demand, in the base currency "
                             "(as `accord sales forecast`). Counts only the opportunities, "
                             "quotes and orders the caller's record rules reach."),
        ApiRoute("/sales/win-loss", win_loss_report, read,
                 "Opportunities won and lost by month, owner, reason or pipeline",
                 args=WinLossArgs, response=WinLossAnswer,
                 description="Counts and values (in the base currency, converted on each "
                             "closing day) of the opportunities closed in the range, "
                             "those the caller's record rules reach."),
    ]
