"""A plugin whose hook asks for an argument the spec does not have."""

from accord.hooks import hookimpl
from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="wrong_args", version="1.0")


@hookimpl
def validate_records(record_type, rowz):
    pass
