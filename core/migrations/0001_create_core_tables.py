"""Create the core tables: users, roles, teams, organizations, contacts, products,
activities, tags, and the kernel's own (plugins, meta, custom fields, audit, outbox).

Frozen copies of the models as they were at 0.1; never import the live models here.
"""
from peewee import *

from accord.database import JSONField
from accord.models.base import MoneyAmountField
from accord.models.base import UTCDateTimeField


BUILTIN_ROLES = [
    ('admin', 'Everything, including plugins, users and roles', True),
    ('manager', 'All records of their teams, reports', True),
    ('sales', 'Customers and the sales pipeline', True),
    ('service', 'Customers and after-sales service', True),
    ('marketing', 'Customers, segments and campaigns', True),
    ('read-only', 'Reads records, changes nothing', True),
]


def up(migrator, db):
    class Role(Model):
        name = CharField(primary_key=True, max_length=64)
        description = TextField(default='')
        builtin = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'accord_role'
    db.create_tables([Role])
    Role.insert_many(BUILTIN_ROLES, fields=[Role.name, Role.description, Role.builtin]).execute()

    class User(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        email = CharField(max_length=254)
        name = CharField(max_length=200)
        role = ForeignKeyField(Role, column_name='role', on_delete='RESTRICT')
        active = BooleanField(default=True)
        password_hash = CharField(null=True)
        class Meta:
            database = db
            table_name = 'accord_user'
            indexes = ((('email',), True),)
    db.create_tables([User])

    class Team(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        name = CharField(unique=True, max_length=200)
        manager = ForeignKeyField(User, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'accord_team'
    db.create_tables([Team])

    class Organization(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, field=User.id, null=True, on_delete='SET NULL')
        team = ForeignKeyField(Team, field=Team.id, null=True, on_delete='SET NULL')
        name = CharField(index=True, max_length=200)
        relationship = CharField(index=True, max_length=40, default='prospect')
        industry = CharField(index=True, null=True, max_length=100)
        size = IntegerField(null=True)
        website = CharField(null=True, max_length=500)
        phone = CharField(null=True, max_length=50)
        email = CharField(null=True, max_length=254)
        street = CharField(null=True, max_length=200)
        city = CharField(index=True, null=True, max_length=100)
        postal_code = CharField(null=True, max_length=20)
        region = CharField(null=True, max_length=100)
        country = CharField(index=True, null=True, max_length=2)
        parent = ForeignKeyField('self', null=True, on_delete='SET NULL')
        customer_since = DateField(index=True, null=True)
        class Meta:
            database = db
            table_name = 'accord_organization'
    db.create_tables([Organization])

    class Contact(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, field=User.id, null=True, on_delete='SET NULL')
        team = ForeignKeyField(Team, field=Team.id, null=True, on_delete='SET NULL')
        first_name = CharField(null=True, max_length=100)
        last_name = CharField(index=True, max_length=100)
        email = CharField(null=True, max_length=254)
        phone = CharField(null=True, max_length=50)
        mobile = CharField(null=True, max_length=50)
        title = CharField(null=True, max_length=100)
        organization = ForeignKeyField(Organization, null=True, on_delete='SET NULL')
        street = CharField(null=True, max_length=200)
        city = CharField(null=True, max_length=100)
        postal_code = CharField(null=True, max_length=20)
        region = CharField(null=True, max_length=100)
        country = CharField(null=True, max_length=2)
        birthday = DateField(null=True)
        email_opt_out = BooleanField(default=False)
        call_opt_out = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'accord_contact'
    db.create_tables([Contact])
    # Contact emails are unique whatever their case.
    db.execute_sql('CREATE UNIQUE INDEX accord_contact_email_lower '
                   'ON accord_contact (lower(email))')

    class Activity(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, field=User.id, null=True, on_delete='SET NULL')
        team = ForeignKeyField(Team, field=Team.id, null=True, on_delete='SET NULL')
        kind = CharField(index=True, max_length=20)
        subject = CharField(max_length=300)
        body = TextField(null=True)
        due_at = UTCDateTimeField(index=True, null=True)
        done_at = UTCDateTimeField(index=True, null=True)
        record_type = CharField(null=True, max_length=100)
        record_id = IntegerField(null=True)
        organization = ForeignKeyField(Organization, null=True, on_delete='SET NULL')
        contact = ForeignKeyField(Contact, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'accord_activity'
            indexes = ((('record_type', 'record_id'), False),)
    db.create_tables([Activity])

    class AuditEntry(Model):
        at = UTCDateTimeField(index=True)
        actor_id = IntegerField(index=True, null=True)
        actor_label = CharField(null=True, max_length=200)
        action = CharField(max_length=20)
        record_type = CharField(max_length=100)
        record_id = IntegerField()
        changes = JSONField(default=dict)
        class Meta:
            database = db
            table_name = 'accord_audit'
            indexes = ((('record_type', 'record_id'), False),)
    db.create_tables([AuditEntry])

    class Product(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        sku = CharField(unique=True, max_length=64)
        name = CharField(index=True, max_length=200)
        description = TextField(null=True)
        category = CharField(index=True, null=True, max_length=100)
        unit_price = MoneyAmountField(null=True, max_digits=18, decimal_places=4)
        unit_price_currency = CharField(null=True, max_length=3)
        cost_price = MoneyAmountField(null=True, max_digits=18, decimal_places=4)
        cost_price_currency = CharField(null=True, max_length=3)
        active = BooleanField(index=True, default=True)
        class Meta:
            database = db
            table_name = 'accord_product'
    db.create_tables([Product])

    class ContactInterest(Model):
        contact = ForeignKeyField(Contact, on_delete='CASCADE')
        product = ForeignKeyField(Product, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'accord_contact_interest'
            indexes = ((('contact', 'product'), True),)
    db.create_tables([ContactInterest])

    class CustomField(Model):
        record_type = CharField(max_length=100)
        name = CharField(max_length=63)
        kind = CharField(max_length=20)
        label = CharField(null=True, max_length=200)
        required = BooleanField(default=False)
        choices = JSONField(null=True)
        indexed = BooleanField(default=False)
        personal = BooleanField(default=False)
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'accord_custom_field'
            indexes = ((('record_type', 'name'), True),)
    db.create_tables([CustomField])

    class KernelMeta(Model):
        key = CharField(primary_key=True, max_length=100)
        value = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'accord_meta'
    db.create_tables([KernelMeta])
    KernelMeta.insert_many([('plugin_state', 1), ('fields', 1)]).execute()

    class OutboxMessage(Model):
        created_at = UTCDateTimeField()
        topic = CharField(index=True, max_length=200)
        payload = JSONField(default=dict)
        status = CharField(index=True, max_length=20, default='pending')
        attempts = IntegerField(default=0)
        next_attempt_at = UTCDateTimeField()
        last_error = TextField(null=True)
        class Meta:
            database = db
            table_name = 'accord_outbox'
    db.create_tables([OutboxMessage])

    class PluginState(Model):
        name = CharField(primary_key=True, max_length=100)
        state = CharField(max_length=20)
        version = CharField(null=True, max_length=50)
        changed_at = UTCDateTimeField()
        settings = JSONField(default=dict)
        class Meta:
            database = db
            table_name = 'accord_plugin'
    db.create_tables([PluginState])

    class Tag(Model):
        name = CharField(unique=True, max_length=100)
        class Meta:
            database = db
            table_name = 'accord_tag'
    db.create_tables([Tag])

    class Tagging(Model):
        tag = ForeignKeyField(Tag, on_delete='CASCADE')
        record_type = CharField(max_length=100)
        record_id = IntegerField()
        class Meta:
            database = db
            table_name = 'accord_tagging'
            indexes = ((('record_type', 'record_id', 'tag'), True),)
    db.create_tables([Tagging])

    class TeamMember(Model):
        team = ForeignKeyField(Team, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'accord_team_member'
            indexes = ((('team', 'user'), True),)
    db.create_tables([TeamMember])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('accord_team_member'))
    migrator.migrate(migrator.drop_table('accord_tagging'))
    migrator.migrate(migrator.drop_table('accord_tag'))
    migrator.migrate(migrator.drop_table('accord_plugin'))
    migrator.migrate(migrator.drop_table('accord_outbox'))
    migrator.migrate(migrator.drop_table('accord_meta'))
    migrator.migrate(migrator.drop_table('accord_custom_field'))
    migrator.migrate(migrator.drop_table('accord_contact_interest'))
    migrator.migrate(migrator.drop_table('accord_product'))
    migrator.migrate(migrator.drop_table('accord_audit'))
    migrator.migrate(migrator.drop_table('accord_activity'))
    migrator.migrate(migrator.drop_table('accord_contact'))
    migrator.migrate(migrator.drop_table('accord_organization'))
    migrator.migrate(migrator.drop_table('accord_team'))
    migrator.migrate(migrator.drop_table('accord_user'))
    migrator.migrate(migrator.drop_table('accord_role'))

