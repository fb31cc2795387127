"""The value tiers' tables: one row per customer and computation day (the history the
movements between tiers are read from), and one row per computation day saying how it
was computed."""

from __future__ import annotations

import peewee

from accord.models import BaseModel, UTCDateTimeField

__all__ = ["TierAssignment", "TierRun", "TIERS"]

#: The tiers, A (prospects) to E (key accounts).
TIERS = ("A", "B", "C", "D", "E")


class TierRun(BaseModel):
    """One computation of the tiers (the last of its day wins): the period and the
    thresholds it used, and why every customer is A when there were no purchase facts."""

    id = peewee.AutoField()
    computed_on = peewee.DateField(unique=True)
    computed_at = UTCDateTimeField()
    months = peewee.IntegerField()
    value_threshold = peewee.DecimalField(max_digits=18, decimal_places=4, auto_round=True)
    purchases_threshold = peewee.IntegerField()
    customers = peewee.IntegerField(default=0)
    #: Empty when the purchase facts were there; else why not ("no purchase facts: …").
    note = peewee.CharField(max_length=200, default="")

    class Meta:
        table_name = "marketing_tier_run"


class TierAssignment(BaseModel):
    """A customer's tier on ``computed_on``, with the figures that placed it: order
    value and number of orders over the period, days since the last order, and the RFM
    scores (1-5; null for a customer who did not buy in the period)."""

    id = peewee.AutoField()
    computed_on = peewee.DateField()
    #: organization or contact (a contact without an organization).
    customer_type = peewee.CharField(max_length=12)
    customer_id = peewee.IntegerField()
    tier = peewee.CharField(max_length=1)
    value = peewee.DecimalField(max_digits=18, decimal_places=4, auto_round=True)
    purchases = peewee.IntegerField()
    recency_days = peewee.IntegerField(null=True)
    r_score = peewee.SmallIntegerField(null=True)
    f_score = peewee.SmallIntegerField(null=True)
    m_score = peewee.SmallIntegerField(null=True)

    class Meta:
        table_name = "marketing_tier_assignment"
        indexes = ((("computed_on", "customer_type", "customer_id"), True),
                   (("customer_type", "customer_id"), False),
                   (("computed_on", "tier"), False))
