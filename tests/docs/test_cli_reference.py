"""docs/cli.md is the help text of every core command, as `accord ... --help` prints it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _reference():
    spec = importlib.util.spec_from_file_location("cli_reference", HERE / "cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_current():
    reference = _reference()
    assert reference.OUTPUT.read_text(encoding="utf-8") == reference.render(), (
        f"docs/cli.md differs from `accord ... --help`: run {reference.COMMAND}")


def test_every_core_command_has_a_section():
    from accord.cli import CORE_COMMANDS

    text = _reference().OUTPUT.read_text(encoding="utf-8")
    missing = [name for name in CORE_COMMANDS if f"\n## accord {name}\n" not in text]
    assert not missing
