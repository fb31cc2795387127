from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="future_core", version="1.0", core_api=">=2,<3")
