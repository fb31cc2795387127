"""The clinic's KPI: the amount billed per month, in the clinic's currency."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.metrics import Metric, MetricPoint, MetricQuery, exact_sum, month_of, scoped

from .models import Fee

if TYPE_CHECKING:
    from accord.kernel import Accord


def billed(kernel: Accord, query: MetricQuery) -> list[MetricPoint]:
    """One grouped query over the whole range; the kernel fills the empty months."""
    currency = kernel.settings("acme_fees")["currency"]
    period = month_of(kernel, Fee.treated_on, query)
    total, as_decimal = exact_sum(kernel, Fee.amount)  # exact on SQLite too
    rows = (Fee.select(period, total)
            .where(Fee.treated_on >= query.start, Fee.treated_on <= query.end,
                   Fee.amount_currency == currency)
            .group_by(period))
    rows = scoped(rows, Fee, query)  # the owner and team the query asks for
    return [MetricPoint(name, as_decimal(value)) for name, value in rows.tuples()]


BILLED = Metric("acme_fees.billed", "Fees charged for treatments given in the period",
                "currency", billed)
