"""Hook implementations of kit_no_permission."""

from accord.hooks import hookimpl
from accord.records import RecordAction


def pin(kernel, record_id, *, actor, version):
    return {"id": record_id}


@hookimpl
def register_actions():
    return [RecordAction("contact", "pin", "kit_no_permission.contact.pin", pin)]
