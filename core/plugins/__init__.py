"""Plugins: their manifests, discovery, loading and lifecycle."""

from __future__ import annotations

from .manifest import CORE_API_VERSION, PluginManifest

__all__ = ["PluginManifest", "CORE_API_VERSION"]
