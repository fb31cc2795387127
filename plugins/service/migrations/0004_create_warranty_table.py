"""Create the warranty table (service 1.2).

A frozen copy of the model as it was at service 1.2, with stand-ins for the core tables
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

    class Product(Model):
        class Meta:
            database = db
            table_name = 'accord_product'

    class Warranty(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, null=True, backref='+', on_delete='SET NULL')
        team = ForeignKeyField(Team, null=True, backref='+', on_delete='SET NULL')
        product = ForeignKeyField(Product, backref='+')
        serial_number = CharField(max_length=100, index=True)
        organization = ForeignKeyField(Organization, null=True, backref='+',
                                       on_delete='SET NULL')
        contact = ForeignKeyField(Contact, null=True, backref='+', on_delete='SET NULL')
        starts_on = DateField(index=True)
        ends_on = DateField(index=True)
        covers = CharField(max_length=20, default='parts_and_labour')
        terms = TextField(null=True)
        order_line_ref = CharField(max_length=100, null=True)
        reminded_at = UTCDateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'service_warranty'
            indexes = ((('product', 'serial_number'), True),)

    db.create_tables([Warranty])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('service_warranty'))
