"""Create the satisfaction survey table (issue 13).

A frozen copy of the model as it was when the surveys came, with stand-ins for the tables
it references; never import the live models here.
"""
from peewee import *

from accord.database import JSONField
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

    class Ticket(Model):
        class Meta:
            database = db
            table_name = 'service_ticket'

    class Survey(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, null=True, backref='+', on_delete='SET NULL')
        team = ForeignKeyField(Team, null=True, backref='+', on_delete='SET NULL')
        kind = CharField(max_length=10, index=True)
        ticket = ForeignKeyField(Ticket, null=True, backref='+', on_delete='SET NULL')
        organization = ForeignKeyField(Organization, null=True, backref='+',
                                       on_delete='SET NULL')
        contact = ForeignKeyField(Contact, null=True, backref='+', on_delete='SET NULL')
        score = SmallIntegerField(null=True)
        comment = TextField(null=True)
        sent_at = UTCDateTimeField(index=True)
        answered_at = UTCDateTimeField(null=True, index=True)
        expires_at = UTCDateTimeField(index=True)

        class Meta:
            database = db
            table_name = 'service_survey'

    db.create_tables([Survey])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('service_survey'))
