"""Hook implementations of acme_dental: declarations only; the rules live with the
record type."""

from accord.hooks import hookimpl
from accord.records import (Permission, RecordAction, RecordType, RoleGrant, Transitions,
                            VerbField)

from . import services
from .models import Appointment
from .schemas import AppointmentSchema, CompleteSchema


def _defaults(write):
    for row in write.rows:
        row.setdefault("treatment", "check-up")


def _rules(write):
    for index, row, current in write:
        if row.get("treatment", "").isupper():
            write.refuse(index, {"treatment": ["no treatments in capitals, please"]})


APPOINTMENT = RecordType(
    services.APPOINTMENT, Appointment, AppointmentSchema, "appointments", "Appointment",
    searchable=("treatment",), title_fields=("treatment",),
    verb_fields=(VerbField("status", ("confirm", "complete", "cancel")),
                 VerbField("confirmed_at", ("confirm",))),
    transitions=Transitions("status", {"booked": ("confirmed", "cancelled"),
                                       "confirmed": ("done", "cancelled")}),
    defaults=_defaults, validate=_rules)


@hookimpl
def register_record_types():
    return [APPOINTMENT]


@hookimpl
def register_permissions():
    return [Permission(f"acme_dental.appointment.{verb}", f"{verb.capitalize()} appointments")
            for verb in ("read", "write", "delete", "confirm", "complete", "cancel")]


@hookimpl
def register_actions():
    return [RecordAction(services.APPOINTMENT, "confirm", "acme_dental.appointment.confirm",
                         services.confirm, description="Confirm a booked appointment"),
            RecordAction(services.APPOINTMENT, "complete", "acme_dental.appointment.complete",
                         services.complete, schema=CompleteSchema,
                         description="Record the treatment given"),
            RecordAction(services.APPOINTMENT, "cancel", "acme_dental.appointment.cancel",
                         services.cancel, description="Cancel an appointment")]


@hookimpl
def register_role_grants():
    return [RoleGrant("service", ("acme_dental.*",),
                      rules=(("acme_dental.appointment", "team"),))]
