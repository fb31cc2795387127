"""Accord's competitors plugin: competitor profiles, competing products, win/loss."""

from accord.plugins import PluginManifest

MANIFEST = PluginManifest(
    name="competitors",
    version="1.0.0",
    description="Competitors, their products and prices, and win/loss against each",
    # Deal tracking builds on sales' opportunities and its closing hooks: without
    # sales this plugin refuses to be enabled (and loads after it).
    requires={"sales": ">=1,<2"},
)

__version__ = MANIFEST.version
