"""acme_dental: a dental clinic's appointments, written the way the plugin docs say.

The test plugin of tests/surface: it declares a record type that carries its own
rules, a status only its actions set (with allowed transitions), actions whose
handlers take their body as typed keyword arguments, and grants for the built-in
service role.
"""

from accord.plugins import PluginManifest

MANIFEST = PluginManifest(
    name="acme_dental",
    version="1.0.0",
    description="Dental appointments: booked, confirmed, done or cancelled",
)

__version__ = MANIFEST.version
