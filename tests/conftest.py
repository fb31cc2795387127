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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The page tests run on SQLite only: the pages are the same code whatever the
    engine, and the services, API and plugin tests they call run on both (what touches
    the engine is proved there). This keeps a whole CI run within its time."""
    drop = [item for item in items if "[postgres" in item.nodeid and _is_page_test(item)]
    if drop:
        config.hook.pytest_deselected(items=drop)
        dropped = set(drop)
        items[:] = [item for item in items if item not in dropped]
