"""A plugin reaching into other plugins' packages beyond what they declare."""

from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="kit_reach", version="1.0", description="Reaches across",
                          requires={"sales": ">=1,<2"})
