"""The dealer's KPI: what the vehicles still for sale are worth, by the month they came
into stock, in the base currency."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.metrics import (Metric, MetricPoint, MetricQuery, MoneySum, money_point, month_of,
                            scoped)

from .models import Vehicle

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["STOCK_VALUE"]


def stock_value(kernel: Accord, query: MetricQuery) -> list[MetricPoint]:
    """One grouped query over the whole range; the kernel fills the empty months."""
    period = month_of(kernel, Vehicle.created_at, query)
    sums = MoneySum(kernel, Vehicle.price, Vehicle.price_currency, Vehicle.created_at)
    rows = (Vehicle.select(period, *sums.columns)
            .where(Vehicle.status.in_(("stock", "reserved")),
                   Vehicle.created_at >= query.start_at,
                   Vehicle.created_at < query.end_exclusive)
            .group_by(period, *sums.keys))
    rows = scoped(rows, Vehicle, query)  # the owner and team asked, the reader's rule
    for name, currency, day, value in rows.tuples():
        sums.add(name, currency, day, value)
    return [money_point(name, figure, sums.base) for name, figure in sums.result().items()]


STOCK_VALUE = Metric("car_dealer.stock_value",
                     "Asking price of the vehicles still for sale (in stock or reserved), "
                     "by the month they came into stock", "currency", stock_value,
                     adds_up=False)
