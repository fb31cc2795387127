"""Give the built-in manager role core.metrics.read, which only an explicit grant (or
the admin's '*') reaches: metrics add up everyone's records.

Works on the stored rows only; never import the live models here.
"""
from peewee import *


def _permissions(db):
    class Role(Model):
        name = CharField(primary_key=True, max_length=64)

        class Meta:
            database = db
            table_name = 'accord_role'

    class RolePermission(Model):
        role = ForeignKeyField(Role, column_name='role', on_delete='CASCADE')
        permission = CharField(max_length=200)

        class Meta:
            database = db
            table_name = 'accord_role_permission'

    return Role, RolePermission


def up(migrator, db):
    Role, RolePermission = _permissions(db)
    if Role.select().where(Role.name == 'manager').exists() and not (
            RolePermission.select().where(RolePermission.role == 'manager',
                                          RolePermission.permission == 'core.metrics.read')
            .exists()):
        RolePermission.insert(role='manager', permission='core.metrics.read').execute()


def down(migrator, db):
    _, RolePermission = _permissions(db)
    RolePermission.delete().where(RolePermission.role == 'manager',
                                  RolePermission.permission == 'core.metrics.read').execute()
