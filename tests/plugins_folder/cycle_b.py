from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="cycle_b", version="1.0", requires={"cycle_a": ">=1"})
