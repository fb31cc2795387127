"""The package list, computed: pyproject.toml holds everything else.

Each import name is served from one folder; every subfolder of those folders is a
package of it (migrations/ folders have no __init__.py, so namespace packages are
found too). A new subpackage, or a plugin's new subfolder, ships without editing a
list; a new shipped plugin adds one line to ROOTS (and its entry point in
pyproject.toml).
"""

from setuptools import find_namespace_packages, setup

#: Import name -> the folder it is served from.
ROOTS = {
    "accord": "core",
    "accord_sdk": "sdk",
    "accord_sales": "plugins/sales",
    "accord_competitors": "plugins/competitors",
    "accord_service": "plugins/service",
    "accord_marketing": "plugins/marketing",
}
#: Folders of data, not code: shipped as package data (pyproject.toml).
_SKIP = ["__pycache__", "*.__pycache__", "static", "static.*", "templates", "templates.*"]


def packages() -> list[str]:
    found = []
    for name, folder in ROOTS.items():
        found.append(name)
        found += [f"{name}.{sub}" for sub in find_namespace_packages(folder, exclude=_SKIP)]
    return found


setup(packages=packages(), package_dir=ROOTS)
