"""Accord's service plugin: tickets with their workflow and SLA due times."""

from accord.plugins import PluginManifest

from .settings import ServiceSettings

MANIFEST = PluginManifest(
    name="service",
    version="1.1.0",
    description="Service tickets: workflow, comments, SLA due times in business hours",
    settings_schema=ServiceSettings,
    hookspecs="accord_service.hookspecs",
)

__version__ = MANIFEST.version
