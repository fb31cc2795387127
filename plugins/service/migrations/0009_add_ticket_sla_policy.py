"""Add ``service_ticket.sla_policy`` (service 1.2): the SLA policy a ticket's due times
came from (default, contract, tier:<tier> or hook). Tickets written before keep null
until their due times are computed again.

Works on the stored table; never import the live models here.
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('service_ticket', 'sla_policy',
                                         CharField(max_length=100, null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('service_ticket', 'sla_policy'))
