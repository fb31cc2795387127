"""Campaigns: what a campaign is, whom it reaches, how its messages are written, the
signed links of its messages, its pages, API operations and command.

A campaign (``marketing.campaign``) is planned, launched (its segment's contacts become
its members, each once; a contact who opted out never does), then completed or
cancelled; only the ``launch``, ``complete`` and ``cancel`` actions move its status. A
campaign of a type some channel sends (``email``: the SMTP channel of smtp.py; others
through ``register_channels``) has a subject and a body with merge fields
(``{first_name}``, ``{organization}``, ``{link}`` …): a field nobody fills is refused
when the campaign is saved, naming it. Messages are sent by the job
``marketing.send_campaigns`` (every minute, ``send_rate_per_minute`` at most, each
member once, retried ``send_attempts`` times) or ``accord marketing campaign send``.

The links of a message carry the member's id signed with itsdangerous under the
kernel's ``secret_key``, one salt per purpose (open pixel, click, response form,
unsubscribe): a link cannot be made for another member nor altered (400, nothing
written). The writes are in ``accord_marketing.services.campaigns``.
"""

from __future__ import annotations

import datetime as dt
import logging
import string
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click
import marshmallow as ma
from itsdangerous import BadData, URLSafeSerializer
from marshmallow import fields, validate

from accord.errors import AccordError, Conflict, NotFound, ValidationError
from accord.jobs import Job
from accord.money import MoneyField
from accord.pages import NavEntry, SearchType
from accord.records import Lines, Permission, RecordAction, RecordType, Transitions, VerbField
from accord.routes import ApiRoute
from accord.schemas import InputSchema, OwnedRecordSchema
from accord.signing import link_serializer

from .channels import Channel
from .models.campaigns import (CAMPAIGN_STATUSES, FUNNEL, MEMBER_STATUSES, RESPONSE_KINDS,
                               Campaign, CampaignMember, CampaignResponse)

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.records import Write
    from accord.services import Actor

__all__ = ["CAMPAIGN", "LAUNCH", "COMPLETE", "CANCEL", "RESPOND", "PERMISSIONS",
           "AGENT", "RULES", "RECORD_TYPES", "MODELS", "ACTIONS", "NAV", "SEARCH", "JOBS",
           "COMMANDS",
           "MERGE_FIELDS", "BadLink", "merge_problem", "render", "channels", "channel_for",
           "opt_out_field", "token_of", "member_of", "tracking_url", "segment_members",
           "funnel", "api_routes", "add_pages", "demo"]

logger = logging.getLogger(__name__)

CAMPAIGN = "marketing.campaign"
LAUNCH = f"{CAMPAIGN}.launch"
COMPLETE = f"{CAMPAIGN}.complete"
CANCEL = f"{CAMPAIGN}.cancel"
RESPOND = f"{CAMPAIGN}.respond"
DELIVER = f"{CAMPAIGN}.deliver"
PERMISSIONS = [
    Permission(f"{CAMPAIGN}.read", "Read campaigns, their members and responses"),
    Permission(f"{CAMPAIGN}.write", "Plan campaigns and change them"),
    Permission(f"{CAMPAIGN}.delete", "Delete planned or cancelled campaigns"),
    Permission(LAUNCH, "Launch campaigns: their segment's contacts become members"),
    Permission(COMPLETE, "Complete active campaigns"),
    Permission(CANCEL, "Cancel campaigns not completed"),
    Permission(RESPOND, "Record a member's response (and the lead it creates)"),
    Permission(DELIVER, "Report what became of a sent message (a provider's delivery "
                        "report)"),
]
#: What the built-in marketing role holds of them.
AGENT = (f"{CAMPAIGN}.read", f"{CAMPAIGN}.write", f"{CAMPAIGN}.delete", LAUNCH, COMPLETE,
         CANCEL, RESPOND, DELIVER)
RULES = ((CAMPAIGN, "all"),)
#: The workflow: each move by its action only.
TRANSITIONS = {"planned": ("active", "cancelled"), "active": ("completed", "cancelled")}
#: The fields a message's subject and body may name, in braces.
MERGE_FIELDS = ("first_name", "last_name", "full_name", "email", "title", "organization",
                "link", "respond_url", "unsubscribe_url")
#: The tracked links, by purpose: the path under /marketing each is answered at.
LINKS = {"open": "/marketing/track/open/{}", "click": "/marketing/track/click/{}",
         "respond": "/marketing/respond/{}", "unsubscribe": "/marketing/unsubscribe/{}"}
_BY = "Set by the {} action"


class BadLink(AccordError):
    """A campaign link whose signature does not hold (altered, cut, made up): 400."""

    status = 400


# Merge fields ----------------------------------------------------------------------

_FORMATTER = string.Formatter()


def merge_problem(text: str) -> str | None:
    """Why ``text`` cannot be filled in for a member, or None: a field not among
    MERGE_FIELDS (named), a format or conversion after a field, a lone brace."""
    try:
        parsed = list(_FORMATTER.parse(text))
    except ValueError:
        return "a lone { or }: write {{ or }} for a brace"
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in MERGE_FIELDS:
            shown = "{" + name + "}"
            return f"unknown merge field {shown}; use {', '.join('{%s}' % f for f in MERGE_FIELDS)}"
        if spec or conversion:
            return f"write the merge field {{{name}}} without a format or conversion"
    return None


def render(text: str, values: dict[str, str]) -> str:
    """``text`` with each merge field replaced by its value (checked by merge_problem:
    never attribute or item access, never a format)."""
    out = []
    for literal, name, _, _ in _FORMATTER.parse(text):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, ""))
    return "".join(out)


# Channels --------------------------------------------------------------------------

def channels(kernel: Accord) -> dict[str, Channel]:
    """The sending channels by name: the enabled plugins' (``register_channels``), the
    first of a name winning, then the shipped SMTP ``email`` channel unless one of
    them declared ``email``."""
    from .smtp import EMAIL

    out: dict[str, Channel] = {}
    for plugin, channel in kernel.plugins.collect("register_channels"):
        if not isinstance(channel, Channel):
            logger.warning("plugin %s declared %r, not a Channel: ignored", plugin, channel)
            continue
        out.setdefault(channel.name, channel)
    out.setdefault(EMAIL.name, EMAIL)
    return out


def channel_for(kernel: Accord, campaign_type: str) -> Channel | None:
    """The channel sending campaigns of this type, or None (an event, an ad)."""
    return channels(kernel).get(campaign_type)


#: Campaign types reaching people by phone even when no channel sends them.
PHONE_TYPES = ("sms",)


def opt_out_field(channel: Channel | None, campaign_type: str | None = None) -> str:
    """The contact's consent flag for a channel: ``call_opt_out`` for a channel sending
    to a phone number (or an ``sms`` campaign no channel sends), ``email_opt_out``
    otherwise (email, and the unsent types: events, ads, direct mail)."""
    if channel is not None:
        phone = channel.address_field in ("phone", "mobile")
    else:
        phone = campaign_type in PHONE_TYPES
    return "call_opt_out" if phone else "email_opt_out"


def campaign_types(kernel: Accord) -> list[str]:
    """The types a campaign may have: the setting's, and those of the channels."""
    return list(dict.fromkeys([*kernel.settings("marketing")["campaign_types"],
                               *channels(kernel)]))


# Segments --------------------------------------------------------------------------

def segment_members(kernel: Accord, segment_id: int) -> list[int]:
    """The contact ids of a contact segment, from the segments part."""
    from .segments import member_ids

    return list(member_ids(kernel, segment_id))


# The signed links --------------------------------------------------------------------

def _serializer(kernel: Accord, purpose: str) -> URLSafeSerializer:
    return link_serializer(kernel, f"accord_marketing.campaign.{purpose}")


def token_of(kernel: Accord, purpose: str, member_id: int) -> str:
    """The signed token of a member's link for ``purpose`` (open, click, respond,
    unsubscribe)."""
    return str(_serializer(kernel, purpose).dumps(member_id))


def member_of(kernel: Accord, purpose: str, token: str) -> int:
    """The member id a token of ``purpose`` carries; BadLink when it does not hold."""
    try:
        value = _serializer(kernel, purpose).loads(token)
    except BadData:
        raise BadLink("this link is not valid: it was altered or cut short. Open the link "
                      "exactly as you received it") from None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise BadLink("this link is not valid")
    return value


def tracking_url(kernel: Accord, purpose: str, member_id: int) -> str:
    """The full address of a member's link (``site_url`` in front)."""
    site = str(kernel.settings("marketing")["site_url"]).rstrip("/")
    return site + LINKS[purpose].format(token_of(kernel, purpose, member_id))


# Schemas ---------------------------------------------------------------------------

def _not_negative(value: Any) -> None:
    if value is not None and value.amount < 0:
        raise ma.ValidationError("The amount may not be negative.")


def _text(length: int, **kwargs: Any) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(max=length), **kwargs)


def _long_text(length: int, **kwargs: Any) -> fields.String:
    """A text of many lines (the pages show a text area: no Length validator), at most
    ``length`` characters."""
    def at_most(value: str | None) -> None:
        if value is not None and len(value) > length:
            raise ma.ValidationError(f"Longer than maximum length {length}.")

    return fields.String(allow_none=True, validate=at_most, **kwargs)


class CampaignMemberSchema(InputSchema):
    """A member of a campaign, as reads show it (written by the plugin's verbs)."""

    id = fields.Integer(dump_only=True)
    contact_id = fields.Integer(strict=True)
    status = fields.String(validate=validate.OneOf(MEMBER_STATUSES))
    address = fields.String(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    provider_id = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    delivered_at = fields.AwareDateTime(allow_none=True)
    opened_at = fields.AwareDateTime(allow_none=True)
    clicked_at = fields.AwareDateTime(allow_none=True)
    responded_at = fields.AwareDateTime(allow_none=True)
    converted_at = fields.AwareDateTime(allow_none=True)
    bounced_at = fields.AwareDateTime(allow_none=True)
    unsubscribed_at = fields.AwareDateTime(allow_none=True)
    lead_id = fields.Integer(allow_none=True)


class CampaignSchema(OwnedRecordSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    type = fields.String(required=True, validate=validate.Length(min=1, max=60), metadata={
        "description": "email, sms, event, ad, direct_mail or a type of the campaign_types "
                       "setting; a type a channel sends (email) is sent to the members"})
    objective = _long_text(10_000)
    budget = MoneyField(allow_none=True, validate=_not_negative)
    actual_cost = MoneyField(allow_none=True, validate=_not_negative, metadata={
        "description": "What the campaign cost so far; in the budget's currency"})
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True, metadata={"description": "On or after "
                                                                     "start_date"})
    status = fields.String(validate=validate.OneOf(CAMPAIGN_STATUSES), metadata={
        "description": "planned, active, completed or cancelled: set by the launch, "
                       "complete and cancel actions"})
    segment_id = fields.Integer(allow_none=True, strict=True,
                                validate=validate.Range(min=1, max=2 ** 63 - 1), metadata={
        "description": "The marketing.segment of contacts the launch adds as members"})
    expected_responses = fields.Integer(allow_none=True, strict=True,
                                        validate=validate.Range(0, 2 ** 31 - 1))
    actual_responses = fields.Integer(strict=True, metadata={
        "description": "Members who responded: kept by the responses"})
    subject = _text(300, metadata={"description": "The message's subject, with merge fields "
                                                  "such as {first_name}"})
    body = _long_text(100_000, metadata={
        "description": "The message's text with merge fields: " + ", ".join(
            "{%s}" % f for f in MERGE_FIELDS) + "; an unsubscribe link is added at the end "
            "unless it names {unsubscribe_url}"})
    target_url = fields.Url(allow_none=True, validate=validate.Length(max=2000), metadata={
        "description": "Where the tracked link {link} leads"})
    launched_at = fields.AwareDateTime(allow_none=True, metadata={"description":
                                                                  _BY.format("launch")})
    completed_at = fields.AwareDateTime(allow_none=True, metadata={"description":
                                                                   _BY.format("complete")})
    members = fields.List(fields.Nested(CampaignMemberSchema), dump_only=True, metadata={
        "description": "The contacts the campaign reaches (added by the launch)"})


class CampaignResponseArgs(InputSchema):
    """The body of ``POST /api/v1/marketing/campaigns/<id>/responses``."""

    contact_id = fields.Integer(required=True, strict=True,
                                validate=validate.Range(min=1, max=2 ** 63 - 1), metadata={
        "description": "A member of the campaign"})
    message = fields.String(allow_none=True, validate=validate.Length(max=10_000))
    create_lead = fields.Boolean(load_default=True, metadata={
        "description": "Create a sales.lead for the response (the sales plugin enabled)"})
    converted = fields.Boolean(load_default=False, metadata={
        "description": "The member converted (bought, signed up): the funnel's last step"})


class CampaignResponseSchema(ma.Schema):
    id = fields.Integer()
    campaign_id = fields.Integer()
    member_id = fields.Integer(allow_none=True)
    contact_id = fields.Integer(allow_none=True)
    kind = fields.String(metadata={"description": ", ".join(RESPONSE_KINDS)})
    at = fields.AwareDateTime()
    message = fields.String(allow_none=True)
    lead_id = fields.Integer(allow_none=True, metadata={
        "description": "The sales.lead it created"})


class CampaignResponsesAnswer(ma.Schema):
    items = fields.List(fields.Nested(CampaignResponseSchema))


class CampaignMembersArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    status = fields.String(validate=validate.OneOf(MEMBER_STATUSES))
    limit = fields.Integer(load_default=100, strict=False, validate=validate.Range(1, 1000))
    offset = fields.Integer(load_default=0, strict=False, validate=validate.Range(0, 2 ** 31))


class CampaignResponsesArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    limit = fields.Integer(load_default=100, strict=False, validate=validate.Range(1, 1000))
    offset = fields.Integer(load_default=0, strict=False, validate=validate.Range(0, 2 ** 31))


class CampaignFunnelStep(ma.Schema):
    step = fields.String()
    count = fields.Integer()


class CampaignMembersAnswer(ma.Schema):
    total = fields.Integer(metadata={"description": "Members of the status asked (all)"})
    funnel = fields.List(fields.Nested(CampaignFunnelStep), metadata={
        "description": "Members who reached each step: targeted, sent, opened, clicked, "
                       "responded, converted"})
    items = fields.List(fields.Nested(CampaignMemberSchema))


# The write path ---------------------------------------------------------------------

def campaign_defaults(write: Write) -> None:
    for index, row, current in write:
        if current is None:
            row.setdefault("status", "planned")


def campaign_rules(write: Write) -> None:
    kernel = write.kernel
    types = campaign_types(kernel)
    for index, row, current in write:
        problems: dict[str, list[str]] = {}
        kind = row.get("type")
        if kind is not None and kind not in types:
            problems["type"] = [f"{kind!r} is not a campaign type; use one of "
                                f"{', '.join(types)} (the campaign_types setting)"]
        elif current is not None and kind is not None and kind != current.type \
                and current.status != "planned":
            problems["type"] = [f"campaign {current.id} is {current.status}; its type stays "
                                f"{current.type}"]
        start, end = write.value(index, "start_date"), write.value(index, "end_date")
        if start is not None and end is not None and end < start and \
                ({"start_date", "end_date"} & set(row)):
            problems["end_date"] = [f"{end.isoformat()} is before the start date "
                                    f"{start.isoformat()}"]
        budget, cost = _money(write, index, "budget"), _money(write, index, "actual_cost")
        if budget is not None and cost is not None and budget[1] != cost[1] and \
                ({"budget", "actual_cost"} & set(row)):
            problems["actual_cost"] = [f"give the cost in the budget's currency {budget[1]}"]
        for name in ("subject", "body"):
            text = row.get(name)
            problem = merge_problem(text) if isinstance(text, str) else None
            if problem:
                problems[name] = [problem]
        segment = row.get("segment_id")
        if segment is not None:
            problem = _segment_problem(write, segment)
            if problem:
                problems["segment_id"] = [problem]
            elif current is not None and segment != current.segment_id and \
                    current.status != "planned":
                problems["segment_id"] = [f"campaign {current.id} is {current.status}: its "
                                          "members are chosen; the segment stays"]
        write.refuse(index, problems)


def _money(write: Write, index: int, name: str) -> tuple[Decimal, str] | None:
    row, current = write.rows[index], write.existing[index]
    if name in row:
        value = row[name]
        return None if value is None else (value.amount, value.currency)
    if current is None or getattr(current, name) is None:
        return None
    return Decimal(getattr(current, name)), getattr(current, f"{name}_currency")


def _segment_problem(write: Write, segment_id: int) -> str | None:
    """A named segment exists (when the segments part declares its record type)."""
    if "marketing.segment" not in write.kernel.records:
        return None
    from accord import services

    try:
        segment: Any = services.get(write.kernel, "marketing.segment", segment_id)
    except NotFound:
        return f"no segment {segment_id}"
    target = getattr(segment, "target", "contact")
    if target != "contact":
        return (f"segment {segment_id} selects {target}s; a campaign reaches contacts: "
                "choose a segment of contacts")
    return None


def campaign_kept(kernel: Accord, records: list[Any], actor: Any) -> None:
    """A launched campaign keeps its history (members, responses, costs): only a planned
    or cancelled one is deleted."""
    for campaign in records:
        if campaign.status in ("active", "completed"):
            raise Conflict(f"campaign {campaign.id} is {campaign.status}: its members and "
                           "responses are kept; cancel it instead")


_VERBS = (VerbField("status", ("launch", "complete", "cancel")),
          VerbField("launched_at", ("launch",)), VerbField("completed_at", ("complete",)),
          VerbField("actual_responses", ("respond",)))

RECORD_TYPES = [
    RecordType(
        CAMPAIGN, Campaign, CampaignSchema, "campaigns", "Campaign",
        searchable=("name", "objective"), title_fields=("name",),
        lines=(Lines("members", CampaignMember, "campaign", CampaignMemberSchema, read_only=True),),
        verb_fields=_VERBS, transitions=Transitions("status", TRANSITIONS),
        defaults=campaign_defaults, validate=campaign_rules, check_delete=campaign_kept),
]
MODELS = [CampaignMember, CampaignResponse]


def _launch(kernel: Accord, campaign_id: int, *, actor: Actor,
            version: int | None = None) -> Any:
    from .services.campaigns import launch_campaign

    return launch_campaign(kernel, campaign_id, actor=actor, version=version)


def _complete(kernel: Accord, campaign_id: int, *, actor: Actor,
              version: int | None = None) -> Any:
    from .services.campaigns import complete_campaign

    return complete_campaign(kernel, campaign_id, actor=actor, version=version)


def _cancel(kernel: Accord, campaign_id: int, *, actor: Actor,
            version: int | None = None) -> Any:
    from .services.campaigns import cancel_campaign

    return cancel_campaign(kernel, campaign_id, actor=actor, version=version)


# The handlers import the services when called: the services import this module.
ACTIONS = [
    RecordAction(CAMPAIGN, "launch", LAUNCH, _launch,
                 description="Launch a planned campaign: its segment's contacts become "
                             "members (each once; those who opted out never), and a sent "
                             "type's messages go out through the job queue",
                 available_from=("planned",)),
    RecordAction(CAMPAIGN, "complete", COMPLETE, _complete,
                 description="Complete an active campaign: nothing more is sent",
                 available_from=("active",)),
    RecordAction(CAMPAIGN, "cancel", CANCEL, _cancel,
                 description="Cancel a planned or active campaign: nothing more is sent",
                 available_from=("planned", "active")),
]
NAV = [NavEntry("Campaigns", "/marketing/campaigns", f"{CAMPAIGN}.read", order=61)]
SEARCH = [SearchType(CAMPAIGN, "Campaigns", ("type", "status"), order=61)]


def _send_job(kernel: Accord, today: dt.date) -> str:
    from .services.campaigns import send_due

    return send_due(kernel).summary()


JOBS = [Job("marketing.send_campaigns", "Send the due messages of active campaigns "
            "(send_rate_per_minute at most; failed ones again, send_attempts times)",
            "* * * * *", _send_job)]


# Reading ---------------------------------------------------------------------------

def funnel(campaign_id: int) -> list[tuple[str, int]]:
    """Members who reached each step of the funnel, in its order."""
    import peewee

    columns = [peewee.fn.COUNT(getattr(CampaignMember, column)).alias(step)
               for step, column in FUNNEL]
    row: Any = (CampaignMember.select(*columns).where(CampaignMember.campaign == campaign_id)
                .dicts().get())
    return [(step, int(row[step] or 0)) for step, _ in FUNNEL]


def _counts(campaign_id: int) -> dict[str, int]:
    import peewee

    query: Any = (CampaignMember.select(CampaignMember.status,
                                        peewee.fn.COUNT(CampaignMember.id))
                  .where(CampaignMember.campaign == campaign_id)
                  .group_by(CampaignMember.status))
    return {status: int(count) for status, count in query.tuples()}


def _readable(kernel: Accord, campaign_id: int, actor: Actor) -> Any:
    from accord import services

    return services.get(kernel, CAMPAIGN, campaign_id, actor=actor)


def list_members(kernel: Accord, id: int, *, actor: Actor, status: str | None = None,
                 limit: int = 100, offset: int = 0) -> dict[str, Any]:
    with kernel.bound():
        _readable(kernel, id, actor)
        query = CampaignMember.select().where(CampaignMember.campaign == id)
        if status:
            query = query.where(CampaignMember.status == status)
        return {"total": query.count(),
                "funnel": [{"step": s, "count": c} for s, c in funnel(id)],
                "items": list(query.order_by(CampaignMember.id).limit(limit).offset(offset))}


def list_responses(kernel: Accord, id: int, *, actor: Actor, limit: int = 100,
                   offset: int = 0) -> dict[str, Any]:
    with kernel.bound():
        _readable(kernel, id, actor)
        query = (CampaignResponse.select().where(CampaignResponse.campaign == id)
                 .order_by(CampaignResponse.at.desc(), CampaignResponse.id.desc()))
        return {"items": list(query.limit(limit).offset(offset))}


def _post_response(kernel: Accord, id: int, *, actor: Actor, contact_id: int,
                   message: str | None = None, create_lead: bool = True,
                   converted: bool = False) -> Any:
    from .services.campaigns import record_response

    return record_response(kernel, id, contact_id, actor=actor, message=message,
                           create_lead=create_lead, converted=converted)


class DeliveryArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    provider_id = fields.String(required=True, validate=ma.validate.Length(1, 200),
                                metadata={"description": "The id the provider gave the "
                                                         "message when it was sent"})
    outcome = fields.String(required=True, validate=ma.validate.OneOf(("delivered",
                                                                       "bounced")))
    reason = fields.String(load_default=None, validate=ma.validate.Length(max=500))


def _post_delivery(kernel: Accord, *, actor: Actor, provider_id: str, outcome: str,
                   reason: str | None = None) -> Any:
    from .services.campaigns import record_delivery

    return record_delivery(kernel, provider_id, outcome, actor=actor, reason=reason)


def api_routes() -> list[ApiRoute]:
    return [
        ApiRoute("/marketing/deliveries", _post_delivery, DELIVER,
                 "Report a message delivered or bounced", method="POST", args=DeliveryArgs,
                 response=CampaignMemberSchema,
                 description="A channel provider's delivery report (its webhook calls "
                             "this with a token of a user holding "
                             "marketing.campaign.deliver): the member whose message has "
                             "that provider id is marked delivered, or bounced with the "
                             "reason. An unknown provider id is a 404."),
        ApiRoute("/marketing/campaigns/<int:id>/members", list_members,
                 f"{CAMPAIGN}.read", "List a campaign's members", args=CampaignMembersArgs,
                 response=CampaignMembersAnswer,
                 description="The members (of a status), oldest first, with the funnel: "
                             "how many reached each step."),
        ApiRoute("/marketing/campaigns/<int:id>/responses", list_responses,
                 f"{CAMPAIGN}.read", "List a campaign's responses", args=CampaignResponsesArgs,
                 response=CampaignResponsesAnswer,
                 description="Opens, clicks, answers on the form and through the API, "
                             "newest first, with the lead each created."),
        ApiRoute("/marketing/campaigns/<int:id>/responses", _post_response, RESPOND,
                 "Record a member's response", method="POST", args=CampaignResponseArgs,
                 response=CampaignResponseSchema, status=201,
                 description="The member responded (by phone, at the event…): marked "
                             "responded (converted with converted), counted in "
                             "actual_responses, and, with the sales plugin enabled, a "
                             "sales.lead created (create_lead). A contact who is not a "
                             "member is refused (422)."),
    ]


# The command -----------------------------------------------------------------------

@click.group("campaign")
def campaign_group() -> None:
    """Campaigns: send one's messages now, or see who would get one."""


@campaign_group.command("send")
@click.argument("campaign_id", type=int)
@click.option("--dry-run", is_flag=True, help="Say how many would get a message and who "
                                              "is skipped for consent; send nothing.")
@click.pass_obj
def send_command(state: Any, campaign_id: int, dry_run: bool) -> None:
    """Send the due messages of an active campaign now (send_rate_per_minute at most:
    the worker sends the rest), or with --dry-run only say what would happen."""
    from .services.campaigns import plan, send_due

    kernel: Accord = state.kernel()
    try:
        if dry_run:
            found = plan(kernel, campaign_id)
            click.echo(f"Campaign {campaign_id} ({found.name}, {found.type}, "
                       f"{found.status}): {found.count} would get a message.")
            for label in found.opted_out:
                click.echo(f"  skipped, opted out: {label}")
            for label in found.no_address:
                click.echo(f"  skipped, no address: {label}")
            click.echo("Nothing was sent (dry run).")
            return
        report = send_due(kernel, campaign_id=campaign_id)
    except (NotFound, ValidationError, Conflict) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Campaign {campaign_id}: {report.summary()}.")


COMMANDS = [campaign_group]


# Demo data -------------------------------------------------------------------------

def demo(kernel: Accord, actor: Actor) -> None:
    """A completed email campaign with members and responses (nothing really sent)."""
    from .services.campaigns import demo_campaign

    demo_campaign(kernel, actor)


from .campaign_pages import add_pages  # noqa: E402,F401 (the pages)
