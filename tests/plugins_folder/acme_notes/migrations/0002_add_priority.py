"""Add a priority to notes."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column("acme_notes_note", "priority", IntegerField(default=3)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("acme_notes_note", "priority"))
