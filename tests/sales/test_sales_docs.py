"""docs/sales.md stays true: the hooks sales declares are documented like the core's
(same docstring layout, exact signature on the page), and its settings example is the
settings in force by default."""

from __future__ import annotations

import inspect
import re
import tomllib
from pathlib import Path

import pytest

from accord.hooks import PROJECT, docgen
from accord_sales import hookspecs
from accord_sales.settings import SalesSettings

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "sales.md"
SPECS = [f for f in vars(hookspecs).values()
         if inspect.isfunction(f) and hasattr(f, f"{PROJECT}_spec")]


def _doc(func):
    summary, sections = docgen.parse_docstring(func.__doc__)
    return docgen.HookDoc(func.__name__, hookspecs.__name__, docgen.signature(func), (),
                          summary, sections, False)


def test_the_plugin_declares_its_hooks():
    assert [f.__name__ for f in SPECS] == ["validate_opportunity_close", "opportunity_moved",
                                          "validate_opportunity_delete",
                                          "price_quote_lines"] == hookspecs.__all__


@pytest.mark.parametrize("spec", SPECS, ids=lambda f: f.__name__)
def test_docstring_has_summary_then_called_returns_order_since(spec):
    assert docgen.problems(_doc(spec)) == []


@pytest.mark.parametrize("spec", SPECS, ids=lambda f: f.__name__)
def test_docs_show_the_exact_signature_and_docstring(spec):
    page = PAGE.read_text(encoding="utf-8")
    hook = _doc(spec)
    assert f"```python\n{hook.signature}\n```" in page
    for name, text in hook.sections:
        assert f"- **{name}:** {text}" in page, name


def test_the_settings_example_is_the_default():
    example = re.search(r"```toml\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)[1]
    written = tomllib.loads(example)["plugins"]["settings"]["sales"]
    assert SalesSettings().load(written) == SalesSettings().load({})
    assert set(written) == set(SalesSettings().fields)
