from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="cycle_a", version="1.0", requires={"cycle_b": ">=1"})
