"""Create the gapless number sequences (a year's invoices of a plugin).

Frozen copy of the model; never import the live models here.
"""
from peewee import *


def up(migrator, db):
    class NumberSequence(Model):
        name = CharField(max_length=100, primary_key=True)
        last = BigIntegerField()

        class Meta:
            database = db
            table_name = 'accord_number_sequence'

    db.create_tables([NumberSequence])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('accord_number_sequence'))
