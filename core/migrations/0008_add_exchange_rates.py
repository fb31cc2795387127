"""Create the exchange rate table (money metrics in the base currency, accord.rates), and
give the built-in sales role core.metrics.read: metrics now count only the records the
reader's record rules reach, so a salesperson sees their own figures.

Frozen copies of the models; never import the live models here.
"""
from peewee import *
from accord.models.base import UTCDateTimeField

#: Built-in roles given a grant here (manager has held core.metrics.read since 0004).
GRANTED_ROLES = {'sales': 'core.metrics.read'}


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
    class ExchangeRate(Model):
        currency = CharField(max_length=3)
        quote = CharField(max_length=3)
        day = DateField()
        rate = DecimalField(max_digits=20, decimal_places=10, auto_round=False)
        source = CharField(max_length=100, default='manual')
        updated_at = UTCDateTimeField()

        class Meta:
            database = db
            table_name = 'accord_exchange_rate'
            indexes = ((('currency', 'quote', 'day'), True),
                       (('quote', 'currency', 'day'), False))

    db.create_tables([ExchangeRate])
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
    migrator.migrate(migrator.drop_table('accord_exchange_rate'))
