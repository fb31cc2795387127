"""Create the note table (a frozen copy of the model)."""
from peewee import *
from accord.database import JSONField
from accord.models import UTCDateTimeField


def up(migrator, db):
    class Note(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = IntegerField(null=True, index=True, column_name="owner_id")
        team = IntegerField(null=True, index=True, column_name="team_id")
        title = CharField(max_length=200)

        class Meta:
            database = db
            table_name = "acme_notes_note"

    db.create_tables([Note])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("acme_notes_note"))
