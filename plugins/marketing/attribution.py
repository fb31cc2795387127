"""The marketing plugin's ROI and attribution: the revenue of won deals attributed to
the campaigns that touched the customer (first touch, last touch or linear: the
``attribution_model`` setting, or ``model`` where asked), each campaign's funnel rates,
leads, cost per lead and per acquisition, and ROI.

Read through ``GET /api/v1/marketing/campaigns/<id>/results``, ``GET
/api/v1/marketing/attribution``, ``accord marketing roi``, the page ``/marketing/roi``,
the campaign pages, and the metrics ``marketing.response_rate``, ``open_rate``,
``click_rate``, ``conversion_rate``, ``cost_per_lead``, ``campaign_roi`` and
``attributed_revenue`` (per campaign). Reading needs the campaign read permission and
shows the campaigns its record rule reaches. How touches and deals are matched and
credited: ``attribution_queries``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import click
import marshmallow as ma
import peewee
from marshmallow import fields

from accord.errors import NotFound, PermissionDenied, ValidationError
from accord.metrics import Metric, MetricPoint, month_of, scoped
from accord.money import format_amount
from accord.pages import NavEntry, Panel
from accord.rates import base_currency
from accord.routes import ApiRoute
from accord.services.authz import require
from accord.services.authz import scoped as scoped_records

from .attribution_queries import (Attribution, attribute, campaign_cost, funnel_counts,
                                  leads_of, percent, results_of, roi_of)
from .campaigns import CAMPAIGN, _readable
from .models.campaigns import Campaign, CampaignMember, CampaignResponse
from .settings import ATTRIBUTION_MODELS

if TYPE_CHECKING:
    from flask import Blueprint

    from accord.kernel import Accord
    from accord.metrics import MetricQuery
    from accord.services import Actor

__all__ = ["READ", "NAV", "METRICS", "COMMANDS", "api_routes", "add_pages", "model_of",
           "campaign_results", "overview", "money_text", "MODEL_LABELS"]

#: Reading ROI and attribution is reading campaigns.
READ = f"{CAMPAIGN}.read"
MODEL_LABELS = {"first_touch": "First touch", "last_touch": "Last touch",
                "linear": "Linear"}
#: The most campaigns the overview lists (the newest).
MAX_CAMPAIGNS = 500
NAV = [NavEntry("Campaign ROI", "/marketing/roi", READ, order=65)]


def model_of(kernel: Accord, model: str | None) -> str:
    """The attribution model asked for (the setting's when None); ValidationError
    naming ``model`` for another value."""
    if model is None or model == "":
        return str(kernel.settings("marketing")["attribution_model"])
    if model not in ATTRIBUTION_MODELS:
        raise ValidationError({"model": [f"{model!r} is not an attribution model; use one "
                                         f"of {', '.join(ATTRIBUTION_MODELS)}"]})
    return model


def money_text(amount: Decimal | None, currency: str | None) -> str:
    """An amount with thousands separators and its currency, or a dash."""
    if amount is None or not currency:
        return "—"
    return f"{format_amount(Decimal(amount), currency, grouped=True)} {currency}"


def campaign_results(kernel: Accord, campaign_id: int, actor: Actor, *,
                     model: str | None = None) -> dict[str, Any]:
    """One campaign's results under ``model`` (its record rule applies: NotFound when
    the actor may not read it)."""
    require(actor, READ)
    chosen = model_of(kernel, model)
    with kernel.bound():
        campaign = _readable(kernel, campaign_id, actor)
        return results_of(kernel, campaign, chosen, attribute(kernel))


def _range_problem(start: dt.date | None, end: dt.date | None) -> None:
    if start is not None and end is not None and start > end:
        raise ValidationError({"start": [f"{start} is after the end {end}"]})


def overview(kernel: Accord, actor: Actor, *, model: str | None = None,
             start: dt.date | None = None, end: dt.date | None = None,
             credited: Attribution | None = None) -> dict[str, Any]:
    """Every campaign the actor may read (newest first, MAX_CAMPAIGNS at most) with its
    cost, leads, acquisitions, attributed revenue and ROI for the deals won from
    ``start`` to ``end``; the totals and the unattributed revenue."""
    require(actor, READ)
    chosen = model_of(kernel, model)
    _range_problem(start, end)
    with kernel.bound():
        query = Campaign.select().order_by(Campaign.created_at.desc(), Campaign.id.desc())
        found = list(scoped_records(query, kernel.records.get(CAMPAIGN), actor)
                     .limit(MAX_CAMPAIGNS))
        ids = [c.id for c in found]
        counts, leads = funnel_counts(ids), leads_of(ids)
        credited = credited or attribute(kernel, start=start, end=end)
        rows = [results_of(kernel, c, chosen, credited, counts.get(c.id, {}),
                           leads.get(c.id, 0)) for c in found]
    costs = [r["cost"] for r in rows if r["cost"] is not None
             and r["cost_currency"] in (None, base_currency(kernel))]
    cost = sum(costs, Decimal("0.00"))
    revenue = sum((r["attributed_revenue"] for r in rows), Decimal("0.00"))
    return {"model": chosen, "currency": base_currency(kernel), "start": start, "end": end,
            "window_days": kernel.settings("marketing")["attribution_window_days"],
            "campaigns": rows, "cost": cost, "attributed_revenue": revenue,
            "roi": None if credited.note or not cost else percent(revenue - cost, cost),
            "deals": credited.deals, "won_revenue": credited.won_revenue,
            "unattributed_deals": credited.unattributed_deals,
            "unattributed_revenue": credited.unattributed_revenue,
            "not_converted": credited.not_converted, "note": credited.note}


# Metrics ----------------------------------------------------------------------------

def _labels(campaigns: dict[int, str]) -> dict[int, str]:
    """A campaign's name, with its id when another campaign has the same name."""
    seen: dict[str, int] = {}
    for name in campaigns.values():
        seen[name] = seen.get(name, 0) + 1
    return {cid: name if seen[name] == 1 else f"{name} (#{cid})"
            for cid, name in campaigns.items()}


def _rate_metric(part: str, whole: str) -> Any:
    """Members who reached ``part`` of those who reached ``whole`` (in the period, by
    the day they reached ``whole``), per campaign, in percent."""
    def compute(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
        M = CampaignMember
        reached = getattr(M, whole)
        period = month_of(kernel, reached, mq)
        query = (M.select(M.campaign, Campaign.name, period.alias("period"),
                          peewee.fn.COUNT(reached), peewee.fn.COUNT(getattr(M, part)))
                 .join(Campaign, on=(Campaign.id == M.campaign))
                 .where(reached >= mq.start_at, reached < mq.end_exclusive))
        query = scoped(query, Campaign, mq, record_type=CAMPAIGN)
        rows = list(query.group_by(M.campaign, Campaign.name, period).tuples())
        labels = _labels({int(c): name for c, name, *_ in rows})
        return [MetricPoint(str(p), percent(Decimal(n), Decimal(total)), labels[int(c)])
                for c, _, p, total, n in rows if total]
    return compute


def _launched(kernel: Accord, mq: MetricQuery) -> list[tuple[Any, str]]:
    """The campaigns launched in the range the reader may read, with their period."""
    query = Campaign.select().where(Campaign.launched_at >= mq.start_at,
                                    Campaign.launched_at < mq.end_exclusive)
    found = list(scoped(query, Campaign, mq, record_type=CAMPAIGN))
    out = []
    for c in found:
        day = c.launched_at.date()
        out.append((c, "total" if mq.by == "total" else f"{day.year:04d}-{day.month:02d}"))
    return out


def _cost_per_lead(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    """Per campaign launched in the period: its cost (base currency) per lead created."""
    found = _launched(kernel, mq)
    leads = leads_of([c.id for c, _ in found])
    labels = _labels({c.id: c.name for c, _ in found})
    points = []
    for campaign, period in found:
        cost, _ = campaign_cost(kernel, campaign)
        if cost is not None and leads.get(campaign.id):
            points.append(MetricPoint(period, (cost / leads[campaign.id]).quantize(
                Decimal("0.01"), ROUND_HALF_UP), labels[campaign.id]))
    return points


def _roi(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    """Per campaign launched in the period: ROI % on all the revenue attributed to it
    (the settings' model); campaigns without a cost in the base currency are left out."""
    found = _launched(kernel, mq)
    if not found:
        return []
    credited = attribute(kernel)
    if credited.note:
        return []
    model = model_of(kernel, None)
    labels = _labels({c.id: c.name for c, _ in found})
    points = []
    for campaign, period in found:
        cost, _ = campaign_cost(kernel, campaign)
        roi = roi_of(credited.of(model, campaign.id).revenue, cost)
        if roi is not None:
            points.append(MetricPoint(period, roi, labels[campaign.id]))
    return points


def _attributed_revenue(kernel: Accord, mq: MetricQuery) -> list[MetricPoint]:
    """Per campaign: the revenue of the deals won in each period attributed to it
    (the settings' model)."""
    query = scoped(Campaign.select(Campaign.id, Campaign.name), Campaign, mq,
                   record_type=CAMPAIGN)
    names = {int(i): n for i, n in query.tuples()}
    if not names:
        return []
    labels = _labels(names)
    model = model_of(kernel, None)
    credited = attribute(kernel, start=mq.start, end=mq.end)
    sums: dict[tuple[str, int], Decimal] = {}
    for (kind, campaign, month), revenue in credited.monthly.items():
        if kind == model and campaign in names:
            key = ("total" if mq.by == "total" else month, campaign)
            sums[key] = sums.get(key, Decimal("0.00")) + revenue
    return [MetricPoint(period, revenue.quantize(Decimal("0.01")), labels[campaign])
            for (period, campaign), revenue in sorted(sums.items())]


METRICS = [
    Metric("marketing.response_rate", "Members who responded of those sent a message, "
           "per campaign, by the month they were sent", "percent",
           _rate_metric("responded_at", "sent_at"), group_by="campaign", adds_up=False),
    Metric("marketing.open_rate", "Members who opened the message of those sent one, per "
           "campaign, by the month they were sent", "percent",
           _rate_metric("opened_at", "sent_at"), group_by="campaign", adds_up=False),
    Metric("marketing.click_rate", "Members who clicked the message's link of those sent "
           "one, per campaign, by the month they were sent", "percent",
           _rate_metric("clicked_at", "sent_at"), group_by="campaign", adds_up=False),
    Metric("marketing.conversion_rate", "Members who converted of those who responded, per "
           "campaign, by the month they responded", "percent",
           _rate_metric("converted_at", "responded_at"), group_by="campaign",
           adds_up=False),
    Metric("marketing.cost_per_lead", "A campaign's actual cost (base currency) per lead "
           "its responses created, by the month it was launched", "currency",
           _cost_per_lead, group_by="campaign", adds_up=False),
    Metric("marketing.campaign_roi", "(Attributed revenue - cost) / cost of a campaign, in "
           "percent, by the month it was launched (the attribution_model setting)",
           "percent", _roi, group_by="campaign", adds_up=False),
    Metric("marketing.attributed_revenue", "Revenue of the deals won in the period "
           "attributed to each campaign (the attribution_model setting), base currency",
           "currency", _attributed_revenue, group_by="campaign"),
]


# API --------------------------------------------------------------------------------

_MODEL = fields.String(load_default=None, metadata={
    "description": "first_touch, last_touch or linear; the attribution_model setting's "
                   "when left out (another value: 422)"})


class ResultsArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    model = _MODEL


class AttributionArgs(ResultsArgs):
    start = fields.Date(load_default=None, metadata={
        "description": "The first day a deal was won on (all deals without it)"})
    end = fields.Date(load_default=None, metadata={"description": "The last day, inclusive"})


def _amount(**kwargs: Any) -> fields.Decimal:
    return fields.Decimal(as_string=True, allow_none=True, **kwargs)


def _rate(what: str) -> fields.Decimal:
    return _amount(metadata={"description": f"{what}, percent; null when nothing to divide "
                                            "by"})


class ByModel(ma.Schema):
    first_touch = _amount()
    last_touch = _amount()
    linear = _amount()


class CampaignResults(ma.Schema):
    campaign_id = fields.Integer()
    name = fields.String()
    status = fields.String()
    model = fields.String()
    currency = fields.String(metadata={"description": "The base currency of the amounts"})
    members = fields.Integer()
    sent = fields.Integer()
    delivered = fields.Integer()
    opened = fields.Integer()
    clicked = fields.Integer()
    responded = fields.Integer()
    converted = fields.Integer()
    bounced = fields.Integer()
    unsubscribed = fields.Integer()
    response_rate = _rate("responded / sent")
    open_rate = _rate("opened / sent")
    click_rate = _rate("clicked / sent")
    conversion_rate = _rate("converted / responded")
    leads = fields.Integer(metadata={"description": "Leads the responses created"})
    cost = _amount(metadata={"description": "The actual cost"})
    cost_currency = fields.String(allow_none=True)
    cost_per_lead = _amount()
    acquisitions = fields.Integer(metadata={"description": "Won deals attributed (in "
                                                           "part, for linear)"})
    cost_per_acquisition = _amount()
    attributed_revenue = _amount()
    revenue_by_model = fields.Nested(ByModel)
    roi = _amount(metadata={"description": "(revenue - cost) / cost x 100"})
    roi_note = fields.String(metadata={"description": "Why there is no ROI, when so"})
    note = fields.String(metadata={"description": "Why nothing is attributed, when so"})


class AttributionAnswer(ma.Schema):
    model = fields.String()
    currency = fields.String()
    start = fields.Date(allow_none=True)
    end = fields.Date(allow_none=True)
    window_days = fields.Integer()
    campaigns = fields.List(fields.Nested(CampaignResults))
    cost = _amount(metadata={"description": "Cost of the campaigns listed, base currency"})
    attributed_revenue = _amount()
    roi = _amount()
    deals = fields.Integer()
    won_revenue = _amount()
    unattributed_deals = fields.Integer()
    unattributed_revenue = _amount()
    not_converted = fields.Integer(metadata={
        "description": "Deals not in the base currency: counted, no revenue"})
    note = fields.String()


def _results(kernel: Accord, *, id: int, actor: Actor, model: str | None) -> Any:
    return campaign_results(kernel, id, actor, model=model)


def _attribution(kernel: Accord, *, actor: Actor, model: str | None,
                 start: dt.date | None, end: dt.date | None) -> Any:
    return overview(kernel, actor, model=model, start=start, end=end)


def api_routes() -> list[ApiRoute]:
    return [
        ApiRoute("/marketing/campaigns/<int:id>/results", _results, READ,
                 "A campaign's results and ROI", args=ResultsArgs,
                 response=CampaignResults,
                 description="The funnel counts and rates, leads, cost per lead and per "
                             "acquisition, the revenue of won deals attributed to the "
                             "campaign (the model asked, and under each model) and ROI; a "
                             "null ROI says why in roi_note."),
        ApiRoute("/marketing/attribution", _attribution, READ,
                 "Revenue attributed to campaigns", args=AttributionArgs,
                 response=AttributionAnswer,
                 description="For the deals won from start to end: each campaign the "
                             "reader may read with its cost, attributed revenue, "
                             "acquisitions and ROI, the totals, and the revenue of the "
                             "deals no campaign touched."),
    ]


# CLI --------------------------------------------------------------------------------

@click.command("roi")
@click.option("--model", type=click.Choice(ATTRIBUTION_MODELS), default=None,
              help="The attribution model (the attribution_model setting's by default).")
@click.pass_obj
def roi_command(state: Any, model: str | None) -> None:
    """Each campaign's cost, leads, acquisitions, attributed revenue and ROI, and the
    revenue no campaign touched."""
    from accord.services import Actor

    kernel: Accord = state.kernel()
    found = overview(kernel, Actor.system("cli"), model=model)
    currency = found["currency"]
    click.echo(f"Campaign ROI ({MODEL_LABELS[found['model']].lower()} attribution, "
               f"{found['window_days']}-day window, amounts in {currency})")
    if found["note"]:
        click.echo(f"Note: {found['note']}.")

    def num(value: Any) -> str:
        return "—" if value is None else format_amount(Decimal(value), currency,
                                                       grouped=True)

    rows = [["Campaign", "Cost", "Leads", "Per lead", "Deals", "Per deal", "Revenue",
             "ROI"]]
    for r in found["campaigns"]:
        rows.append([r["name"], num(r["cost"]) if r["cost_currency"] in (None, currency)
                     else f"{num(r['cost'])} {r['cost_currency']}",
                     str(r["leads"]), num(r["cost_per_lead"]), str(r["acquisitions"]),
                     num(r["cost_per_acquisition"]), num(r["attributed_revenue"]),
                     "—" if r["roi"] is None else f"{r['roi']}%"])
    if len(rows) == 1:
        click.echo("No campaigns.")
    else:
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            click.echo("  ".join(v.ljust(w) if i == 0 else v.rjust(w)
                                 for i, (v, w) in enumerate(zip(row, widths))))
    click.echo(f"Unattributed: {found['unattributed_deals']} deals, "
               f"{num(found['unattributed_revenue'])}")


COMMANDS = [roi_command]


# Page -------------------------------------------------------------------------------

def add_pages(bp: Blueprint) -> None:
    bp.add_url_rule("/roi", "roi_page", roi_page)


def roi_page() -> Any:
    from flask import Response, current_app, g, render_template, request

    kernel = current_app.extensions["accord"]
    require(g.actor, READ)
    asked = request.args.get("model", "").strip() or None
    problem = ""
    try:
        chosen = model_of(kernel, asked)
    except ValidationError as exc:
        problem = " ".join(" ".join(v) for v in exc.flat().values())
        chosen = model_of(kernel, None)
    found = overview(kernel, g.actor, model=chosen)
    currency = found["currency"]
    body = render_template("marketing/roi.html", o=found, models=MODEL_LABELS,
                           chosen=chosen, problem=problem,
                           money=lambda v: money_text(v, currency), money_in=money_text)
    return Response(body, status=422 if problem else 200)


# The lead a response created ----------------------------------------------------------

#: The record type of the leads a response creates (the sales plugin's, when enabled).
LEAD = "sales.lead"
_HOW = {"form": "answered the campaign's form", "api": "responded (recorded by the firm)",
        "click": "clicked the campaign's link", "open": "opened the campaign's message"}


def panels(kernel: Accord, actor: Actor, record_type: str, record: dict[str, Any]
           ) -> list[Panel]:
    """"Campaign" on the page of a lead a campaign response created: which campaign,
    who responded and how (for readers of the campaign)."""
    if record_type != LEAD or not actor.can(READ):
        return []
    R = CampaignResponse
    with kernel.bound():
        found = (R.select(R, Campaign.name, Campaign.id)
                 .join(Campaign, on=(Campaign.id == R.campaign))
                 .where(R.lead_id == int(record["id"])).order_by(R.at).limit(1)
                 .objects().first())
    if found is None:
        return []
    try:
        _readable(kernel, found.campaign_id, actor)
    except (NotFound, PermissionDenied):  # a campaign the reader may not see
        return []
    return [Panel("Campaign", columns=("Campaign", "Response", "When"),
                  rows=((found.name, _HOW.get(found.kind, found.kind),
                         found.at.strftime("%Y-%m-%d %H:%M UTC")),),
                  links=(f"/marketing/campaigns/{found.campaign_id}",), order=15)]
