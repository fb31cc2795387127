"""Give the built-in service and marketing roles core.metrics.read: metrics count only
the records the reader's record rules reach, so an agent sees their team's service
figures (the dashboard's SLA widgets) and a marketer the campaigns' (as the sales role
has since 0008).

Frozen copies of the models; never import the live models here.
"""
from peewee import *

#: Built-in roles given a grant here.
GRANTED_ROLES = {'service': 'core.metrics.read', 'marketing': 'core.metrics.read'}


def _access(db):
    class Role(Model):
        name = CharField(primary_key=True, max_length=64)

        class Meta:
            database = db
            table_name = 'accord_role'

    class RolePermission(Model):
        role = ForeignKeyField(Role, column_name='role', on_delete='CASCADE')
        permission = CharField(max_length=200)
        withheld = BooleanField(default=False)

        class Meta:
            database = db
            table_name = 'accord_role_permission'

    return Role, RolePermission


def up(migrator, db):
    Role, RolePermission = _access(db)
    for role, grant in GRANTED_ROLES.items():
        held = RolePermission.select().where(RolePermission.role == role,
                                             RolePermission.permission == grant)
        if Role.select().where(Role.name == role).exists() and not held.exists():
            RolePermission.insert(role=role, permission=grant).execute()


def down(migrator, db):
    _, RolePermission = _access(db)
    for role, grant in GRANTED_ROLES.items():
        RolePermission.delete().where(RolePermission.role == role,
                                      RolePermission.permission == grant).execute()
