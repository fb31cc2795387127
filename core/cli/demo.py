"""``accord demo``: the small demo firm, or with ``--scale N`` a large data set to measure
Accord on (accord.scale)."""

from __future__ import annotations

import time
from typing import Any

import click

from ._context import CliState, pass_state


@click.command()
@click.option("--scale", "scale_text", metavar="N",
              help="Write the scale data set instead: N=1 is 1,000,000 contacts, 200,000 "
                   "organizations and each enabled plugin's share (0.01 for a quick one).")
@click.option("--seed", default=17, show_default=True, type=int,
              help="The random seed of the scale data: the same seed on the same day "
                   "writes the same data.")
@pass_state
def demo(state: CliState, scale_text: str | None, seed: int) -> None:
    """Fill an empty database with demo data, or with --scale N with scale data.

    Scale data is written through the services' bulk paths in one transaction (a failure
    keeps nothing), with a progress bar; a plugin that is not enabled is skipped with a
    line saying so. Both refuse a database that already holds organizations.
    """
    scale = None if scale_text is None else _scale(scale_text)
    kernel = state.kernel()
    if scale is None:
        from ..demo import load_demo

        counts = load_demo(kernel)
        if not counts:
            raise click.ClickException("the database already holds records; the demo "
                                       "fills an empty database only")
        click.echo("demo data loaded: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
        return
    from ..scale import load_scale

    started = time.perf_counter()
    run = load_scale(kernel, scale, seed=seed, progress=_bar, echo=click.echo)
    took = time.perf_counter() - started
    click.echo(f"scale {scale:g} written in {_duration(took)}: "
               + ", ".join(f"{label} {n:,}" for label, n in run.counts.items()))
    click.echo("time by step: " + ", ".join(
        f"{label} {_duration(seconds)}" for label, seconds in run.seconds.items()))


def _scale(text: str) -> float:
    from ..errors import ValidationError
    from ..scale import check_scale

    try:
        value = float(text)
    except ValueError:
        raise click.ClickException(f"--scale: {text!r} is not a number; give a number "
                                   "above 0, such as 0.01 or 1") from None
    try:
        return check_scale(value)
    except ValidationError as exc:
        raise click.ClickException("--scale: " + " ".join(exc.flat()["scale"])) from None


def _bar(label: str, total: int) -> Any:
    from tqdm import tqdm  # type: ignore[import-untyped]

    # disable=None: no bar when stderr is not a terminal (a log file, a test).
    return tqdm(total=total, desc=f"{label:>22}", unit=" rows", unit_scale=True,
                disable=None, leave=True)


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s" if minutes else f"{seconds:.1f}s"
