"""The campaign pages: the list, a campaign's funnel, and the public link pages (``add_pages``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, g, redirect, render_template, request

from accord.errors import NotFound, TooManyRequests, ValidationError
from accord.models import Contact
from accord.money import format_amount
from accord.pages import public, signed_link

from .models.campaigns import (CAMPAIGN_STATUSES, Campaign, CampaignMember, CampaignResponse)

if TYPE_CHECKING:
    pass

from .campaigns import (BadLink, CAMPAIGN, _counts, _readable, channel_for, funnel)



# Pages -----------------------------------------------------------------------------

def add_pages(bp: Blueprint) -> None:
    """``/marketing/campaigns``, ``/marketing/campaigns/<id>`` and the public links."""
    bp.add_url_rule("/campaigns", "campaigns_page", campaigns_page)
    bp.add_url_rule("/campaigns/<int:campaign_id>", "campaign_page", campaign_page)
    bp.add_url_rule("/track/open/<token>", "track_open", track_open)
    bp.add_url_rule("/track/click/<token>", "track_click", track_click)
    bp.add_url_rule("/respond/<token>", "respond_page", respond_page,
                    methods=["GET", "POST"])
    bp.add_url_rule("/unsubscribe/<token>", "unsubscribe_page", unsubscribe_page,
                    methods=["GET", "POST"])


def _money_text(amount: Any, currency: str | None) -> str:
    if amount is None or not currency:
        return "—"
    return f"{format_amount(Decimal(amount), currency, grouped=True)} {currency}"


@dataclass(frozen=True)
class CampaignRow:
    id: int
    name: str
    type: str
    status: str
    dates: str
    budget: str
    cost: str
    members: int
    responses: int
    response_rate: str
    roi: str


def _dates(campaign: Any) -> str:
    start = campaign.start_date.isoformat() if campaign.start_date else ""
    end = campaign.end_date.isoformat() if campaign.end_date else ""
    return f"{start} – {end}" if start or end else "—"


def campaigns_page() -> Response:
    import peewee

    from accord.services.authz import require, scoped

    kernel = current_app.extensions["accord"]
    require(g.actor, f"{CAMPAIGN}.read")
    status = request.args.get("status", "").strip()
    problem = ""
    if status and status not in CAMPAIGN_STATUSES:
        problem = f"choose one of {', '.join(CAMPAIGN_STATUSES)}"
    rows: list[CampaignRow] = []
    if not problem:
        with kernel.bound():
            query = Campaign.select().order_by(Campaign.created_at.desc(), Campaign.id.desc())
            if status:
                query = query.where(Campaign.status == status)
            found = list(scoped(query, kernel.records.get(CAMPAIGN), g.actor).limit(200))
            ids = [c.id for c in found]
            per: Any = (CampaignMember.select(CampaignMember.campaign,
                                              peewee.fn.COUNT(CampaignMember.id))
                        .where(CampaignMember.campaign.in_(ids))
                        .group_by(CampaignMember.campaign).tuples())
            sizes: dict[int, int] = dict(per) if ids else {}
            figures = _figures(kernel, found)
        rows = [CampaignRow(c.id, c.name, c.type, c.status, _dates(c),
                            _money_text(c.budget, c.budget_currency),
                            _money_text(c.actual_cost, c.actual_cost_currency),
                            int(sizes.get(c.id, 0)), c.actual_responses,
                            *figures[c.id]) for c in found]
    body = render_template("marketing/campaigns.html", rows=rows, status=status,
                           statuses=CAMPAIGN_STATUSES, problem=problem)
    return Response(body, status=400 if problem else 200)


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


def _figures(kernel: Any, found: list[Any]) -> dict[int, tuple[str, str]]:
    """Per campaign listed: its response rate and ROI (the settings' model)."""
    from .attribution import model_of
    from .attribution_queries import attribute, funnel_counts, leads_of, results_of

    if not found:
        return {}
    ids = [c.id for c in found]
    counts, leads, credited = funnel_counts(ids), leads_of(ids), attribute(kernel)
    model = model_of(kernel, None)
    out = {}
    for c in found:
        r = results_of(kernel, c, model, credited, counts.get(c.id, {}), leads.get(c.id, 0))
        out[c.id] = (_percent(r["response_rate"]), _percent(r["roi"]))
    return out


def campaign_page(campaign_id: int) -> Response:
    from accord.services.authz import require

    kernel = current_app.extensions["accord"]
    require(g.actor, f"{CAMPAIGN}.read")
    with kernel.bound():
        campaign = _readable(kernel, campaign_id, g.actor)
        steps = funnel(campaign.id)
        counts = _counts(campaign.id)
        recent = list(CampaignResponse.select().where(CampaignResponse.campaign == campaign.id)
                      .order_by(CampaignResponse.at.desc()).limit(20))
        ids = {r.contact_id for r in recent if r.contact_id}
        names = {c.id: " ".join(p for p in (c.first_name, c.last_name) if p)
                 for c in Contact.select().where(Contact.id.in_(ids))} if ids else {}
        results = _results(kernel, campaign)
    from .attribution import MODEL_LABELS, money_text
    top = max([count for _, count in steps] + [1])
    budget = Decimal(campaign.budget) if campaign.budget is not None else None
    cost = Decimal(campaign.actual_cost) if campaign.actual_cost is not None else None
    spent = None
    if budget and cost is not None:
        spent = int((cost * 100 / budget).to_integral_value())
    body = render_template(
        "marketing/campaign.html", campaign=campaign, dates=_dates(campaign),
        funnel=[(step, count, round(count * 100 / top)) for step, count in steps],
        bounced=counts.get("bounced", 0), unsubscribed=counts.get("unsubscribed", 0),
        budget=_money_text(campaign.budget, campaign.budget_currency),
        cost=_money_text(campaign.actual_cost, campaign.actual_cost_currency),
        spent=spent, responses=recent, names=names, results=results,
        models=MODEL_LABELS, percent=_percent,
        money=lambda v: money_text(v, results["currency"]),
        sent_type=channel_for(kernel, campaign.type) is not None)
    return Response(body)


def _results(kernel: Any, campaign: Any) -> dict[str, Any]:
    """The campaign's results under the settings' model (and every model)."""
    from .attribution import model_of  # not at the top: attribution imports campaigns
    from .attribution_queries import attribute, results_of

    return results_of(kernel, campaign, model_of(kernel, None), attribute(kernel))


_GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00"
        b"\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


def _refused(message: str, status: int = 400) -> Response:
    return Response(render_template("marketing/campaign_link.html",
                                    title="This link does not work", message=message),
                    status=status)


@public
def track_open(token: str) -> Response:
    """The open pixel: a 1x1 gif; the open is recorded once per member."""
    from .services.campaigns import record_open

    kernel = current_app.extensions["accord"]
    try:
        record_open(kernel, token)
    except BadLink as exc:
        return Response(exc.message, status=400, mimetype="text/plain")
    except NotFound:
        pass  # a member deleted since: the picture all the same
    return Response(_GIF, mimetype="image/gif",
                    headers={"Cache-Control": "no-store, max-age=0"})


@public
def track_click(token: str) -> Any:
    """The tracked link: the click is recorded, then on to the campaign's target."""
    from .services.campaigns import record_click

    kernel = current_app.extensions["accord"]
    try:
        target = record_click(kernel, token)
    except BadLink as exc:
        return _refused(exc.message)
    except NotFound as exc:
        return _refused(exc.message, 404)
    return redirect(target, code=302)


@public
def respond_page(token: str) -> Response:
    """The public response form of a member (the link is the key)."""
    from .services.campaigns import open_member, respond_by_link

    kernel = current_app.extensions["accord"]
    try:
        member, campaign = open_member(kernel, "respond", token)
    except BadLink as exc:
        return _refused(exc.message)
    except NotFound as exc:
        return _refused(exc.message, 404)
    message = request.form.get("message", "")
    problem = ""
    if request.method == "POST":
        try:
            respond_by_link(kernel, token, message)
        except BadLink as exc:
            return _refused(exc.message)
        except TooManyRequests as exc:
            return _refused(exc.message, 429)
        except ValidationError as exc:
            problem = " ".join(" ".join(v) for v in exc.flat().values())
        else:
            return Response(render_template("marketing/campaign_link.html",
                                            title="Thank you",
                                            message="Your answer reached us."))
    body = render_template("marketing/campaign_respond.html", campaign=campaign,
                           token=token, message=message, problem=problem)
    return Response(body, status=422 if problem else 200)


@signed_link
def unsubscribe_page(token: str) -> Response:
    """The unsubscribe link: a page with one button; sending it opts the contact out. A
    mail client's one-click unsubscribe (RFC 8058) POSTs to it directly: the signed
    token, checked first, stands in for the CSRF token."""
    from .services.campaigns import open_member, unsubscribe

    kernel = current_app.extensions["accord"]
    try:
        member, campaign = open_member(kernel, "unsubscribe", token)
    except BadLink as exc:
        return _refused(exc.message)
    except NotFound as exc:
        return _refused(exc.message, 404)
    if request.method == "POST":
        unsubscribe(kernel, token)
        return Response(render_template(
            "marketing/campaign_link.html", title="You are unsubscribed",
            message="You will get no more of our marketing messages."))
    return Response(render_template("marketing/campaign_unsubscribe.html", token=token,
                                    done=member.status == "unsubscribed"))
