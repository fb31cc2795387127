"""The marketing settings: the value tiers' period and thresholds, the at-risk factor,
the attribution model, and the SMTP channel's server, sender and pace.

Settings come from ``[plugins.settings.marketing]`` in ``accord.toml`` and from
``accord plugins settings marketing KEY=VALUE``; this schema checks them, naming the key.
"""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from marshmallow import fields, validate

__all__ = ["MarketingSettings", "ATTRIBUTION_MODELS", "CAMPAIGN_TYPES"]

#: How revenue of won deals is shared among the campaigns that touched the customer.
ATTRIBUTION_MODELS = ("first_touch", "last_touch", "linear")
#: The campaign types a firm has unless it lists its own (``campaign_types``).
CAMPAIGN_TYPES = ("email", "sms", "event", "ad", "direct_mail")


class MarketingSettings(ma.Schema):
    """``[plugins.settings.marketing]``."""

    class Meta:
        unknown = ma.RAISE

    # Value tiers (the A-E grid) ------------------------------------------------------
    #: The months of purchases the tiers look back on.
    tier_months = fields.Integer(load_default=12, strict=True, validate=validate.Range(
        1, 120, error="Give a number of months from 1 to 120."))
    #: Order value (base currency, over tier_months) from which a customer is "high
    #: value".
    tier_value_threshold = fields.Decimal(load_default=Decimal("10000"), as_string=True,
                                          validate=validate.Range(0, 10 ** 12))
    #: Number of orders (over tier_months) from which a customer buys "many" times.
    tier_purchases_threshold = fields.Integer(load_default=3, strict=True,
                                              validate=validate.Range(1, 10_000))
    #: A customer is "at risk" past this many times their usual purchase interval.
    at_risk_factor = fields.Decimal(load_default=Decimal("1.5"), as_string=True,
                                    validate=validate.Range(1, 100))
    #: A customer who bought is "lost" after this many days without an order.
    lost_after_days = fields.Integer(load_default=365, strict=True,
                                     validate=validate.Range(1, 3650))
    attribution_model = fields.String(load_default="last_touch",
                                      validate=validate.OneOf(ATTRIBUTION_MODELS))
    #: A campaign touch counts for a deal won at most this many days later.
    attribution_window_days = fields.Integer(load_default=90, strict=True,
                                             validate=validate.Range(1, 3650))

    # Campaigns -----------------------------------------------------------------------
    #: The types a campaign may have: the shipped ones, and a firm's own added to them
    #: (a type a sending channel declares, such as ``sms``, is sent through it).
    campaign_types = fields.List(fields.String(validate=validate.Regexp(
        r"^[a-z][a-z0-9_]{0,59}$", error="Give lower-case letters, digits and _ (60 at "
                                        "most), starting with a letter.")),
        load_default=lambda: list(CAMPAIGN_TYPES), validate=validate.Length(1, 100))

    # The SMTP email channel ------------------------------------------------------------
    smtp_host = fields.String(load_default="127.0.0.1", validate=validate.Length(1, 255))
    smtp_port = fields.Integer(load_default=25, strict=True, validate=validate.Range(1, 65535))
    smtp_starttls = fields.Boolean(load_default=False)
    smtp_username = fields.String(load_default=None, allow_none=True,
                                  validate=validate.Length(1, 255))
    smtp_password = fields.String(load_default=None, allow_none=True,
                                  validate=validate.Length(1, 255))
    from_address = fields.Email(load_default="marketing@example.com")
    #: The most messages sent per minute (the provider's limit).
    send_rate_per_minute = fields.Integer(load_default=60, strict=True,
                                          validate=validate.Range(1, 100_000))
    #: Attempts per message before it is given up (a refused connection is retried).
    send_attempts = fields.Integer(load_default=3, strict=True,
                                   validate=validate.Range(1, 20))
    #: The site's address, put in front of the unsubscribe and tracking links of
    #: messages (``https://crm.example.com``).
    site_url = fields.Url(load_default="http://127.0.0.1:5000", require_tld=False)
