"""Create the webhook tables: subscriptions (an endpoint, the topics it wants, its
secret) and deliveries (one row per outbox message and subscription: status, tries,
the next try, the lease of the worker posting it).

Frozen copies of the models; never import the live models here.
"""
from peewee import *
from accord.database import JSONField
from accord.models.base import UTCDateTimeField


def up(migrator, db):
    class OutboxMessage(Model):
        class Meta:
            database = db
            table_name = 'accord_outbox'

    class WebhookSubscription(Model):
        url = CharField(max_length=2000)
        events = JSONField(default=list)
        secret = CharField(max_length=200)
        active = BooleanField(default=True)
        description = CharField(max_length=500, default='')
        created_at = UTCDateTimeField()

        class Meta:
            database = db
            table_name = 'accord_webhook'

    class WebhookDelivery(Model):
        message = ForeignKeyField(OutboxMessage, on_delete='CASCADE')
        subscription = ForeignKeyField(WebhookSubscription, on_delete='CASCADE')
        topic = CharField(max_length=200)
        record_key = CharField(max_length=200, null=True)
        status = CharField(max_length=20, default='pending')
        attempts = IntegerField(default=0)
        next_attempt_at = UTCDateTimeField()
        lease_owner = CharField(max_length=64, null=True)
        lease_until = UTCDateTimeField(null=True)
        last_status_code = IntegerField(null=True)
        last_error = TextField(null=True)
        created_at = UTCDateTimeField()
        delivered_at = UTCDateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'accord_webhook_delivery'
            indexes = ((('message', 'subscription'), True),
                       (('status', 'next_attempt_at'), False),
                       (('subscription', 'record_key', 'status'), False))

    db.create_tables([WebhookSubscription, WebhookDelivery])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('accord_webhook_delivery'))
    migrator.migrate(migrator.drop_table('accord_webhook'))
