"""A local plugin that requires acme_notes: caps note priorities."""

from accord.plugins import PluginManifest

MANIFEST = PluginManifest(name="acme_extra", version="0.3.0",
                          description="Extra rules for notes",
                          requires={"acme_notes": ">=1,<2"})
