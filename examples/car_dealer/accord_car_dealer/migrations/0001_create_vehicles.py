"""Create the vehicle table: a frozen copy of the model, with stand-ins for the core
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

    class Vehicle(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        team = ForeignKeyField(Team, null=True, backref="+", on_delete="SET NULL")
        vin = CharField(max_length=17, unique=True)
        make = CharField(max_length=60, index=True)
        model = CharField(max_length=60)
        year = IntegerField(index=True)
        mileage = IntegerField(default=0)
        price = MoneyAmountField(max_digits=18, decimal_places=4)
        price_currency = CharField(max_length=3)
        status = CharField(max_length=20, default="stock", index=True)
        owner_contact = ForeignKeyField(Contact, null=True, backref="+", on_delete="SET NULL")
        reserved_for = ForeignKeyField(Contact, null=True, backref="+", on_delete="SET NULL")
        reserved_until = DateField(null=True)
        sold_at = UTCDateTimeField(null=True)

        class Meta:
            database = db
            table_name = "car_dealer_vehicle"

    db.create_tables([Vehicle])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("car_dealer_vehicle"))
