"""A plugin using what Accord deprecated (the test marks a function deprecated) and a
name Accord no longer has."""

from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="kit_deprecated", version="1.0",
                          description="Uses the old ways")
