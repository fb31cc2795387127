"""The sales plugin's customer facts (the core's ``register_customer_facts``): what each
organization and contact bought (since a day, when asked: by order date), for other
plugins' segments and tiers.

Orders count unless cancelled. Amounts are the orders' net totals (after discounts,
before tax) in the base currency; orders in another currency are left out of the
amounts (they still count as orders), since a fact is one figure per customer.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Callable

import peewee

from accord.facts import CustomerFact
from accord.rates import base_currency

from .models import Order, OrderLine

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["customer_facts", "COUNTED"]

#: Order statuses that count as purchases.
COUNTED = ("confirmed", "partially_fulfilled", "fulfilled")


def _per(customer: str, value: Callable[[Accord], Any], *, base_only: bool = False
         ) -> Callable[[Accord, dt.date | None], Any]:
    def query(kernel: Accord, since: dt.date | None) -> Any:
        column = getattr(Order, customer)
        where = [column.is_null(False), Order.status.in_(COUNTED)]
        if since is not None:
            where.append(Order.order_date >= since)
        if base_only:
            where.append(Order.currency == base_currency(kernel))
        return (Order.select(column.alias("customer"), value(kernel).alias("value"))
                .where(*where).group_by(column))
    return query


def _products(customer: str) -> Callable[[Accord, dt.date | None], Any]:
    def query(kernel: Accord, since: dt.date | None) -> Any:
        column = getattr(Order, customer)
        where = [column.is_null(False), Order.status.in_(COUNTED),
                 OrderLine.product.is_null(False)]
        if since is not None:
            where.append(Order.order_date >= since)
        return (OrderLine.select(column.alias("customer"), OrderLine.product.alias("value"))
                .join(Order, on=(OrderLine.order == Order.id))
                .where(*where).group_by(column, OrderLine.product))
    return query


def customer_facts() -> list[CustomerFact]:
    facts = []
    for customer in ("organization", "contact"):
        facts += [
            CustomerFact("sales.order_total", "Total order value", "number", customer,
                         _per(customer, lambda k: peewee.fn.SUM(Order.net_total),
                              base_only=True),
                         description="Net total of the orders not cancelled, in the base "
                                     "currency"),
            CustomerFact("sales.order_count", "Number of orders", "integer", customer,
                         _per(customer, lambda k: peewee.fn.COUNT(Order.id))),
            CustomerFact("sales.average_order_value", "Average order value", "number",
                         customer, _per(customer, lambda k: peewee.fn.AVG(Order.net_total),
                                        base_only=True),
                         description="Net total per order, in the base currency"),
            CustomerFact("sales.first_order_date", "First order date", "date", customer,
                         _per(customer, lambda k: peewee.fn.MIN(Order.order_date))),
            CustomerFact("sales.last_order_date", "Last order date", "date", customer,
                         _per(customer, lambda k: peewee.fn.MAX(Order.order_date))),
            CustomerFact("sales.products_bought", "Products bought", "ids", customer,
                         _products(customer), record_type="product"),
        ]
    return facts
