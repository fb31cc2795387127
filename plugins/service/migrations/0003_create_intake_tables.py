"""Create the intake tables: the request form's attempts and the email messages taken
in (service 1.1).

Frozen copies of the models as they were at service 1.1, with a stand-in for the
ticket table they reference; never import the live models here.
"""
from peewee import *

from accord.models import UTCDateTimeField


def up(migrator, db):
    class Ticket(Model):
        class Meta:
            database = db
            table_name = 'service_ticket'

    class IntakeAttempt(Model):
        address = CharField(max_length=64)
        at = UTCDateTimeField()

        class Meta:
            database = db
            table_name = 'service_intake_attempt'
            indexes = ((('address', 'at'), False),)

    class InboundMessage(Model):
        message_id = CharField(max_length=998, unique=True)
        ticket = ForeignKeyField(Ticket, null=True, backref='+', on_delete='SET NULL')
        outcome = CharField(max_length=10)
        received_at = UTCDateTimeField()

        class Meta:
            database = db
            table_name = 'service_inbound_message'

    db.create_tables([IntakeAttempt, InboundMessage])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('service_inbound_message'),
                     migrator.drop_table('service_intake_attempt'))
