"""Create the job run table: one row per run of a plugin's job (accord jobs, accord worker).

Frozen copy of the model as it was at 0.1; never import the live models here.
"""
from peewee import *
from accord.models.base import UTCDateTimeField


def up(migrator, db):
    class JobRun(Model):
        job = CharField(max_length=200)
        plugin = CharField(max_length=100)
        day = DateField()
        started_at = UTCDateTimeField()
        finished_at = UTCDateTimeField()
        status = CharField(max_length=10)
        summary = TextField(null=True)
        error = TextField(null=True)

        class Meta:
            database = db
            table_name = 'accord_job_run'
            indexes = ((('job', 'started_at'), False),)

    db.create_tables([JobRun])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('accord_job_run'))
