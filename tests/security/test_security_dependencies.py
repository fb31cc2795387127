"""Dependencies are pinned to the ranges tested: every requirement in pyproject.toml
(runtime, the postgres extra and the dev tools) has a lower and an upper bound, and
the installed version (the one the suite runs on) is inside it. ``make audit`` runs
pip-audit over the installed packages (it needs the network; see docs/security.md)."""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


def requirements() -> list[Requirement]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        found += [Requirement(r) for r in extra]
    return found


def test_security_every_dependency_has_a_tested_range():
    problems = []
    for req in requirements():
        operators = {spec.operator for spec in req.specifier}
        if not operators & {">=", ">", "~=", "=="}:
            problems.append(f"{req}: no lower bound")
        if not operators & {"<", "<=", "~=", "=="}:
            problems.append(f"{req}: no upper bound")
        try:
            installed = importlib.metadata.version(req.name)
        except importlib.metadata.PackageNotFoundError:
            problems.append(f"{req}: not installed, so not tested")
            continue
        if not req.specifier.contains(installed, prereleases=True):
            problems.append(f"{req}: the installed {installed} is outside the range")
    assert not problems, "\n".join(problems)


def test_security_pip_audit_is_a_dev_tool_with_a_make_target():
    assert any(r.name == "pip-audit" for r in requirements())
    makefile = (PYPROJECT.parent / "Makefile").read_text()
    assert "\naudit: " in makefile and "pip-audit --skip-editable" in makefile
