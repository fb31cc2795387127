"""Create the routing's round-robin table (service 1.1).

Frozen copies of the models as they were at service 1.1, with stand-ins for the core
tables they reference; never import the live models here.
"""
from peewee import *

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

    class Rotation(Model):
        team = ForeignKeyField(Team, backref='+', on_delete='CASCADE')
        user = ForeignKeyField(User, backref='+', on_delete='CASCADE')
        assigned_at = UTCDateTimeField()

        class Meta:
            database = db
            table_name = 'service_rotation'
            indexes = ((('team', 'user'), True),)

    db.create_tables([Rotation])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('service_rotation'))
