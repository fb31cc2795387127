"""The clinic's verbs: confirm, complete and cancel an appointment."""

from accord import services
from accord.models import utcnow
from accord.services.authz import require

APPOINTMENT = "acme_dental.appointment"


def confirm(kernel, appointment_id, *, actor, version=None):
    require(actor, "acme_dental.appointment.confirm")
    return services.update(kernel, APPOINTMENT, appointment_id,
                           {"status": "confirmed", "confirmed_at": utcnow()},
                           actor=actor, version=version, verb="confirm")


def complete(kernel, appointment_id, *, actor, notes, version=None):
    require(actor, "acme_dental.appointment.complete")
    return services.update(kernel, APPOINTMENT, appointment_id,
                           {"status": "done", "notes": notes},
                           actor=actor, version=version, verb="complete")


def cancel(kernel, appointment_id, *, actor, version=None):
    require(actor, "acme_dental.appointment.cancel")
    return services.update(kernel, APPOINTMENT, appointment_id, {"status": "cancelled"},
                           actor=actor, version=version, verb="cancel")
