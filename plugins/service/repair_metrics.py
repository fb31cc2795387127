"""The repair metrics: what repairs cost and what the warranties covered, by product.

Both count the repairs done in the range (by ``repaired_on``), grouped by the product
repaired (its name; "no product" for repairs that name none), in the base currency:
each currency's amounts are added up exactly in SQL and converted with the rate of the
repair's day (``accord.metrics.MoneySum``); what has no rate is listed on the point.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import peewee

from accord.metrics import (Metric, MetricPoint, MetricQuery, MoneySum, money_point,
                            month_of, scoped)

from .models import RepairOrder

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["REPAIR_METRICS"]

_NO_PRODUCT = "no product"


def _by_product(column: Any) -> Any:
    def compute_points(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
        from accord.models import Product

        R = RepairOrder
        bucket = month_of(kernel, R.repaired_on, mq)
        name = peewee.fn.COALESCE(Product.name, _NO_PRODUCT)
        sums = MoneySum(kernel, column, R.currency, R.repaired_on)
        query = (R.select(bucket, name, *sums.columns)
                 .join(Product, peewee.JOIN.LEFT_OUTER, on=(R.product == Product.id))
                 .where(R.status == "done", R.repaired_on >= mq.start,
                        R.repaired_on <= mq.end)
                 .group_by(bucket, name, *sums.keys))
        seen: set[tuple[str, str]] = set()
        for period, product, currency, day, value in scoped(query, R, mq).tuples():
            sums.add((period, product), currency, day, value)
            seen.add((period, product))
        figures = sums.result()
        return [money_point(period, figures[(period, product)], sums.base, product)
                for period, product in sorted(seen)]

    return compute_points


REPAIR_METRICS = (
    Metric("service.repair_cost", "What the repairs done cost (parts, labour and fee, "
           "before what the warranty covered), by product repaired", "currency",
           _by_product(RepairOrder.total), group_by="product"),
    Metric("service.warranty_cost", "What the warranties covered of the repairs done "
           "(covered parts and labour: the firm's cost), by product repaired", "currency",
           _by_product(RepairOrder.warranty_cost), group_by="product"),
)
