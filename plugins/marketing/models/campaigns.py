"""The campaign tables: campaigns, their members (one row per contact reached) and the
responses members gave (opens, clicks, answers), with their timestamps and the lead a
response created: what ROI and attribution are worked out from."""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from accord.models import BaseModel, Contact, MoneyAmountField, OwnedRecord, UTCDateTimeField

__all__ = ["Campaign", "CampaignMember", "CampaignResponse", "CAMPAIGN_STATUSES",
           "MEMBER_STATUSES", "FUNNEL", "RESPONSE_KINDS"]

#: A campaign's statuses: planned, then active (launched), then completed or cancelled.
CAMPAIGN_STATUSES = ("planned", "active", "completed", "cancelled")
#: A member's statuses; the first seven in the order a member moves through them.
MEMBER_STATUSES = ("targeted", "sent", "delivered", "opened", "clicked", "responded",
                   "converted", "bounced", "unsubscribed")
#: The funnel's steps, each with the member column saying when the member reached it.
FUNNEL = (("targeted", "created_at"), ("sent", "sent_at"), ("opened", "opened_at"),
          ("clicked", "clicked_at"), ("responded", "responded_at"),
          ("converted", "converted_at"))
#: How a response came: the tracking pixel, the tracked link, the public form, the API.
RESPONSE_KINDS = ("open", "click", "form", "api")


class Campaign(OwnedRecord):
    """A marketing campaign: what it is for, what it may cost and did cost, when it
    runs, whom it targets (a segment of contacts) and, for a sent type, the message."""

    name = peewee.CharField(max_length=200, index=True)
    type = peewee.CharField(max_length=60, index=True)
    objective = peewee.TextField(null=True)
    budget = MoneyAmountField(null=True)
    budget_currency = peewee.CharField(max_length=3, null=True)
    actual_cost = MoneyAmountField(null=True)
    actual_cost_currency = peewee.CharField(max_length=3, null=True)
    start_date = peewee.DateField(null=True, index=True)
    end_date = peewee.DateField(null=True, index=True)
    status = peewee.CharField(max_length=20, default="planned", index=True)
    #: The marketing.segment whose contacts the launch adds as members.
    segment_id = peewee.IntegerField(null=True, index=True)
    expected_responses = peewee.IntegerField(null=True)
    #: Members who responded (or converted): kept by the response verbs.
    actual_responses = peewee.IntegerField(default=0)
    subject = peewee.CharField(max_length=300, null=True)
    body = peewee.TextField(null=True)
    #: Where the tracked link of a message leads.
    target_url = peewee.CharField(max_length=2000, null=True)
    launched_at = UTCDateTimeField(null=True)
    completed_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "marketing_campaign"


class CampaignMember(BaseModel):
    """A contact a campaign reaches: one row per contact and campaign, with where it
    stands and when it got there; the sending state (attempts, provider id) too."""

    id = peewee.AutoField()
    campaign = peewee.ForeignKeyField(Campaign, backref="+", on_delete="CASCADE")
    contact = peewee.ForeignKeyField(Contact, backref="+", on_delete="CASCADE", index=True)
    status = peewee.CharField(max_length=20, default="targeted", index=True)
    created_at = UTCDateTimeField()
    #: The address the message went to (email, phone), as it was when sent.
    address = peewee.CharField(max_length=254, null=True)
    attempts = peewee.IntegerField(default=0)
    next_attempt_at = UTCDateTimeField(null=True)
    last_error = peewee.CharField(max_length=500, null=True)
    #: The id the channel's provider gave the message (its delivery reports name it).
    provider_id = peewee.CharField(max_length=200, null=True, index=True)
    sent_at = UTCDateTimeField(null=True, index=True)
    delivered_at = UTCDateTimeField(null=True)
    opened_at = UTCDateTimeField(null=True)
    clicked_at = UTCDateTimeField(null=True)
    responded_at = UTCDateTimeField(null=True)
    converted_at = UTCDateTimeField(null=True)
    bounced_at = UTCDateTimeField(null=True)
    unsubscribed_at = UTCDateTimeField(null=True)
    #: The sales.lead the member's response created (sales enabled).
    lead_id = peewee.IntegerField(null=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        campaign_id: peewee.ForeignKeyField[int]
        contact_id: peewee.ForeignKeyField[int]

    class Meta:
        table_name = "marketing_campaign_member"
        indexes = ((("campaign", "contact"), True),)


class CampaignResponse(BaseModel):
    """One response of a member (or of a contact, through the API): an open, a click,
    an answer on the form; with the lead it created when it did."""

    id = peewee.AutoField()
    campaign = peewee.ForeignKeyField(Campaign, backref="+", on_delete="CASCADE")
    member = peewee.ForeignKeyField(CampaignMember, null=True, backref="+",
                                    on_delete="CASCADE")
    contact = peewee.ForeignKeyField(Contact, null=True, backref="+", on_delete="SET NULL",
                                     index=True)
    kind = peewee.CharField(max_length=20, index=True)
    at = UTCDateTimeField(index=True)
    message = peewee.TextField(null=True)
    #: The sales.lead it created (sales enabled), for cost per lead and attribution.
    lead_id = peewee.IntegerField(null=True, index=True)
    if TYPE_CHECKING:
        campaign_id: peewee.ForeignKeyField[int]
        member_id: peewee.ForeignKeyField[int | None]
        contact_id: peewee.ForeignKeyField[int | None]

    class Meta:
        table_name = "marketing_campaign_response"
        indexes = ((("campaign", "at"), False),)
