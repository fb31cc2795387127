"""``accord worker`` and ``accord jobs``: the periodic jobs plugins declare."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import TYPE_CHECKING

import click

from ._context import CliState, pass_state, table

if TYPE_CHECKING:
    from ..kernel import Accord


@click.command()
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Threads running jobs side by side.")
@pass_state
def worker(state: CliState, workers: int) -> None:
    """Run every job on its schedule until stopped.

    Schedules are read in this machine's local time. The queue is a SQLite file beside
    the database, or Redis when redis_url (ACCORD_REDIS_URL) is set. Run one worker
    per installation; plugins enabled or disabled later are picked up without a restart.
    SIGTERM (systemd, docker stop) stops it once the running jobs finish; Ctrl-C stops
    it at once. It also delivers the outbox to the webhook subscriptions.
    """
    from ..jobs import build_huey, installed_jobs, jobs_file

    kernel = state.kernel()
    huey = build_huey(kernel)
    jobs = installed_jobs(kernel)
    _show_logs(kernel.config.log_level)
    where = "Redis" if kernel.config.redis_url else str(jobs_file(kernel.config))
    click.echo(f"accord worker: {len(jobs)} job(s), queue in {where}, "
               f"{workers} worker thread(s); Ctrl-C stops it")
    for name, (plugin, job) in sorted(jobs.items()):
        idle = "" if plugin in kernel.plugins.active else " (skipped until its plugin runs)"
        click.echo(f"  {job.schedule:<15} {name}{idle}")
    # SIGTERM is what service managers send: let the running jobs finish. A job cut
    # short by Ctrl-C is idempotent, so its next firing does what was left.
    consumer = huey.create_consumer(workers=workers, worker_type="thread",
                                    graceful_signal="TERM")
    stop, thread = _deliver_webhooks(kernel)
    try:
        consumer.run()
    finally:
        stop.set()
        thread.join(30)  # a post in progress ends within its timeout


def _deliver_webhooks(kernel: Accord) -> tuple[threading.Event, threading.Thread]:
    """Deliver the outbox to webhook subscriptions in a thread beside the jobs (a pass
    every second when idle) until the returned event is set. Deliveries are claimed
    with a lease, so several workers, or one killed and started again, lose none."""
    from ..services.webhooks_delivery import run_deliveries

    stop = threading.Event()
    thread = threading.Thread(target=run_deliveries, args=(kernel, stop),
                              name="accord-webhooks", daemon=True)
    thread.start()
    return stop, thread


def _show_logs(level: str) -> None:
    """The worker's output is its log: each run is logged by accord.jobs at INFO."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        level=level)
    jobs_logger = logging.getLogger("accord.jobs")
    jobs_logger.setLevel(min(jobs_logger.getEffectiveLevel(), logging.INFO))


@click.group()
def jobs() -> None:
    """List the jobs of the enabled plugins and run one now."""


@jobs.command("list")
@pass_state
def list_(state: CliState) -> None:
    """List the jobs with their schedule and their last run."""
    from ..jobs import last_runs, list_jobs

    kernel = state.kernel()
    found = list_jobs(kernel)
    runs = last_runs(kernel)
    rows = []
    for name, (plugin, job) in sorted(found.items()):
        run = runs.get(name)
        if run is None:
            rows.append([name, plugin, job.schedule, "never", "-", ""])
            continue
        text = (run.summary if run.status == "ok" else run.error) or ""
        lines = text.splitlines()
        rows.append([name, plugin, job.schedule, _local(run.started_at), run.status,
                     lines[0] if lines else ""])
    table(["NAME", "PLUGIN", "SCHEDULE", "LAST RUN", "STATUS", "SUMMARY"], rows)


def _check_day(ctx: click.Context, param: click.Parameter,
               value: dt.datetime | None) -> dt.datetime | None:
    """The days a job may be run for are those of every record (accord.dates)."""
    from ..dates import FIRST_DAY, LAST_DAY

    if value is not None and not FIRST_DAY <= value.date() <= LAST_DAY:
        raise click.BadParameter(f"give a day from {FIRST_DAY} to {LAST_DAY}, "
                                 f"not {value.year:04d}-{value.month:02d}-{value.day:02d}")
    return value


@jobs.command("run")
@click.argument("name")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), callback=_check_day,
              help="The day to run the job for (default: today).")
@pass_state
def run(state: CliState, name: str, day: dt.datetime | None) -> None:
    """Run job NAME now and print its summary; exit 1 when it fails."""
    from ..jobs import run_job

    result = run_job(state.kernel(), name, day.date() if day else None)
    if result.status != "ok":
        raise click.ClickException(f"{name} failed: {result.error}")
    click.echo(f"{name}: {result.summary}")


def _local(moment: dt.datetime) -> str:
    """A recorded (UTC) time on the clock schedules are read in: the local one."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M %Z")
