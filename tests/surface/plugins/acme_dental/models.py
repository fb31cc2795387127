"""The appointment table."""

import peewee

from accord.models import Contact, OwnedRecord, UTCDateTimeField


class Appointment(OwnedRecord):
    patient = peewee.ForeignKeyField(Contact, backref="+", on_delete="RESTRICT")
    starts_at = UTCDateTimeField()
    treatment = peewee.CharField(max_length=100)
    status = peewee.CharField(max_length=20, default="booked")
    confirmed_at = UTCDateTimeField(null=True)
    notes = peewee.TextField(null=True)

    class Meta:
        table_name = "acme_dental_appointment"
