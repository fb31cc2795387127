"""Create the pin table."""
from peewee import *


def up(migrator, db):
    class Pin(Model):
        label = CharField(max_length=50)

        class Meta:
            database = db
            table_name = "no_down_pin"

    db.create_tables([Pin])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("no_down_pin"))
