"""Add a colour to pins, forward only (the mistake)."""

import peewee


def up(migrator, db):
    migrator.migrate(migrator.add_column("kit_no_down_pin", "colour",
                                         peewee.CharField(null=True)))
