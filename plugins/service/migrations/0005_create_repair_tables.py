"""Create the repair tables: repair orders, their parts, and the plugin's own service
invoices (service 1.3).

Frozen copies of the models as they were at service 1.3, with stand-ins for the tables
they reference; never import the live models here.
"""
from peewee import *

from accord.database import JSONField
from accord.models import MoneyAmountField, UTCDateTimeField


def up(migrator, db):
    def stand_in(table):
        class Meta:
            database = db
            table_name = table
        return type(table, (Model,), {"Meta": Meta})

    User, Team = stand_in('accord_user'), stand_in('accord_team')
    Organization, Contact = stand_in('accord_organization'), stand_in('accord_contact')
    Product = stand_in('accord_product')
    Ticket, Warranty = stand_in('service_ticket'), stand_in('service_warranty')

    class Record(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, null=True, backref='+', on_delete='SET NULL', index=True)
        team = ForeignKeyField(Team, null=True, backref='+', on_delete='SET NULL', index=True)
        organization = ForeignKeyField(Organization, null=True, backref='+',
                                       on_delete='SET NULL')
        contact = ForeignKeyField(Contact, null=True, backref='+', on_delete='SET NULL')

        class Meta:
            database = db

    class RepairOrder(Record):
        ticket = ForeignKeyField(Ticket, backref='+', on_delete='RESTRICT')
        product = ForeignKeyField(Product, null=True, backref='+', on_delete='RESTRICT')
        serial_number = CharField(max_length=100, null=True, index=True)
        warranty = ForeignKeyField(Warranty, null=True, backref='+', on_delete='SET NULL')
        diagnosis = TextField(null=True)
        status = CharField(max_length=20, default='open', index=True)
        currency = CharField(max_length=3)
        labour_minutes = IntegerField(default=0)
        labour_rate = MoneyAmountField(default=0)
        service_fee = MoneyAmountField(default=0)
        tax_rate = DecimalField(max_digits=5, decimal_places=2, auto_round=True, default=0)
        parts_total = MoneyAmountField(default=0)
        labour_total = MoneyAmountField(default=0)
        total = MoneyAmountField(default=0)
        repaired_on = DateField(null=True, index=True)
        covered = CharField(max_length=20, null=True)
        coverage_reason = CharField(max_length=300, null=True)
        billed_net = MoneyAmountField(null=True)
        warranty_cost = MoneyAmountField(null=True)
        invoice_type = CharField(max_length=60, null=True)
        invoice_id = IntegerField(null=True)
        invoice_number = CharField(max_length=40, null=True)

        class Meta:
            table_name = 'service_repair'

    class RepairPart(Model):
        repair = ForeignKeyField(RepairOrder, backref='+', on_delete='CASCADE')
        position = IntegerField()
        product = ForeignKeyField(Product, backref='+', on_delete='RESTRICT', index=True)
        description = CharField(max_length=500)
        quantity = DecimalField(max_digits=12, decimal_places=4, auto_round=True)
        unit_price = MoneyAmountField()
        total = MoneyAmountField()

        class Meta:
            database = db
            table_name = 'service_repair_part'
            indexes = ((('repair', 'position'), True),)

    class ServiceInvoice(Record):
        repair = ForeignKeyField(RepairOrder, backref='+', on_delete='RESTRICT', unique=True)
        number = CharField(max_length=40, unique=True)
        year = IntegerField()
        sequence = IntegerField()
        issue_date = DateField(index=True)
        currency = CharField(max_length=3)
        net_total = MoneyAmountField()
        tax_rate = DecimalField(max_digits=5, decimal_places=2, auto_round=True)
        tax_total = MoneyAmountField()
        total = MoneyAmountField()
        lines = JSONField(default=list)

        class Meta:
            table_name = 'service_invoice'
            indexes = ((('year', 'sequence'), True),)

    db.create_tables([RepairOrder, RepairPart, ServiceInvoice])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('service_invoice'))
    migrator.migrate(migrator.drop_table('service_repair_part'))
    migrator.migrate(migrator.drop_table('service_repair'))
