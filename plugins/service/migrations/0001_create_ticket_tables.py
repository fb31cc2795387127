"""Create the ticket and comment tables.

Frozen copies of the models as they were at service 1.0, with stand-ins for the core
tables they reference; never import the live models here.
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
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, null=True, backref='+', on_delete='SET NULL')
        team = ForeignKeyField(Team, null=True, backref='+', on_delete='SET NULL')
        organization = ForeignKeyField(Organization, null=True, backref='+',
                                       on_delete='SET NULL')
        contact = ForeignKeyField(Contact, null=True, backref='+', on_delete='SET NULL')
        channel = CharField(max_length=60, index=True)
        category = CharField(max_length=60, null=True, index=True)
        priority = CharField(max_length=10, default='normal', index=True)
        subject = CharField(max_length=200)
        description = TextField(null=True)
        status = CharField(max_length=20, default='new', index=True)
        queue = CharField(max_length=60, index=True)
        received_at = UTCDateTimeField(index=True)
        first_responded_at = UTCDateTimeField(null=True)
        last_comment_at = UTCDateTimeField(null=True)
        resolved_at = UTCDateTimeField(null=True, index=True)
        closed_at = UTCDateTimeField(null=True)
        sla_paused_at = UTCDateTimeField(null=True)
        sla_paused_seconds = IntegerField(default=0)
        first_response_due_at = UTCDateTimeField(null=True, index=True)
        resolution_due_at = UTCDateTimeField(null=True, index=True)
        first_response_breached = BooleanField(default=False, index=True)
        resolution_breached = BooleanField(default=False, index=True)

        class Meta:
            database = db
            table_name = 'service_ticket'
            indexes = ((('queue', 'status'), False),)

    class Comment(Model):
        ticket = ForeignKeyField(Ticket, backref='+', on_delete='CASCADE')
        body = TextField()
        visibility = CharField(max_length=10)
        at = UTCDateTimeField(index=True)
        author = ForeignKeyField(User, null=True, backref='+', on_delete='SET NULL')
        author_label = CharField(max_length=254)

        class Meta:
            database = db
            table_name = 'service_comment'

    db.create_tables([Ticket, Comment])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('service_comment'),
                     migrator.drop_table('service_ticket'))
