"""A plugin whose hook gives an argument a default (pluggy would never pass it)."""

from accord.hooks import hookimpl
from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="default_arg", version="1.0")


@hookimpl
def validate_records(record_type, rows, actor=None):
    pass
