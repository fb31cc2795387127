"""Create the fee table: a frozen copy of the model, with stand-ins for the core
tables it references."""
from peewee import *
from accord.database import JSONField
from accord.models import MoneyAmountField, UTCDateTimeField


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "accord_user"

    class Team(Model):
        class Meta:
            database = db
            table_name = "accord_team"

    class Contact(Model):
        class Meta:
            database = db
            table_name = "accord_contact"

    class Organization(Model):
        class Meta:
            database = db
            table_name = "accord_organization"

    class Fee(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        team = ForeignKeyField(Team, null=True, backref="+", on_delete="SET NULL")
        patient = ForeignKeyField(Contact, backref="+", on_delete="RESTRICT")
        insurer = ForeignKeyField(Organization, null=True, backref="+", on_delete="SET NULL")
        treatment = CharField(max_length=100)
        treated_on = DateField(index=True)
        due_on = DateField(index=True)
        amount = MoneyAmountField(max_digits=18, decimal_places=4)
        amount_currency = CharField(max_length=3)
        status = CharField(max_length=20, default="open", index=True)
        paid_by = CharField(max_length=20, null=True)
        paid_at = UTCDateTimeField(null=True)

        class Meta:
            database = db
            table_name = "acme_fees_fee"

    db.create_tables([Fee])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("acme_fees_fee"))
