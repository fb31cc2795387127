"""A plugin whose hook name is misspelled (singular instead of plural)."""

from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="kit_misspelled", version="1.0", description="Misspelled hook")
