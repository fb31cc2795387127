"""The plugin's settings: ``[plugins.settings.car_dealer]`` in accord.toml, or
``accord plugins settings car_dealer KEY=VALUE``."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from accord.money import CurrencyField

__all__ = ["CarDealerSettings"]


class CarDealerSettings(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    #: The currency vehicles are priced in.
    currency = CurrencyField(load_default="EUR")
    #: How long a reservation holds a vehicle for its customer.
    reservation_days = fields.Integer(load_default=7, strict=True, validate=validate.Range(
        min=1, max=90, error="Give whole days from 1 to 90."))
    #: Where tickets naming a vehicle's VIN go: a queue of the service plugin's
    #: ``queues`` setting (left as it is when that setting lacks it) and a team by name.
    workshop_queue = fields.String(load_default="workshop", validate=validate.Regexp(
        r"^[a-z][a-z0-9_]{0,59}$", error="Lowercase letters, digits and '_', starting with "
                                         "a letter."))
    workshop_team = fields.String(load_default="Workshop",
                                  validate=validate.Length(min=1, max=100))
