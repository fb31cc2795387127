"""Accord's marketing plugin: segments, value tiers, campaigns and their sending."""

from accord.plugins import PluginManifest

from .settings import MarketingSettings

MANIFEST = PluginManifest(
    name="marketing",
    version="0.1.0",
    description="Segments, value tiers and RFM, campaigns with members, email sending and "
                "responses",
    settings_schema=MarketingSettings,
    hookspecs="accord_marketing.hookspecs",
)

__version__ = MANIFEST.version
