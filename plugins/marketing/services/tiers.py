"""The value tiers' one write: compute every customer's tier and RFM scores for a day,
set-based (one INSERT … SELECT per customer type), from the purchase facts other
plugins declare (the sales plugin's ``sales.order_total``, ``sales.order_count`` and
``sales.last_order_date``), never from their tables.

Who is tiered: every organization, and every contact without an organization (a
contact at an organization buys for it: the organization is the customer). The period
is the ``tier_months`` months up to the day (orders from ``day - tier_months`` on).

The tiers: A, no order in the period (prospects); otherwise "high value" is an order
value ``>= tier_value_threshold`` and "many" a number of orders ``>=
tier_purchases_threshold``: B neither, C high value only, D many only, E both.

The RFM scores (1-5, 5 best) rank the customers of one type who bought in the period
among themselves with ``NTILE(5)``: recency by days since the last order (fewest: 5),
frequency by number of orders, monetary by order value; equal figures are ordered by
customer id, so NTILE's split of ties is the same on every engine. A customer who did
not buy in the period has no scores (null) and no recency.

A computation replaces that day's rows (the job may run twice a day); earlier days are
kept, so the movements between two computations can be read.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import peewee

from accord.database import is_postgres
from accord.facts import customer_facts
from accord.models import Contact, Organization, utcnow
from accord.services.authz import require

from ..models.tiers import TierAssignment, TierRun

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services import Actor

__all__ = ["compute_tiers", "TierComputation", "COMPUTE", "NO_FACTS", "FACT_NAMES",
           "period_start", "tiers_select", "one_pass", "purchase_facts"]

#: The permission to recompute the tiers.
COMPUTE = "marketing.tier.compute"
#: Why every customer is A when no plugin declares the purchase facts.
NO_FACTS = "no purchase facts: the sales plugin is not enabled"
#: The facts a tier is computed from: order value, number of orders, last order date.
FACT_NAMES = ("sales.order_total", "sales.order_count", "sales.last_order_date")


class TierComputation:
    """What one computation did: its day, how many customers per tier, and the note."""

    def __init__(self, day: dt.date, counts: dict[str, int], note: str) -> None:
        self.day = day
        self.counts = counts
        self.note = note

    @property
    def customers(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        per = ", ".join(f"{tier} {n}" for tier, n in sorted(self.counts.items()))
        text = f"value tiers of {self.customers} customers computed for {self.day}"
        text += f" ({per})" if per else ""
        return f"{text}; {self.note}" if self.note else text


def period_start(day: dt.date, months: int) -> dt.date:
    """``day`` ``months`` months back, clamped to the end of a shorter month: the first
    day whose orders count."""
    month = day.month - 1 - months
    year, month = day.year + month // 12, month % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _customers(customer: str) -> tuple[Any, Any]:
    """The model of a customer type and the condition of those tiered."""
    if customer == "organization":
        return Organization, None
    return Contact, Contact.organization.is_null(True)


def tiers_select(kernel: Accord, customer: str, day: dt.date, settings: dict[str, Any],
                 facts: dict[str, Any] | None) -> Any:
    """The SELECT giving each tiered customer's row of ``marketing_tier_assignment`` for
    ``day`` (columns in the order of ``_COLUMNS``); ``facts`` None: no purchase facts,
    everyone A."""
    model, condition = _customers(customer)
    postgres = is_postgres(kernel.database)
    stamp: Any = day if postgres else day.isoformat()
    threshold: Any = Decimal(settings["tier_value_threshold"])
    if not postgres:  # SQLite compares REAL sums with a REAL, not a bound Decimal text
        threshold = float(threshold)
    many = int(settings["tier_purchases_threshold"])
    if facts is None:
        query = model.select(peewee.Value(stamp), peewee.Value(customer), model.id,
                             peewee.Value("A"), peewee.Value(0), peewee.Value(0),
                             peewee.Value(None), peewee.Value(None), peewee.Value(None),
                             peewee.Value(None))
        return query if condition is None else query.where(condition)
    since = period_start(day, int(settings["tier_months"]))
    queries = [facts[name].query(kernel, since) for name in FACT_NAMES]
    merged = one_pass(*queries)
    joins: list[tuple[Any, Any]]
    if merged is not None:
        both = merged.alias("tier_facts")
        columns = [both.c.total, both.c.count, both.c.last]
        joins = [(both, both.c.customer)]
    else:  # three passes: one subquery per fact
        subqueries = [q.alias(f"tier_{n}") for q, n in zip(queries, ("total", "count", "last"))]
        columns = [q.c.value for q in subqueries]
        joins = [(q, q.c.customer) for q in subqueries]
    value = peewee.fn.COALESCE(columns[0], 0)
    purchases = peewee.fn.COALESCE(columns[1], 0)
    if postgres:
        recency = peewee.Value(day) - columns[2]
    else:
        recency = peewee.Cast(peewee.fn.julianday(stamp) - peewee.fn.julianday(columns[2]),
                              "INTEGER")
    bought = purchases > 0
    high, often = value >= threshold, purchases >= many
    tier = peewee.Case(None, [(~bought, "A"), (high & often, "E"), (high, "C"), (often, "D")],
                       "B")

    def score(*order: Any) -> Any:
        return peewee.Case(None, [(bought, peewee.fn.NTILE(5).over(
            partition_by=[bought], order_by=[*order, model.id]))], None)

    query = model.select(peewee.Value(stamp), peewee.Value(customer), model.id, tier, value,
                         purchases, peewee.Case(None, [(bought, recency)], None),
                         score(recency.desc()), score(purchases), score(value))
    for subquery, key in joins:
        query = query.join(subquery, peewee.JOIN.LEFT_OUTER, on=(key == model.id))
    return query if condition is None else query.where(condition)


#: Aggregates that skip nulls: a stricter filter can move into them as a CASE.
_NULL_SKIPPING = ("SUM", "MAX", "MIN", "AVG", "COUNT")


def _sql(query: Any) -> tuple[str, list[Any]]:
    sql, params = query.sql()
    return sql, list(params)


def one_pass(total: Any, count: Any, last: Any) -> Any:
    """The three facts' queries as one (columns ``customer``, ``total``, ``count``,
    ``last``), read in one pass over their rows, when their shapes allow it; None
    otherwise (the caller joins them one by one, with the same result).

    Facts whose queries differ only in their value column are read together; a fact
    whose query adds one more condition (the order total's base currency) moves that
    condition into its aggregate (``SUM(CASE WHEN cond THEN x END)``), which skips the
    rows it leaves out as its own WHERE would. A customer with rows for the count but
    none for the total then has a null total, as a customer without a total row has."""
    try:
        parts = [q._returning for q in (total, count, last)]
        if any(len(p) != 2 or not isinstance(p[1], peewee.Alias) for p in parts):
            return None
        customer = parts[1][0]
        shape = _sql(count.select(customer))
        if _sql(last.select(customer)) != shape:
            return None
        total_value: Any = parts[0][1].node
        if _sql(total.select(customer)) != shape:
            where = total._where
            if not (isinstance(where, peewee.Expression) and where.op == peewee.OP.AND):
                return None
            loose = total.clone()
            loose._where = where.lhs
            if _sql(loose.select(customer)) != shape:
                return None
            name = str(getattr(total_value, "name", "") or "").upper()
            arguments: Any = getattr(total_value, "arguments", None) or ()
            if not (isinstance(total_value, peewee.Function) and name in _NULL_SKIPPING
                    and len(arguments) == 1):
                return None
            total_value = peewee.Function(name, [peewee.Case(
                None, [(where.rhs, arguments[0])], None)])
        return count.select(customer, total_value.alias("total"),
                            parts[1][1].node.alias("count"), parts[2][1].node.alias("last"))
    except (AttributeError, TypeError):  # a query of another shape
        return None


_COLUMNS = (TierAssignment.computed_on, TierAssignment.customer_type,
            TierAssignment.customer_id, TierAssignment.tier, TierAssignment.value,
            TierAssignment.purchases, TierAssignment.recency_days, TierAssignment.r_score,
            TierAssignment.f_score, TierAssignment.m_score)


def purchase_facts(kernel: Accord, customer: str) -> dict[str, Any] | None:
    """The purchase facts about ``customer``s, or None when a plugin declaring them is
    not enabled."""
    facts = customer_facts(kernel, customer)
    if not all(name in facts for name in FACT_NAMES):
        return None
    return facts


def compute_tiers(kernel: Accord, *, actor: Actor, day: dt.date | None = None
                  ) -> TierComputation:
    """Compute every customer's tier and RFM scores for ``day`` (today in UTC), in one
    transaction, replacing what that day had; the actor needs ``marketing.tier.compute``.
    """
    require(actor, COMPUTE)
    day = day or utcnow().date()
    settings = kernel.settings("marketing")
    notes = []
    with kernel.transaction():
        (TierAssignment.delete().where(TierAssignment.computed_on == day).execute())
        TierRun.delete().where(TierRun.computed_on == day).execute()
        for customer in ("organization", "contact"):
            facts = purchase_facts(kernel, customer)
            if facts is None:
                notes.append(NO_FACTS)
            TierAssignment.insert_from(tiers_select(kernel, customer, day, settings, facts),
                                       list(_COLUMNS)).execute()
        per_tier: Any = (TierAssignment.select(TierAssignment.tier,
                                               peewee.fn.COUNT(TierAssignment.id))
                         .where(TierAssignment.computed_on == day)
                         .group_by(TierAssignment.tier).tuples())
        counts = {tier: n for tier, n in per_tier}
        note = notes[0] if notes else ""
        TierRun.insert(computed_on=day, computed_at=utcnow(), months=settings["tier_months"],
                       value_threshold=Decimal(settings["tier_value_threshold"]),
                       purchases_threshold=settings["tier_purchases_threshold"],
                       customers=sum(counts.values()), note=note).execute()
    return TierComputation(day, counts, note)
