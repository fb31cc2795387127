"""A plugin with an action whose permission it never declares."""

from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="kit_no_permission", version="1.0",
                          description="Pins contacts")
