"""A plugin whose second migration has no backward step."""

from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="kit_no_down", version="1.0", description="Forward only")
