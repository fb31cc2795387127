"""What plugin code may import from Accord: the public API.

A plugin imports ``accord`` (its top-level names: ``Accord``, ``Config``,
``load_config``), the modules of ``PUBLIC_MODULES`` and ``accord_sdk`` (in its tests).
Every other module is private: ``accord.api.*``, ``accord.cli.*``, the submodules of
``accord.models``, ``accord.pages`` and ``accord.plugins``, ``accord.migrating``,
``accord.builtin``, ``accord.web``, ``accord.customfields``… and any module whose name
has a part starting with ``_``. Private modules change without notice; the public ones
keep their names within a major version of the core API
(``accord.plugins.manifest.CORE_API_VERSION``), and a name deprecated in them warns for
one minor version before it goes.

A plugin may also import another plugin's package, when it requires that plugin, through
what that plugin declares for others: its hookspecs module, the modules the hookspecs
module imports (the values its hooks take and return), and its ``services`` module or
package. ``accord plugin check`` enforces all of this.
"""

from __future__ import annotations

__all__ = ["PUBLIC_MODULES", "PUBLIC_PACKAGES", "is_public"]

#: The modules plugin code may import (besides ``accord`` itself).
PUBLIC_MODULES = frozenset({
    "accord",
    "accord.kernel",
    "accord.config",
    "accord.errors",
    "accord.models",
    "accord.records",
    "accord.money",
    "accord.services",
    "accord.metrics",
    "accord.pages",
    "accord.database",
    "accord.rates",
    "accord.query",
    "accord.facts",
    "accord.routes",
    "accord.hooks",
    "accord.schemas",
    "accord.jobs",
    "accord.plugins",
    "accord.pagination",
    "accord.signing",
    "accord.dates",
    "accord.compat",
    "accord.scale",
})

#: Packages whose every module is public (``accord.services.authz``), and ``accord_sdk``.
PUBLIC_PACKAGES = frozenset({"accord.services", "accord_sdk"})


def is_public(module_name: str) -> bool:
    """Whether plugin code may import ``module_name`` (a dotted module name of Accord or
    the SDK: ``accord.services.authz`` yes, ``accord.cli.db`` no). A name with a part
    starting with ``_`` is never public."""
    parts = module_name.split(".")
    if any(part.startswith("_") for part in parts):
        return False
    if module_name in PUBLIC_MODULES:
        return True
    return any(module_name == package or module_name.startswith(package + ".")
               for package in PUBLIC_PACKAGES)
