"""acme_fees: what a dental clinic charges its patients (the worked example of
docs/plugins.md; its tests are in tests/, beside the package)."""

from accord.plugins import PluginManifest

from .schemas import FeeSettings

MANIFEST = PluginManifest(
    name="acme_fees",
    version="1.0.0",
    description="Fees charged to patients, and their payment",
    settings_schema=FeeSettings,
)

__version__ = MANIFEST.version
