"""The retention part's SQL: every figure set-based, from the purchase facts other plugins
declare (the sales plugin's ``sales.orders``, one row per order with its day and net
total in the base currency, and ``sales.products_bought``), never from their tables.

Who is a customer: every organization, and every contact without an organization (a
contact at an organization buys for it), as the value tiers count them. The facts of
both customer types are read as one ``UNION ALL`` of ``(ctype, customer, …)`` rows,
each type limited by a ``keep`` function: the reader's record rules for the pages and
the API, the metric query's ``scoped`` for the metrics.

Months are numbered ``year * 12 + month`` (``month_index``) on both engines, so a
cohort's month offsets are differences of whole numbers; days between two dates are
whole numbers (PostgreSQL subtracts dates, SQLite subtracts Julian days). Amounts are
added exactly: PostgreSQL sums numerics, SQLite whole ten-thousandths as integers.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Callable

import peewee

from accord.database import is_postgres
from accord.facts import customer_facts
from accord.metrics import MetricPoint, month_of, months_between, reading, round_money, scoped
from accord.models import Contact, Organization
from accord.rates import base_currency

from .sqldays import day_value, days_between

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.metrics import MetricQuery

__all__ = ["NO_FACTS", "ORDERS", "PRODUCTS", "CUSTOMER_MODELS", "Keep", "events",
           "bought", "month_index", "days_between", "day_value", "scaled", "unscale",
           "percent", "summary", "cohort_overview", "cohort_cells", "interval_rows",
           "also_bought_rows", "products_bought_ids", "repeat_rate_points",
           "retention_rate_points", "churn_rate_points", "average_clv_points"]

#: Why every figure is empty when no plugin declares the purchase facts.
NO_FACTS = "no purchase facts: the sales plugin is not enabled"
#: The facts read: each order (day and amount), and the products each customer bought.
ORDERS, PRODUCTS = "sales.orders", "sales.products_bought"
#: The customer types and their models.
CUSTOMER_MODELS = (("organization", Organization), ("contact", Contact))
#: SQLite keeps decimals as floats: amounts are added as whole ten-thousandths there.
_SCALE = 10_000

#: ``keep(query, customer_type, model)``: the query limited to the customers counted.
Keep = Callable[[Any, str, Any], Any]


def _postgres(kernel: Accord) -> bool:
    return is_postgres(kernel.database)


def month_index(kernel: Accord, expr: Any) -> Any:
    """``year * 12 + month`` of a date expression, a whole number on both engines."""
    if _postgres(kernel):
        return peewee.Cast(peewee.fn.date_part("year", expr) * 12
                           + peewee.fn.date_part("month", expr), "INTEGER")
    return (peewee.Cast(peewee.fn.strftime("%Y", expr), "INTEGER") * 12
            + peewee.Cast(peewee.fn.strftime("%m", expr), "INTEGER"))


def scaled(kernel: Accord, amount: Any) -> Any:
    """An amount as it is added exactly (see ``unscale``)."""
    if _postgres(kernel):
        return amount
    return peewee.Cast(peewee.fn.ROUND(amount * _SCALE), "INTEGER")


def unscale(kernel: Accord, value: Any) -> Decimal:
    """A sum of ``scaled`` amounts as a Decimal."""
    number = Decimal(str(value or 0))
    return number if _postgres(kernel) else number / _SCALE


def percent(part: int, whole: int) -> Decimal:
    """``part`` of ``whole`` in percent, two places (0.00 of nothing)."""
    if not whole:
        return Decimal("0.00")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"),
                                                           rounding=ROUND_HALF_UP)


def _union(kernel: Accord, fact: str, keep: Keep, columns: Callable[[Any], list[Any]]
           ) -> Any:
    """The fact's rows of both customer types as one ``UNION ALL`` (``ctype`` first),
    or None when no enabled plugin declares the fact."""
    parts = []
    for name, model in CUSTOMER_MODELS:
        facts = customer_facts(kernel, name)
        if fact not in facts:
            return None
        rows = facts[fact].query(kernel, None).alias(f"retention_{name}")
        query = (model.select(peewee.Cast(peewee.Value(name), "VARCHAR").alias("ctype"),
                              rows.c.customer.alias("customer"), *columns(rows))
                 .join(rows, on=(rows.c.customer == model.id)))
        if model is Contact:  # a contact at an organization buys for it
            query = query.where(Contact.organization.is_null(True))
        parts.append(keep(query, name, model))
    return parts[0] + parts[1]


def events(kernel: Accord, keep: Keep) -> Any:
    """Every counted order of the customers ``keep`` keeps, as a subquery with columns
    ``ctype``, ``customer``, ``day`` and ``amount`` (base currency, null when the order
    is in another); None without the purchase facts."""
    union = _union(kernel, ORDERS, keep, lambda rows: [rows.c.value.alias("day"),
                                                       rows.c.amount.alias("amount")])
    return None if union is None else union.alias("retention_events")


def bought(kernel: Accord, keep: Keep) -> Any:
    """One row per customer and product bought (``ctype``, ``customer``, ``product``);
    None without the purchase facts."""
    union = _union(kernel, PRODUCTS, keep, lambda rows: [rows.c.value.alias("product")])
    return None if union is None else union


def _select(kernel: Accord, source: Any, *columns: Any) -> Any:
    return peewee.Select([source], list(columns)).bind(kernel.database)


def summary(kernel: Accord, ev: Any) -> Any:
    """One row per customer who bought: ``ctype``, ``customer``, ``first_month``
    (``month_index``), ``orders``, ``value`` (scaled sum), ``first_day``, ``last_day``,
    ``days`` (distinct order days)."""
    return (_select(kernel, ev, ev.c.ctype, ev.c.customer,
                    peewee.fn.MIN(month_index(kernel, ev.c.day)).alias("first_month"),
                    peewee.fn.COUNT(peewee.SQL("*")).alias("orders"),
                    peewee.fn.SUM(scaled(kernel, ev.c.amount)).alias("value"),
                    peewee.fn.MIN(ev.c.day).alias("first_day"),
                    peewee.fn.MAX(ev.c.day).alias("last_day"),
                    peewee.fn.COUNT(ev.c.day.distinct()).alias("days"))
            .group_by(ev.c.ctype, ev.c.customer))


def cohort_overview(kernel: Accord, ev: Any) -> list[tuple[int, int, int, Decimal]]:
    """Per month of first order (``month_index``): its customers, those with two orders
    or more, and their order value (all time)."""
    per = summary(kernel, ev).alias("retention_customers")
    repeat = peewee.fn.SUM(peewee.Case(None, [(per.c.orders >= 2, 1)], 0))
    rows = (_select(kernel, per, per.c.first_month, peewee.fn.COUNT(peewee.SQL("*")), repeat,
                    peewee.fn.SUM(per.c.value))
            .group_by(per.c.first_month).order_by(per.c.first_month).tuples())
    return [(int(m), int(n), int(r or 0), unscale(kernel, v)) for m, n, r, v in rows]


def cohort_cells(kernel: Accord, ev: Any, first: int, last: int, offsets: int
                 ) -> dict[tuple[int, int], int]:
    """In one query: for each cohort (month of first order, ``first``..``last``) and
    month offset 0..``offsets - 1``, how many of its customers ordered in that month."""
    month = month_index(kernel, ev.c.day)
    months = (_select(kernel, ev, ev.c.ctype, ev.c.customer, month.alias("month"))
              .group_by(ev.c.ctype, ev.c.customer, month).alias("retention_months"))
    firsts = (_select(kernel, ev, ev.c.ctype, ev.c.customer,
                      peewee.fn.MIN(month).alias("first_month"))
              .group_by(ev.c.ctype, ev.c.customer).alias("retention_firsts"))
    offset = months.c.month - firsts.c.first_month
    rows = (peewee.Select([months], [firsts.c.first_month, offset,
                                     peewee.fn.COUNT(peewee.SQL("*"))])
            .join(firsts, on=((firsts.c.ctype == months.c.ctype)
                              & (firsts.c.customer == months.c.customer)))
            .where(firsts.c.first_month >= first, firsts.c.first_month <= last,
                   offset < offsets)
            .group_by(firsts.c.first_month, offset)
            .bind(kernel.database).tuples())
    return {(int(c), int(o)): int(n) for c, o, n in rows}


def interval_rows(kernel: Accord, ev: Any, today: dt.date, factor: Decimal) -> Any:
    """Customers with two order days or more, with ``first_day``, ``last_day``,
    ``days``, ``span`` (days from first to last order), ``since`` (days from the last
    order to ``today``), ``due_num`` (``since * (days - 1)``: past the interval when
    ``due_num >= span``) and ``status`` (``at_risk`` when ``since`` is more than
    ``factor`` times the interval, ``due`` from the interval up to that, else ``ok``) —
    exact whole-number comparisons: ``factor`` is ``p / q``."""
    per = summary(kernel, ev).alias("retention_intervals")
    span = days_between(kernel, per.c.last_day, per.c.first_day)
    since = days_between(kernel, today, per.c.last_day)
    due_num = since * (per.c.days - 1)
    p, q = factor.as_integer_ratio()
    status = peewee.Case(None, [(due_num * q > span * p, "at_risk"), (due_num >= span, "due")],
                         "ok")
    inner = (_select(kernel, per, per.c.ctype, per.c.customer, per.c.first_day,
                     per.c.last_day, per.c.days, span.alias("span"), since.alias("since"),
                     due_num.alias("due_num"), status.alias("status"))
             .where(per.c.days >= 2))
    return inner.alias("retention_due")


def products_bought_ids(kernel: Accord, pb: Any) -> Any:
    """The distinct products the kept customers bought (a SELECT of ``product``)."""
    src = pb.alias("retention_products")
    return _select(kernel, src, src.c.product).distinct()


def also_bought_rows(kernel: Accord, keep: Keep, product_id: int, limit: int
                     ) -> list[tuple[int, int]] | None:
    """The other products bought by the customers who bought ``product_id``, with how
    many of them bought each, most first (then by product id); None without facts."""
    first = bought(kernel, keep)
    second = bought(kernel, keep)
    if first is None or second is None:
        return None
    a, b = first.alias("retention_x"), second.alias("retention_y")
    customers = peewee.fn.COUNT(peewee.SQL("*"))
    rows = (peewee.Select([a], [b.c.product, customers])
            .join(b, on=((b.c.ctype == a.c.ctype) & (b.c.customer == a.c.customer)))
            .where(a.c.product == product_id, b.c.product != product_id)
            .group_by(b.c.product).order_by(customers.desc(), b.c.product).limit(limit)
            .bind(kernel.database).tuples())
    return [(int(p), int(n)) for p, n in rows]


# Metrics (MetricQuery: start, end, by; the reader's rules through ``scoped``) ------

def _metric_events(kernel: Accord, mq: MetricQuery) -> Any:
    ev = events(kernel, lambda query, name, model: scoped(query, model, mq,
                                                            record_type=name))
    if ev is None:  # no purchase facts: nothing counted, the permissions still checked
        reading(mq, "organization", "contact")
    return ev


def _in_range(kernel: Accord, ev: Any, mq: MetricQuery) -> tuple[Any, Any]:
    return (ev.c.day >= day_value(kernel, mq.start), ev.c.day <= day_value(kernel, mq.end))


def repeat_rate_points(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    """Per period: customers with two orders or more in it, of those with one."""
    ev = _metric_events(kernel, mq)
    if ev is None:
        return []
    bucket = month_of(kernel, ev.c.day, mq)
    per = (peewee.Select([ev], [bucket.alias("period"), ev.c.ctype, ev.c.customer,
                                peewee.fn.COUNT(peewee.SQL("*")).alias("orders")])
           .where(*_in_range(kernel, ev, mq))
           .group_by(bucket, ev.c.ctype, ev.c.customer).alias("retention_repeat"))
    rows: Any = (peewee.Select([per], [per.c.period, peewee.fn.COUNT(peewee.SQL("*")),
                                       peewee.fn.SUM(peewee.Case(None, [(per.c.orders >= 2,
                                                                         1)], 0))])
                 .group_by(per.c.period).bind(kernel.database).tuples())
    return [MetricPoint(p, percent(int(r or 0), int(n))) for p, n, r in rows]


def _retained(kernel: Accord, mq: MetricQuery) -> dict[str, tuple[int, int]]:
    """Per period: the customers of its first day (a first order before it) and how
    many of them ordered again in the period."""
    ev = _metric_events(kernel, mq)
    if ev is None:
        return {}
    start = day_value(kernel, mq.start)
    # One statement: each customer's first order day (a CTE, computed once), counted
    # by whether it is before the range and by its month ('n' rows), beside the
    # customers of each period who ordered again in it ('a' rows).
    firsts = (peewee.Select([ev], [ev.c.ctype, ev.c.customer,
                                   peewee.fn.MIN(ev.c.day).alias("first_day")])
              .group_by(ev.c.ctype, ev.c.customer).cte("retention_first"))
    before = firsts.c.first_day < start
    first_month = month_index(kernel, firsts.c.first_day)
    no_text, no_number = peewee.SQL("CAST(NULL AS TEXT)"), peewee.SQL("CAST(NULL AS INTEGER)")
    was_before = peewee.Case(None, [(before, 1)], 0)
    counted = (peewee.Select([firsts], [peewee.SQL("'n'"), no_text, was_before, first_month,
                                        peewee.fn.COUNT(peewee.SQL("*"))])
               .where(firsts.c.first_day <= day_value(kernel, mq.end))
               .group_by(was_before, first_month))
    bucket = month_of(kernel, ev.c.day, mq)
    customer_of_period = before
    if mq.by == "month":
        customer_of_period = before | (first_month < month_index(kernel, ev.c.day))
    per = (peewee.Select([ev], [bucket.alias("period"), ev.c.ctype, ev.c.customer])
           .join(firsts, on=((firsts.c.ctype == ev.c.ctype)
                             & (firsts.c.customer == ev.c.customer)))
           .where(*_in_range(kernel, ev, mq), customer_of_period)
           .group_by(bucket, ev.c.ctype, ev.c.customer).alias("retention_again"))
    again = peewee.Select([per], [peewee.SQL("'a'"), per.c.period, no_number, no_number,
                                  peewee.fn.COUNT(peewee.SQL("*"))]).group_by(per.c.period)
    rows: Any = (counted + again).with_cte(firsts).bind(kernel.database).tuples()
    earlier, new, bought = 0, dict[int, int](), dict[str, int]()
    with kernel.bound():
        for kind, period, earlier_one, month, n in rows:
            if kind == "a":
                bought[period] = int(n)
            elif earlier_one:
                earlier += int(n)
            else:
                new[int(month)] = new.get(int(month), 0) + int(n)
    out = {}
    if mq.by == "total":
        periods = {"total": earlier}
    else:
        start_month = mq.start.year * 12 + mq.start.month
        periods = {}
        for period in months_between(mq.start, mq.end):
            index = int(period[:4]) * 12 + int(period[5:])
            periods[period] = earlier + (0 if index == start_month else sum(
                n for m, n in new.items() if m < index))
    for period, base in periods.items():
        if base:
            out[period] = (base, bought.get(period, 0))
    return out


def retention_rate_points(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    return [MetricPoint(p, percent(again, base))
            for p, (base, again) in _retained(kernel, mq).items()]


def churn_rate_points(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    return [MetricPoint(p, Decimal("100.00") - percent(again, base))
            for p, (base, again) in _retained(kernel, mq).items()]


def average_clv_points(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    """Per period: the order value of every order up to its last day, per customer who
    had ordered by then (base currency)."""
    ev = _metric_events(kernel, mq)
    if ev is None:
        return []
    end = day_value(kernel, mq.end)
    month = month_index(kernel, ev.c.day)
    values: Any = (peewee.Select([ev], [month, peewee.fn.SUM(scaled(kernel, ev.c.amount))])
                   .where(ev.c.day <= end).group_by(month).bind(kernel.database).tuples())
    firsts = (peewee.Select([ev], [ev.c.ctype, ev.c.customer,
                                   peewee.fn.MIN(ev.c.day).alias("first_day")])
              .group_by(ev.c.ctype, ev.c.customer).alias("retention_clv"))
    first_month = month_index(kernel, firsts.c.first_day)
    newcomers: Any = (peewee.Select([firsts], [first_month, peewee.fn.COUNT(peewee.SQL("*"))])
                      .where(firsts.c.first_day <= end).group_by(first_month)
                      .bind(kernel.database).tuples())
    value_by = {int(m): unscale(kernel, v) for m, v in values}
    new_by = {int(m): int(n) for m, n in newcomers}
    if mq.by == "total":
        ends = {"total": mq.end.year * 12 + mq.end.month}
    else:
        ends = {p: int(p[:4]) * 12 + int(p[5:]) for p in months_between(mq.start, mq.end)}
    points = []
    for period, last in ends.items():
        customers = sum(n for m, n in new_by.items() if m <= last)
        if customers:
            total = sum((v for m, v in value_by.items() if m <= last), Decimal(0))
            average = round_money(total / customers, base_currency(kernel))
            points.append(MetricPoint(period, average))
    return points
