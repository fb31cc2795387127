"""The sales tables: leads, opportunities, and the history of opportunities' stages."""

from __future__ import annotations

import peewee

from accord.models import (BaseModel, Contact, MoneyAmountField, Organization, OwnedRecord,
                           User, UTCDateTimeField)

__all__ = ["Opportunity", "StageChange", "Lead"]


# References to core tables declare no backref ("+"): a plugin adds no attributes to
# the core's models, so two plugins can never clash over a name there.


class Opportunity(OwnedRecord):
    """A deal being worked on, in one stage of one pipeline (see settings.py)."""

    name = peewee.CharField(max_length=200, index=True)
    organization = peewee.ForeignKeyField(Organization, null=True, backref="+",
                                          on_delete="SET NULL")
    contact = peewee.ForeignKeyField(Contact, null=True, backref="+",
                                     on_delete="SET NULL")
    amount = MoneyAmountField(index=True)
    amount_currency = peewee.CharField(max_length=3)
    expected_close_date = peewee.DateField(null=True, index=True)
    pipeline = peewee.CharField(max_length=40)
    stage = peewee.CharField(max_length=60, index=True)
    probability = peewee.IntegerField()
    channel = peewee.CharField(max_length=60, null=True, index=True)
    loss_reason = peewee.CharField(max_length=500, null=True)
    closed_at = UTCDateTimeField(null=True, index=True)

    class Meta:
        table_name = "sales_opportunity"
        # The pipeline report and the settings check group by both.
        indexes = ((("pipeline", "stage"), False),)


class StageChange(BaseModel):
    """One move of an opportunity from a stage to another, written with the move."""

    opportunity = peewee.ForeignKeyField(Opportunity, backref="stage_changes",
                                         on_delete="CASCADE")
    pipeline = peewee.CharField(max_length=40)
    from_stage = peewee.CharField(max_length=60)
    to_stage = peewee.CharField(max_length=60)
    at = UTCDateTimeField(index=True)
    actor = peewee.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    actor_label = peewee.CharField(max_length=254)

    class Meta:
        table_name = "sales_stage_change"


class Lead(OwnedRecord):
    """A prospect not yet qualified; once converted, it links to what it became."""

    name = peewee.CharField(max_length=200, index=True)
    company = peewee.CharField(max_length=200, null=True, index=True)
    email = peewee.CharField(max_length=254, null=True, index=True)
    phone = peewee.CharField(max_length=50, null=True)
    source = peewee.CharField(max_length=60, null=True, index=True)
    status = peewee.CharField(max_length=20, default="new", index=True)
    disqualify_reason = peewee.CharField(max_length=500, null=True)
    converted_at = UTCDateTimeField(null=True, index=True)
    contact = peewee.ForeignKeyField(Contact, null=True, backref="+", on_delete="SET NULL")
    organization = peewee.ForeignKeyField(Organization, null=True, backref="+",
                                          on_delete="SET NULL")
    opportunity = peewee.ForeignKeyField(Opportunity, null=True, backref="+",
                                         on_delete="SET NULL")

    class Meta:
        table_name = "sales_lead"
