"""``accord goals …``: set, list and remove goals (a target for a metric over a period,
for a user, a team or the firm), with their attainment and pace."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from ._context import CliState, actor, pass_state, table

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..metrics import MetricQuery
    from ..models import Goal
    from ..services.goals import Progress


@click.group()
def goals() -> None:
    """Set, list and remove goals: a target for a metric over a period."""


@goals.command("set")
@click.argument("metric")
@click.argument("target")
@click.option("--period", help="2026 (a year), 2026-Q2 (a quarter) or 2026-05 (a month).")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]),
              help="First day of a period of your own (with --to).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]),
              help="Last day of a period of your own (with --from).")
@click.option("--user", help="A goal for this user (id or email).")
@click.option("--team", help="A goal for this team (id or name).")
@click.option("--firm", is_flag=True, help="A goal for the whole firm.")
@click.option("--group", help="For a broken-down metric: the group the goal is for "
                              "(a stage, a channel, a competitor…).")
@click.option("--at-most", "direction", flag_value="at_most",
              help="The metric should stay at or under TARGET (a sales cycle in days).")
@click.option("--at-least", "direction", flag_value="at_least",
              help="The metric should reach TARGET (the default for a new goal).")
@pass_state
def set_(state: CliState, metric: str, target: str, period: str | None,
         start: dt.datetime | None, end: dt.datetime | None, user: str | None,
         team: str | None, firm: bool, group: str | None, direction: str | None) -> None:
    """Set a goal: METRIC should reach TARGET over a period.

    For a user, a team or the whole firm. The goal of the same metric (and group),
    period and scope is changed if there is one; else one is created. 'accord report'
    lists the metrics."""
    from ..services.assignment import find_team, find_user
    from ..services.goals import set_goal

    if sum(bool(x) for x in (user, team, firm)) != 1:
        raise click.UsageError("give one of --user USER, --team TEAM or --firm")
    if period is not None and (start is not None or end is not None):
        raise click.UsageError("give --period, or --from and --to, not both")
    if period is None:
        if start is None or end is None:
            raise click.UsageError("give --period (2026-Q2…), or --from and --to")
        period = f"{start.date()}/{end.date()}"
    kernel = state.kernel()
    owner = find_user(kernel, user) if user else None
    crew = find_team(kernel, team) if team else None
    goal, created = set_goal(
        kernel, metric=metric, target=target, period=period,
        scope="user" if user else "team" if team else "firm", actor=actor(),
        owner_id=owner.id if owner else None, team_id=crew.id if crew else None,
        group_value=group, direction=direction)
    whom = owner.email if owner else f"team {crew.name}" if crew else "the firm"
    words = "at most" if goal.direction == "at_most" else "at least"
    from ..goals import plain

    click.echo(f"{'created' if created else 'set'} goal {goal.id}: {_metric(goal)} {words} "
               f"{plain(goal.target)} for {whom}, {goal.period} "
               f"({goal.period_start} to {goal.period_end})")


@goals.command("list")
@click.option("--metric", help="Only the goals of this metric.")
@click.option("--user", help="Only the goals of this user (id or email).")
@click.option("--team", help="Only the goals of this team (id or name).")
@click.option("--firm", is_flag=True, help="Only the firm's goals.")
@pass_state
def list_(state: CliState, metric: str | None, user: str | None, team: str | None,
          firm: bool) -> None:
    """Every goal with its actual value, attainment and pace today.

    Attainment is the actual value in percent of the target; ELAPSED the share of the
    period gone by. A goal keeps pace (on track) while its attainment keeps up with
    that share, for a metric that adds up (a count, an amount); a rate or an average is
    held against the whole target."""
    from ..services.assignment import find_team, find_user
    from ..services.goals import GoalFilters, list_goals

    kernel = state.kernel()
    filters = GoalFilters(metric=metric, scope="firm" if firm else None,
                          owner_id=find_user(kernel, user).id if user else None,
                          team_id=find_team(kernel, team).id if team else None)
    found = list_goals(kernel, actor=actor(), filters=filters)
    if not found:
        click.echo("no goals; set one with 'accord goals set'")
        return
    show_goals(kernel, found)


@goals.command("remove")
@click.argument("goal_id", type=click.IntRange(1, 2 ** 63 - 1))
@pass_state
def remove(state: CliState, goal_id: int) -> None:
    """Remove the goal GOAL_ID (its history stays in the audit trail)."""
    from .. import services

    services.delete(state.kernel(), "goal", goal_id, actor=actor())
    click.echo(f"removed goal {goal_id}")


def show_goals(kernel: Accord, found: list[Progress]) -> None:
    """The goals as a table, then what kept any from being computed."""
    from ..goals import plain
    from ..services.goals import scope_labels

    labels = scope_labels(kernel, [p.goal for p in found])
    rows = []
    for p in found:
        goal = p.goal
        target = plain(goal.target)
        rows.append([
            goal.id, _metric(goal), goal.period, labels[goal.id],
            f"at most {target}" if goal.direction == "at_most" else target,
            "-" if p.actual is None else p.actual,
            "-" if p.pace is None else f"{p.pace.attainment}%",
            "-" if p.pace is None else f"{p.pace.elapsed}%",
            p.state.replace("_", " ")])
    table(["ID", "METRIC", "PERIOD", "FOR", "TARGET", "ACTUAL", "ATTAINMENT", "ELAPSED",
           "PACE"], rows)
    for p in found:
        if p.problem:
            click.echo(f"goal {p.goal.id}: {p.problem}")
        if p.unconverted:
            click.echo(f"goal {p.goal.id}: left out of its actual, with no exchange rate: "
                       f"{' + '.join(str(m) for m in p.unconverted)}")


def _metric(goal: Goal) -> str:
    """The goal's metric, and its group for a broken-down one: ``x.by_city [Berlin]``."""
    return f"{goal.metric} [{goal.group_value}]" if goal.group_value else goal.metric


def report_goals(kernel: Accord, metric: str, query: MetricQuery) -> None:
    """After ``accord report METRIC``: the metric's goals whose period overlaps the
    report's, narrowed like it (``--owner``: that user's goals; ``--team``: that team's),
    with their attainment and pace today. Nothing when there are none."""
    from ..services.goals import GoalFilters, list_goals

    found = list_goals(kernel, actor=actor(), filters=GoalFilters(
        metric=metric, owner_id=query.owner_id, team_id=query.team_id, start=query.start,
        end=query.end))
    if not found:
        return
    click.echo("")
    click.echo(f"Goals of {metric} on {found[0].as_of}:")
    show_goals(kernel, found)
