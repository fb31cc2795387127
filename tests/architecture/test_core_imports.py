"""The core never imports a plugin, nor the SDK: a shipped plugin has no privilege a
third-party plugin lacks, and the kernel works without the SDK installed."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core"


def accord_package_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import of an ``accord_*`` package, static or by name."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and _called_name(node.func) in ("import_module", "__import__")):
            names = [node.args[0].value]
        found += [(node.lineno, n) for n in names if n.split(".")[0].startswith("accord_")]
    return found


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def test_no_core_module_imports_an_accord_package():
    offenders = []
    files = sorted(CORE.rglob("*.py"))
    assert len(files) > 20, "the core's modules were not found"
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        offenders += [f"{path.relative_to(ROOT)}:{line}: imports {name}"
                      for line, name in accord_package_imports(tree)]
    assert not offenders, "the core must not import plugins or the SDK:\n" + "\n".join(offenders)


def test_the_check_sees_every_form_of_import():
    source = (
        "import accord_sales\n"
        "from accord_sdk.pytest_plugin import kernel\n"
        "import importlib\n"
        "importlib.import_module('accord_service.hooks')\n"
        "from . import accord_like_but_relative\n"
        "import accord.kernel\n"
    )
    assert [name for _, name in accord_package_imports(ast.parse(source))] == [
        "accord_sales", "accord_sdk.pytest_plugin", "accord_service.hooks"]
