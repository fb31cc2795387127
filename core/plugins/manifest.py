"""What a plugin declares about itself in its package's ``__init__.py``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

import marshmallow as ma
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

__all__ = ["PluginManifest", "CORE_API_VERSION", "check_manifest"]

#: The version of the kernel's plugin API (hooks, services, models) plugins target.
CORE_API_VERSION = "1.0"

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,49}$")


@dataclass(frozen=True)
class PluginManifest:
    """A plugin's name, version, description and needs, readable without importing
    the rest of the plugin (Odoo's ``__manifest__``, as a typed value).

    ``requires`` maps plugin names to version ranges (``{"acme_crm": ">=1,<2"}``);
    ``core_api`` is the range of CORE_API_VERSION the plugin works with;
    ``settings_schema`` validates the plugin's settings; ``hookspecs`` names a module
    of hook specifications the plugin declares for other plugins; ``migrations`` is
    the folder of its migrations when not ``migrations/`` beside its hooks module.
    """

    name: str
    version: str
    description: str = ""
    requires: Mapping[str, str] = field(default_factory=dict)
    core_api: str = ">=1,<2"
    settings_schema: type[ma.Schema] | None = None
    hookspecs: str | None = None
    migrations: str | None = None


def check_manifest(manifest: Any, expected_name: str | None = None) -> list[str]:
    """The problems with a manifest, as sentences; [] when it is sound."""
    if not isinstance(manifest, PluginManifest):
        return ["MANIFEST is missing or is not an accord.plugins.PluginManifest"]
    problems = []
    if not _NAME.match(manifest.name):
        problems.append(f"name {manifest.name!r} must be lowercase letters, digits and '_'")
    if manifest.name == "core":
        problems.append("the name 'core' is the kernel's")
    if expected_name is not None and manifest.name != expected_name:
        problems.append(f"MANIFEST.name is {manifest.name!r} but it is registered as "
                        f"{expected_name!r}")
    try:
        Version(manifest.version)
    except InvalidVersion:
        problems.append(f"version {manifest.version!r} is not a version number")
    for label, spec in [("core_api", manifest.core_api),
                        *[(f"requires.{k}", v) for k, v in manifest.requires.items()]]:
        try:
            SpecifierSet(spec)
        except InvalidSpecifier:
            problems.append(f"{label}: {spec!r} is not a version range such as '>=1,<2'")
    return problems
