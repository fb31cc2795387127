"""The campaign writes: launch (members from the segment), complete, cancel; sending
the messages; the responses (opens, clicks, the form, the API, with the lead they
create); the unsubscribe link; the demo campaign.

Consent is a fact on the contact (``email_opt_out``; ``call_opt_out`` for a channel
sending to phones): the launch never adds a contact who opted out, sending reads it
again just before each message (a contact who opted out since the launch is marked
unsubscribed, never sent to), and the unsubscribe link sets it.

Sending takes one member at a time, in a transaction that locks its row: a member
already sent is skipped, the channel is called, and the provider's id is written
with the ``sent`` status in that same transaction, so a retry never sends twice. A
temporary failure (a refused connection) is recorded in a transaction of its own and
tried again later (after 1, 2, 4 … minutes), ``send_attempts`` times in all; a
permanent one bounces the member. At most ``send_rate_per_minute`` messages go out in
any minute, whoever sends them (the job, the command).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from accord import services
from accord.database import is_postgres
from accord.errors import Conflict, NotFound, StaleVersion, TooManyRequests, ValidationError
from accord.models import Contact, Organization, utcnow
from accord.money import Money
from accord.services import Actor
from accord.services.authz import require

from ..campaigns import (CAMPAIGN, CANCEL, COMPLETE, DELIVER, LAUNCH, RESPOND, channel_for, member_of,
                         opt_out_field, render, segment_members, tracking_url)
from ..channels import Channel, Message, PermanentFailure, TemporaryFailure
from ..models.campaigns import MEMBER_STATUSES, Campaign, CampaignMember, CampaignResponse

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["launch_campaign", "complete_campaign", "cancel_campaign", "plan", "Plan",
           "send_due", "SendReport", "record_open", "record_click", "open_member",
           "respond_by_link", "record_response", "unsubscribe", "advance", "demo_campaign"]

#: The statuses a member moves through, in order (bounced and unsubscribed stop it).
PROGRESS = MEMBER_STATUSES[:7]
_MINUTE = dt.timedelta(minutes=1)
_LEAD = "sales.lead"


def _campaign(kernel: Accord, campaign_id: int, actor: Actor, version: int | None) -> Any:
    campaign: Any = services.get(kernel, CAMPAIGN, campaign_id, actor=actor, for_update=True)
    if version is not None and version != campaign.version:
        raise StaleVersion(f"campaign {campaign_id} is at version {campaign.version}, not "
                           f"{version}; read it again")
    return campaign


# Launch, complete, cancel -------------------------------------------------------------

@dataclass
class Audience:
    """Whom a launch adds: contact ids, and those left out with why."""

    contact_ids: list[int] = field(default_factory=list)
    opted_out: list[Contact] = field(default_factory=list)
    no_address: list[Contact] = field(default_factory=list)


def _audience(kernel: Accord, campaign: Any) -> Audience:
    """The segment's contacts who may be reached by the campaign's type."""
    out = Audience()
    if campaign.segment_id is None:
        return out
    ids = sorted(set(segment_members(kernel, campaign.segment_id)))
    channel = channel_for(kernel, campaign.type)
    flag = opt_out_field(channel, campaign.type)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for contact in Contact.select().where(Contact.id.in_(chunk)).order_by(Contact.id):
            if getattr(contact, flag):
                out.opted_out.append(contact)
            elif channel is not None and not getattr(contact, channel.address_field, None):
                out.no_address.append(contact)
            else:
                out.contact_ids.append(contact.id)
    return out


def _add_members(campaign_id: int, contact_ids: list[int], now: dt.datetime) -> int:
    """Add the contacts not members yet; how many were added."""
    query: Any = CampaignMember.select(CampaignMember.contact).where(
        CampaignMember.campaign == campaign_id).tuples()
    have = {c for (c,) in query}
    rows = [{"campaign": campaign_id, "contact": c, "status": "targeted", "created_at": now}
            for c in contact_ids if c not in have]
    for start in range(0, len(rows), 500):
        CampaignMember.insert_many(rows[start:start + 500]).execute()
    return len(rows)


def launch_campaign(kernel: Accord, campaign_id: int, *, actor: Actor,
                    version: int | None = None) -> Any:
    """Launch a planned campaign: its segment's contacts who did not opt out become
    members (each once); a sent type needs a subject and a body."""
    require(actor, LAUNCH)
    now = utcnow()
    with kernel.transaction():
        campaign = _campaign(kernel, campaign_id, actor, version)
        if campaign.status != "planned":
            raise ValidationError({"status": [f"campaign {campaign.id} is "
                                              f"{campaign.status}; only a planned campaign "
                                              "is launched"]})
        problems: dict[str, list[str]] = {}
        if channel_for(kernel, campaign.type) is not None:
            for name in ("subject", "body"):
                if not getattr(campaign, name):
                    problems[name] = [f"give the message's {name} before launching a "
                                      f"{campaign.type} campaign"]
            if campaign.segment_id is None:
                problems["segment_id"] = ["give the segment whose contacts the campaign "
                                          "reaches"]
        if problems:
            raise ValidationError(problems)
        audience = _audience(kernel, campaign)
        _add_members(campaign.id, audience.contact_ids, now)
        return services.update(kernel, CAMPAIGN, campaign.id,
                               {"status": "active", "launched_at": now}, actor=actor,
                               version=campaign.version, verb="launch")


def complete_campaign(kernel: Accord, campaign_id: int, *, actor: Actor,
                      version: int | None = None) -> Any:
    """Complete an active campaign: nothing more is sent (responses still count)."""
    require(actor, COMPLETE)
    with kernel.transaction():
        campaign = _campaign(kernel, campaign_id, actor, version)
        if campaign.status != "active":
            raise ValidationError({"status": [f"campaign {campaign.id} is "
                                              f"{campaign.status}; only an active campaign "
                                              "is completed"]})
        return services.update(kernel, CAMPAIGN, campaign.id,
                               {"status": "completed", "completed_at": utcnow()},
                               actor=actor, version=campaign.version, verb="complete")


def cancel_campaign(kernel: Accord, campaign_id: int, *, actor: Actor,
                    version: int | None = None) -> Any:
    """Cancel a planned or active campaign: nothing more is sent."""
    require(actor, CANCEL)
    with kernel.transaction():
        campaign = _campaign(kernel, campaign_id, actor, version)
        if campaign.status not in ("planned", "active"):
            raise ValidationError({"status": [f"campaign {campaign.id} is "
                                              f"{campaign.status}; it is not cancelled any "
                                              "more"]})
        return services.update(kernel, CAMPAIGN, campaign.id, {"status": "cancelled"},
                               actor=actor, version=campaign.version, verb="cancel")


# Sending ------------------------------------------------------------------------------

def _label(contact: Contact) -> str:
    name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
    return f"{name} (contact {contact.id})"


@dataclass
class Plan:
    """What sending a campaign now would do (the dry run)."""

    name: str
    type: str
    status: str
    count: int
    opted_out: list[str]
    no_address: list[str]


def plan(kernel: Accord, campaign_id: int) -> Plan:
    """How many would get a message if the campaign were sent now (launched first when
    planned), and who is skipped for consent or for want of an address."""
    with kernel.bound():
        campaign = _get(campaign_id)
        channel = channel_for(kernel, campaign.type)
        if channel is None:
            raise Conflict(_no_channel(campaign))
        if campaign.status == "planned":
            audience = _audience(kernel, campaign)
            return Plan(campaign.name, campaign.type, campaign.status,
                        len(audience.contact_ids), [_label(c) for c in audience.opted_out],
                        [_label(c) for c in audience.no_address])
        flag = getattr(Contact, opt_out_field(channel))
        due = (Contact.select(Contact, CampaignMember.id.alias("member_id"))
               .join(CampaignMember, on=(CampaignMember.contact == Contact.id))
               .where(CampaignMember.campaign == campaign.id,
                      CampaignMember.status == "targeted",
                      CampaignMember.sent_at.is_null())
               .order_by(Contact.id))
        count, opted, missing = 0, [], []
        for contact in due:
            if getattr(contact, flag.name):
                opted.append(_label(contact))
            elif not getattr(contact, channel.address_field, None):
                missing.append(_label(contact))
            else:
                count += 1
        if campaign.status != "active":
            count = 0
        return Plan(campaign.name, campaign.type, campaign.status, count, opted, missing)


def _get(campaign_id: int) -> Any:
    campaign = Campaign.get_or_none(Campaign.id == campaign_id)
    if campaign is None:
        raise NotFound(f"no campaign {campaign_id}")
    return campaign


def _no_channel(campaign: Any) -> str:
    return (f"no channel sends {campaign.type} campaigns (campaign {campaign.id}); a "
            "provider plugin adds one (register_channels)")


@dataclass
class SendReport:
    """What one round of sending did."""

    sent: int = 0
    retry: int = 0
    failed: int = 0
    bounced: int = 0
    opted_out: int = 0
    left: int = 0

    def summary(self) -> str:
        parts = [f"{self.sent} sent"]
        for count, what in ((self.retry, "to retry"), (self.failed, "given up"),
                            (self.bounced, "bounced"), (self.opted_out,
                                                        "skipped (opted out)"),
                            (self.left, "left for the next minute")):
            if count:
                parts.append(f"{count} {what}")
        return ", ".join(parts)


def send_due(kernel: Accord, *, campaign_id: int | None = None,
             now: dt.datetime | None = None) -> SendReport:
    """Send the due messages of the active campaigns (or of one), within the rate
    limit: members not sent yet whose next attempt is due."""
    settings = kernel.settings("marketing")
    moment = now or utcnow()
    report = SendReport()
    with kernel.bound():
        if campaign_id is not None:
            campaign = _get(campaign_id)
            if campaign.status != "active":
                hint = " (launch it first)" if campaign.status == "planned" else ""
                raise Conflict(f"campaign {campaign.id} is {campaign.status}: only an active "
                               f"campaign is sent{hint}")
            if channel_for(kernel, campaign.type) is None:
                raise Conflict(_no_channel(campaign))
            campaigns = [campaign]
        else:
            campaigns = [c for c in Campaign.select().where(Campaign.status == "active")
                         .order_by(Campaign.id) if channel_for(kernel, c.type) is not None]
        room = settings["send_rate_per_minute"] - CampaignMember.select().where(
            CampaignMember.sent_at > moment - _MINUTE).count()
        for campaign in campaigns:
            channel = channel_for(kernel, campaign.type)
            assert channel is not None
            query: Any = CampaignMember.select(CampaignMember.id).where(
                CampaignMember.campaign == campaign.id, CampaignMember.status == "targeted",
                CampaignMember.sent_at.is_null(),
                CampaignMember.next_attempt_at.is_null()
                | (CampaignMember.next_attempt_at <= moment)).order_by(CampaignMember.id)
            due = [m for (m,) in query.tuples()]
            for index, member_id in enumerate(due):
                if room <= 0:
                    report.left += len(due) - index
                    break
                outcome = _send_one(kernel, campaign, channel, member_id, moment,
                                    settings["send_attempts"])
                if outcome != "skipped":
                    setattr(report, outcome, getattr(report, outcome) + 1)
                if outcome == "sent":
                    room -= 1
    return report


def _locked_member(kernel: Accord, member_id: int) -> Any:
    query = CampaignMember.select().where(CampaignMember.id == member_id)
    if is_postgres(kernel.database):
        query = query.for_update()
    return query.get_or_none()


def _merge_values(kernel: Accord, member: Any, contact: Contact) -> dict[str, str]:
    organization = Organization.get_or_none(Organization.id == contact.organization_id) \
        if contact.organization_id else None
    return {"first_name": contact.first_name or "", "last_name": contact.last_name or "",
            "full_name": " ".join(p for p in (contact.first_name, contact.last_name) if p),
            "email": contact.email or "", "title": contact.title or "",
            "organization": organization.name if organization else "",
            "link": tracking_url(kernel, "click", member.id),
            "respond_url": tracking_url(kernel, "respond", member.id),
            "unsubscribe_url": tracking_url(kernel, "unsubscribe", member.id)}


def compose(kernel: Accord, campaign: Any, member: Any, contact: Contact,
            address: str) -> Message:
    """The message of one member: merge fields filled in, the unsubscribe link at the
    end (unless the body places it) and in the List-Unsubscribe headers."""
    values = _merge_values(kernel, member, contact)
    body = render(campaign.body or "", values)
    if "{unsubscribe_url}" not in (campaign.body or ""):
        body = body.rstrip() + f"\n\n--\nTo get no more of these messages: " \
                               f"{values['unsubscribe_url']}\n"
    headers = {"List-Unsubscribe": f"<{values['unsubscribe_url']}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return Message(to=address, subject=render(campaign.subject or "", values), body=body,
                   campaign_id=campaign.id, member_id=member.id, contact_id=contact.id,
                   headers=headers)


#: How long a sender holds a member it is sending to: another sender (a second worker)
#: leaves the member alone meanwhile; past it, a sender that died mid-send is retried.
SEND_LEASE = dt.timedelta(minutes=10)


def _claim(kernel: Accord, campaign: Any, channel: Channel, member_id: int,
           now: dt.datetime) -> Message | str:
    """Take one member for sending (its attempt counted, the lease set), in a short
    transaction: the message to send, or the outcome when there is none to send."""
    with kernel.transaction():
        member = _locked_member(kernel, member_id)
        if member is None or member.status != "targeted" or member.sent_at is not None \
                or (member.next_attempt_at is not None and member.next_attempt_at > now):
            return "skipped"  # gone, sent, or being sent by another sender meanwhile
        contact = Contact.get_or_none(Contact.id == member.contact_id)
        if contact is None or getattr(contact, opt_out_field(channel)):
            # Opted out since the launch: never sent to.
            _set(member.id, status="unsubscribed", last_error="opted out before sending")
            return "opted_out"
        address = getattr(contact, channel.address_field, None)
        if not address:
            _set(member.id, status="bounced", bounced_at=now,
                 last_error=f"the contact has no {channel.address_field}")
            return "bounced"
        _set(member.id, attempts=member.attempts + 1, next_attempt_at=now + SEND_LEASE,
             address=str(address)[:254])
        return compose(kernel, campaign, member, contact, str(address))


def _send_one(kernel: Accord, campaign: Any, channel: Channel, member_id: int,
              now: dt.datetime, attempts: int) -> str:
    """Send one member's message; the outcome (a SendReport field). The member is
    claimed in one short transaction, the message sent outside any (no lock is held
    while the provider answers), and the outcome written in another."""
    claimed = _claim(kernel, campaign, channel, member_id, now)
    if isinstance(claimed, str):
        return claimed
    try:
        provider_id = channel.send(kernel, claimed)
    except PermanentFailure as exc:
        with kernel.transaction():
            _set(member_id, status="bounced", bounced_at=now, last_error=str(exc)[:500],
                 next_attempt_at=None)
        return "bounced"
    except (TemporaryFailure, OSError) as exc:
        with kernel.transaction():
            member = _locked_member(kernel, member_id)
            tried = member.attempts
            if tried >= attempts:
                _set(member_id, status="bounced", bounced_at=now, next_attempt_at=None,
                     last_error=f"given up after {tried} attempts: {exc}"[:500])
                return "failed"
            _set(member_id, last_error=str(exc)[:500],
                 next_attempt_at=now + _MINUTE * 2 ** (tried - 1))
        return "retry"
    with kernel.transaction():
        _set(member_id, status="sent", sent_at=now, provider_id=str(provider_id)[:200],
             last_error=None, next_attempt_at=None)
    return "sent"


def _set(member_id: int, **values: Any) -> None:
    CampaignMember.update(**values).where(CampaignMember.id == member_id).execute()


# Responses ----------------------------------------------------------------------------

def advance(member: Any, step: str, at: dt.datetime) -> dict[str, Any]:
    """The member's changes on reaching ``step`` at ``at``: the step's time when first
    reached, and the status when it is further on (bounced and unsubscribed stay)."""
    changes: dict[str, Any] = {}
    column = f"{step}_at"
    if getattr(member, column, None) is None:
        changes[column] = at
    if member.status in PROGRESS and PROGRESS.index(step) > PROGRESS.index(member.status):
        changes["status"] = step
    # Reaching a later step means the earlier ones happened (an open not tracked).
    if step in ("clicked", "responded", "converted") and member.sent_at is not None:
        for earlier in ("delivered", "opened"):
            if getattr(member, f"{earlier}_at") is None:
                changes.setdefault(f"{earlier}_at", at)
    return changes


#: What a provider's delivery report may say of a message.
DELIVERY_OUTCOMES = ("delivered", "bounced")


def record_delivery(kernel: Accord, provider_id: str, outcome: str, *, actor: Actor,
                    reason: str | None = None, at: dt.datetime | None = None) -> Any:
    """A channel's provider reports what became of a message it accepted (its webhook,
    a delivery status notification): ``delivered`` (the member's delivered time, once)
    or ``bounced`` (the member bounces, with the reason; a member who went further,
    opening or clicking, keeps its status). The message is named by the id the
    provider gave it; the member is answered."""
    require(actor, DELIVER)
    if outcome not in DELIVERY_OUTCOMES:
        raise ValidationError({"outcome": [f"use one of {', '.join(DELIVERY_OUTCOMES)}"]})
    moment = at or utcnow()
    with kernel.transaction():
        found = (CampaignMember.select(CampaignMember.id)
                 .where(CampaignMember.provider_id == provider_id).first())
        if found is None:
            raise NotFound(f"no message sent with the provider id {provider_id!r}")
        member = _locked_member(kernel, found.id)
        if outcome == "delivered":
            changes = advance(member, "delivered", moment)
        else:
            changes = {"bounced_at": member.bounced_at or moment,
                       "last_error": (reason or "bounced (reported by the provider)")[:500]}
            if member.status in ("sent", "delivered"):
                changes["status"] = "bounced"
        if changes:
            _set(member.id, **changes)
        return CampaignMember.get_by_id(member.id)


def open_member(kernel: Accord, purpose: str, token: str) -> tuple[Any, Any]:
    """The member and campaign a link names; BadLink or NotFound."""
    member_id = member_of(kernel, purpose, token)
    with kernel.bound():
        member = CampaignMember.get_or_none(CampaignMember.id == member_id)
        if member is None:
            raise NotFound("this link's campaign is gone")
        return member, Campaign.get_by_id(member.campaign_id)


def _record(kernel: Accord, member: Any, kind: str, step: str, at: dt.datetime, *,
            once: bool, message: str | None = None, lead_id: int | None = None) -> bool:
    """Move the member on and write the response; False when ``once`` and it was
    reached before (nothing written)."""
    if once and getattr(member, f"{step}_at") is not None:
        return False
    changes = advance(member, step, at)
    if lead_id is not None:
        changes["lead_id"] = lead_id
    if changes:
        _set(member.id, **changes)
    CampaignResponse.insert(campaign=member.campaign_id, member=member.id,
                            contact=member.contact_id, kind=kind, at=at, message=message,
                            lead_id=lead_id).execute()
    return True


def record_open(kernel: Accord, token: str) -> None:
    """The open pixel was loaded: the first open of the member is recorded."""
    member_id = member_of(kernel, "open", token)
    with kernel.transaction():
        member = _locked_member(kernel, member_id)
        if member is None:
            raise NotFound("this link's campaign is gone")
        _record(kernel, member, "open", "opened", utcnow(), once=True)


def record_click(kernel: Accord, token: str) -> str:
    """The tracked link was followed: the first click is recorded; where it leads."""
    member_id = member_of(kernel, "click", token)
    with kernel.transaction():
        member = _locked_member(kernel, member_id)
        if member is None:
            raise NotFound("this link's campaign is gone")
        campaign = Campaign.get_by_id(member.campaign_id)
        _record(kernel, member, "click", "clicked", utcnow(), once=True)
    return str(campaign.target_url or tracking_url(kernel, "respond", member_id))


def _lead(kernel: Accord, campaign: Any, member: Any) -> int | None:
    """A sales.lead for the member's response (sales enabled, none made before): its
    source is ``campaign`` when that is a lead source; the response and the member
    keep its id (the lead has no campaign field)."""
    if _LEAD not in kernel.records or member.lead_id is not None:
        return None
    contact = Contact.get_by_id(member.contact_id)
    organization = Organization.get_or_none(Organization.id == contact.organization_id) \
        if contact.organization_id else None
    sources = kernel.settings("sales").get("lead_sources") or []
    name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
    data: dict[str, Any] = {"name": name[:200], "email": contact.email,
                            "phone": contact.phone or contact.mobile,
                            "company": organization.name if organization else None,
                            "owner_id": campaign.owner_id}
    if "campaign" in sources:
        data["source"] = "campaign"
    writer = Actor.system(f"marketing campaign {campaign.id}")
    lead = services.create(kernel, _LEAD, {k: v for k, v in data.items() if v is not None},
                           actor=writer)
    return int(lead.id)


def _recount(kernel: Accord, campaign_id: int) -> None:
    """The campaign's actual_responses: its members who responded."""
    count = CampaignMember.select().where(CampaignMember.campaign == campaign_id,
                                          CampaignMember.responded_at.is_null(False)).count()
    campaign = Campaign.get_by_id(campaign_id)
    if campaign.actual_responses != count:
        services.update(kernel, CAMPAIGN, campaign_id, {"actual_responses": count},
                        actor=Actor.system(f"marketing campaign {campaign_id} responses"),
                        verb="respond")


def _respond(kernel: Accord, member: Any, *, kind: str, message: str | None,
             create_lead: bool, converted: bool, at: dt.datetime) -> Any:
    campaign = Campaign.get_by_id(member.campaign_id)
    lead_id = _lead(kernel, campaign, member) if create_lead else None
    _record(kernel, member, kind, "responded", at, once=False, message=message,
            lead_id=lead_id)
    if converted:
        member = CampaignMember.get_by_id(member.id)
        changes = advance(member, "converted", at)
        if changes:
            _set(member.id, **changes)
    _recount(kernel, campaign.id)
    return (CampaignResponse.select().where(CampaignResponse.member == member.id)
            .order_by(CampaignResponse.id.desc()).get())


#: The most answers one member's public form takes in an hour (the link is public:
#: a bot replaying it must not fill the responses table).
FORM_ANSWERS_PER_HOUR = 5


def respond_by_link(kernel: Accord, token: str, message: str) -> Any:
    """The member answered on the public form (at most ``FORM_ANSWERS_PER_HOUR`` times
    an hour: more is refused, writing nothing)."""
    member_id = member_of(kernel, "respond", token)
    text = (message or "").strip()
    if len(text) > 10_000:
        raise ValidationError({"message": ["write at most 10000 characters"]})
    with kernel.transaction():
        member = _locked_member(kernel, member_id)
        if member is None:
            raise NotFound("this link's campaign is gone")
        now = utcnow()
        recent = (CampaignResponse.select()
                  .where(CampaignResponse.member == member.id, CampaignResponse.kind == "form",
                         CampaignResponse.at > now - dt.timedelta(hours=1)).count())
        if recent >= FORM_ANSWERS_PER_HOUR:
            raise TooManyRequests("this form was sent too often in the last hour; "
                                  "try again later")
        return _respond(kernel, member, kind="form", message=text or None,
                        create_lead=True, converted=False, at=now)


def record_response(kernel: Accord, campaign_id: int, contact_id: int, *, actor: Actor,
                    message: str | None = None, create_lead: bool = True,
                    converted: bool = False, at: dt.datetime | None = None) -> Any:
    """A member responded (recorded by someone of the firm)."""
    require(actor, RESPOND)
    with kernel.transaction():
        campaign: Any = services.get(kernel, CAMPAIGN, campaign_id, actor=actor,
                                     for_update=True)
        member = CampaignMember.get_or_none(CampaignMember.campaign == campaign.id,
                                            CampaignMember.contact == contact_id)
        if member is None:
            raise ValidationError({"contact_id": [f"contact {contact_id} is not a member "
                                                  f"of campaign {campaign.id}"]})
        return _respond(kernel, member, kind="api", message=message,
                        create_lead=create_lead, converted=converted, at=at or utcnow())


def unsubscribe(kernel: Accord, token: str) -> None:
    """The member's contact opts out of the campaign's channel (email_opt_out, or
    call_opt_out for a phone channel): no campaign sends to them any more."""
    member_id = member_of(kernel, "unsubscribe", token)
    now = utcnow()
    with kernel.transaction():
        member = _locked_member(kernel, member_id)
        if member is None:
            raise NotFound("this link's campaign is gone")
        campaign = Campaign.get_by_id(member.campaign_id)
        flag = opt_out_field(channel_for(kernel, campaign.type), campaign.type)
        contact = Contact.get_or_none(Contact.id == member.contact_id)
        if contact is not None and not getattr(contact, flag):
            services.update(kernel, "contact", contact.id, {flag: True},
                            actor=Actor.system(f"unsubscribe link of campaign {campaign.id}"))
        changes: dict[str, Any] = {"status": "unsubscribed"}
        if member.unsubscribed_at is None:
            changes["unsubscribed_at"] = now
        _set(member.id, **changes)


# Demo ---------------------------------------------------------------------------------

def demo_campaign(kernel: Accord, actor: Actor) -> Any:
    """A completed email campaign to a handful of demo contacts, with sends, opens,
    clicks, responses and a conversion marked directly (nothing is really sent)."""
    with kernel.bound():
        contacts = list(Contact.select().where(Contact.email_opt_out == False)  # noqa: E712
                        .order_by(Contact.id).limit(12))
    if not contacts:
        return None
    currency = kernel.config.base_currency
    today = dt.date.today()
    campaign = services.create(kernel, CAMPAIGN, {
        "name": "Spring newsletter", "type": "email",
        "objective": "Bring back customers who have not ordered this year",
        "budget": Money(Decimal("1500"), currency),
        "actual_cost": Money(Decimal("1240.50"), currency),
        "start_date": today - dt.timedelta(days=30), "end_date": today - dt.timedelta(days=2),
        "expected_responses": 4,
        "subject": "{first_name}, our spring offers",
        "body": "Hello {first_name},\n\nOur spring range is in. See it here: {link}\n\n"
                "Interested? Tell us: {respond_url}",
        "target_url": "https://example.com/spring"}, actor=actor)
    start = utcnow() - dt.timedelta(days=28)
    with kernel.transaction():
        _add_members(campaign.id, [c.id for c in contacts], start)
        services.update(kernel, CAMPAIGN, campaign.id, {"status": "active",
                                                        "launched_at": start},
                        actor=actor, verb="launch")
        members = list(CampaignMember.select().where(CampaignMember.campaign == campaign.id)
                       .order_by(CampaignMember.id))
        for number, member in enumerate(members):
            at = start + dt.timedelta(hours=number)
            if number == len(members) - 1:
                _set(member.id, status="bounced", bounced_at=at,
                     last_error="550 mailbox unavailable (demo)")
                continue
            _set(member.id, status="sent", sent_at=at, attempts=1,
                 provider_id=f"<demo-{member.id}@example.com>",
                 address=Contact.get_by_id(member.contact_id).email)
            member = CampaignMember.get_by_id(member.id)
            if number % 3 == 2:
                continue
            _record(kernel, member, "open", "opened", at + dt.timedelta(hours=2), once=True)
            if number % 2 == 0:
                member = CampaignMember.get_by_id(member.id)
                _record(kernel, member, "click", "clicked", at + dt.timedelta(hours=3),
                        once=True)
            if number in (0, 4):
                member = CampaignMember.get_by_id(member.id)
                _respond(kernel, member, kind="form", message="Please call me about the offer.",
                         create_lead=True, converted=number == 0,
                         at=at + dt.timedelta(hours=5))
    completed = complete_campaign(kernel, campaign.id, actor=actor)
    # The converted member's deal, won today (sales enabled): revenue the campaign's touch
    # earns. Through the opportunity record type and its move action only.
    deals = "sales.opportunity"
    if len(members) < 2 or deals not in kernel.records:
        return completed
    with kernel.bound():
        buyer = Contact.get_by_id(members[0].contact_id)
    deal: Any = services.create(kernel, deals, {
        "name": "Spring newsletter: follow-up order",
        **({"organization_id": buyer.organization_id} if buyer.organization_id
           else {"contact_id": buyer.id}),
        "amount": Money(Decimal("4800"), currency)}, actor=actor)
    stages = (kernel.settings("sales").get("pipelines") or {}).get(deal.pipeline) or []
    won = next((stage["name"] for stage in stages
                if isinstance(stage, dict) and stage.get("kind") == "won"), "Won")
    from accord.services.actions import run_action

    run_action(kernel, deals, deal.id, "move",
               {"stage": won, "win_reason": "Answered the spring newsletter"}, actor=actor)
    return completed
