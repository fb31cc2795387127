"""Hook implementations of kit_misspelled."""

from accord.hooks import hookimpl
from accord.records import Permission


@hookimpl
def register_permissions():
    return [Permission("kit_misspelled.thing.read", "Read things")]


@hookimpl
def register_record_type():
    return []
