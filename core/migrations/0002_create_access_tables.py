"""Create API tokens, role permissions and record rules; grant the built-in roles.

Frozen copies of the models as they were at 0.1; never import the live models here.
"""
from peewee import *
from accord.models.base import UTCDateTimeField

#: What the built-in roles hold: permission patterns ('*' matches any part, but only
#: an explicit grant or the admin's '*' unmasks personal data).
GRANTS = {
    'admin': ['*'],
    'manager': ['core.*', 'core.personal_data.read', 'sales.*', 'service.*', 'marketing.*',
                'competitors.*', 'admin.audit'],
    'sales': ['core.*.read', 'core.organization.write', 'core.contact.write',
              'core.activity.write', 'core.activity.delete', 'core.personal_data.read',
              'sales.*', 'competitors.*'],
    'service': ['core.*.read', 'core.contact.write', 'core.activity.write',
                'core.activity.delete', 'core.personal_data.read', 'service.*'],
    'marketing': ['core.*.read', 'core.organization.write', 'core.contact.write',
                  'core.activity.write', 'core.personal_data.read', 'marketing.*'],
    'read-only': ['*.read'],
}

#: Which records each built-in role reaches; the most specific pattern wins.
RULES = {
    'admin': [('*', 'all')],
    'manager': [('*', 'team'), ('organization', 'all'), ('contact', 'all'),
                ('product', 'all'), ('user', 'all'), ('team', 'all')],
    'sales': [('*', 'own'), ('organization', 'all'), ('contact', 'all'),
              ('product', 'all'), ('user', 'all'), ('team', 'all'), ('activity', 'team')],
    'service': [('*', 'team'), ('organization', 'all'), ('contact', 'all'),
                ('product', 'all'), ('user', 'all'), ('team', 'all')],
    'marketing': [('*', 'all')],
    'read-only': [('*', 'all')],
}


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'accord_user'

    class Role(Model):
        name = CharField(primary_key=True, max_length=64)

        class Meta:
            database = db
            table_name = 'accord_role'

    class ApiToken(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        name = CharField(max_length=100)
        prefix = CharField(max_length=16)
        token_hash = CharField(max_length=64, unique=True)
        created_at = UTCDateTimeField()
        last_used_at = UTCDateTimeField(null=True)
        revoked_at = UTCDateTimeField(null=True)

        class Meta:
            database = db
            table_name = 'accord_api_token'

    class RolePermission(Model):
        role = ForeignKeyField(Role, column_name='role', on_delete='CASCADE')
        permission = CharField(max_length=200)

        class Meta:
            database = db
            table_name = 'accord_role_permission'
            indexes = ((('role', 'permission'), True),)

    class RoleRule(Model):
        role = ForeignKeyField(Role, column_name='role', on_delete='CASCADE')
        record_type = CharField(max_length=100)
        scope = CharField(max_length=10)

        class Meta:
            database = db
            table_name = 'accord_role_rule'
            indexes = ((('role', 'record_type'), True),)

    db.create_tables([ApiToken, RolePermission, RoleRule])
    RolePermission.insert_many(
        [(role, perm) for role, perms in GRANTS.items() for perm in perms],
        fields=[RolePermission.role, RolePermission.permission]).execute()
    RoleRule.insert_many(
        [(role, t, scope) for role, rules in RULES.items() for t, scope in rules],
        fields=[RoleRule.role, RoleRule.record_type, RoleRule.scope]).execute()


def down(migrator, db):
    migrator.migrate(migrator.drop_table('accord_role_rule'))
    migrator.migrate(migrator.drop_table('accord_role_permission'))
    migrator.migrate(migrator.drop_table('accord_api_token'))
