"""The vehicle table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import peewee

from accord.models import Contact, MoneyAmountField, OwnedRecord, UTCDateTimeField

__all__ = ["Vehicle", "STATUSES"]

#: stock -> reserved -> sold (a reservation may be released back to stock).
STATUSES = ("stock", "reserved", "sold")


class Vehicle(OwnedRecord):
    vin = peewee.CharField(max_length=17, unique=True)
    make = peewee.CharField(max_length=60, index=True)
    model = peewee.CharField(max_length=60)
    year = peewee.IntegerField(index=True)
    mileage = peewee.IntegerField(default=0)
    price = MoneyAmountField()
    price_currency = peewee.CharField(max_length=3)
    status = peewee.CharField(max_length=20, default="stock", index=True)
    # The customer the vehicle belongs to (its buyer, or a customer's car in for
    # service); the record type protects it from deletion.
    owner_contact = peewee.ForeignKeyField(Contact, null=True, backref="+",
                                           on_delete="SET NULL")
    reserved_for = peewee.ForeignKeyField(Contact, null=True, backref="+",
                                          on_delete="SET NULL")
    reserved_until = peewee.DateField(null=True)
    sold_at = UTCDateTimeField(null=True)
    if TYPE_CHECKING:  # added by peewee at class creation; declared for mypy
        owner_contact_id: int | None
        reserved_for_id: int | None

    class Meta:
        table_name = "car_dealer_vehicle"
