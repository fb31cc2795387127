from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="needs_missing", version="1.0", requires={"nothere": ">=1"})
