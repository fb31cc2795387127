"""A plugin with a misspelled hook name."""

from accord.hooks import hookimpl
from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="misspelled", version="1.0")


@hookimpl
def validate_record(record_type, rows):
    pass
