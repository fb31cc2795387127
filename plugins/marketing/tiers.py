"""The marketing plugin's value tiers: the classic grid by order value × number of
orders (A prospects, B low value and few orders, C high value and few, D low value and
many, E high value and many), with RFM scores alongside.

Computed set-based by ``services.tiers.compute_tiers`` from the purchase facts (the
sales plugin's), stored per customer and day (history kept), recomputed by the daily
job ``marketing.tiers``, ``accord marketing tiers --recompute`` and ``POST
/api/v1/marketing/tiers/recompute``. Read here: the matrix (count and order value per
tier), the movements since the previous computation, the customers of a tier (under
the reader's record rules), the metric ``marketing.tier_distribution`` and the facts
``marketing.tier`` and ``marketing.rfm_*`` segments can use.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click
import marshmallow as ma
import peewee
from marshmallow import fields

from accord.errors import NotFound
from accord.facts import CustomerFact
from accord.jobs import Job
from accord.metrics import Metric, MetricPoint, rule_condition
from accord.models import Contact, Organization
from accord.pages import NavEntry
from accord.pagination import decode_cursor, encode_cursor
from accord.records import Permission
from accord.routes import ApiRoute
from accord.services.authz import require

from .models.tiers import TIERS, TierAssignment, TierRun
from .paging import MAX_PAGE, PageArgs
from .services.tiers import COMPUTE, NO_FACTS, compute_tiers

if TYPE_CHECKING:
    from flask import Blueprint

    from accord.kernel import Accord
    from accord.metrics import MetricQuery
    from accord.services import Actor

__all__ = ["MODELS", "PERMISSIONS", "AGENT", "NAV", "JOBS", "METRICS", "FACTS", "COMMANDS",
           "api_routes", "add_pages", "demo", "matrix", "tier_customers", "READ", "LABELS"]

#: The permission to see the tiers, their customers and movements.
READ = "marketing.tier.read"
#: What each tier means.
LABELS = {"A": "Prospects", "B": "Low value, few orders", "C": "High value, few orders",
          "D": "Low value, many orders", "E": "High value, many orders (key accounts)"}

MODELS = [TierRun, TierAssignment]
PERMISSIONS = [Permission(READ, "See the value tiers, their customers and RFM scores"),
               Permission(COMPUTE, "Recompute the value tiers now")]
AGENT = (READ, COMPUTE)
NAV = [NavEntry("Value tiers", "/marketing/tiers", READ, order=62)]


def _run_job(kernel: Accord, today: dt.date) -> str:
    from accord.services import Actor

    return compute_tiers(kernel, actor=Actor.system("marketing.tiers"), day=today).summary()


JOBS = [Job("marketing.tiers", "Every customer's value tier (A-E) and RFM scores are "
                               "computed for the day (history kept)",
            "30 2 * * *", _run_job)]


# Reads --------------------------------------------------------------------------

def _runs(kernel: Accord) -> tuple[TierRun | None, TierRun | None]:
    """The last computation and the one before it."""
    with kernel.bound():
        runs = list(TierRun.select().order_by(TierRun.computed_on.desc()).limit(2))
    return (runs[0] if runs else None), (runs[1] if len(runs) > 1 else None)


def _rule(kernel: Accord, actor: Actor, name: str, model: Any) -> Any:
    """The condition on ``model`` of the customers of type ``name`` the actor may read
    (True: all of them; False: none, without the read permission)."""
    record_type = kernel.records.get(name)
    if not actor.can(f"core.{name}.read"):
        return False
    if not actor.restricted or not record_type.owned:
        return True
    scope = actor.scope(name)
    if scope == "all":
        return True
    from accord.services.authz import rule_condition as condition_of

    return condition_of(scope, actor, model.owner, model.team)


def _visible(kernel: Accord, query: Any, actor: Actor, assignment: Any = TierAssignment
             ) -> Any:
    """``query`` over ``assignment`` rows joined with their customer (still there) and
    limited to the customers the actor's record rules reach."""
    org_rule = _rule(kernel, actor, "organization", Organization)
    contact_rule = _rule(kernel, actor, "contact", Contact)
    query = (query.join(Organization, peewee.JOIN.LEFT_OUTER, on=(
        (assignment.customer_type == "organization")
        & (Organization.id == assignment.customer_id)))
        .switch(assignment)
        .join(Contact, peewee.JOIN.LEFT_OUTER, on=(
            (assignment.customer_type == "contact")
            & (Contact.id == assignment.customer_id))))
    parts = []
    for rule, model in ((org_rule, Organization), (contact_rule, Contact)):
        if rule is False:
            continue
        part = model.id.is_null(False)
        parts.append(part if rule is True else part & rule)
    if not parts:
        return query.where(peewee.SQL("1 = 0"))
    return query.where(parts[0] | parts[1] if len(parts) == 2 else parts[0])


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def matrix(kernel: Accord, actor: Actor) -> dict[str, Any]:
    """The last computation: per tier the customers and their order value, the
    movements since the computation before it (``[{"from": "B", "to": "E", "count":
    3}]``, customers tiered both times), the period and thresholds used, and a note
    when every customer is A for want of purchase facts. Counts only the customers the
    reader's record rules reach."""
    require(actor, READ)
    current, previous = _runs(kernel)
    settings = kernel.settings("marketing")
    out: dict[str, Any] = {
        "computed_on": current.computed_on if current else None,
        "previous_on": previous.computed_on if previous else None,
        "months": current.months if current else settings["tier_months"],
        "value_threshold": _money(current.value_threshold if current
                                  else settings["tier_value_threshold"]),
        "purchases_threshold": (current.purchases_threshold if current
                                else settings["tier_purchases_threshold"]),
        "note": (current.note if current else "the tiers were never computed"),
        "tiers": [], "movements": []}
    counts: dict[str, tuple[int, Decimal]] = {}
    T = TierAssignment
    if current is not None:
        with kernel.bound():
            query = _visible(kernel, T.select(T.tier, peewee.fn.COUNT(T.id),
                                              peewee.fn.SUM(T.value)), actor)
            for tier, n, revenue in (query.where(T.computed_on == current.computed_on)
                                     .group_by(T.tier).tuples()):
                counts[tier] = (n, _money(revenue))
            if previous is not None:
                P = TierAssignment.alias("previous")
                moved = (_visible(kernel, T.select(P.tier, T.tier, peewee.fn.COUNT(T.id))
                                  .join(P, on=((P.customer_type == T.customer_type)
                                               & (P.customer_id == T.customer_id)
                                               & (P.computed_on == previous.computed_on)))
                                  .switch(T), actor)
                         .where(T.computed_on == current.computed_on, P.tier != T.tier)
                         .group_by(P.tier, T.tier).order_by(P.tier, T.tier).tuples())
                out["movements"] = [{"from": a, "to": b, "count": n} for a, b, n in moved]
    out["tiers"] = [{"tier": tier, "label": LABELS[tier],
                     "count": counts.get(tier, (0, Decimal(0)))[0],
                     "revenue": counts.get(tier, (0, Decimal("0.00")))[1]}
                    for tier in TIERS]
    return out


def _check_tier(tier: str) -> str:
    if tier not in TIERS:
        raise NotFound(f"no tier {tier!r} (tiers: {', '.join(TIERS)})")
    return tier


def tier_customers(kernel: Accord, actor: Actor, tier: str, *, limit: int = 50,
                   cursor: str | None = None) -> dict[str, Any]:
    """One page of the customers of ``tier`` in the last computation that the reader's
    record rules reach, the highest order value first: ``{"items": [...],
    "next_cursor": ...}``."""
    require(actor, READ)
    _check_tier(tier)
    current, _ = _runs(kernel)
    out: dict[str, Any] = {"tier": tier, "label": LABELS[tier],
                           "computed_on": current.computed_on if current else None,
                           "items": [], "next_cursor": None}
    if current is None:
        return out
    T = TierAssignment
    limit = max(1, min(limit, MAX_PAGE))
    query = _visible(kernel, T.select(T, Organization.name, Contact.first_name,
                                      Contact.last_name), actor)
    query = query.where(T.computed_on == current.computed_on, T.tier == tier)
    if cursor:
        value, kind, ident = decode_cursor(cursor, 3)
        try:
            if not (isinstance(kind, str) and isinstance(ident, int)):
                raise ArithmeticError
            after = Decimal(value if isinstance(value, str) else "x")
            if not after.is_finite():
                raise ArithmeticError
        except ArithmeticError:  # decimal.InvalidOperation too
            from accord.errors import ValidationError

            raise ValidationError({"cursor": ["not a cursor of this list; use the "
                                              "next_cursor of the previous page"]}) from None
        query = query.where((T.value < after) | ((T.value == after) & (
            (T.customer_type > kind) | ((T.customer_type == kind)
                                        & (T.customer_id > ident)))))
    with kernel.bound():
        rows = list(query.order_by(T.value.desc(), T.customer_type, T.customer_id)
                    .limit(limit + 1).dicts())
    for row in rows[:limit]:
        name = row["name"] if row["customer_type"] == "organization" else " ".join(
            p for p in (row["first_name"], row["last_name"]) if p)
        out["items"].append({
            "customer_type": row["customer_type"], "customer_id": row["customer_id"],
            "name": name, "value": _money(row["value"]), "purchases": row["purchases"],
            "recency_days": row["recency_days"], "r_score": row["r_score"],
            "f_score": row["f_score"], "m_score": row["m_score"],
            "url": f"/records/{row['customer_type']}/{row['customer_id']}"})
    if len(rows) > limit:
        last = rows[limit - 1]
        out["next_cursor"] = encode_cursor([str(Decimal(str(last["value"]))),
                                            last["customer_type"], last["customer_id"]])
    return out


# Facts: segments can choose customers by tier and RFM scores ----------------------

def _fact(customer: str, column: str) -> Any:
    def query(kernel: Accord, since: dt.date | None) -> Any:
        T = TierAssignment
        latest = TierRun.select(peewee.fn.MAX(TierRun.computed_on))
        return (T.select(T.customer_id.alias("customer"), getattr(T, column).alias("value"))
                .where(T.customer_type == customer, T.computed_on == latest,
                       getattr(T, column).is_null(False)))
    return query


FACTS = [fact for customer in ("organization", "contact") for fact in (
    CustomerFact("marketing.tier", "Value tier", "text", customer, _fact(customer, "tier"),
                 description="A (prospect) to E (key account), as last computed"),
    CustomerFact("marketing.rfm_recency", "RFM recency score", "integer", customer,
                 _fact(customer, "r_score"), description="1-5, 5 bought most recently"),
    CustomerFact("marketing.rfm_frequency", "RFM frequency score", "integer", customer,
                 _fact(customer, "f_score"), description="1-5, 5 buys most often"),
    CustomerFact("marketing.rfm_monetary", "RFM monetary score", "integer", customer,
                 _fact(customer, "m_score"), description="1-5, 5 spends most"))]


# Metric ---------------------------------------------------------------------------

def _distribution(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    """Per tier, the customers in the last computation of each month (or of the
    range), counting those the reader's record rules reach."""
    found: Any = (TierRun.select(TierRun.computed_on)
                  .where(TierRun.computed_on >= mq.start, TierRun.computed_on <= mq.end)
                  .order_by(TierRun.computed_on).tuples())
    days = [d for (d,) in found]
    chosen: dict[str, dt.date] = {}
    for day in days:
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
        chosen["total" if mq.by == "total" else f"{day.year:04d}-{day.month:02d}"] = day
    totals: dict[tuple[str, str], int] = {}
    T = TierAssignment
    for name, model in (("organization", Organization), ("contact", Contact)):
        condition = rule_condition(mq, name, model.owner, model.team)
        for period, day in chosen.items():
            query = (T.select(T.tier, peewee.fn.COUNT(T.id))
                     .join(model, on=(model.id == T.customer_id))
                     .where(T.computed_on == day, T.customer_type == name))
            if condition is not None:
                query = query.where(condition)
            if mq.owner_id is not None:
                query = query.where(model.owner == mq.owner_id)
            if mq.team_id is not None:
                query = query.where(model.team == mq.team_id)
            counted: Any = query.group_by(T.tier).tuples()
            for tier, n in counted:
                totals[(period, tier)] = totals.get((period, tier), 0) + n
    return [MetricPoint(period, Decimal(n), group=tier)
            for (period, tier), n in sorted(totals.items())]


METRICS = [Metric("marketing.tier_distribution",
                  "Customers per value tier (A-E), as last computed in each period",
                  "count", _distribution, group_by="tier", adds_up=False)]


# API ------------------------------------------------------------------------------

class TierCell(ma.Schema):
    tier = fields.String()
    label = fields.String()
    count = fields.Integer()
    revenue = fields.Decimal(as_string=True, metadata={
        "description": "Order value of the tier's customers over the period, base currency"})


class TierMovement(ma.Schema):
    from_tier = fields.String(data_key="from", attribute="from")
    to = fields.String()
    count = fields.Integer()


class TierMatrixAnswer(ma.Schema):
    computed_on = fields.Date(allow_none=True)
    previous_on = fields.Date(allow_none=True, metadata={
        "description": "The computation the movements are counted from"})
    months = fields.Integer()
    value_threshold = fields.Decimal(as_string=True)
    purchases_threshold = fields.Integer()
    note = fields.String(metadata={"description": "Why every customer is A, when so"})
    tiers = fields.List(fields.Nested(TierCell))
    movements = fields.List(fields.Nested(TierMovement))


class TierCustomersArgs(PageArgs):
    pass


class TierCustomer(ma.Schema):
    customer_type = fields.String()
    customer_id = fields.Integer()
    name = fields.String()
    value = fields.Decimal(as_string=True)
    purchases = fields.Integer()
    recency_days = fields.Integer(allow_none=True)
    r_score = fields.Integer(allow_none=True)
    f_score = fields.Integer(allow_none=True)
    m_score = fields.Integer(allow_none=True)
    url = fields.String()


class TierCustomersAnswer(ma.Schema):
    tier = fields.String()
    label = fields.String()
    computed_on = fields.Date(allow_none=True)
    items = fields.List(fields.Nested(TierCustomer))
    next_cursor = fields.String(allow_none=True)


def _matrix(kernel: Accord, *, actor: Actor) -> dict[str, Any]:
    return matrix(kernel, actor)


def _customers(kernel: Accord, *, tier: str, actor: Actor, limit: int,
               cursor: str | None) -> dict[str, Any]:
    return tier_customers(kernel, actor, tier, limit=limit, cursor=cursor)


def _recompute(kernel: Accord, *, actor: Actor) -> dict[str, Any]:
    compute_tiers(kernel, actor=actor)
    return matrix(kernel, actor)


def api_routes() -> list[ApiRoute]:
    return [
        ApiRoute("/marketing/tiers", _matrix, READ, "The value-tier matrix",
                 response=TierMatrixAnswer,
                 description="Per tier (A-E) of the last computation: the customers the "
                             "reader's record rules reach and their order value over the "
                             "period; the movements between tiers since the computation "
                             "before; the period and thresholds used. With no purchase "
                             "facts every customer is A and the note says why."),
        ApiRoute("/marketing/tiers/<tier>/customers", _customers, READ,
                 "The customers of a value tier", args=TierCustomersArgs,
                 response=TierCustomersAnswer,
                 description="One page of a tier's customers (highest order value first) "
                             "with their figures and RFM scores, under the reader's "
                             "record rules; an unknown tier is a 404 naming the tiers."),
        ApiRoute("/marketing/tiers/recompute", _recompute, COMPUTE,
                 "Recompute the value tiers now", method="POST", response=TierMatrixAnswer,
                 description="Computes every customer's tier and RFM scores for today "
                             "(replacing today's earlier computation) and answers the "
                             "matrix.")]


# CLI ------------------------------------------------------------------------------

@click.command("tiers")
@click.option("--recompute", is_flag=True, help="Compute the tiers for today first.")
@click.pass_obj
def tiers_command(state: Any, recompute: bool) -> None:
    """The value-tier matrix (A-E): customers and order value per tier, and the
    movements since the previous computation."""
    from accord.services import Actor

    kernel: Accord = state.kernel()
    operator = Actor.system("cli")
    if recompute:
        click.echo(compute_tiers(kernel, actor=operator).summary())
    m = matrix(kernel, operator)
    if m["computed_on"] is None:
        click.echo("The tiers were never computed: run `accord marketing tiers "
                   "--recompute`.")
        return
    click.echo(f"Value tiers computed on {m['computed_on']} (orders of the last "
               f"{m['months']} months; high value from {m['value_threshold']}, many "
               f"from {m['purchases_threshold']} orders)")
    if m["note"]:
        click.echo(f"Every customer is A: {m['note']}")
    cells = {c["tier"]: c for c in m["tiers"]}
    few, many = f"< {m['purchases_threshold']} orders", f">= {m['purchases_threshold']} orders"

    def cell(tier: str) -> str:
        return f"{tier}: {cells[tier]['count']} · {cells[tier]['revenue']}"

    rows = [["", few, many],
            [f"value >= {m['value_threshold']}", cell("C"), cell("E")],
            [f"value <  {m['value_threshold']}", cell("B"), cell("D")]]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
    click.echo(f"{cell('A')} (prospects: no order in the period)")
    if m["previous_on"] is None:
        click.echo("No earlier computation to count movements from.")
    elif not m["movements"]:
        click.echo(f"No movements since {m['previous_on']}.")
    else:
        moved = ", ".join(f"{x['from']}→{x['to']} {x['count']}" for x in m["movements"])
        click.echo(f"Movements since {m['previous_on']}: {moved}")


COMMANDS = [tiers_command]


# Page -----------------------------------------------------------------------------

def add_pages(bp: Blueprint) -> None:
    bp.add_url_rule("/tiers", "tiers_page", tiers_page)
    bp.add_url_rule("/tiers/recompute", "tiers_recompute", tiers_recompute, methods=["POST"])


def tiers_recompute() -> Any:
    """Recompute the tiers for today (the form on the matrix), then show the matrix."""
    from flask import current_app, g, redirect

    compute_tiers(current_app.extensions["accord"], actor=g.actor)
    return redirect("/marketing/tiers", code=303)


def tiers_page() -> Any:
    from flask import Response, current_app, g, render_template, request

    from accord.errors import ValidationError
    from accord.rates import base_currency

    kernel = current_app.extensions["accord"]
    m = matrix(kernel, g.actor)
    chosen = request.args.get("tier", "").strip().upper()
    listing, problem, status = None, "", 200
    if chosen:
        try:
            listing = tier_customers(kernel, g.actor, chosen, limit=50,
                                     cursor=request.args.get("cursor") or None)
        except NotFound as exc:
            problem, status = exc.message, 404
        except ValidationError as exc:
            problem, status = " ".join(" ".join(v) for v in exc.flat().values()), 400
    body = render_template("marketing/tiers.html", m=m, cells={c["tier"]: c for c in
                                                                m["tiers"]},
                           chosen=chosen, listing=listing, problem=problem,
                           no_facts=NO_FACTS, can_compute=g.actor.can(COMPUTE),
                           base=base_currency(kernel))
    return Response(body, status=status)


# Demo -----------------------------------------------------------------------------

def demo(kernel: Accord, actor: Actor) -> None:
    """The tiers computed on the demo data (with the purchases of the sales demo when
    it ran before; the daily job and `--recompute` bring them up to date)."""
    compute_tiers(kernel, actor=actor)
