"""The clinic's KPI: the amount billed per month, in the base currency."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.metrics import (Metric, MetricPoint, MetricQuery, MoneySum, money_point, month_of,
                            scoped)

from .models import Fee

if TYPE_CHECKING:
    from accord.kernel import Accord


def billed(kernel: Accord, query: MetricQuery) -> list[MetricPoint]:
    """One grouped query over the whole range; the kernel fills the empty months."""
    period = month_of(kernel, Fee.treated_on, query)
    # Exact on SQLite too; each fee converted into the base currency on its day.
    sums = MoneySum(kernel, Fee.amount, Fee.amount_currency, Fee.treated_on)
    rows = (Fee.select(period, *sums.columns)
            .where(Fee.treated_on >= query.start, Fee.treated_on <= query.end)
            .group_by(period, *sums.keys))
    # The owner and team the query asks for, and only the fees the reader may read.
    rows = scoped(rows, Fee, query)
    for name, currency, day, value in rows.tuples():
        sums.add(name, currency, day, value)
    # Fees without an exchange rate are listed on their point, never dropped.
    return [money_point(name, figure, sums.base) for name, figure in sums.result().items()]


BILLED = Metric("acme_fees.billed", "Fees charged for treatments given in the period",
                "currency", billed)
