"""Create the campaign tables: campaigns, their members and responses (marketing 0.1).

Frozen copies of the models as they were at marketing 0.1, with stand-ins for the
tables they reference; never import the live models here. The segment a campaign
targets is a plain id (the segments' table is another migration's).
"""
from peewee import *

from accord.database import JSONField
from accord.models import MoneyAmountField, UTCDateTimeField


def up(migrator, db):
    def stand_in(table):
        class Meta:
            database = db
            table_name = table
        return type(table, (Model,), {"Meta": Meta})

    User, Team = stand_in('accord_user'), stand_in('accord_team')
    Contact = stand_in('accord_contact')

    class Campaign(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, null=True, backref='+', on_delete='SET NULL', index=True)
        team = ForeignKeyField(Team, null=True, backref='+', on_delete='SET NULL', index=True)
        name = CharField(max_length=200, index=True)
        type = CharField(max_length=60, index=True)
        objective = TextField(null=True)
        budget = MoneyAmountField(null=True)
        budget_currency = CharField(max_length=3, null=True)
        actual_cost = MoneyAmountField(null=True)
        actual_cost_currency = CharField(max_length=3, null=True)
        start_date = DateField(null=True, index=True)
        end_date = DateField(null=True, index=True)
        status = CharField(max_length=20, default='planned', index=True)
        segment_id = IntegerField(null=True, index=True)
        expected_responses = IntegerField(null=True)
        actual_responses = IntegerField(default=0)
        subject = CharField(max_length=300, null=True)
        body = TextField(null=True)
        target_url = CharField(max_length=2000, null=True)
        launched_at = UTCDateTimeField(null=True)
        completed_at = UTCDateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'marketing_campaign'

    class CampaignMember(Model):
        campaign = ForeignKeyField(Campaign, backref='+', on_delete='CASCADE')
        contact = ForeignKeyField(Contact, backref='+', on_delete='CASCADE', index=True)
        status = CharField(max_length=20, default='targeted', index=True)
        created_at = UTCDateTimeField()
        address = CharField(max_length=254, null=True)
        attempts = IntegerField(default=0)
        next_attempt_at = UTCDateTimeField(null=True)
        last_error = CharField(max_length=500, null=True)
        provider_id = CharField(max_length=200, null=True)
        sent_at = UTCDateTimeField(null=True, index=True)
        delivered_at = UTCDateTimeField(null=True)
        opened_at = UTCDateTimeField(null=True)
        clicked_at = UTCDateTimeField(null=True)
        responded_at = UTCDateTimeField(null=True)
        converted_at = UTCDateTimeField(null=True)
        bounced_at = UTCDateTimeField(null=True)
        unsubscribed_at = UTCDateTimeField(null=True)
        lead_id = IntegerField(null=True)

        class Meta:
            database = db
            table_name = 'marketing_campaign_member'
            indexes = ((('campaign', 'contact'), True),)

    class CampaignResponse(Model):
        campaign = ForeignKeyField(Campaign, backref='+', on_delete='CASCADE')
        member = ForeignKeyField(CampaignMember, null=True, backref='+', on_delete='CASCADE')
        contact = ForeignKeyField(Contact, null=True, backref='+', on_delete='SET NULL',
                                  index=True)
        kind = CharField(max_length=20, index=True)
        at = UTCDateTimeField(index=True)
        message = TextField(null=True)
        lead_id = IntegerField(null=True, index=True)

        class Meta:
            database = db
            table_name = 'marketing_campaign_response'
            indexes = ((('campaign', 'at'), False),)

    db.create_tables([Campaign, CampaignMember, CampaignResponse])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('marketing_campaign_response'))
    migrator.migrate(migrator.drop_table('marketing_campaign_member'))
    migrator.migrate(migrator.drop_table('marketing_campaign'))
