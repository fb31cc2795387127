"""Create the import tables: column mappings saved for reuse, and import jobs (their
options, progress, row errors, the uploaded file until it has run).

Frozen copies of the models; never import the live models here.
"""
from peewee import *
from accord.database import JSONField
from accord.models.base import UTCDateTimeField


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'accord_user'

    class ImportMapping(Model):
        name = CharField(max_length=100, unique=True)
        record_type = CharField(max_length=100)
        columns = JSONField()
        created_by = ForeignKeyField(User, field=User.id, null=True, on_delete='SET NULL')
        created_at = UTCDateTimeField()
        updated_at = UTCDateTimeField()

        class Meta:
            database = db
            table_name = 'accord_import_mapping'

    class ImportJob(Model):
        record_type = CharField(max_length=100)
        file_name = CharField(max_length=255)
        status = CharField(max_length=10)
        options = JSONField()
        total = IntegerField(null=True)
        processed = IntegerField()
        created = IntegerField()
        updated = IntegerField()
        rejected = IntegerField()
        errors = JSONField()
        message = TextField(null=True)
        content = BlobField(null=True)
        rejects = BlobField(null=True)
        actor = ForeignKeyField(User, field=User.id, null=True, on_delete='SET NULL')
        created_at = UTCDateTimeField()
        updated_at = UTCDateTimeField()
        finished_at = UTCDateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'accord_import'
            indexes = ((('actor', 'created_at'), False),)

    db.create_tables([ImportMapping, ImportJob])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('accord_import'))
    migrator.migrate(migrator.drop_table('accord_import_mapping'))
