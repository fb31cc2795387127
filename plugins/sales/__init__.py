"""Accord's sales plugin: leads, opportunities and their pipelines."""

from accord.plugins import PluginManifest

from .settings import SalesSettings

MANIFEST = PluginManifest(
    name="sales",
    version="1.0.0",
    description="Leads, opportunities and pipelines with stage history",
    settings_schema=SalesSettings,
    hookspecs="accord_sales.hookspecs",
)

__version__ = MANIFEST.version
