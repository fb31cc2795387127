"""Render docs/cli.md from ``accord <command> --help``: the CLI reference is the help text.

``python tests/docs/cli_reference.py --write`` rewrites docs/cli.md; without
``--write`` it prints the reference. tests/docs/test_cli_reference.py fails when the
committed file differs from a fresh render.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs" / "cli.md"
COMMAND = "python tests/docs/cli_reference.py --write"
#: Help is wrapped at a fixed width so the render does not depend on the terminal.
WIDTH = 88

INTRO = """\
Every command below is part of the core. `accord --help` starts fast: a command's
module is imported only when that command runs. A plugin's commands appear as
`accord <plugin> <command>` once the plugin is enabled (`accord <plugin> --help`
lists them; see the `register_commands` hook).

A mistake (an unknown plugin, a bad value, a broken `accord.toml`) prints a message
naming the culprit and exits with status 1, never a traceback. `--config FILE` (or
`ACCORD_CONFIG`) picks the configuration file; see [Configuration](configuration.md).
"""


def help_text(*path: str) -> str:
    """The output of ``accord <path> --help``."""
    from accord.cli import cli

    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="accord",
                                terminal_width=WIDTH, catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(f"accord {' '.join(path)} --help failed:\n{result.output}")
    return result.output.rstrip() + "\n"


def commands() -> list[tuple[str, ...]]:
    """Every core command path, groups followed by their subcommands."""
    from accord.cli import CORE_COMMANDS, cli

    ctx = click.Context(cli, info_name="accord")
    paths: list[tuple[str, ...]] = [()]
    for name in sorted(CORE_COMMANDS):
        command = cli.get_command(ctx, name)
        paths.append((name,))
        if isinstance(command, click.Group):
            sub_ctx = click.Context(command, info_name=name, parent=ctx)
            paths += [(name, sub) for sub in sorted(command.list_commands(sub_ctx))]
    return paths


def render() -> str:
    lines = ["# CLI reference", "",
             f"<!-- Generated from `accord ... --help` by `{COMMAND}`; do not edit by hand. -->",
             "", INTRO]
    for path in commands():
        title = " ".join(("accord", *path))
        level = "###" if len(path) > 1 else "##"
        lines += [f"{level} {title}", "",
                  "```text", help_text(*path).rstrip(), "```", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    text = render()
    if "--write" in sys.argv[1:]:
        OUTPUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUTPUT}")
    else:
        sys.stdout.write(text)
