"""Create the pin table."""

import peewee


def up(migrator, db):
    class Pin(peewee.Model):
        label = peewee.CharField(max_length=50)

        class Meta:
            database = db
            table_name = "kit_no_down_pin"

    db.create_tables([Pin])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("kit_no_down_pin"))
