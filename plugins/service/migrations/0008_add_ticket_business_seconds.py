"""Add the tickets' business seconds to the first response and to the resolution
(issue 13), which the metrics read, and fill them for the tickets answered or resolved
before.

The figures are computed as the services compute them from now on (business time in
the firm's calendar, less the business time the clock stood still for the resolution),
with the service settings stored in the database (``accord plugins settings``) over
their defaults: hours set only in ``accord.toml`` are not read here. Frozen copies of
the tables; the business-time functions are pure.
"""
from peewee import *

from accord.database import JSONField
from accord.models import UTCDateTimeField


def _calendar(db):
    import marshmallow as ma

    from accord_service.settings import ServiceSettings, calendar

    class PluginState(Model):
        name = CharField(max_length=100, primary_key=True)
        settings = JSONField(default=dict)

        class Meta:
            database = db
            table_name = 'accord_plugin'

    row = PluginState.select(PluginState.settings).where(PluginState.name == 'service').first()
    stored = dict(row.settings or {}) if row is not None else {}
    try:
        settings = ServiceSettings(unknown=ma.EXCLUDE).load(stored)
    except ma.ValidationError:
        settings = ServiceSettings(unknown=ma.EXCLUDE).load({})
    return calendar(settings)


def up(migrator, db):
    from accord_service.businesstime import business_time

    migrator.migrate(
        migrator.add_column('service_ticket', 'first_response_seconds',
                            IntegerField(null=True)),
        migrator.add_column('service_ticket', 'resolution_seconds', IntegerField(null=True)),
        migrator.add_index('service_ticket', ('first_responded_at',), False))

    class Ticket(Model):
        received_at = UTCDateTimeField()
        first_responded_at = UTCDateTimeField(null=True)
        resolved_at = UTCDateTimeField(null=True)
        sla_paused_seconds = IntegerField(default=0)
        first_response_seconds = IntegerField(null=True)
        resolution_seconds = IntegerField(null=True)

        class Meta:
            database = db
            table_name = 'service_ticket'

    rows = list(Ticket.select(Ticket.id, Ticket.received_at, Ticket.first_responded_at,
                              Ticket.resolved_at, Ticket.sla_paused_seconds)
                .where(Ticket.first_responded_at.is_null(False)
                       | Ticket.resolved_at.is_null(False)).tuples())
    if not rows:
        return
    hours = _calendar(db)

    def seconds(start, end, paused=0):
        return max(int(business_time(hours, start, end).total_seconds()) - paused, 0)

    for ticket_id, received, answered, resolved, paused in rows:
        values = {}
        if answered is not None:
            values[Ticket.first_response_seconds] = seconds(received, answered)
        if resolved is not None:
            values[Ticket.resolution_seconds] = seconds(received, resolved, paused or 0)
        Ticket.update(values).where(Ticket.id == ticket_id).execute()


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('service_ticket', 'service_ticket_first_responded_at'),
        migrator.drop_column('service_ticket', 'first_response_seconds'),
        migrator.drop_column('service_ticket', 'resolution_seconds'))
