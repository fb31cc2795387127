"""A small local plugin used by the kernel's tests: notes with a table of their own."""

from accord.plugins import PluginManifest

MANIFEST = PluginManifest(
    name="acme_notes",
    version="1.2.0",
    description="Notes about anything, with a priority",
)

__version__ = MANIFEST.version
