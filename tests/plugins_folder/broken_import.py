"""A plugin whose hooks module raises on import."""

from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="broken_import", version="1.0")

raise RuntimeError("this plugin is broken on purpose")
