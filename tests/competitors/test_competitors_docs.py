"""docs/competitors.md stays true: it lists every metric and permission the plugin
declares, and the hook adapters it shows are the ones in hooks.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import accord_competitors.hooks
from accord_competitors.metrics import METRICS

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "competitors.md").read_text(encoding="utf-8")


def test_every_metric_is_defined_on_the_page():
    assert [m.name for m in METRICS if f"| `{m.name}` | {m.unit} |" not in PAGE] == []


def test_every_permission_is_on_the_page():
    names = [p.name for p in accord_competitors.hooks.register_permissions()]
    assert len(names) == 14
    assert [n for n in names if f"`{n}`" not in PAGE] == []


def test_the_adapters_shown_are_the_plugins_own():
    hooks = (ROOT / "plugins" / "competitors" / "hooks.py").read_text(encoding="utf-8")
    shown = re.findall(r"```python\n(@hookimpl.*?)```", PAGE, re.DOTALL)
    assert shown and all(block in hooks for block in shown)


def test_the_refusals_quoted_are_the_plugins_own(make_kernel):
    import accord_sales.hooks
    from accord.errors import PluginError
    from accord.services import Actor
    from accord.services.plugins import enable

    alone = make_kernel(plugins=[accord_competitors.hooks])
    with_sales = make_kernel(plugins=[accord_sales.hooks, accord_competitors.hooks])
    for kernel in (alone, with_sales):
        with pytest.raises(PluginError) as caught:
            enable(kernel, "competitors", actor=Actor.system("test"))
        # The page quotes the CLI, which adds the option that would force it.
        assert f"Error: {caught.value}" in PAGE
