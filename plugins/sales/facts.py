"""The sales plugin's customer facts (the core's ``register_customer_facts``): what each
organization and contact bought (since a day, when asked: by order date), for other
plugins' segments and tiers.

Orders count unless cancelled. Amounts are the orders' net totals (after discounts,
before tax) in the base currency; orders in another currency are left out of the
amounts (they still count as orders), since a fact is one figure per customer.

Two facts are events (one row per order, per deal won, with its day and amount):
``sales.orders`` (retention, cohorts, purchase intervals) and ``sales.won_deals`` (the
deals won, for attributing revenue to campaigns; the day is the day it closed, in UTC).
Two are states, which ignore ``since``: ``sales.open_opportunities`` (how many are open
now) and ``sales.opportunities`` (how many there ever were, won and lost included).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Callable

import peewee

from accord.facts import CustomerFact
from accord.rates import base_currency

from .forecast import open_condition, stage_condition
from .models import Opportunity, Order, OrderLine

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


def _orders(customer: str) -> Callable[[Accord, dt.date | None], Any]:
    """One row per counted order: its day, net total (base currency, else null), id."""
    def query(kernel: Accord, since: dt.date | None) -> Any:
        column = getattr(Order, customer)
        where = [column.is_null(False), Order.status.in_(COUNTED)]
        if since is not None:
            where.append(Order.order_date >= since)
        amount = peewee.Case(None, [(Order.currency == base_currency(kernel),
                                     Order.net_total)], None)
        return Order.select(column.alias("customer"), Order.order_date.alias("value"),
                            amount.alias("amount"), Order.id.alias("ref")).where(*where)
    return query


def _won_deals(customer: str) -> Callable[[Accord, dt.date | None], Any]:
    """One row per won opportunity: the day it closed, its amount (base currency), id."""
    def query(kernel: Accord, since: dt.date | None) -> Any:
        column = getattr(Opportunity, customer)
        where = [column.is_null(False), stage_condition(kernel, "won"),
                 Opportunity.closed_at.is_null(False)]
        if since is not None:
            where.append(Opportunity.closed_at >= dt.datetime.combine(
                since, dt.time(), tzinfo=dt.timezone.utc))
        amount = peewee.Case(None, [(Opportunity.amount_currency == base_currency(kernel),
                                     Opportunity.amount)], None)
        return Opportunity.select(column.alias("customer"),
                                  peewee.fn.DATE(Opportunity.closed_at).alias("value"),
                                  amount.alias("amount"), Opportunity.id.alias("ref")
                                  ).where(*where)
    return query


def _opportunities(customer: str, *, open_only: bool
                   ) -> Callable[[Accord, dt.date | None], Any]:
    def query(kernel: Accord, since: dt.date | None) -> Any:
        column = getattr(Opportunity, customer)
        where = [column.is_null(False)]
        if open_only:
            where.append(open_condition(kernel))
        return (Opportunity.select(column.alias("customer"),
                                   peewee.fn.COUNT(Opportunity.id).alias("value"))
                .where(*where).group_by(column))
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
            CustomerFact("sales.orders", "Orders", "events", customer, _orders(customer),
                         description="Each order not cancelled: its day and net total in "
                                     "the base currency"),
            CustomerFact("sales.won_deals", "Deals won", "events", customer,
                         _won_deals(customer),
                         description="Each opportunity won: the day it closed and its "
                                     "amount in the base currency"),
            CustomerFact("sales.open_opportunities", "Open opportunities", "integer",
                         customer, _opportunities(customer, open_only=True),
                         description="Opportunities not yet won or lost"),
            CustomerFact("sales.opportunities", "Opportunities", "integer", customer,
                         _opportunities(customer, open_only=False),
                         description="Every opportunity, open, won or lost"),
        ]
    return facts
