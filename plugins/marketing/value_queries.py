"""The SQL of customer value and lifecycle (read only): each customer's profit over a
period and lifecycle stage, set-based, one SELECT per customer type with the customer
facts as LEFT JOINed subqueries, and the Pareto figures over both types at once.

Who is a customer: every organization, and every contact without an organization (a
contact at an organization buys for it), as for the value tiers.

Profit = revenue (``sales.order_total`` since the period's first day) - cost to serve
(``service.cost_to_serve`` since then) - attributed campaign cost (each campaign with
an ``actual_cost`` in the base currency, divided by its number of members, summed over
the customer's memberships; a member at an organization counts for the organization;
campaigns that started in the period, by ``start_date``, else their launch day). A
fact whose plugin is not enabled counts 0 (and the stage treats it as absent).

The stage (all time, as of today), the first that holds:

==================  ==========================================================
lost                has ordered, and the last order is more than ``lost_after_days`` ago
at_risk             2+ orders, and the days since the last exceed ``at_risk_factor`` x
                    the usual interval ((last - first) / (orders - 1))
repeat              2+ orders
new                 1 order
open_opportunity    no order, an open opportunity (``sales.open_opportunities``)
prospect            no order, had an opportunity or responded to a campaign (a form or
                    API response in ``marketing_campaign_response``)
target              everything else
==================  ==========================================================
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import peewee

from accord.database import is_postgres
from accord.facts import customer_facts
from accord.models import Contact, Organization, utcnow
from accord.rates import base_currency

from .models.campaigns import Campaign, CampaignMember, CampaignResponse
from .services.tiers import period_start
from .sqldays import days_between

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["STAGES", "STAGE_LABELS", "NO_SALES", "NO_SERVICE", "CURVE_POINTS", "since_of",
           "customers_select", "all_customers", "notes_of", "money", "number_param",
           "summary_figures", "stage_counts", "top20_share", "stage_text", "RESPONDED"]

#: The lifecycle stages, from the least engaged to the lost.
STAGES = ("target", "prospect", "open_opportunity", "new", "repeat", "at_risk", "lost")
STAGE_LABELS = {"target": "Target", "prospect": "Prospect",
                "open_opportunity": "Open opportunity", "new": "New customer",
                "repeat": "Repeat customer", "at_risk": "At risk", "lost": "Lost"}
#: Why the figures are thin, when a plugin declaring the facts is not enabled.
NO_SALES = ("no purchase facts: the sales plugin is not enabled (revenue is 0 and every "
            "customer is a target or a prospect)")
NO_SERVICE = ("no cost-to-serve fact: the service plugin is not enabled (repairs are not "
              "counted)")
#: Points of the Pareto curve (every 5% of the customers).
CURVE_POINTS = 20
#: The kinds of campaign response that make a contact a prospect: an answer on the
#: response form or one recorded through the API (opens and clicks are not answers).
RESPONDED = ("form", "api")

_PROFIT = ("revenue", "cost_to_serve", "campaign_cost", "profit")
_STAGE_COLUMNS = ("stage", "orders", "first_order", "last_order", "days_since")


def money(value: Any) -> Decimal:
    """An amount as read (a REAL on SQLite, a numeric on PostgreSQL), to the cent."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def number_param(kernel: Accord, value: Decimal) -> Any:
    """A number to compare a computed column with: SQLite's are REAL, not DECIMAL text."""
    return value if is_postgres(kernel.database) else float(value)


def since_of(months: int | None, today: dt.date) -> dt.date | None:
    """The period's first day (``months`` back, clamped), None for all time."""
    return None if months is None else period_start(today, months)


def notes_of(kernel: Accord) -> list[str]:
    """Why figures are missing: the facts no enabled plugin declares."""
    facts = customer_facts(kernel, "organization")
    notes = []
    if "sales.order_total" not in facts:
        notes.append(NO_SALES)
    if "service.cost_to_serve" not in facts:
        notes.append(NO_SERVICE)
    return notes


def _owner(customer: str) -> Any:
    """Whose a contact's row is: its organization's, or its own (no organization)."""
    return Contact.organization if customer == "organization" else Contact.id


def _campaign_cost(kernel: Accord, customer: str, since: dt.date | None) -> Any:
    """Per customer, the campaigns' actual cost shared equally among their members."""
    M, C = CampaignMember, Campaign
    sizes = CampaignMember.alias("sizes")
    counted = (sizes.select(sizes.campaign.alias("campaign"),
                            peewee.fn.COUNT(sizes.id).alias("n"))
               .group_by(sizes.campaign).alias("campaign_sizes"))
    owner = _owner(customer)
    share = peewee.fn.SUM((C.actual_cost * 1.0) / counted.c.n)
    where = [C.actual_cost.is_null(False), C.actual_cost_currency == base_currency(kernel)]
    where.append(owner.is_null(False) if customer == "organization"
                 else Contact.organization.is_null(True))
    if since is not None:
        start = dt.datetime.combine(since, dt.time(), tzinfo=dt.timezone.utc)
        where.append((C.start_date >= since)
                     | (C.start_date.is_null(True) & (C.launched_at >= start)))
    return (M.select(owner.alias("customer"), share.alias("value"))
            .join_from(M, C, on=(M.campaign == C.id))
            .join_from(C, counted, on=(counted.c.campaign == C.id))
            .join_from(M, Contact, on=(M.contact == Contact.id))
            .where(*where).group_by(owner))


def _responses(customer: str) -> Any:
    """Per customer, the campaign responses (answers) of its contacts."""
    R = CampaignResponse
    owner = _owner(customer)
    where = [R.kind.in_(RESPONDED)]
    where.append(owner.is_null(False) if customer == "organization"
                 else Contact.organization.is_null(True))
    return (R.select(owner.alias("customer"), peewee.fn.COUNT(R.id).alias("value"))
            .join(Contact, on=(R.contact == Contact.id)).where(*where).group_by(owner))


def customers_select(kernel: Accord, customer: str, *, since: dt.date | None,
                     today: dt.date | None = None, rule: Any = True,
                     as_fact: bool = False, stage: bool = True) -> Any:
    """One row per customer of type ``customer`` whose ``rule`` holds (True: all;
    False: none; else a condition on the model): ``customer_type``, ``customer`` (id),
    ``name``, ``revenue``, ``cost_to_serve``, ``campaign_cost``, ``profit`` (from
    ``since`` on, None: all time), and the lifecycle ``stage`` as of ``today`` with the
    figures it rests on (``orders``, ``first_order``, ``last_order``, ``days_since``).
    ``as_fact``: only ``customer`` and the stage as ``value`` (the fact of segments);
    ``stage=False``: the profit columns without the stage's (and without its joins)."""
    today = today or utcnow().date()
    model: Any = Organization if customer == "organization" else Contact
    facts = customer_facts(kernel, customer)
    joins: list[Any] = []

    def fact(name: str, alias: str, fact_since: dt.date | None) -> Any:
        found = facts.get(name)
        if found is None:
            return None
        sub = found.query(kernel, fact_since).alias(alias)
        joins.append(sub)
        return sub.c.value

    def joined(sub: Any) -> Any:
        joins.append(sub)
        return sub.c.value

    stage_columns = (_stage_columns(kernel, customer, today, fact, joined)
                     if stage or as_fact else [])
    if customer == "organization":
        name: Any = Organization.name
    else:
        name = peewee.fn.TRIM(peewee.fn.COALESCE(Contact.first_name, "").concat(" ")
                              .concat(Contact.last_name))
    if as_fact:
        query = model.select(model.id.alias("customer"), stage_columns[0].alias("value"))
        return _joined(query, model, customer, joins, rule)
    columns = [peewee.Value(customer).alias("customer_type"), model.id.alias("customer"),
               name.alias("name")]
    revenue = fact("sales.order_total", "v_revenue", since)
    cost = fact("service.cost_to_serve", "v_cost", since)
    campaigns = joined(_campaign_cost(kernel, customer, since).alias("v_campaigns"))
    amounts = [peewee.fn.COALESCE(c, 0) if c is not None else peewee.Value(0)
               for c in (revenue, cost, campaigns)]
    profit = amounts[0] - amounts[1] - amounts[2]
    columns += [a.alias(n) for a, n in zip(amounts + [profit], _PROFIT)]
    if stage:
        columns += [c.alias(n) for c, n in zip(stage_columns, _STAGE_COLUMNS)]
    return _joined(model.select(*columns), model, customer, joins, rule)


def _stage_columns(kernel: Accord, customer: str, today: dt.date, fact: Any, joined: Any
                   ) -> list[Any]:
    """The lifecycle stage and the figures it rests on (``_STAGE_COLUMNS``), from the
    facts ``fact`` joins and the campaign answers ``joined`` joins."""
    postgres = is_postgres(kernel.database)
    stamp: Any = today if postgres else today.isoformat()
    count = fact("sales.order_count", "v_orders", None)
    first = fact("sales.first_order_date", "v_first", None)
    last = fact("sales.last_order_date", "v_last", None)
    open_count = fact("sales.open_opportunities", "v_open", None)
    opportunities = fact("sales.opportunities", "v_opportunities", None)
    responded = joined(_responses(customer).alias("v_responses"))
    settings = kernel.settings("marketing")
    orders = peewee.fn.COALESCE(count, 0) if count is not None else peewee.Value(0)
    since_last = days_between(kernel, peewee.Value(stamp), last) if last is not None else None
    whens: list[tuple[Any, str]] = []
    if since_last is not None and first is not None:
        span = days_between(kernel, last, first)
        whens += [((orders > 0) & (since_last > int(settings["lost_after_days"])), "lost"),
                  ((orders >= 2) & (since_last * (orders - 1)
                                    > float(settings["at_risk_factor"]) * span), "at_risk")]
    whens += [(orders >= 2, "repeat"), (orders == 1, "new")]
    if open_count is not None:
        whens.append((peewee.fn.COALESCE(open_count, 0) > 0, "open_opportunity"))
    interested = peewee.fn.COALESCE(responded, 0) > 0
    if opportunities is not None:
        interested = interested | (peewee.fn.COALESCE(opportunities, 0) > 0)
    whens.append((interested, "prospect"))
    stage = peewee.Case(None, whens, "target")
    nothing = peewee.Value(None)
    return [stage, orders, first if first is not None else nothing,
            last if last is not None else nothing,
            since_last if since_last is not None else nothing]


def _joined(query: Any, model: Any, customer: str, joins: list[Any], rule: Any) -> Any:
    for sub in joins:
        query = query.join_from(model, sub, peewee.JOIN.LEFT_OUTER,
                                on=(sub.c.customer == model.id))
    if customer == "contact":
        query = query.where(Contact.organization.is_null(True))
    if rule is False:
        return query.where(peewee.SQL("1 = 0"))
    return query if rule is True else query.where(rule)


def all_customers(kernel: Accord, rules: dict[str, Any], *, since: dt.date | None,
                  today: dt.date | None = None, stage: bool = True,
                  as_fact: bool = False) -> Any:
    """Both customer types' rows as one derived table ``v`` (UNION ALL); ``rules`` by
    customer type, ``stage`` and ``as_fact`` as for ``customers_select``."""
    parts = [customers_select(kernel, customer, since=since, today=today,
                              rule=rules[customer], stage=stage, as_fact=as_fact)
             for customer in ("organization", "contact")]
    return (parts[0] + parts[1]).alias("v")


def stage_counts(kernel: Accord, rules: dict[str, Any], *,
                 today: dt.date | None = None) -> dict[str, int]:
    """The customers per lifecycle stage (every stage, 0 when none): one grouped query
    over the stages alone, without the profit's facts."""
    u = all_customers(kernel, rules, since=None, today=today, as_fact=True)
    counts = {s: 0 for s in STAGES}
    rows: Any = (peewee.Select([u], [u.c.value, peewee.fn.COUNT(peewee.SQL("*"))])
                 .group_by(u.c.value).bind(kernel.database).tuples())
    with kernel.bound():
        counts.update({stage: int(n) for stage, n in rows})
    return counts


def top20_share(kernel: Accord, rules: dict[str, Any], *, since: dt.date | None,
                today: dt.date | None = None) -> Decimal | None:
    """The share (percent) of the total profit the most profitable 20% of the customers
    bring, as ``summary_figures`` gives it, None when the total is not positive: one
    query over the profits alone (no stage), each row ranked with the running sum, the
    count and the total beside it, keeping the row at the 20% rank."""
    inner = ranked(all_customers(kernel, rules, since=since, today=today, stage=False),
                   totals=True)
    # The 20% rank is ceil(n / 5): the first rank r with 5r >= n.
    picked: Any = (peewee.Select([inner], [inner.c.cumulative, inner.c.total])
                   .where(inner.c.rank * 5 >= inner.c.n, inner.c.rank * 5 < inner.c.n + 5)
                   .bind(kernel.database).tuples())
    with kernel.bound():
        found = next(iter(picked), None)
    if found is None:
        return None
    top, total = (Decimal(str(value or 0)) for value in found)
    return _share(top, total)


def _ranking(u: Any, *, most: bool = True) -> list[Any]:
    first = u.c.profit.desc() if most else u.c.profit.asc()
    return [first, u.c.customer_type, u.c.customer]


def ranked(u: Any, *, totals: bool = False) -> Any:
    """The rows of ``u`` with their ``rank`` (1: the most profitable; ties by type and
    id) and ``cumulative`` profit down to them, as derived table ``r``; ``totals``:
    with the number of rows ``n`` and their ``total`` profit beside each."""
    order = _ranking(u)
    rank = peewee.fn.ROW_NUMBER().over(order_by=order)
    running = peewee.fn.SUM(u.c.profit).over(order_by=order,
                                             frame_type=peewee.Window.ROWS,
                                             start=peewee.Window.preceding())
    columns = [peewee.SQL("v.*"), rank.alias("rank"), running.alias("cumulative")]
    if totals:
        columns += [peewee.fn.COUNT(peewee.SQL("*")).over().alias("n"),
                    peewee.fn.SUM(u.c.profit).over().alias("total")]
    return peewee.Select([u], columns).alias("r")


def _share(part: Decimal, total: Decimal) -> Decimal | None:
    if total <= 0:
        return None
    return (part * 100 / total).quantize(Decimal("0.01"))


def summary_figures(kernel: Accord, rules: dict[str, Any], *, since: dt.date | None,
                    today: dt.date | None = None) -> dict[str, Any]:
    """The totals, the customers and profit per stage, the share of the top 20% and the
    drag of the bottom 30%, and the Pareto curve: two queries over the union."""
    u = all_customers(kernel, rules, since=since, today=today)
    per_stage: Any = (peewee.Select([u], [u.c.stage, peewee.fn.COUNT(peewee.SQL("*")),
                                          *[peewee.fn.SUM(getattr(u.c, n)) for n in _PROFIT]])
                      .group_by(u.c.stage).bind(kernel.database).tuples())
    totals = {n: Decimal(0) for n in _PROFIT}
    exact = {n: Decimal(0) for n in _PROFIT}
    stages = {s: 0 for s in STAGES}
    n = 0
    with kernel.bound():
        for stage, count, *sums in per_stage:
            stages[stage] = count
            n += count
            for name, value in zip(_PROFIT, sums):
                exact[name] += Decimal(str(value or 0))
    totals = {name: money(value) for name, value in exact.items()}
    top_n, bottom_n = math.ceil(n * 0.2), math.ceil(n * 0.3)
    ranks = {math.ceil(n * k / CURVE_POINTS) for k in range(1, CURVE_POINTS + 1)}
    ranks |= {top_n, n - bottom_n}
    ranks.discard(0)
    cumulative: dict[int, Decimal] = {0: Decimal(0)}
    if n:
        r = ranked(u)
        picked: Any = (peewee.Select([r], [r.c.rank, r.c.cumulative])
                       .where(r.c.rank.in_(sorted(ranks))).bind(kernel.database).tuples())
        with kernel.bound():
            cumulative.update({rank: Decimal(str(value or 0)) for rank, value in picked})
    total = exact["profit"]
    top = money(cumulative[top_n])
    bottom = money(total - cumulative[n - bottom_n])
    curve = [{"customers": Decimal(0), "profit": Decimal("0.00") if total > 0 else None}]
    for k in range(1, CURVE_POINTS + 1):
        at = math.ceil(n * k / CURVE_POINTS)
        curve.append({"customers": Decimal(100 * k // CURVE_POINTS),
                      "profit": _share(cumulative.get(at, Decimal(0)), total)
                      if n else None})
    return {"customers": n, "totals": totals, "stages": stages,
            "top20": {"customers": top_n, "profit": top,
                      "share": _share(cumulative[top_n], total)},
            "bottom30": {"customers": bottom_n, "profit": bottom,
                         "share": _share(total - cumulative[n - bottom_n], total)
                         if total > 0 else None},
            "curve": curve if n else []}


def stage_text(kernel: Accord, row: dict[str, Any]) -> str:
    """One line saying why a customer is in its stage."""
    settings = kernel.settings("marketing")
    stage, orders, days = row["stage"], row["orders"] or 0, row["days_since"]
    if stage == "lost":
        return (f"Last ordered {days} days ago: lost after {settings['lost_after_days']} "
                "days without an order.")
    if stage in ("at_risk", "repeat"):
        first, last = (_date(row["first_order"]), _date(row["last_order"]))
        usual = Decimal((last - first).days) / (orders - 1)
        usual_text = f"{usual.quantize(Decimal('0.1'))}".removesuffix(".0")
        if stage == "at_risk":
            return (f"{orders} orders, usually {usual_text} days apart; the last was {days} "
                    f"days ago (more than {settings['at_risk_factor']} × the usual "
                    "interval).")
        return (f"{orders} orders, usually {usual_text} days apart; the last was {days} "
                "days ago.")
    if stage == "new":
        return f"One order so far, {days} days ago."
    if stage == "open_opportunity":
        return "No order yet, an opportunity is open."
    if stage == "prospect":
        return "No order yet; had an opportunity or answered a campaign."
    return "No order, opportunity or campaign answer yet."


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
