"""Project-only helpers; the fixtures come from accord_sdk's pytest plugin."""

from __future__ import annotations

from pathlib import Path

import pytest

#: Local plugins the kernel's tests load: good ones and deliberately broken ones.
PLUGINS_FOLDER = Path(__file__).parent / "plugins_folder"


@pytest.fixture
def plugins_folder() -> str:
    return str(PLUGINS_FOLDER)
