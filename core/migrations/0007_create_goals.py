"""Create the goal table (a target for a metric over a period, for a user, a team or the
firm: accord.goals) and the pace job's memory of the goals it found behind.

Frozen copies of the models; never import the live models here.
"""
from peewee import *
from accord.database import JSONField
from accord.models.base import UTCDateTimeField


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'accord_user'

    class Team(Model):
        class Meta:
            database = db
            table_name = 'accord_team'

    class Goal(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, field=User.id, null=True, on_delete='SET NULL')
        team = ForeignKeyField(Team, field=Team.id, null=True, on_delete='SET NULL')
        metric = CharField(index=True, max_length=200)
        group_value = CharField(null=True, max_length=200)
        period = CharField(max_length=30)
        period_start = DateField(index=True)
        period_end = DateField(index=True)
        scope = CharField(index=True, max_length=10)
        target = DecimalField(max_digits=18, decimal_places=4, auto_round=True)
        direction = CharField(max_length=10, default='at_least')

        class Meta:
            database = db
            table_name = 'accord_goal'

    class GoalAlert(Model):
        goal = ForeignKeyField(Goal, unique=True, on_delete='CASCADE')
        behind_since = DateField()

        class Meta:
            database = db
            table_name = 'accord_goal_alert'

    db.create_tables([Goal, GoalAlert])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('accord_goal_alert'))
    migrator.migrate(migrator.drop_table('accord_goal'))
