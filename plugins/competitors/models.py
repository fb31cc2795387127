"""The competitors tables: competitors, their products and observed prices, the
competitors on each deal, and the outcome of deals they contested.

Opportunities belong to the sales plugin: these tables name them by a plain integer
``opportunity_id`` (no foreign key into a sales table), checked through the core's
record services when written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from accord.models import BaseModel, BaseRecord, MoneyAmountField, Product, User, UTCDateTimeField

__all__ = ["Competitor", "CompetingProduct", "Rivalry", "PriceObservation", "Involvement",
           "Outcome", "THREAT_LEVELS", "STATUSES", "RESULTS"]

#: A competitor's threat level and status, in order.
THREAT_LEVELS = ("low", "medium", "high")
STATUSES = ("active", "watch", "inactive")
#: How a contested deal ended.
RESULTS = ("won", "lost")


# Competitor intelligence is shared by the whole firm: these records have no owner, so
# no record rule ("own", "team") hides a competitor from a salesperson.

class Competitor(BaseRecord):
    """A firm we compete with: its background, situation, strategy and our view of it."""

    name = peewee.CharField(max_length=200, unique=True)
    website = peewee.CharField(max_length=500, null=True)
    history = peewee.TextField(null=True)
    size = peewee.CharField(max_length=200, null=True)
    ownership = peewee.CharField(max_length=200, null=True)
    situation = peewee.TextField(null=True)
    markets = peewee.CharField(max_length=500, null=True)
    regions = peewee.CharField(max_length=500, null=True)
    segments = peewee.CharField(max_length=500, null=True)
    strategy = peewee.TextField(null=True)
    strengths = peewee.TextField(null=True)
    weaknesses = peewee.TextField(null=True)
    threat_level = peewee.CharField(max_length=10, default="medium", index=True)
    status = peewee.CharField(max_length=10, default="active", index=True)

    class Meta:
        table_name = "competitors_competitor"


class CompetingProduct(BaseRecord):
    """A competitor's product, its current list price and our products it competes with."""

    competitor = peewee.ForeignKeyField(Competitor, backref="+", on_delete="RESTRICT")
    name = peewee.CharField(max_length=200, index=True)
    category = peewee.CharField(max_length=100, null=True, index=True)
    main_use = peewee.TextField(null=True)
    performance_notes = peewee.TextField(null=True)
    #: The latest observed list price (set by the observe_price verb, which keeps
    #: every observation in PriceObservation).
    list_price = MoneyAmountField(null=True)
    list_price_currency = peewee.CharField(max_length=3, null=True)
    price_observed_on = peewee.DateField(null=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        competitor_id: peewee.ForeignKeyField[int]

    class Meta:
        table_name = "competitors_product"
        indexes = ((("competitor", "name"), True),)


class Rivalry(BaseModel):
    """One of our products (core ``product``) a competing product competes with."""

    product = peewee.ForeignKeyField(CompetingProduct, backref="+", on_delete="CASCADE")
    ours = peewee.ForeignKeyField(Product, backref="+", on_delete="CASCADE")

    class Meta:
        table_name = "competitors_rivalry"
        indexes = ((("product", "ours"), True),)


class PriceObservation(BaseRecord):
    """A list price of a competing product seen on a day: the product's price history."""

    product = peewee.ForeignKeyField(CompetingProduct, backref="+", on_delete="CASCADE")
    price = MoneyAmountField()
    price_currency = peewee.CharField(max_length=3)
    observed_on = peewee.DateField(index=True)
    #: Where the price was seen (the competitor's website, a customer's quote…).
    source = peewee.CharField(max_length=200, null=True)
    recorded_by = peewee.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    recorded_by_label = peewee.CharField(max_length=254)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        product_id: peewee.ForeignKeyField[int]

    class Meta:
        table_name = "competitors_price"


class Involvement(BaseRecord):
    """A competitor contesting a sales opportunity, with the price it quoted."""

    #: A sales opportunity's id: a plain column, checked through the record services.
    opportunity_id = peewee.IntegerField()
    competitor = peewee.ForeignKeyField(Competitor, backref="+", on_delete="RESTRICT")
    quoted_price = MoneyAmountField(null=True)
    quoted_price_currency = peewee.CharField(max_length=3, null=True)
    notes = peewee.TextField(null=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        competitor_id: peewee.ForeignKeyField[int]

    class Meta:
        table_name = "competitors_involvement"
        # Also the index of lookups by opportunity (its leading column).
        indexes = ((("opportunity_id", "competitor"), True),)


class Outcome(BaseModel):
    """How a contested opportunity was closed, written in the closing move's transaction
    (sales' ``opportunity_moved`` hook) and removed when the deal is reopened.

    Amount, currency, owner and team are the deal's at the close.
    """

    opportunity_id = peewee.IntegerField(unique=True)
    result = peewee.CharField(max_length=4)
    amount = MoneyAmountField()
    currency = peewee.CharField(max_length=3)
    closed_at = UTCDateTimeField(index=True)
    #: The competitor the deal was lost to; None when won, or lost to none of them.
    lost_to = peewee.ForeignKeyField(Competitor, null=True, backref="+", on_delete="SET NULL")
    reason = peewee.CharField(max_length=500, null=True)
    owner_id = peewee.IntegerField(null=True, index=True)
    team_id = peewee.IntegerField(null=True, index=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        lost_to_id: peewee.ForeignKeyField[int | None]

    class Meta:
        table_name = "competitors_outcome"
