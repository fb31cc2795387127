"""The note table."""

import peewee

from accord.models import OwnedRecord


class Note(OwnedRecord):
    title = peewee.CharField(max_length=200)
    priority = peewee.IntegerField(default=3)

    class Meta:
        table_name = "acme_notes_note"
