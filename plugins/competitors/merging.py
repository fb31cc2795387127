"""Merging contacts and organizations: competitors' rows name sales opportunities, never
a customer, so they follow the opportunities sales moves to the winner; nothing of
this plugin names the loser itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.hooks import hookimpl

if TYPE_CHECKING:
    from accord.services.merging import Moved


@hookimpl
def merge_records() -> list[Moved]:
    # Involvements and outcomes are keyed by opportunity: moving the opportunity (the
    # sales plugin does) moves them. Kept as an implementation so that a later column
    # naming a customer has its place, and so the plugin's part is explicit.
    return []
