"""The service plugin's customer facts (the core's ``register_customer_facts``): what
serving each organization and contact cost the firm, for other plugins' profitability
figures.

``service.cost_to_serve`` (a number, in the base currency) adds up the parts and labour
of the customer's repairs done (status ``done``): what the warranty covered (the
repair's ``warranty_cost``, the firm's cost) and what it did not, each counted once
(``parts_total + labour_total``). The service fee is a charge, not a cost, and is left
out; so are cancelled repairs and repairs not done yet. Repairs in another currency
than the base currency are left out (a fact is one figure per customer). ``since``
counts the repairs done from that day on (by ``repaired_on``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Callable

import peewee

from accord.facts import CustomerFact
from accord.rates import base_currency

from .models import RepairOrder

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["customer_facts"]


def _cost_to_serve(customer: str) -> Callable[[Accord, dt.date | None], Any]:
    def query(kernel: Accord, since: dt.date | None) -> Any:
        R = RepairOrder
        column = getattr(R, customer)
        where = [column.is_null(False), R.status == "done", R.repaired_on.is_null(False),
                 R.currency == base_currency(kernel)]
        if since is not None:
            where.append(R.repaired_on >= since)
        cost = peewee.fn.SUM(R.parts_total + R.labour_total)
        return (R.select(column.alias("customer"), cost.alias("value"))
                .where(*where).group_by(column))
    return query


def customer_facts() -> list[CustomerFact]:
    return [CustomerFact("service.cost_to_serve", "Cost to serve", "number", customer,
                         _cost_to_serve(customer),
                         description="Parts and labour of the repairs done (what the "
                                     "warranty covered and what it did not), in the base "
                                     "currency")
            for customer in ("organization", "contact")]
