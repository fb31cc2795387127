"""Create the web pages' login tables: sessions (a logged-in browser, by the SHA-256 of
its cookie's key) and failed logins per email (the lockout counts them).

Frozen copies of the models; never import the live models here.
"""
from peewee import *
from accord.models.base import UTCDateTimeField


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'accord_user'

    class WebSession(Model):
        user = ForeignKeyField(User, field=User.id, on_delete='CASCADE')
        key_hash = CharField(max_length=64, unique=True)
        created_at = UTCDateTimeField()
        seen_at = UTCDateTimeField(index=True)

        class Meta:
            database = db
            table_name = 'accord_web_session'

    class LoginFailure(Model):
        email = CharField(max_length=254)
        at = UTCDateTimeField(index=True)

        class Meta:
            database = db
            table_name = 'accord_login_failure'
            indexes = ((('email', 'at'), False),)

    db.create_tables([WebSession, LoginFailure])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('accord_login_failure'))
    migrator.migrate(migrator.drop_table('accord_web_session'))
