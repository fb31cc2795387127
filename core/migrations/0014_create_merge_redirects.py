"""Create the merge redirects: a merged record's old id, read as its winner's.

Frozen copy of the model; never import the live models here.
"""
from peewee import *

from accord.models.base import UTCDateTimeField


def up(migrator, db):
    class MergeRedirect(Model):
        record_type = CharField(max_length=100)
        old_id = IntegerField()
        new_id = IntegerField()
        merged_at = UTCDateTimeField()
        actor_id = IntegerField(null=True)
        actor_label = CharField(max_length=200, null=True)

        class Meta:
            database = db
            table_name = 'accord_merge_redirect'
            legacy_table_names = False
            indexes = ((('record_type', 'old_id'), True), (('record_type', 'new_id'), False))

    db.create_tables([MergeRedirect])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('accord_merge_redirect'))
