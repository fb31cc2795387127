"""Add a colour to pins, forward only: the plugin is refused at load."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column("no_down_pin", "colour", CharField(null=True)))
