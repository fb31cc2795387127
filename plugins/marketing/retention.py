"""The marketing plugin's retention part: the repeat-customer rate, retention and churn
by first-purchase cohort, each customer's usual purchase interval with the "due to buy"
and "at risk" list, historical customer lifetime value, and "customers who bought X
also bought Y".

Read-only and set-based (the SQL is in ``retention_queries``), from the purchase facts
(the sales plugin's ``sales.orders`` and ``sales.products_bought``), never from their
tables; without them every figure is empty or zero and ``note`` says why. The pages and
the API count the customers the reader's record rules reach; the metrics
(``marketing.repeat_rate``, ``marketing.retention_rate``, ``marketing.churn_rate``,
``marketing.average_clv``) those of the metric's reader.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import click
import marshmallow as ma
import peewee
from marshmallow import fields

from accord.database import is_postgres
from accord.errors import NotFound, ValidationError
from accord.metrics import Metric, round_money
from accord.models import Contact, Organization, Product, utcnow
from accord.pages import NavEntry
from accord.pagination import decode_cursor, encode_cursor
from accord.rates import base_currency
from accord.records import Permission
from accord.routes import ApiRoute
from accord.services.authz import require

from . import retention_queries as q
from .paging import MAX_PAGE, PageArgs
from .retention_queries import NO_FACTS
from .tiers import _rule

if TYPE_CHECKING:
    from flask import Blueprint

    from accord.kernel import Accord
    from accord.services import Actor

__all__ = ["PERMISSIONS", "AGENT", "NAV", "METRICS", "COMMANDS", "api_routes", "add_pages",
           "overview", "due_customers", "also_bought", "bought_products", "READ", "OFFSETS",
           "NO_FACTS", "STATUSES"]

#: The permission to see the retention figures and lists.
READ = "marketing.retention.read"
#: The month offsets of the cohort table: the month of the first order (0) and the 11
#: after it.
OFFSETS = 12
#: The statuses of the purchase-interval list.
STATUSES = ("due", "at_risk")
#: The most products "also bought" names.
ALSO_BOUGHT = 20

PERMISSIONS = [Permission(READ, "See the repeat rate, cohorts, lifetime value and the "
                                "customers due to buy or at risk")]
AGENT = (READ,)
NAV = [NavEntry("Retention", "/marketing/retention", READ, order=63)]


def _today(today: dt.date | None) -> dt.date:
    return today or utcnow().date()


def _day(value: Any) -> dt.date:
    """A day read from a subquery: a date on PostgreSQL, ISO text on SQLite."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _month_name(index: int) -> str:
    return f"{(index - 1) // 12:04d}-{(index - 1) % 12 + 1:02d}"


def _keep(kernel: Accord, actor: Actor) -> q.Keep:
    """The customers of each type the actor's record rules reach."""
    def keep(query: Any, name: str, model: Any) -> Any:
        rule = _rule(kernel, actor, name, model)
        if rule is True:
            return query
        return query.where(peewee.SQL("1 = 0") if rule is False else rule)
    return keep


def _money(kernel: Accord, amount: Decimal) -> Decimal:
    return round_money(amount, base_currency(kernel))


# Reads ----------------------------------------------------------------------------

def overview(kernel: Accord, actor: Actor, *, months: int = 12,
             today: dt.date | None = None) -> dict[str, Any]:
    """The repeat rate (customers with two orders or more of those with one, all time),
    the average lifetime value (order value per customer who bought), the cohorts of
    the last ``months`` months (customers by month of first order: their number, their
    average lifetime value, and for the month of the first order and each of the 11
    after it, how many ordered that month, the retention and the churn in percent; None
    for months still to come), and how many customers are due to buy or at risk."""
    require(actor, READ)
    if not 1 <= months <= 36:
        raise ValidationError({"months": ["give a number of months from 1 to 36"]})
    today = _today(today)
    now = today.year * 12 + today.month
    first = now - months + 1
    out: dict[str, Any] = {
        "today": today, "note": "", "currency": base_currency(kernel), "months": months,
        "customers": 0, "repeat_customers": 0, "repeat_rate": Decimal("0.00"),
        "average_clv": _money(kernel, Decimal(0)), "due": 0, "at_risk": 0, "cohorts": []}
    with kernel.bound():
        ev = q.events(kernel, _keep(kernel, actor))
        if ev is None:
            out["note"] = NO_FACTS
            per_cohort: dict[int, tuple[int, int, Decimal]] = {}
            cells: dict[tuple[int, int], int] = {}
        else:
            per_cohort = {m: (n, r, v) for m, n, r, v in q.cohort_overview(kernel, ev)}
            cells = q.cohort_cells(kernel, ev, first, now, OFFSETS)
            factor = Decimal(kernel.settings("marketing")["at_risk_factor"])
            due = q.interval_rows(kernel, ev, today, factor)
            counted: Any = (peewee.Select([due], [due.c.status, peewee.fn.COUNT(
                peewee.SQL("*"))]).group_by(due.c.status).bind(kernel.database).tuples())
            for status, n in counted:
                if status in STATUSES:
                    out[status] = int(n)
    customers = sum(n for n, _, _ in per_cohort.values())
    repeat = sum(r for _, r, _ in per_cohort.values())
    value = sum((v for _, _, v in per_cohort.values()), Decimal(0))
    out.update(customers=customers, repeat_customers=repeat,
               repeat_rate=q.percent(repeat, customers),
               average_clv=_money(kernel, value / customers if customers else Decimal(0)))
    for cohort in range(first, now + 1):
        n, _, v = per_cohort.get(cohort, (0, 0, Decimal(0)))
        row: dict[str, Any] = {"cohort": _month_name(cohort), "customers": n,
                               "average_clv": _money(kernel, v / n if n else Decimal(0)),
                               "cells": []}
        for offset in range(OFFSETS):
            if cohort + offset > now:
                row["cells"].append({"offset": offset, "customers": None,
                                     "retention": None, "churn": None})
                continue
            active = cells.get((cohort, offset), 0)
            kept = q.percent(active, n)
            row["cells"].append({"offset": offset, "customers": active, "retention": kept,
                                 "churn": Decimal("100.00") - kept if n else Decimal("0.00")})
        out["cohorts"].append(row)
    return out


def _after(kernel: Accord, due: Any, cursor: str) -> Any:
    """The condition of the rows after the cursor's in the list's order (the highest
    ``due_num / span`` first, then by customer type and id), compared exactly."""
    num, span, kind, ident = decode_cursor(cursor, 4)
    if not (all(isinstance(v, int) and not isinstance(v, bool) for v in (num, span, ident))
            and kind in ("organization", "contact") and num >= 0 and span >= 1):
        raise ValidationError({"cursor": ["not a cursor of this list; use the next_cursor "
                                          "of the previous page"]})
    left: Any = due.c.due_num
    right: Any = due.c.span
    if is_postgres(kernel.database):  # whole numbers of any size, compared exactly
        left, right = peewee.Cast(left, "NUMERIC"), peewee.Cast(right, "NUMERIC")
    mine, theirs = left * span, right * num
    return (mine < theirs) | ((mine == theirs) & (
        (due.c.ctype > kind) | ((due.c.ctype == kind) & (due.c.customer > ident))))


def due_customers(kernel: Accord, actor: Actor, *, status: str | None = None,
                  limit: int = 50, cursor: str | None = None,
                  today: dt.date | None = None) -> dict[str, Any]:
    """One page of the customers due to buy (since their last order, at least their
    usual interval and at most ``at_risk_factor`` times it) or at risk (more), both
    unless ``status`` says which, the most overdue first (days since the last order
    divided by the interval), under the reader's record rules: ``{"items": [...],
    "next_cursor": ...}``. The interval is the days from the first to the last order
    over the order days less one, for customers who ordered on two days or more."""
    require(actor, READ)
    if status is not None and status not in STATUSES:
        raise ValidationError({"status": [f"use one of {', '.join(STATUSES)}"]})
    today = _today(today)
    factor = Decimal(kernel.settings("marketing")["at_risk_factor"])
    out: dict[str, Any] = {"today": today, "factor": factor, "note": "", "items": [],
                           "next_cursor": None}
    limit = max(1, min(limit, MAX_PAGE))
    with kernel.bound():
        ev = q.events(kernel, _keep(kernel, actor))
        if ev is None:
            if cursor:
                decode_cursor(cursor, 4)
            out["note"] = NO_FACTS
            return out
        due = q.interval_rows(kernel, ev, today, factor)
        ratio = peewee.Cast(due.c.due_num, "DOUBLE PRECISION") / due.c.span
        query = (peewee.Select([due], [due.c.ctype, due.c.customer, due.c.first_day,
                                       due.c.last_day, due.c.days, due.c.span, due.c.since,
                                       due.c.due_num, due.c.status, Organization.name,
                                       Contact.first_name, Contact.last_name])
                 .join(Organization, peewee.JOIN.LEFT_OUTER, on=(
                     (due.c.ctype == "organization") & (Organization.id == due.c.customer)))
                 .join(Contact, peewee.JOIN.LEFT_OUTER, on=(
                     (due.c.ctype == "contact") & (Contact.id == due.c.customer)))
                 .where(due.c.status.in_([status] if status else list(STATUSES))))
        if cursor:
            query = query.where(_after(kernel, due, cursor))
        rows = list(query.order_by(ratio.desc(), due.c.ctype, due.c.customer)
                    .limit(limit + 1).bind(kernel.database).dicts())
    for row in rows[:limit]:
        out["items"].append(_due_item(row))
    if len(rows) > limit:
        last = rows[limit - 1]
        out["next_cursor"] = encode_cursor([int(last["due_num"]), int(last["span"]),
                                            last["ctype"], int(last["customer"])])
    return out


def _due_item(row: dict[str, Any]) -> dict[str, Any]:
    span, gaps = int(row["span"]), int(row["days"]) - 1
    interval = (Decimal(span) / gaps).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    whole = int((Decimal(span) / gaps).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    last = _day(row["last_day"])
    kind = row["ctype"]
    name = row["name"] if kind == "organization" else " ".join(
        p for p in (row["first_name"], row["last_name"]) if p)
    return {"customer_type": kind, "customer_id": int(row["customer"]), "name": name,
            "first_order": _day(row["first_day"]), "last_order": last,
            "order_days": int(row["days"]), "interval_days": interval,
            "days_since": int(row["since"]),
            "expected": last + dt.timedelta(days=whole), "status": row["status"],
            "url": f"/records/{kind}/{int(row['customer'])}"}


def _product_names(kernel: Accord, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    found: Any = Product.select(Product.id, Product.name).where(Product.id.in_(ids)).tuples()
    return {i: name for i, name in found}


def also_bought(kernel: Accord, actor: Actor, product_id: int) -> dict[str, Any]:
    """The other products bought by the customers who bought ``product_id`` (the
    customers the reader's record rules reach), with how many of them bought each, the
    most bought first, at most 20. An unknown product is a 404 naming it."""
    require(actor, READ)
    with kernel.bound():
        product = Product.get_or_none(Product.id == product_id)
        if product is None:
            raise NotFound(f"no product {product_id}")
        keep = _keep(kernel, actor)
        out: dict[str, Any] = {"product_id": product.id, "product": product.name,
                               "customers": 0, "note": "", "items": []}
        pb = q.bought(kernel, keep)
        if pb is None:
            out["note"] = NO_FACTS
            return out
        src = pb.alias("retention_buyers")
        out["customers"] = int(peewee.Select([src], [peewee.fn.COUNT(peewee.SQL("*"))])
                               .where(src.c.product == product_id)
                               .bind(kernel.database).scalar() or 0)
        rows = q.also_bought_rows(kernel, keep, product_id, ALSO_BOUGHT) or []
        names = _product_names(kernel, [p for p, _ in rows])
    out["items"] = [{"product_id": p, "name": names.get(p, f"product {p}"), "customers": n,
                     "share": q.percent(n, out["customers"]),
                     "url": f"/records/product/{p}"} for p, n in rows]
    return out


def bought_products(kernel: Accord, actor: Actor) -> list[tuple[int, str]]:
    """The products the customers the reader's rules reach bought, by name (the "also
    bought" form's choices; at most 1000)."""
    require(actor, READ)
    with kernel.bound():
        pb = q.bought(kernel, _keep(kernel, actor))
        if pb is None:
            return []
        found: Any = (Product.select(Product.id, Product.name)
                      .where(Product.id.in_(q.products_bought_ids(kernel, pb)))
                      .order_by(Product.name, Product.id).limit(1000).tuples())
        return [(i, name) for i, name in found]


# Metrics --------------------------------------------------------------------------

METRICS = [
    Metric("marketing.repeat_rate", "Customers who ordered twice or more in the period, "
           "of those who ordered", "percent", q.repeat_rate_points),
    Metric("marketing.retention_rate", "Customers of the period's first day (who had "
           "ordered before it) who ordered again in the period", "percent",
           q.retention_rate_points),
    Metric("marketing.churn_rate", "Customers of the period's first day who did not order "
           "again in the period (100 less the retention rate)", "percent",
           q.churn_rate_points),
    Metric("marketing.average_clv", "Average customer lifetime value: order value up to "
           "the period's end per customer who had ordered (base currency)", "currency",
           q.average_clv_points, adds_up=False)]


# API ------------------------------------------------------------------------------

class RetentionArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    months = fields.Integer(load_default=12, strict=False, validate=ma.validate.Range(1, 36),
                            metadata={"description": "How many cohorts (months of first "
                                                     "order) up to this month"})


class RetentionCohortCell(ma.Schema):
    offset = fields.Integer(metadata={"description": "Months after the first order"})
    customers = fields.Integer(allow_none=True, metadata={
        "description": "The cohort's customers who ordered that month; null: still to come"})
    retention = fields.Decimal(as_string=True, allow_none=True)
    churn = fields.Decimal(as_string=True, allow_none=True)


class RetentionCohort(ma.Schema):
    cohort = fields.String(metadata={"description": "The month of the first order"})
    customers = fields.Integer()
    average_clv = fields.Decimal(as_string=True)
    cells = fields.List(fields.Nested(RetentionCohortCell))


class RetentionAnswer(ma.Schema):
    today = fields.Date()
    note = fields.String(metadata={"description": "Why every figure is empty, when so"})
    currency = fields.String()
    months = fields.Integer()
    customers = fields.Integer(metadata={"description": "Customers who ordered"})
    repeat_customers = fields.Integer()
    repeat_rate = fields.Decimal(as_string=True)
    average_clv = fields.Decimal(as_string=True)
    due = fields.Integer()
    at_risk = fields.Integer()
    cohorts = fields.List(fields.Nested(RetentionCohort))


class RetentionDueArgs(PageArgs):
    status = fields.String(load_default=None, validate=ma.validate.OneOf(STATUSES))


class RetentionDueCustomer(ma.Schema):
    customer_type = fields.String()
    customer_id = fields.Integer()
    name = fields.String()
    first_order = fields.Date()
    last_order = fields.Date()
    order_days = fields.Integer()
    interval_days = fields.Decimal(as_string=True)
    days_since = fields.Integer()
    expected = fields.Date(metadata={"description": "The last order plus the interval"})
    status = fields.String()
    url = fields.String()


class RetentionDueAnswer(ma.Schema):
    today = fields.Date()
    factor = fields.Decimal(as_string=True)
    note = fields.String()
    items = fields.List(fields.Nested(RetentionDueCustomer))
    next_cursor = fields.String(allow_none=True)


class AlsoBoughtArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    product_id = fields.Integer(required=True, strict=False,
                                validate=ma.validate.Range(1, 2 ** 63 - 1))


class AlsoBoughtItem(ma.Schema):
    product_id = fields.Integer()
    name = fields.String()
    customers = fields.Integer()
    share = fields.Decimal(as_string=True, metadata={
        "description": "Of the product's customers, in percent"})
    url = fields.String()


class AlsoBoughtAnswer(ma.Schema):
    product_id = fields.Integer()
    product = fields.String()
    customers = fields.Integer(metadata={"description": "Customers who bought the product"})
    note = fields.String()
    items = fields.List(fields.Nested(AlsoBoughtItem))


def _overview(kernel: Accord, *, actor: Actor, months: int) -> dict[str, Any]:
    return overview(kernel, actor, months=months)


def _due(kernel: Accord, *, actor: Actor, limit: int, cursor: str | None,
         status: str | None) -> dict[str, Any]:
    return due_customers(kernel, actor, status=status, limit=limit, cursor=cursor)


def _also(kernel: Accord, *, actor: Actor, product_id: int) -> dict[str, Any]:
    return also_bought(kernel, actor, product_id)


def api_routes() -> list[ApiRoute]:
    return [
        ApiRoute("/marketing/retention", _overview, READ, "Repeat rate, cohorts and "
                 "lifetime value", args=RetentionArgs, response=RetentionAnswer,
                 description="The repeat-customer rate, the average customer lifetime "
                             "value, the cohorts by month of first order with their "
                             "retention and churn for the 12 months from it, and how many "
                             "customers are due to buy or at risk; the customers the "
                             "reader's record rules reach."),
        ApiRoute("/marketing/retention/at-risk", _due, READ,
                 "Customers due to buy or at risk", args=RetentionDueArgs,
                 response=RetentionDueAnswer,
                 description="One page of the customers past their usual purchase "
                             "interval (due) or past at_risk_factor times it (at risk), "
                             "the most overdue first, under the reader's record rules."),
        ApiRoute("/marketing/retention/also-bought", _also, READ,
                 "Customers who bought a product also bought", args=AlsoBoughtArgs,
                 response=AlsoBoughtAnswer,
                 description="The 20 products most bought by the customers who bought "
                             "product_id, with how many of them; an unknown product is a "
                             "404 naming it.")]


# CLI ------------------------------------------------------------------------------

def _cell(cell: dict[str, Any], customers: int) -> str:
    if cell["retention"] is None:
        return ""
    return f"{cell['retention']:.0f}%" if customers else "–"


@click.command("retention")
@click.option("--months", type=click.IntRange(1, 36), default=12, show_default=True,
              help="How many cohorts (months of first order) to show.")
@click.pass_obj
def retention_command(state: Any, months: int) -> None:
    """The repeat-customer rate, the average lifetime value, retention by cohort of first
    order and how many customers are due to buy or at risk."""
    from accord.money import format_amount
    from accord.services import Actor

    kernel: Accord = state.kernel()
    o = overview(kernel, Actor.system("cli"), months=months)
    if o["note"]:
        click.echo(f"No figures: {o['note']}.")
    click.echo(f"Repeat customers: {o['repeat_customers']} of {o['customers']} "
               f"({o['repeat_rate']}%)")
    click.echo(f"Average lifetime value: "
               f"{format_amount(o['average_clv'], o['currency'], grouped=True)} "
               f"{o['currency']}")
    rows = [["cohort", "customers", *(f"M{n}" for n in range(OFFSETS))]]
    rows += [[c["cohort"], str(c["customers"]), *(_cell(x, c["customers"]) for x in c["cells"])]
             for c in o["cohorts"]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(v.rjust(w) if i else v.ljust(w)
                             for i, (v, w) in enumerate(zip(row, widths))).rstrip())
    click.echo(f"At risk: {o['at_risk']} customers; due to buy: {o['due']} (past "
               f"{kernel.settings('marketing')['at_risk_factor']} times their usual "
               "interval: at risk)")


COMMANDS = [retention_command]


# Page -----------------------------------------------------------------------------

def add_pages(bp: Blueprint) -> None:
    bp.add_url_rule("/retention", "retention_page", retention_page)


def _page_args(args: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The page's query string (months, status, product_id), with what is wrong by name."""
    loaded: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    months = args.get("months", "").strip()
    if months:
        if months.isdigit() and 1 <= int(months) <= 36:
            loaded["months"] = int(months)
        else:
            problems["months"] = ["give a number of months from 1 to 36"]
    status = args.get("status", "").strip()
    if status:
        if status in STATUSES:
            loaded["status"] = status
        else:
            problems["status"] = [f"use one of {', '.join(STATUSES)}"]
    product = args.get("product_id", "").strip()
    if product:
        if product.isdigit() and 0 < len(product) < 19 and int(product) > 0:
            loaded["product_id"] = int(product)
        else:
            problems["product_id"] = [f"{product!r} is not a product id"]
    return loaded, problems


def retention_curve(cohorts: list[dict[str, Any]], offsets: int) -> list[dict[str, Any]]:
    """The cohorts' retention curve: for each month after the first order (1 ..
    ``offsets - 1``), the share of the customers of the cohorts that have reached that
    month who ordered in it (weighted by cohort size); months no cohort reached yet are
    left out."""
    points = []
    for offset in range(1, offsets):
        reached = kept = 0
        for cohort in cohorts:
            cell = cohort["cells"][offset] if offset < len(cohort["cells"]) else None
            if cell is None or cell["retention"] is None or not cohort["customers"]:
                continue
            reached += cohort["customers"]
            kept += cell["customers"]
        if reached:
            points.append({"offset": offset, "customers": reached,
                           "retention": (Decimal(100 * kept) / reached).quantize(
                               Decimal("0.01"))})
    return points


def _curve_svg(points: list[dict[str, Any]], offsets: int) -> dict[str, Any] | None:
    """Where the curve's points fall in a 600 x 220 drawing (y: 0-100%)."""
    if not points:
        return None
    width, height, pad, bottom = 600, 220, 40, 190
    step = (width - 2 * pad) / max(1, offsets - 2)

    def at(point: dict[str, Any]) -> tuple[float, float]:
        x = pad + (point["offset"] - 1) * step
        y = bottom - float(point["retention"]) / 100 * (bottom - 10)
        return round(x, 1), round(y, 1)

    dots = [(*at(p), p) for p in points]
    return {"width": width, "height": height, "pad": pad, "bottom": bottom, "top": 10,
            "right": width - pad, "dots": dots,
            "line": " ".join(f"{x},{y}" for x, y, _ in dots),
            "ticks": [(round(pad + (n - 1) * step, 1), n) for n in range(1, offsets)]}


def retention_page() -> Any:
    from flask import Response, current_app, g, render_template, request

    from accord.money import format_amount

    kernel = current_app.extensions["accord"]
    actor = g.actor
    loaded, problems = _page_args(request.args)
    status = 400 if problems else 200
    o = overview(kernel, actor, months=loaded.get("months", 12))
    listing: dict[str, Any] = {"items": [], "next_cursor": None}
    try:
        listing = due_customers(kernel, actor, status=loaded.get("status"), limit=50,
                                cursor=request.args.get("cursor") or None)
    except ValidationError as exc:
        problems.update(exc.flat())
        status = 400
    also = None
    if "product_id" in loaded:
        try:
            also = also_bought(kernel, actor, loaded["product_id"])
        except NotFound as exc:
            problems["product_id"] = [exc.message]
            status = 404

    def money(amount: Decimal) -> str:
        return f"{format_amount(amount, o['currency'], grouped=True)} {o['currency']}"

    body = render_template("marketing/retention.html", o=o, listing=listing, also=also,
                           products=bought_products(kernel, actor), chosen=loaded,
                           problems=problems, money=money, offsets=OFFSETS,
                           curve=_curve_svg(retention_curve(o["cohorts"], OFFSETS), OFFSETS),
                           factor=kernel.settings("marketing")["at_risk_factor"])
    return Response(body, status=status)
