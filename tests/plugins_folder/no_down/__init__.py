"""A plugin with a migration that cannot be reverted."""

from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="no_down", version="1.0")
