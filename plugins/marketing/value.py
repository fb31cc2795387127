"""The marketing plugin's customer value and lifecycle: the 20/80/30 rule firms quote
(the most profitable 20% of customers bring 80% of the profit, the least profitable
30% halve it), worked out per customer from the customer facts.

Each customer's profit over a period (revenue from sales minus the cost to serve minus
the attributed campaign cost) and lifecycle stage (target, prospect, open opportunity,
new, repeat, at risk, lost) are read set-based (``value_queries``): one SELECT per
customer type with the facts as LEFT JOINed subqueries. Read here: the totals, the
share of the top 20%, the drag of the bottom 30% and the Pareto curve
(``GET /api/v1/marketing/value``), the customers most or least profitable first
(``…/value/customers``), a customer's panel "Value and lifecycle", the page
``/marketing/value``, ``accord marketing value``, the metrics
``marketing.lifecycle_distribution`` and ``marketing.top20_profit_share`` and the fact
``marketing.lifecycle_stage`` segments can filter on. Every read obeys the reader's
record rules, like the value tiers'. Nothing is stored: figures are computed when asked.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import click
import marshmallow as ma
import peewee
from marshmallow import fields

from accord.errors import ValidationError
from accord.facts import CustomerFact
from accord.metrics import Metric, MetricPoint, rule_condition
from accord.models import Contact, Organization, utcnow
from accord.money import format_amount
from accord.pages import NavEntry, Panel
from accord.pagination import decode_cursor, encode_cursor
from accord.rates import base_currency
from accord.records import Permission
from accord.routes import ApiRoute
from accord.services.authz import require

from .paging import MAX_PAGE, PageArgs
from .tiers import _rule
from .value_queries import (STAGE_LABELS, STAGES, all_customers, customers_select,
                            money, notes_of, number_param, ranked, since_of, stage_counts,
                            stage_text, summary_figures, top20_share)

if TYPE_CHECKING:
    from flask import Blueprint

    from accord.kernel import Accord
    from accord.metrics import MetricQuery
    from accord.services import Actor

__all__ = ["READ", "PERMISSIONS", "AGENT", "NAV", "FACTS", "METRICS", "COMMANDS",
           "api_routes", "add_pages", "panels", "parse_months", "value_summary",
           "value_customers", "customer_value"]

#: The permission to see profitability, the Pareto figures and lifecycle stages.
READ = "marketing.value.read"
#: The longest period asked, in months (50 years); "all" is all time.
MAX_MONTHS = 600
#: How the customers are listed: the most profitable first, or the least.
ORDERS = ("most", "least")

PERMISSIONS = [Permission(READ, "See customer profitability, the Pareto curve and "
                                "lifecycle stages")]
AGENT = (READ,)
NAV = [NavEntry("Customer value", "/marketing/value", READ, order=64)]
_CUSTOMER_TYPES = {"organization": Organization, "contact": Contact}


def parse_months(raw: Any) -> int | None:
    """``months`` as asked: a whole number 1-600, or "all" (None: all time); else a
    ValidationError naming ``months``."""
    if raw is None or raw == "":
        return 12
    text = str(raw).strip().lower()
    if text == "all":
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_MONTHS:
        raise ValidationError({"months": [f"give a number of months from 1 to {MAX_MONTHS}, "
                                          f"or 'all' (not {str(raw)[:40]!r})"]})
    return int(text)


def _rules(kernel: Accord, actor: Actor | None) -> dict[str, Any]:
    """Per customer type, the condition of the customers the reader may read."""
    if actor is None:
        return {name: True for name in _CUSTOMER_TYPES}
    return {name: _rule(kernel, actor, name, model) for name, model in
            _CUSTOMER_TYPES.items()}


# Reads --------------------------------------------------------------------------

def value_summary(kernel: Accord, actor: Actor, months: int | None = 12, *,
                  today: dt.date | None = None) -> dict[str, Any]:
    """The figures over the customers the reader's record rules reach: totals,
    ``top20_share`` (percent of the total profit the most profitable 20% bring; null
    when the total profit is not positive), ``bottom30_drag`` (the least profitable
    30%'s summed profit and its share), the Pareto ``curve`` (cumulative % of customers
    → cumulative % of profit), the customers per stage and ``notes`` on missing facts."""
    require(actor, READ)
    today = today or utcnow().date()
    figures = summary_figures(kernel, _rules(kernel, actor), since=since_of(months, today),
                              today=today)
    notes = notes_of(kernel)
    if figures["customers"] and figures["totals"]["profit"] <= 0:
        notes.append("the total profit is not positive: shares of it are not given")
    return {"months": months, "since": since_of(months, today), "currency":
            base_currency(kernel), "customers": figures["customers"],
            "totals": figures["totals"], "top20_share": figures["top20"]["share"],
            "top20": {"customers": figures["top20"]["customers"],
                      "profit": figures["top20"]["profit"]},
            "bottom30_drag": figures["bottom30"], "curve": figures["curve"],
            "stages": [{"stage": s, "label": STAGE_LABELS[s],
                        "count": figures["stages"][s]} for s in STAGES],
            "notes": notes}


def _row(kernel: Accord, row: dict[str, Any]) -> dict[str, Any]:
    return {"customer_type": row["customer_type"], "customer_id": row["customer"],
            "name": row["name"], "rank": row.get("rank"),
            **{k: money(row[k]) for k in ("revenue", "cost_to_serve", "campaign_cost",
                                           "profit")},
            "stage": row["stage"], "stage_label": STAGE_LABELS[row["stage"]],
            "url": f"/records/{row['customer_type']}/{row['customer']}"}


def _bad_cursor() -> ValidationError:
    return ValidationError({"cursor": ["not a cursor of this list; use the next_cursor "
                                       "of the previous page"]})


def value_customers(kernel: Accord, actor: Actor, months: int | None = 12, *,
                    order: str = "most", stage: str | None = None, limit: int = 50,
                    cursor: str | None = None, today: dt.date | None = None
                    ) -> dict[str, Any]:
    """One page of the customers the reader may read, the most profitable first
    (``order="least"``: the least), of one ``stage`` when given: ``{"items": [...],
    "next_cursor": ...}``; each with its figures, stage and ``rank`` (1: the most
    profitable of the customers the reader may read)."""
    require(actor, READ)
    if order not in ORDERS:
        raise ValidationError({"order": [f"use one of {', '.join(ORDERS)}"]})
    if stage is not None and stage not in STAGES:
        raise ValidationError({"stage": [f"use one of {', '.join(STAGES)}"]})
    today = today or utcnow().date()
    limit = max(1, min(limit, MAX_PAGE))
    r = ranked(all_customers(kernel, _rules(kernel, actor), since=since_of(months, today),
                             today=today))
    query = peewee.Select([r], [peewee.SQL("r.*")])
    if stage is not None:
        query = query.where(r.c.stage == stage)
    most = order == "most"
    if cursor:
        value, kind, ident = decode_cursor(cursor, 3)
        try:
            if not (isinstance(value, str) and isinstance(kind, str)
                    and isinstance(ident, int)):
                raise _bad_cursor()
            after = Decimal(value)
            if not after.is_finite():
                raise _bad_cursor()
        except InvalidOperation:
            raise _bad_cursor() from None
        bound = number_param(kernel, after)
        if most:
            query = query.where((r.c.profit < bound) | ((r.c.profit == bound) & (
                (r.c.customer_type > kind) | ((r.c.customer_type == kind)
                                              & (r.c.customer > ident)))))
        else:
            query = query.where((r.c.profit > bound) | ((r.c.profit == bound) & (
                (r.c.customer_type < kind) | ((r.c.customer_type == kind)
                                              & (r.c.customer < ident)))))
    # The least profitable first is the ranking read backwards, ties too.
    ordering = ([r.c.profit.desc(), r.c.customer_type, r.c.customer] if most else
                [r.c.profit.asc(), r.c.customer_type.desc(), r.c.customer.desc()])
    query = query.order_by(*ordering).limit(limit + 1)
    with kernel.bound():
        rows = list(query.bind(kernel.database).dicts())
    out: dict[str, Any] = {"months": months, "order": order, "stage": stage,
                           "items": [_row(kernel, row) for row in rows[:limit]],
                           "next_cursor": None}
    if len(rows) > limit:
        last = rows[limit - 1]
        out["next_cursor"] = encode_cursor([str(last["profit"]), last["customer_type"],
                                            last["customer"]])
    return out


def customer_value(kernel: Accord, actor: Actor | None, customer: str, ident: int, *,
                   months: int | None = 12, today: dt.date | None = None
                   ) -> dict[str, Any] | None:
    """One customer's figures, stage (with a line saying why) and rank among all the
    firm's customers (``rank``, ``of``, ``top_percent``: in the top N%); None when it is
    not a customer (a contact at an organization)."""
    today = today or utcnow().date()
    since = since_of(months, today)
    model = _CUSTOMER_TYPES[customer]
    mine = customers_select(kernel, customer, since=since, today=today,
                            rule=model.id == ident)
    with kernel.bound():
        found = list(mine.dicts())
    if not found:
        return None
    row = found[0]
    u = all_customers(kernel, _rules(kernel, None), since=since, today=today)
    profit = number_param(kernel, Decimal(str(row["profit"] or 0)))
    ahead = (u.c.profit > profit) | ((u.c.profit == profit) & (
        (u.c.customer_type < customer) | ((u.c.customer_type == customer)
                                          & (u.c.customer < ident))))
    counted: Any = peewee.Select([u], [
        peewee.fn.COUNT(peewee.SQL("*")),
        peewee.fn.SUM(peewee.Case(None, [(ahead, 1)], 0))]).bind(kernel.database).tuples()
    with kernel.bound():
        total, before = next(iter(counted))
    out = _row(kernel, row)
    rank = int(before or 0) + 1
    out.update({"rank": rank, "of": int(total),
                "top_percent": math.ceil(rank * 100 / int(total)),
                "stage_text": stage_text(kernel, row)})
    return out


# Facts: segments choose customers by lifecycle stage ----------------------------------

def _stage_fact(customer: str) -> Any:
    def query(kernel: Accord, since: dt.date | None) -> Any:
        return customers_select(kernel, customer, since=None, as_fact=True)
    return query


FACTS = [CustomerFact("marketing.lifecycle_stage", "Lifecycle stage", "text", customer,
                      _stage_fact(customer),
                      description="target, prospect, open_opportunity, new, repeat, "
                                  "at_risk or lost, as of today (contacts: those without "
                                  "an organization)")
         for customer in ("organization", "contact")]


# Metrics ------------------------------------------------------------------------------

def _metric_rules(kernel: Accord, mq: MetricQuery) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, model in _CUSTOMER_TYPES.items():
        parts = [c for c in (rule_condition(mq, name, model.owner, model.team),
                             model.owner == mq.owner_id if mq.owner_id is not None else None,
                             model.team == mq.team_id if mq.team_id is not None else None)
                 if c is not None]
        rule: Any = True
        for part in parts:
            rule = part if rule is True else rule & part
        out[name] = rule
    return out


def _period(mq: MetricQuery) -> str:
    day = min(mq.end, utcnow().date())
    return "total" if mq.by == "total" else f"{day.year:04d}-{day.month:02d}"


def _distribution(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    """Customers per lifecycle stage as of today (a state: shown in the range's last
    month, or as the total)."""
    counts = stage_counts(kernel, _metric_rules(kernel, mq))
    return [MetricPoint(_period(mq), Decimal(n), group=stage) for stage, n in counts.items()]


def _top20(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    """The share of the total profit (orders from the range's first day on) the most
    profitable 20% of the customers bring."""
    share = top20_share(kernel, _metric_rules(kernel, mq), since=mq.start)
    return [MetricPoint(_period(mq), share)] if share is not None else []


METRICS = [
    Metric("marketing.lifecycle_distribution", "Customers per lifecycle stage (target, "
           "prospect, open opportunity, new, repeat, at risk, lost), as of today", "count",
           _distribution, group_by="stage", adds_up=False),
    Metric("marketing.top20_profit_share", "Share of the total profit the most profitable "
           "20% of customers bring (orders, repairs and campaigns from the range's start)",
           "percent", _top20, adds_up=False)]


# API ----------------------------------------------------------------------------------

def _months_field() -> fields.String:
    return fields.String(load_default="12", validate=ma.validate.Length(max=40), metadata={
        "description": f"The period: a number of months up to today (1-{MAX_MONTHS}), or "
                       "'all' for all time"})


class ValueArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    months = _months_field()


class ValueCustomersArgs(PageArgs):
    months = _months_field()
    order = fields.String(load_default="most", validate=ma.validate.OneOf(ORDERS),
                          metadata={"description": "most: most profitable first; least"})
    stage = fields.String(load_default=None, validate=ma.validate.OneOf(STAGES))


def _amount(description: str = "") -> fields.Decimal:
    return fields.Decimal(as_string=True, metadata={"description": description}
                          if description else {})


class ValueTotals(ma.Schema):
    revenue = _amount("Net order value (sales.order_total), base currency")
    cost_to_serve = _amount("Repairs' parts and labour (service.cost_to_serve)")
    campaign_cost = _amount("Campaigns' actual cost shared among their members")
    profit = _amount()


class ValueGroup(ma.Schema):
    customers = fields.Integer()
    profit = _amount()
    share = fields.Decimal(as_string=True, allow_none=True, metadata={
        "description": "Percent of the total profit; null when it is not positive"})


class ValueTop(ma.Schema):
    customers = fields.Integer()
    profit = _amount()


class CurvePoint(ma.Schema):
    customers = fields.Integer(metadata={"description": "Cumulative % of customers"})
    profit = fields.Decimal(as_string=True, allow_none=True, metadata={
        "description": "Cumulative % of the total profit (can pass 100)"})


class StageCount(ma.Schema):
    stage = fields.String()
    label = fields.String()
    count = fields.Integer()


class ValueAnswer(ma.Schema):
    months = fields.Integer(allow_none=True, metadata={"description": "null: all time"})
    since = fields.Date(allow_none=True)
    currency = fields.String()
    customers = fields.Integer()
    totals = fields.Nested(ValueTotals)
    top20_share = fields.Decimal(as_string=True, allow_none=True)
    top20 = fields.Nested(ValueTop)
    bottom30_drag = fields.Nested(ValueGroup)
    curve = fields.List(fields.Nested(CurvePoint))
    stages = fields.List(fields.Nested(StageCount))
    notes = fields.List(fields.String())


class ValueCustomer(ValueTotals):
    customer_type = fields.String()
    customer_id = fields.Integer()
    name = fields.String()
    rank = fields.Integer()
    stage = fields.String()
    stage_label = fields.String()
    url = fields.String()


class ValueCustomersAnswer(ma.Schema):
    months = fields.Integer(allow_none=True)
    order = fields.String()
    stage = fields.String(allow_none=True)
    items = fields.List(fields.Nested(ValueCustomer))
    next_cursor = fields.String(allow_none=True)


def _summary(kernel: Accord, *, actor: Actor, months: str) -> dict[str, Any]:
    return value_summary(kernel, actor, parse_months(months))


def _customers(kernel: Accord, *, actor: Actor, months: str, order: str,
               stage: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
    return value_customers(kernel, actor, parse_months(months), order=order, stage=stage,
                           limit=limit, cursor=cursor)


def api_routes() -> list[ApiRoute]:
    return [
        ApiRoute("/marketing/value", _summary, READ, "Customer profitability: the 20/80/30 "
                 "figures", args=ValueArgs, response=ValueAnswer,
                 description="Over the customers the reader's record rules reach: revenue, "
                             "cost to serve, campaign cost and profit over the period; the "
                             "share of the profit the top 20% bring, the drag of the bottom "
                             "30%, the Pareto curve, the customers per lifecycle stage, and "
                             "notes on facts missing (a plugin not enabled)."),
        ApiRoute("/marketing/value/customers", _customers, READ,
                 "Customers by profitability", args=ValueCustomersArgs,
                 response=ValueCustomersAnswer,
                 description="One page of the customers the reader may read, the most "
                             "profitable first (order=least: the least), of one stage when "
                             "asked, with their figures, stage and rank.")]


# CLI ----------------------------------------------------------------------------------

@click.command("value")
@click.option("--months", default="12", show_default=True,
              help="The period: months up to today, or 'all'.")
@click.pass_obj
def value_command(state: Any, months: str) -> None:
    """Customer profitability: totals, the top 20%'s share, the bottom 30%'s drag,
    the Pareto curve and the customers per lifecycle stage."""
    from accord.services import Actor

    try:
        period = parse_months(months)
    except ValidationError as exc:
        raise click.BadParameter(exc.flat()["months"][0], param_hint="'--months'") from None
    kernel: Accord = state.kernel()
    s = value_summary(kernel, Actor.system("cli"), period)
    cur = s["currency"]

    def amount(value: Decimal) -> str:
        return f"{format_amount(value, cur, grouped=True)} {cur}"

    span = "all time" if period is None else f"the last {period} months (from {s['since']})"
    click.echo(f"Customer value over {span}: {s['customers']} customers")
    t = s["totals"]
    click.echo(f"Revenue {amount(t['revenue'])} - cost to serve {amount(t['cost_to_serve'])}"
               f" - campaign cost {amount(t['campaign_cost'])} = profit "
               f"{amount(t['profit'])}")
    share = s["top20_share"]
    click.echo(f"Top 20% ({s['top20']['customers']} customers): {amount(s['top20']['profit'])}"
               + (f", {share}% of the profit" if share is not None else ""))
    drag = s["bottom30_drag"]
    click.echo(f"Bottom 30% ({drag['customers']} customers): {amount(drag['profit'])}"
               + (f", {drag['share']}% of the profit" if drag["share"] is not None else ""))
    if s["curve"]:
        points = ", ".join(f"{p['customers']}%→{p['profit']}%" for p in s["curve"][1:]
                           if p["customers"] % 20 == 0 and p["profit"] is not None)
        if points:
            click.echo(f"Pareto curve: {points}")
    click.echo("Stages: " + ", ".join(f"{x['label']} {x['count']}" for x in s["stages"]))
    for note in s["notes"]:
        click.echo(f"Note: {note}")


COMMANDS = [value_command]


# Page ---------------------------------------------------------------------------------

def add_pages(bp: Blueprint) -> None:
    bp.add_url_rule("/value", "value_page", value_page)


def _svg_curve(curve: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The Pareto curve as SVG coordinates (a 0-100 x axis, y from the lowest to the
    highest cumulative share, 0 and 100 included)."""
    points = [(p["customers"], p["profit"]) for p in curve if p["profit"] is not None]
    if len(points) < 2:
        return None
    low = min([Decimal(0), *(y for _, y in points)])
    high = max([Decimal(100), *(y for _, y in points)])
    width, height, pad = 320, 220, 30

    def xy(x: Any, y: Any) -> tuple[float, float]:
        return (pad + float(x) * (width - 2 * pad) / 100,
                height - pad - 10 - float((Decimal(y) - low) / (high - low))
                * (height - 2 * pad - 10))

    line = " ".join(f"{a:.1f},{b:.1f}" for a, b in (xy(x, y) for x, y in points))
    return {"line": line, "width": width, "height": height, "pad": pad,
            "zero": xy(0, 0)[1], "hundred": xy(0, 100)[1], "low": low, "high": high,
            "top20": xy(20, next((y for x, y in points if x == 20), 0)),
            "right": width - pad, "bottom": height - pad - 10}


def value_page() -> Any:
    from flask import Response, current_app, g, render_template, request

    kernel = current_app.extensions["accord"]
    require(g.actor, READ)
    problem, status = "", 200
    try:
        months = parse_months(request.args.get("months"))
    except ValidationError as exc:
        problem, status, months = " ".join(exc.flat()["months"]), 400, 12
    stage = request.args.get("stage") or None
    s = value_summary(kernel, g.actor, months)
    listing = None
    try:
        if stage is not None:
            listing = value_customers(kernel, g.actor, months, stage=stage, limit=50,
                                      cursor=request.args.get("cursor") or None)
    except ValidationError as exc:
        problem = " ".join(" ".join(v) for v in exc.flat().values())
        status, stage = 400, None
    top = value_customers(kernel, g.actor, months, limit=10)["items"]
    bottom = value_customers(kernel, g.actor, months, order="least", limit=10)["items"]
    cur = s["currency"]

    def amount(value: Decimal) -> str:
        return f"{format_amount(value, cur, grouped=True)} {cur}"

    body = render_template("marketing/value.html", s=s, amount=amount, top=top,
                           bottom=bottom, listing=listing, stage=stage,
                           stage_labels=STAGE_LABELS, problem=problem,
                           months_arg="all" if months is None else str(months),
                           svg=_svg_curve(s["curve"]))
    return Response(body, status=status)


# The customer's page ------------------------------------------------------------------

def panels(kernel: Accord, actor: Actor, record_type: str, record: dict[str, Any]
           ) -> list[Panel]:
    """"Value and lifecycle" on an organization's page and on the page of a contact
    without an organization, for readers holding marketing.value.read."""
    if record_type not in _CUSTOMER_TYPES or not actor.can(READ):
        return []
    if record_type == "contact" and record.get("organization_id"):
        return []
    found = customer_value(kernel, actor, record_type, int(record["id"]))
    if found is None:
        return []
    cur = base_currency(kernel)
    shown = {k: f"{format_amount(found[k], cur, grouped=True)} {cur}"
             for k in ("revenue", "cost_to_serve", "campaign_cost", "profit")}
    return [Panel("Value and lifecycle", template="marketing/_value_panel.html", order=20,
                  context={"v": found, "shown": shown, "notes": notes_of(kernel)})]
