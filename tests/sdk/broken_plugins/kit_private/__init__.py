"""A plugin importing private modules, with a permission no role holds."""

from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="kit_private", version="1.0", description="Reaches inside")
