"""Create the competitor, competing product, rivalry, price, involvement and outcome
tables.

Frozen copies of the models as they were at competitors 1.0, with stand-ins for the
core tables they reference; never import the live models here. Opportunities are
named by a plain integer column: no foreign key reaches into the sales plugin's tables.
"""
from peewee import *

from accord.database import JSONField
from accord.models import MoneyAmountField
from accord.models import UTCDateTimeField


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'accord_user'

    class Product(Model):
        class Meta:
            database = db
            table_name = 'accord_product'

    class Competitor(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        name = CharField(max_length=200, unique=True)
        website = CharField(max_length=500, null=True)
        history = TextField(null=True)
        size = CharField(max_length=200, null=True)
        ownership = CharField(max_length=200, null=True)
        situation = TextField(null=True)
        markets = CharField(max_length=500, null=True)
        regions = CharField(max_length=500, null=True)
        segments = CharField(max_length=500, null=True)
        strategy = TextField(null=True)
        strengths = TextField(null=True)
        weaknesses = TextField(null=True)
        threat_level = CharField(max_length=10, default='medium', index=True)
        status = CharField(max_length=10, default='active', index=True)

        class Meta:
            database = db
            table_name = 'competitors_competitor'

    class CompetingProduct(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        competitor = ForeignKeyField(Competitor, backref='+', on_delete='RESTRICT')
        name = CharField(max_length=200, index=True)
        category = CharField(max_length=100, null=True, index=True)
        main_use = TextField(null=True)
        performance_notes = TextField(null=True)
        list_price = MoneyAmountField(null=True)
        list_price_currency = CharField(max_length=3, null=True)
        price_observed_on = DateField(null=True)

        class Meta:
            database = db
            table_name = 'competitors_product'
            indexes = ((('competitor', 'name'), True),)

    class Rivalry(Model):
        product = ForeignKeyField(CompetingProduct, backref='+', on_delete='CASCADE')
        ours = ForeignKeyField(Product, backref='+', on_delete='CASCADE')

        class Meta:
            database = db
            table_name = 'competitors_rivalry'
            indexes = ((('product', 'ours'), True),)

    class PriceObservation(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        product = ForeignKeyField(CompetingProduct, backref='+', on_delete='CASCADE')
        price = MoneyAmountField()
        price_currency = CharField(max_length=3)
        observed_on = DateField(index=True)
        source = CharField(max_length=200, null=True)
        recorded_by = ForeignKeyField(User, backref='+', null=True, on_delete='SET NULL')
        recorded_by_label = CharField(max_length=254)

        class Meta:
            database = db
            table_name = 'competitors_price'

    class Involvement(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        opportunity_id = IntegerField()
        competitor = ForeignKeyField(Competitor, backref='+', on_delete='RESTRICT')
        quoted_price = MoneyAmountField(null=True)
        quoted_price_currency = CharField(max_length=3, null=True)
        notes = TextField(null=True)

        class Meta:
            database = db
            table_name = 'competitors_involvement'
            indexes = ((('opportunity_id', 'competitor'), True),)

    class Outcome(Model):
        opportunity_id = IntegerField(unique=True)
        result = CharField(max_length=4)
        amount = MoneyAmountField()
        currency = CharField(max_length=3)
        closed_at = UTCDateTimeField(index=True)
        lost_to = ForeignKeyField(Competitor, backref='+', null=True, on_delete='SET NULL')
        reason = CharField(max_length=500, null=True)
        owner_id = IntegerField(null=True, index=True)
        team_id = IntegerField(null=True, index=True)

        class Meta:
            database = db
            table_name = 'competitors_outcome'

    db.create_tables([Competitor, CompetingProduct, Rivalry, PriceObservation, Involvement,
                      Outcome])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('competitors_outcome'),
                     migrator.drop_table('competitors_involvement'),
                     migrator.drop_table('competitors_price'),
                     migrator.drop_table('competitors_rivalry'),
                     migrator.drop_table('competitors_product'),
                     migrator.drop_table('competitors_competitor'))
