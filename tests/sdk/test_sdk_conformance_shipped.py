"""The four shipped plugins pass the conformance kit on each engine (this replaces the
lifecycle tests each plugin's suite used to copy: migrations down and up, tables
matching the models, declared permissions)."""

from __future__ import annotations

import time

import pytest

from accord_sdk.conformance import assert_conforms

#: The checks every shipped plugin passes outright ("ok"), in the kit's order.
CHECKS = ["manifest", "hooks", "permissions", "settings", "imports", "deprecations",
          "lifecycle", "openapi", "migrations"]


@pytest.mark.parametrize("plugin", ["sales", "competitors", "service", "marketing"])
def test_the_shipped_plugin_passes_the_conformance_kit(plugin, database_url):
    started = time.monotonic()
    report = assert_conforms(plugin, database_urls=[database_url])
    assert [line.check for line in report.lines if line.status == "ok"] == CHECKS
    assert [line for line in report.lines if line.status not in ("ok", "warning")] == []
    assert time.monotonic() - started < 60
