from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="needs_new_notes", version="1.0",
                          requires={"acme_notes": ">=2,<3"})
