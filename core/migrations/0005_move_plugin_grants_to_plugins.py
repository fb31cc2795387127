"""Let plugins give the built-in roles their grants: 0002 stored ``sales.*``,
``competitors.*``, ``service.*`` and ``marketing.*`` for them, which a third-party
plugin could never match. Plugins now contribute these (``register_role_grants``).

Adds ``accord_role_permission.withheld`` (a grant a plugin gives that an admin
revoked) and, for each plugin-named grant 0002 seeded, keeps what the admin decided:
a row still there is deleted (the plugin gives it now), a row the admin removed is
stored as withheld (it stays removed). ``down`` reverses both.

Works on the stored rows and frozen copies; never import the live models here. The
seeded grants are read from 0002's own frozen ``GRANTS``.
"""
import importlib.util
from pathlib import Path

from peewee import *

#: Grants whose first part names no plugin: the core's, admin's, and patterns ('*.read').
_CORE_PREFIXES = ('core', 'admin')


def _models(db):
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


def _seeded(db):
    """The (role, grant) pairs 0002 seeded for plugins, for roles that still exist."""
    path = Path(__file__).with_name('0002_create_access_tables.py')
    spec = importlib.util.spec_from_file_location('accord_core_0002', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    Role, _ = _models(db)
    roles = {name for (name,) in Role.select(Role.name).tuples()}
    return [(role, grant) for role, grants in module.GRANTS.items() for grant in grants
            if role in roles and grant.split('.', 1)[0].isidentifier()
            and grant.split('.', 1)[0] not in _CORE_PREFIXES]


def _rows(RolePermission, pairs):
    """The stored rows among ``pairs``: (role, grant) -> withheld."""
    wanted = set(pairs)
    roles = sorted({role for role, _ in wanted})
    if not roles:
        return {}
    query = (RolePermission
             .select(RolePermission.role, RolePermission.permission, RolePermission.withheld)
             .where(RolePermission.role.in_(roles)).tuples())
    return {(role, grant): bool(withheld) for role, grant, withheld in query
            if (role, grant) in wanted}


def up(migrator, db):
    migrator.migrate(migrator.add_column('accord_role_permission', 'withheld',
                                         BooleanField(default=False)))
    _, RolePermission = _models(db)
    pairs = _seeded(db)
    stored = _rows(RolePermission, pairs)
    for role, grant in pairs:
        if (role, grant) in stored:
            RolePermission.delete().where(RolePermission.role == role,
                                          RolePermission.permission == grant).execute()
    removed = [(role, grant, True) for role, grant in pairs if (role, grant) not in stored]
    if removed:
        RolePermission.insert_many(removed, fields=[
            RolePermission.role, RolePermission.permission, RolePermission.withheld]).execute()


def down(migrator, db):
    _, RolePermission = _models(db)
    pairs = _seeded(db)
    stored = _rows(RolePermission, pairs)
    # Before 0005 a grant was a row or nothing: a withheld row (of any plugin) means
    # the role does not hold it, and a seeded grant without a row was given by a plugin.
    RolePermission.delete().where(RolePermission.withheld == True).execute()  # noqa: E712
    given = [(role, grant) for role, grant in pairs if (role, grant) not in stored]
    if given:
        RolePermission.insert_many(given, fields=[RolePermission.role,
                                                  RolePermission.permission]).execute()
    migrator.migrate(migrator.drop_column('accord_role_permission', 'withheld'))
