"""Create the return (RMA) tables (service 1.4).

A frozen copy of the models as they were at service 1.4, with stand-ins for the tables
they reference; never import the live models here.
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

    class Product(Model):
        class Meta:
            database = db
            table_name = 'accord_product'

    class Ticket(Model):
        class Meta:
            database = db
            table_name = 'service_ticket'

    class Warranty(Model):
        class Meta:
            database = db
            table_name = 'service_warranty'

    class Return(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, null=True, backref='+', on_delete='SET NULL')
        team = ForeignKeyField(Team, null=True, backref='+', on_delete='SET NULL')
        organization = ForeignKeyField(Organization, null=True, backref='+',
                                       on_delete='SET NULL')
        contact = ForeignKeyField(Contact, null=True, backref='+', on_delete='SET NULL')
        ticket = ForeignKeyField(Ticket, null=True, backref='+', on_delete='SET NULL')
        order_id = IntegerField(null=True, index=True)
        order_line = IntegerField(null=True)
        warranty = ForeignKeyField(Warranty, null=True, backref='+', on_delete='SET NULL')
        reason = TextField()
        currency = CharField(max_length=3)
        status = CharField(max_length=20, default='requested', index=True)
        decision = CharField(max_length=10, null=True)
        decision_reason = TextField(null=True)
        decided_at = UTCDateTimeField(null=True)
        resolution = CharField(max_length=20, null=True)
        refund_amount = DecimalField(max_digits=18, decimal_places=4, auto_round=True,
                                     null=True)
        resolved_at = UTCDateTimeField(null=True)
        closed_at = UTCDateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'service_return'
            indexes = ((('order_id', 'order_line'), False),)

    class ReturnItem(Model):
        rma = ForeignKeyField(Return, backref='+', on_delete='CASCADE')
        position = IntegerField()
        product = ForeignKeyField(Product, null=True, backref='+', on_delete='RESTRICT',
                                  index=True)
        description = CharField(max_length=500, null=True)
        quantity = DecimalField(max_digits=12, decimal_places=4, auto_round=True)
        unit_paid = DecimalField(max_digits=18, decimal_places=4, auto_round=True)

        class Meta:
            database = db
            table_name = 'service_return_item'
            indexes = ((('rma', 'position'), True),)

    db.create_tables([Return, ReturnItem])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('service_return_item'))
    migrator.migrate(migrator.drop_table('service_return'))
