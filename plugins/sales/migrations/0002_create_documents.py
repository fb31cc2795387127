"""Quotes, orders, contracts, invoices and payments; an opportunity's win reason and
the probability it had when it closed.

Generated from a schema diff against sales 1.0's tables, then frozen: the models
here are copies, never the live ones.
"""
from peewee import *
from accord.database import JSONField
from accord.models import MoneyAmountField
from accord.models import UTCDateTimeField
import decimal


def up(migrator, db):
    class Contact(Model):
        class Meta:
            database = db
            table_name = 'accord_contact'

    class Opportunity(Model):
        class Meta:
            database = db
            table_name = 'sales_opportunity'

    class Organization(Model):
        class Meta:
            database = db
            table_name = 'accord_organization'

    class Product(Model):
        class Meta:
            database = db
            table_name = 'accord_product'

    class Team(Model):
        class Meta:
            database = db
            table_name = 'accord_team'

    class User(Model):
        class Meta:
            database = db
            table_name = 'accord_user'

    class Contract(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, field=User.id, null=True, on_delete='SET NULL')
        team = ForeignKeyField(Team, field=Team.id, null=True, on_delete='SET NULL')
        name = CharField(index=True, max_length=200)
        organization = ForeignKeyField(Organization, on_delete='RESTRICT')
        contact = ForeignKeyField(Contact, null=True, on_delete='RESTRICT')
        opportunity = ForeignKeyField(Opportunity, null=True, on_delete='SET NULL')
        product = ForeignKeyField(Product, null=True, on_delete='RESTRICT')
        start_date = DateField(index=True)
        end_date = DateField(index=True)
        value = MoneyAmountField(max_digits=18, decimal_places=4)
        value_currency = CharField(max_length=3)
        billing_period = CharField(max_length=20, default='yearly')
        tax_rate = DecimalField(max_digits=5, decimal_places=2, default=decimal.Decimal('0'), auto_round=True)
        auto_renew = BooleanField(default=False)
        renewal_notice_days = IntegerField(default=60)
        renewal_terms = TextField(null=True)
        status = CharField(index=True, max_length=20, default='draft')
        terminated_reason = CharField(null=True, max_length=500)
        renewal_reminded_at = UTCDateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'sales_contract'
    db.create_tables([Contract])

    class Quote(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, field=User.id, null=True, on_delete='SET NULL')
        team = ForeignKeyField(Team, field=Team.id, null=True, on_delete='SET NULL')
        organization = ForeignKeyField(Organization, field=Organization.id, null=True, on_delete='RESTRICT')
        contact = ForeignKeyField(Contact, field=Contact.id, null=True, on_delete='RESTRICT')
        currency = CharField(max_length=3)
        subtotal = MoneyAmountField(max_digits=18, decimal_places=4, default=decimal.Decimal('0'))
        discount_total = MoneyAmountField(max_digits=18, decimal_places=4, default=decimal.Decimal('0'))
        net_total = MoneyAmountField(index=True, max_digits=18, decimal_places=4, default=decimal.Decimal('0'))
        tax_total = MoneyAmountField(max_digits=18, decimal_places=4, default=decimal.Decimal('0'))
        total = MoneyAmountField(max_digits=18, decimal_places=4, default=decimal.Decimal('0'))
        notes = TextField(null=True)
        name = CharField(index=True, max_length=200)
        opportunity = ForeignKeyField(Opportunity, null=True, on_delete='SET NULL')
        status = CharField(index=True, max_length=20, default='draft')
        revision_of = ForeignKeyField('self', null=True, on_delete='RESTRICT')
        revision = IntegerField(default=1)
        valid_until = DateField(index=True, null=True)
        sent_at = UTCDateTimeField(null=True)
        decided_at = UTCDateTimeField(null=True)
        reject_reason = CharField(null=True, max_length=500)
        class Meta:
            database = db
            table_name = 'sales_quote'
    db.create_tables([Quote])

    class Order(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, field=User.id, null=True, on_delete='SET NULL')
        team = ForeignKeyField(Team, field=Team.id, null=True, on_delete='SET NULL')
        organization = ForeignKeyField(Organization, field=Organization.id, null=True, on_delete='RESTRICT')
        contact = ForeignKeyField(Contact, field=Contact.id, null=True, on_delete='RESTRICT')
        currency = CharField(max_length=3)
        subtotal = MoneyAmountField(max_digits=18, decimal_places=4, default=decimal.Decimal('0'))
        discount_total = MoneyAmountField(max_digits=18, decimal_places=4, default=decimal.Decimal('0'))
        net_total = MoneyAmountField(index=True, max_digits=18, decimal_places=4, default=decimal.Decimal('0'))
        tax_total = MoneyAmountField(max_digits=18, decimal_places=4, default=decimal.Decimal('0'))
        total = MoneyAmountField(max_digits=18, decimal_places=4, default=decimal.Decimal('0'))
        notes = TextField(null=True)
        quote = ForeignKeyField(Quote, unique=True, null=True, on_delete='SET NULL')
        opportunity = ForeignKeyField(Opportunity, null=True, on_delete='SET NULL')
        reference = CharField(index=True, null=True, max_length=100)
        order_date = DateField(index=True)
        status = CharField(index=True, max_length=30, default='confirmed')
        class Meta:
            database = db
            table_name = 'sales_order'
    db.create_tables([Order])

    class Invoice(Model):
        created_at = UTCDateTimeField(index=True)
        updated_at = UTCDateTimeField()
        version = IntegerField(default=1)
        custom = JSONField(default=dict)
        owner = ForeignKeyField(User, field=User.id, null=True, on_delete='SET NULL')
        team = ForeignKeyField(Team, field=Team.id, null=True, on_delete='SET NULL')
        organization = ForeignKeyField(Organization, field=Organization.id, null=True, on_delete='RESTRICT')
        contact = ForeignKeyField(Contact, field=Contact.id, null=True, on_delete='RESTRICT')
        currency = CharField(max_length=3)
        subtotal = MoneyAmountField(max_digits=18, decimal_places=4, default=decimal.Decimal('0'))
        discount_total = MoneyAmountField(max_digits=18, decimal_places=4, default=decimal.Decimal('0'))
        net_total = MoneyAmountField(index=True, max_digits=18, decimal_places=4, default=decimal.Decimal('0'))
        tax_total = MoneyAmountField(max_digits=18, decimal_places=4, default=decimal.Decimal('0'))
        total = MoneyAmountField(max_digits=18, decimal_places=4, default=decimal.Decimal('0'))
        notes = TextField(null=True)
        number = CharField(unique=True, null=True, max_length=20)
        year = IntegerField(null=True)
        sequence = IntegerField(null=True)
        order = ForeignKeyField(Order, null=True, on_delete='RESTRICT')
        contract = ForeignKeyField(Contract, null=True, on_delete='RESTRICT')
        period_start = DateField(null=True)
        period_end = DateField(null=True)
        issue_date = DateField(index=True, null=True)
        due_date = DateField(index=True, null=True)
        payment_terms_days = IntegerField(default=30)
        status = CharField(index=True, max_length=20, default='draft')
        amount_paid = MoneyAmountField(max_digits=18, decimal_places=4, default=decimal.Decimal('0'))
        void_reason = CharField(null=True, max_length=500)
        class Meta:
            database = db
            table_name = 'sales_invoice'
            indexes = ((('year', 'sequence'), True),)
    db.create_tables([Invoice])

    class InvoiceLine(Model):
        position = IntegerField()
        product = ForeignKeyField(Product, field=Product.id, null=True, on_delete='RESTRICT')
        description = CharField(max_length=500)
        quantity = DecimalField(max_digits=12, decimal_places=4, auto_round=True)
        unit_price = MoneyAmountField(max_digits=18, decimal_places=4)
        discount_percent = DecimalField(max_digits=5, decimal_places=2, default=decimal.Decimal('0'), auto_round=True)
        tax_rate = DecimalField(max_digits=5, decimal_places=2, default=decimal.Decimal('0'), auto_round=True)
        net = MoneyAmountField(max_digits=18, decimal_places=4)
        tax = MoneyAmountField(max_digits=18, decimal_places=4)
        total = MoneyAmountField(max_digits=18, decimal_places=4)
        invoice = ForeignKeyField(Invoice, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'sales_invoice_line'
            indexes = ((('invoice', 'position'), True),)
    db.create_tables([InvoiceLine])

    class InvoiceSequence(Model):
        year = IntegerField(primary_key=True)
        last = IntegerField()
        class Meta:
            database = db
            table_name = 'sales_invoice_sequence'
    db.create_tables([InvoiceSequence])

    class OrderLine(Model):
        position = IntegerField()
        product = ForeignKeyField(Product, field=Product.id, null=True, on_delete='RESTRICT')
        description = CharField(max_length=500)
        quantity = DecimalField(max_digits=12, decimal_places=4, auto_round=True)
        unit_price = MoneyAmountField(max_digits=18, decimal_places=4)
        discount_percent = DecimalField(max_digits=5, decimal_places=2, default=decimal.Decimal('0'), auto_round=True)
        tax_rate = DecimalField(max_digits=5, decimal_places=2, default=decimal.Decimal('0'), auto_round=True)
        net = MoneyAmountField(max_digits=18, decimal_places=4)
        tax = MoneyAmountField(max_digits=18, decimal_places=4)
        total = MoneyAmountField(max_digits=18, decimal_places=4)
        order = ForeignKeyField(Order, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'sales_order_line'
            indexes = ((('order', 'position'), True),)
    db.create_tables([OrderLine])

    class OrderStatusChange(Model):
        order = ForeignKeyField(Order, on_delete='CASCADE')
        from_status = CharField(null=True, max_length=30)
        to_status = CharField(max_length=30)
        note = CharField(null=True, max_length=500)
        at = UTCDateTimeField(index=True)
        actor = ForeignKeyField(User, null=True, on_delete='SET NULL')
        actor_label = CharField(max_length=254)
        class Meta:
            database = db
            table_name = 'sales_order_status_change'
    db.create_tables([OrderStatusChange])

    class Payment(Model):
        invoice = ForeignKeyField(Invoice, on_delete='CASCADE')
        amount = MoneyAmountField(max_digits=18, decimal_places=4)
        paid_on = DateField(index=True)
        method = CharField(null=True, max_length=40)
        reference = CharField(null=True, max_length=100)
        at = UTCDateTimeField()
        actor = ForeignKeyField(User, null=True, on_delete='SET NULL')
        actor_label = CharField(max_length=254)
        class Meta:
            database = db
            table_name = 'sales_payment'
    db.create_tables([Payment])

    class QuoteLine(Model):
        position = IntegerField()
        product = ForeignKeyField(Product, field=Product.id, null=True, on_delete='RESTRICT')
        description = CharField(max_length=500)
        quantity = DecimalField(max_digits=12, decimal_places=4, auto_round=True)
        unit_price = MoneyAmountField(max_digits=18, decimal_places=4)
        discount_percent = DecimalField(max_digits=5, decimal_places=2, default=decimal.Decimal('0'), auto_round=True)
        tax_rate = DecimalField(max_digits=5, decimal_places=2, default=decimal.Decimal('0'), auto_round=True)
        net = MoneyAmountField(max_digits=18, decimal_places=4)
        tax = MoneyAmountField(max_digits=18, decimal_places=4)
        total = MoneyAmountField(max_digits=18, decimal_places=4)
        quote = ForeignKeyField(Quote, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'sales_quote_line'
            indexes = ((('quote', 'position'), True),)
    db.create_tables([QuoteLine])

    migrator.migrate(migrator.add_column('sales_opportunity', 'win_reason', CharField(null=True, max_length=500)))
    migrator.migrate(migrator.add_column('sales_opportunity', 'close_probability', IntegerField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('sales_opportunity', 'close_probability'))
    migrator.migrate(migrator.drop_column('sales_opportunity', 'win_reason'))
    migrator.migrate(migrator.drop_table('sales_quote_line'))
    migrator.migrate(migrator.drop_table('sales_payment'))
    migrator.migrate(migrator.drop_table('sales_order_status_change'))
    migrator.migrate(migrator.drop_table('sales_order_line'))
    migrator.migrate(migrator.drop_table('sales_invoice_sequence'))
    migrator.migrate(migrator.drop_table('sales_invoice_line'))
    migrator.migrate(migrator.drop_table('sales_invoice'))
    migrator.migrate(migrator.drop_table('sales_order'))
    migrator.migrate(migrator.drop_table('sales_quote'))
    migrator.migrate(migrator.drop_table('sales_contract'))

