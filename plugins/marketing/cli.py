"""``accord marketing …``: each part's commands (``COMMANDS``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import click

__all__ = ["marketing_commands"]


def marketing_commands() -> list[click.Command]:
    from .hooks import PARTS

    return [command for part in PARTS for command in getattr(part, "COMMANDS", ())]
