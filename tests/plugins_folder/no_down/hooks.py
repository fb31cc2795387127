"""Hook implementations of no_down."""

from accord.hooks import hookimpl
from accord.records import Permission


@hookimpl
def register_permissions():
    return [Permission("no_down.pin.read", "Read pins")]
