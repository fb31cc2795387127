"""Create the opportunity, stage history and lead tables.

Frozen copies of the models as they were at sales 1.0, with stand-ins for the core
tables they reference; never import the live models here.
"""
from peewee import *

from accord.database import JSONField
from accord.models import MoneyAmountField
from accord.models import UTCDateTimeField


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'accord_user'

    class Team(Model):
        class Meta:
            database = db
            table_name = 'accord_team'

    class Organization(Model):
        class Meta:
            database = db
            table_name = 'accord_organization'

    class Contact(Model):
        class Meta:
            database = db
            table_name = 'accord_contact'

    class Opportunity(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, backref='+', null=True, on_delete='SET NULL')
        team = ForeignKeyField(Team, backref='+', null=True, on_delete='SET NULL')
        name = CharField(index=True, max_length=200)
        organization = ForeignKeyField(Organization, backref='+', null=True,
                                       on_delete='SET NULL')
        contact = ForeignKeyField(Contact, backref='+', null=True, on_delete='SET NULL')
        amount = MoneyAmountField(index=True)
        amount_currency = CharField(max_length=3)
        expected_close_date = DateField(index=True, null=True)
        pipeline = CharField(max_length=40)
        stage = CharField(index=True, max_length=60)
        probability = IntegerField()
        channel = CharField(index=True, null=True, max_length=60)
        loss_reason = CharField(null=True, max_length=500)
        closed_at = UTCDateTimeField(index=True, null=True)

        class Meta:
            database = db
            table_name = 'sales_opportunity'
            indexes = ((('pipeline', 'stage'), False),)

    class StageChange(Model):
        opportunity = ForeignKeyField(Opportunity, backref='+', on_delete='CASCADE')
        pipeline = CharField(max_length=40)
        from_stage = CharField(max_length=60)
        to_stage = CharField(max_length=60)
        at = UTCDateTimeField(index=True)
        actor = ForeignKeyField(User, backref='+', null=True, on_delete='SET NULL')
        actor_label = CharField(max_length=254)

        class Meta:
            database = db
            table_name = 'sales_stage_change'

    class Lead(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, backref='+', null=True, on_delete='SET NULL')
        team = ForeignKeyField(Team, backref='+', null=True, on_delete='SET NULL')
        name = CharField(index=True, max_length=200)
        company = CharField(index=True, null=True, max_length=200)
        email = CharField(index=True, null=True, max_length=254)
        phone = CharField(null=True, max_length=50)
        source = CharField(index=True, null=True, max_length=60)
        status = CharField(index=True, max_length=20, default='new')
        disqualify_reason = CharField(null=True, max_length=500)
        converted_at = UTCDateTimeField(index=True, null=True)
        contact = ForeignKeyField(Contact, backref='+', null=True, on_delete='SET NULL')
        organization = ForeignKeyField(Organization, backref='+', null=True,
                                       on_delete='SET NULL')
        opportunity = ForeignKeyField(Opportunity, backref='+', null=True,
                                      on_delete='SET NULL')

        class Meta:
            database = db
            table_name = 'sales_lead'

    db.create_tables([Opportunity, StageChange, Lead])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('sales_lead'),
                     migrator.drop_table('sales_stage_change'),
                     migrator.drop_table('sales_opportunity'))
