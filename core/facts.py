"""Customer facts: what the plugins know about each customer, as SQL a segment can join.

A plugin declares its facts with ``register_customer_facts`` (a plugin that sells: each
customer's total order value, number of orders, first and last order date, the products
bought; a dental clinic's: the visits of each patient). Another plugin (segments, value
tiers, profitability) filters and ranks customers by them without reading the declaring
plugin's tables: it asks for the fact's query and joins it.

A fact's ``query(kernel, since)`` is a peewee SELECT with two columns, aliased
``customer`` (the id of an organization or a contact, by ``customer``) and ``value``: one
row per customer for a single value, one row per customer and value for ``kind ==
"ids"`` (the products a customer bought), and for ``kind == "events"`` one row per
event (an order, a deal won) whose ``value`` is its day, with two more columns:
``amount`` (a number in the base currency, null when the event has none in it) and
``ref`` (the id of the event's record, telling one event from another: a deal named
under both its organization and its contact is one deal). ``since`` (a date, or None for all time)
limits the fact to what happened from that day on (the orders of the last 12 months),
for facts about events; a fact that is a state ignores it. Customers with no row have
no such fact (no orders: no total). The
figures are the firm's, not a reader's: a fact is used to choose customers, and what a
reader then sees of those customers stays under their record rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from .errors import NotFound

if TYPE_CHECKING:
    from .kernel import Accord

__all__ = ["CustomerFact", "FACT_KINDS", "CUSTOMERS", "customer_facts", "customer_fact"]

#: What a fact's value is: a number (a Decimal: an amount in the base currency, a
#: ratio), a whole number, a day, ids of records (``record_type``'s), or a short text
#: (a code such as a value tier's letter), or events (several dated rows per customer,
#: each with an amount: the orders, the deals won), which retention, cohorts and
#: attribution read and segments do not filter on.
FACT_KINDS = ("number", "integer", "date", "ids", "text", "events")
#: The record types a fact can be about.
CUSTOMERS = ("organization", "contact")


@dataclass(frozen=True)
class CustomerFact:
    """One fact about customers: ``name`` (``<plugin>.<fact>``), a ``label`` for people,
    its ``kind``, the ``customer`` type it is about, and the ``query`` giving it (see the
    module). ``record_type`` names what the ids of an ``ids`` fact are."""

    name: str
    label: str
    kind: str
    customer: str
    query: Callable[[Accord, dt.date | None], Any]
    description: str = ""
    record_type: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FACT_KINDS:
            raise ValueError(f"customer fact {self.name}: kind {self.kind!r} is not one of "
                             f"{', '.join(FACT_KINDS)}")
        if self.customer not in CUSTOMERS:
            raise ValueError(f"customer fact {self.name}: customer {self.customer!r} is not "
                             f"one of {', '.join(CUSTOMERS)}")
        if (self.kind == "ids") != (self.record_type is not None):
            raise ValueError(f"customer fact {self.name}: an ids fact names its record_type, "
                             "and only an ids fact does")


def customer_facts(kernel: Accord, customer: str) -> dict[str, CustomerFact]:
    """The facts of the active plugins about ``customer`` (organization or contact), by
    name; a name declared twice keeps the first declaration."""
    out: dict[str, CustomerFact] = {}
    for _, fact in kernel.plugins.collect("register_customer_facts"):
        if fact.customer == customer:
            out.setdefault(fact.name, fact)
    return out


def customer_fact(kernel: Accord, customer: str, name: str) -> CustomerFact:
    """One fact by name, or NotFound naming the facts there are."""
    facts = customer_facts(kernel, customer)
    if name not in facts:
        known = ", ".join(sorted(facts)) or "none: no enabled plugin declares any"
        raise NotFound(f"no customer fact {name!r} about {customer}s (known: {known})")
    return facts[name]
