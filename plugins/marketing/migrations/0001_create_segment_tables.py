"""Create the segment and segment member tables (marketing 0.1).

Frozen copies of the models as they were at marketing 0.1, with stand-ins for the core
tables they reference; never import the live models here. A member names its contact
or organization by a plain integer (the segment's target says which).
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

    class Segment(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, null=True, backref='+', on_delete='SET NULL')
        team = ForeignKeyField(Team, null=True, backref='+', on_delete='SET NULL')
        name = CharField(max_length=200, index=True)
        target = CharField(max_length=20, default='contact')
        kind = CharField(max_length=10, default='dynamic')
        rules = JSONField(default=list)
        description = TextField(null=True)
        frozen_at = UTCDateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'marketing_segment'

    class SegmentMember(Model):
        segment = ForeignKeyField(Segment, backref='+', on_delete='CASCADE')
        record_id = IntegerField()

        class Meta:
            database = db
            table_name = 'marketing_segment_member'
            indexes = ((('segment', 'record_id'), True),)

    db.create_tables([Segment, SegmentMember])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('marketing_segment_member'),
                     migrator.drop_table('marketing_segment'))
