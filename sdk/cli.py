"""``accord plugin …``: the commands of plugin authors (the SDK's face on the command
line). Each command is imported only when run."""

from __future__ import annotations

import importlib

import click

__all__ = ["plugin", "COMMANDS"]

#: name -> (module, attribute, one-line help).
COMMANDS = {
    "new": ("accord_sdk.scaffold", "new_command",
            "Write a new plugin package (or, with --minimal, a one-file local plugin)."),
    "migration": ("accord_sdk.migration", "migration_command",
                  "Write a plugin's next migration from its models' changes."),
    "check": ("accord_sdk.conformance", "check_command",
              "Check a plugin against the conformance kit."),
}


class _Lazy(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][2]) for name in sorted(COMMANDS)])


@click.group("plugin", cls=_Lazy)
def plugin() -> None:
    """Plugin authors: scaffold a plugin, write its next migration, check it."""
