"""Every hookspec documents itself the way the reference and plugin authors need, and
docs/reference/hooks.md is the fresh render of those docstrings."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

from accord.hooks import PROJECT, SPEC_MODULES, docgen

ROOT = Path(__file__).resolve().parents[2]
GROUPS = docgen.collect()
#: The core's hooks; the shipped plugins' own follow them in the reference.
HOOKS = [hook for _, module, hooks in GROUPS if module.__name__ in SPEC_MODULES
         for hook in hooks]
PLUGIN_HOOKS = [hook for _, module, hooks in GROUPS if module.__name__ not in SPEC_MODULES
                for hook in hooks]


def test_every_spec_module_declares_hooks():
    counts = {module.__name__: len(hooks) for _, module, hooks in GROUPS}
    assert list(counts)[:len(SPEC_MODULES)] == list(SPEC_MODULES)
    assert all(counts.values()), counts


def test_the_reference_sees_every_hook_the_kernel_knows():
    from accord.kernel import Accord

    assert sorted(h.name for h in HOOKS) == Accord().plugins.hook_names()


def test_the_reference_lists_the_hooks_shipped_plugins_declare():
    from accord_sales import hookspecs

    assert [h.name for h in PLUGIN_HOOKS if h.module == hookspecs.__name__] == \
        hookspecs.__all__
    titles = [title for title, _, _ in GROUPS[len(SPEC_MODULES):]]
    assert "Plugin sales" in titles and titles == sorted(titles)


@pytest.mark.parametrize("hook", HOOKS, ids=lambda h: h.name)
def test_docstring_has_summary_then_called_returns_order_since(hook):
    assert docgen.problems(hook) == [], f"{hook.module}.{hook.name}"


@pytest.mark.parametrize("hook", HOOKS, ids=lambda h: h.name)
def test_flags_match_the_promises(hook):
    sections = dict(hook.sections)
    if "firstresult" in hook.flags:
        assert "first non-None" in sections["Order"], (
            f"{hook.name} is firstresult: its Order: must say the first non-None result wins")
    if "historic" in hook.flags:
        assert hook.signature.endswith("-> None"), (
            f"{hook.name} is historic: a historic hook must not return a value")


@pytest.mark.parametrize("module_name", SPEC_MODULES)
def test_specs_are_fully_typed(module_name):
    module = importlib.import_module(module_name)
    for name, func in vars(module).items():
        if not hasattr(func, f"{PROJECT}_spec"):
            continue
        sig = inspect.signature(func)
        untyped = [p for p in sig.parameters.values() if p.annotation is p.empty]
        assert not untyped and sig.return_annotation is not sig.empty, name


def test_the_checker_rejects_a_bad_docstring():
    summary, sections = docgen.parse_docstring('''Do a thing.

    Returns: None.
    Called: always,
        twice.
    Since: 0.1
    ''')
    bad = docgen.HookDoc("bad", "m", "bad() -> None", (), summary, sections, False)
    assert dict(sections)["Called"] == "always, twice."
    assert docgen.problems(bad) == [
        "no Order: section",
        "sections out of order or repeated: Returns, Called, Since "
        "(expected order: Called, Args, Returns, Order, Since, Changed, Deprecated)"]


def test_hook_reference_is_current():
    written = (ROOT / "docs" / "reference" / "hooks.md").read_text(encoding="utf-8")
    assert written == docgen.render(), (
        f"docs/reference/hooks.md is stale: run {docgen.COMMAND}")


@pytest.mark.parametrize("hook", HOOKS, ids=lambda h: h.name)
def test_reference_shows_the_exact_signature(hook):
    written = (ROOT / "docs" / "reference" / "hooks.md").read_text(encoding="utf-8")
    assert f"### `{hook.name}`\n\n```python\n{hook.signature}\n```" in written
