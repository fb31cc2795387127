"""Create the value tiers' tables (marketing 1.0).

Frozen copies of the models as they were at marketing 1.0; never import the live
models here.
"""
from peewee import *

from accord.models import UTCDateTimeField


def up(migrator, db):
    class TierRun(Model):
        computed_on = DateField(unique=True)
        computed_at = UTCDateTimeField()
        months = IntegerField()
        value_threshold = DecimalField(max_digits=18, decimal_places=4, auto_round=True)
        purchases_threshold = IntegerField()
        customers = IntegerField(default=0)
        note = CharField(max_length=200, default='')

        class Meta:
            database = db
            table_name = 'marketing_tier_run'

    class TierAssignment(Model):
        computed_on = DateField()
        customer_type = CharField(max_length=12)
        customer_id = IntegerField()
        tier = CharField(max_length=1)
        value = DecimalField(max_digits=18, decimal_places=4, auto_round=True)
        purchases = IntegerField()
        recency_days = IntegerField(null=True)
        r_score = SmallIntegerField(null=True)
        f_score = SmallIntegerField(null=True)
        m_score = SmallIntegerField(null=True)

        class Meta:
            database = db
            table_name = 'marketing_tier_assignment'
            indexes = ((('computed_on', 'customer_type', 'customer_id'), True),
                       (('customer_type', 'customer_id'), False),
                       (('computed_on', 'tier'), False))

    db.create_tables([TierRun, TierAssignment])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('marketing_tier_assignment'))
    migrator.migrate(migrator.drop_table('marketing_tier_run'))
