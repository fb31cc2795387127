"""Project-only helpers; the fixtures come from accord_sdk's pytest plugin."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

#: Local plugins the kernel's tests load: good ones and deliberately broken ones.
PLUGINS_FOLDER = Path(__file__).parent / "plugins_folder"


@pytest.fixture
def plugins_folder() -> str:
    return str(PLUGINS_FOLDER)


@contextlib.contextmanager
def _modules_restored(*packages: str) -> Iterator[None]:
    """Forget the modules of ``packages`` a test imports (a copy of a plugin from a
    temporary folder), and put back those imported before it (the real plugin that
    another test module imported when collected)."""
    def ours(module: str) -> bool:
        return module.split(".")[0] in packages

    before = {m: sys.modules[m] for m in list(sys.modules) if ours(m)}
    try:
        yield
    finally:
        for module in [m for m in sys.modules if ours(m)]:
            del sys.modules[module]
        sys.modules.update(before)


@pytest.fixture
def modules_restored() -> Any:
    """``with modules_restored("acme_notes"): ...``: see ``_modules_restored``."""
    return _modules_restored


#: The page tests: the browser tests (tests/web) and the page-client tests of each area
#: (``test_pages.py``, ``test_*_pages.py``).
_HERE = os.path.dirname(__file__)


def _is_page_test(item: pytest.Item) -> bool:
    path = str(item.path)
    name = os.path.basename(path)
    return (path.startswith(os.path.join(_HERE, "web") + os.sep)
            or name == "test_pages.py" or name.endswith("_pages.py"))


#: Test files of the layers above the engine, run on SQLite only: the documentation's
#: examples, the SDK's tools, the plugin-author surface, the command line and other
#: faces (argument errors, output), the OpenAPI document, settings validation, each
#: plugin's own fuzzing (the whole document, every plugin's operations included, is
#: fuzzed on both engines by tests/api/test_schemathesis.py and test_fuzz_stateful.py),
#: brute-force throttles kept in memory. What they call is proved on both engines by the
#: services', metrics', lists' and API tests.
SQLITE_ONLY = tuple(os.path.join(_HERE, *path.split("/")) for path in (
    "docs/", "surface/", "examples/",
    "sdk/test_sdk_conformance.py", "sdk/test_sdk_conformance_shipped.py",
    "sdk/test_sdk_scaffold.py", "sdk/test_sdk_scaffold_e2e.py",
    "api/test_openapi.py", "api/test_records_api.py", "api/test_admin.py",
    "api/test_permissions.py",
    "sales/test_sales_schemathesis.py", "service/test_service_schemathesis.py",
    "marketing/test_marketing_schemathesis.py",
    "competitors/test_competitors_schemathesis.py",
    "core/test_cli.py", "core/test_tokens_roles_cli.py", "core/test_import_cli.py",
    "core/test_scale_cli.py", "service/test_service_ticket_cli.py",
    "service/test_service_cli.py",
    "core/test_webhooks_faces.py", "core/test_merge_faces.py", "core/test_issue11_faces.py",
    "core/test_compat_deprecation.py", "core/test_load_checks.py", "core/test_hooks.py",
    "core/test_discovery.py", "sales/test_sales_settings.py",
    "security/test_security_bruteforce.py", "security/test_security_secrets.py",
))


def _sqlite_only(item: pytest.Item) -> bool:
    path = str(item.path)
    return _is_page_test(item) or any(
        path == only or (only.endswith(os.sep) and path.startswith(only))
        for only in SQLITE_ONLY)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The page tests, and the files of ``SQLITE_ONLY``, run on SQLite only: the pages
    and those faces are the same code whatever the engine, and the services, API and
    plugin tests they call run on both (what touches the engine is proved there). This
    keeps a whole CI run within its time."""
    drop = [item for item in items if "[postgres" in item.nodeid and _sqlite_only(item)]
    if drop:
        config.hook.pytest_deselected(items=drop)
        dropped = set(drop)
        items[:] = [item for item in items if item not in dropped]
