"""Create the appointment table: a frozen copy of the model, with stand-ins for the
core tables it references."""
from peewee import *
from accord.database import JSONField
from accord.models.base import UTCDateTimeField


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

    class Appointment(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
        team = ForeignKeyField(Team, null=True, backref="+", on_delete="SET NULL")
        patient = ForeignKeyField(Contact, backref="+", on_delete="RESTRICT")
        starts_at = UTCDateTimeField()
        treatment = CharField(max_length=100)
        status = CharField(max_length=20, default="booked")
        confirmed_at = UTCDateTimeField(null=True)
        notes = TextField(null=True)

        class Meta:
            database = db
            table_name = "acme_dental_appointment"

    db.create_tables([Appointment])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("acme_dental_appointment"))
