"""``accord duplicates`` and ``accord merge``: the CLI face of
``accord.services.duplicates`` and ``accord.services.merging``."""

from __future__ import annotations

import json
from typing import Any

import click

from ._context import CliState, actor, pass_state, table


@click.command()
@click.argument("record_type", type=click.Choice(["contact", "organization"]),
                default="contact")
@click.option("--min-score", type=click.IntRange(0, 100), default=None,
              help="The lowest score listed, 0-100 (default 50).")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True,
              help="At most this many pairs, best first.")
@pass_state
def duplicates(state: CliState, record_type: str, min_score: int | None, limit: int) -> None:
    """List likely duplicate contacts or organizations, best first, with the reasons."""
    from ..services.duplicates import DEFAULT_MIN_SCORE, find_duplicates

    found = find_duplicates(state.kernel(), record_type, actor=actor(), limit=limit,
                            min_score=DEFAULT_MIN_SCORE if min_score is None else min_score)
    if not found.items:
        click.echo(f"no likely duplicate {record_type}s")
        return
    table(["score", "first", "second", "reasons"],
          [(p.score, f"{p.first_id} {p.first_title}", f"{p.second_id} {p.second_title}",
            ", ".join(p.reasons)) for p in found.items])
    if found.truncated:
        click.echo(f"(the best {limit} pairs; raise --limit or --min-score to see others)")


def _takes(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``--take email=loser --take city=Berlin`` as the merge's values."""
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r} is not FIELD=winner, FIELD=loser or "
                                     "FIELD=VALUE", param_hint="--take")
        values[name.strip()] = value
    return values


@click.command()
@click.argument("record_type", metavar="TYPE",
                type=click.Choice(["contact", "organization"]))
@click.argument("winner_id", type=click.IntRange(1))
@click.argument("loser_id", type=click.IntRange(1))
@click.option("--take", "takes", multiple=True, metavar="FIELD=winner|loser|VALUE",
              help="Which value a field keeps (repeat it); a field not named keeps the "
                   "winner's value, or the loser's where the winner's is empty.")
@click.option("--yes", is_flag=True, help="Merge without showing the fields and asking.")
@pass_state
def merge(state: CliState, record_type: str, winner_id: int, loser_id: int,
          takes: tuple[str, ...], yes: bool) -> None:
    """Merge LOSER_ID into WINNER_ID: the winner keeps the chosen values and every
    related record; the loser's id then leads to the winner."""
    from ..services.merging import merge as do_merge
    from ..services.merging import preview

    kernel = state.kernel()
    values = _takes(takes)
    if not yes:
        shown = preview(kernel, record_type, winner_id, loser_id, actor=actor(),
                        values=values)
        click.echo(f"winner: {record_type} {winner_id} {shown.winner_title}")
        click.echo(f"loser:  {record_type} {loser_id} {shown.loser_title}")
        table(["field", "winner", "loser", "kept"],
              [(f.name, _cell(f.winner), _cell(f.loser), _cell(f.kept))
               for f in shown.fields if f.differs or f.source == "value"])
        click.confirm(f"Merge {record_type} {loser_id} into {winner_id}?", abort=True)
    result = do_merge(kernel, record_type, winner_id, loser_id, actor=actor(),
                      values=values)
    click.echo(f"merged {record_type} {loser_id} into {winner_id} "
               f"(now at version {result.winner.version})")
    for plugin, kinds in sorted(result.moved.items()):
        click.echo(f"  {plugin}: " + ", ".join(f"{count} {kind}"
                                                for kind, count in sorted(kinds.items())))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)
