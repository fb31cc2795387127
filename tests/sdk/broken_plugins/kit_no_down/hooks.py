"""Hook implementations of kit_no_down."""

from accord.hooks import hookimpl
from accord.records import Permission


@hookimpl
def register_permissions():
    return [Permission("kit_no_down.pin.read", "Read pins")]
