"""The fee table."""

import peewee

from accord.models import Contact, MoneyAmountField, Organization, OwnedRecord, UTCDateTimeField


class Fee(OwnedRecord):
    # RESTRICT: a patient stays while a fee names them (the core answers 409).
    patient = peewee.ForeignKeyField(Contact, backref="+", on_delete="RESTRICT")
    # SET NULL would forget the insurer; the record type protects it instead.
    insurer = peewee.ForeignKeyField(Organization, null=True, backref="+", on_delete="SET NULL")
    treatment = peewee.CharField(max_length=100)
    treated_on = peewee.DateField(index=True)
    due_on = peewee.DateField(index=True)
    # Money: the amount, and its currency in <name>_currency.
    amount = MoneyAmountField()
    amount_currency = peewee.CharField(max_length=3)
    status = peewee.CharField(max_length=20, default="open", index=True)
    paid_by = peewee.CharField(max_length=20, null=True)
    paid_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "acme_fees_fee"
