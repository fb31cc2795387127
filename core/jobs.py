"""Background jobs: declared by plugins through ``register_jobs``, run on huey.

A job does the work of one day (mark overdue invoices, close stale leads) and says
what it did in one line. ``run_job`` runs one now and records the run in
``accord_job_run``; ``accord worker`` runs the huey consumer that fires every job on
its cron schedule. The queue is a SQLite file beside the database, or Redis when
``redis_url`` is set. Nothing here is global: each call builds its own huey instance.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable
from urllib.parse import urlparse

import peewee

from .errors import AccordError, ConfigError, NotFound, PluginError
from .models import JobRun, utcnow

if TYPE_CHECKING:
    from .config import Config
    from .kernel import Accord

__all__ = ["Job", "JobRun", "list_jobs", "run_job", "last_runs", "installed_jobs",
           "parse_schedule", "jobs_file", "build_huey", "QUEUE_NAME"]

logger = logging.getLogger(__name__)

#: The huey queue's name (the key prefix in Redis).
QUEUE_NAME = "accord"
#: The five fields of ``Job.schedule``, named as huey's ``crontab`` names them.
CRON_FIELDS = ("minute", "hour", "day", "month", "day_of_week")
_FIELD_WORDS = {"minute": "minute", "hour": "hour", "day": "day of month",
                "month": "month", "day_of_week": "weekday"}
_RANGES = {"minute": "0-59", "hour": "0-23", "day": "1-31", "month": "1-12",
           "day_of_week": "0-6, Sunday is 0 or 7"}


@dataclass(frozen=True)
class Job:
    """A periodic job a plugin declares: a name (``<plugin>.<job>``), what it does,
    when it runs (cron: ``"minute hour day month weekday"``) and the work itself.

    ``run(kernel, today)`` does the work for the day ``today`` through
    ``accord.services`` and returns a one-line summary ("3 invoices marked overdue").
    It must be idempotent: running it twice for the same day changes nothing more.
    """

    name: str
    description: str
    schedule: str
    run: Callable[[Accord, dt.date], str]


def list_jobs(kernel: Accord) -> dict[str, tuple[str, Job]]:
    """The jobs of the enabled plugins: name -> (plugin, job)."""
    kernel.sync()
    return _collect(kernel)


def _collect(kernel: Accord, only: Iterable[str] | None = None) -> dict[str, tuple[str, Job]]:
    out: dict[str, tuple[str, Job]] = {}
    for plugin, job in kernel.plugins.collect("register_jobs", only=only):
        if job.name in out:
            logger.warning("job %s of %s ignored: %s declared it first", job.name, plugin,
                           out[job.name][0])
            continue
        out[job.name] = (plugin, job)
    return out


def installed_jobs(kernel: Accord) -> dict[str, tuple[str, Job]]:
    """The jobs of every plugin that loaded, enabled or not: the worker schedules them
    all and checks at fire time whether the plugin runs, so a toggle needs no restart."""
    loaded = [n for n, p in kernel.plugins.plugins.items() if p.module is not None
              and not p.failed]
    return _collect(kernel, only=["core", *loaded])


def run_job(kernel: Accord, name: str, today: dt.date | None = None) -> JobRun:
    """Run a job of an enabled plugin now, for ``today`` (default: the local date), and
    record the run. A job that raises is logged and recorded as failed: the failed
    run is returned, nothing is raised. An unknown job is NotFound."""
    from .services.jobs import record_run

    jobs = list_jobs(kernel)
    if name not in jobs:
        raise NotFound(_unknown(kernel, name, jobs))
    _require_table(kernel)
    plugin, job = jobs[name]
    day = today or dt.date.today()
    started = utcnow()
    try:
        with kernel.bound():
            result: Any = job.run(kernel, day)
        if not isinstance(result, str):
            raise TypeError(f"returned {result!r}, not a one-line summary (str)")
    except Exception as exc:  # the worker boundary: a job's bug must not stop the worker
        # An AccordError's message says it all; anything else is a bug: keep its traceback.
        logger.error("job %s of plugin %s failed for %s: %s", name, plugin, day,
                     _message(exc), exc_info=not isinstance(exc, AccordError))
        return record_run(kernel, job=name, plugin=plugin, day=day, started_at=started,
                          finished_at=utcnow(), status="failed", error=_message(exc))
    logger.info("job %s of plugin %s for %s: %s", name, plugin, day, result)
    return record_run(kernel, job=name, plugin=plugin, day=day, started_at=started,
                      finished_at=utcnow(), status="ok", summary=result)


def _unknown(kernel: Accord, name: str, jobs: dict[str, tuple[str, Job]]) -> str:
    installed = installed_jobs(kernel)
    stopped = kernel.plugins.stopped(installed[name][0]) if name in installed else None
    if stopped is not None:
        # Jobs are run by hand from the CLI ('accord jobs run'): its terms.
        return (f"job {name!r} belongs to the {stopped.name} plugin, which {stopped.state}; "
                f"{stopped.cli_fix()}")
    return f"unknown job {name!r} (known: {', '.join(sorted(jobs)) or 'none'})"


def _message(exc: Exception) -> str:
    if isinstance(exc, AccordError):
        return str(exc)
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _require_table(kernel: Accord) -> None:
    assert kernel.database is not None, "start() the kernel first"
    if not kernel.database.table_exists(JobRun._meta.table_name):
        raise ConfigError("the database has no job run table yet; run 'accord db upgrade'")


def last_runs(kernel: Accord) -> dict[str, JobRun]:
    """The latest recorded run of every job that has run: name -> JobRun."""
    _require_table(kernel)
    with kernel.bound():
        latest = JobRun.select(peewee.fn.MAX(JobRun.id)).group_by(JobRun.job)
        return {run.job: run for run in JobRun.select().where(JobRun.id.in_(latest))}


# The worker ------------------------------------------------------------------------

def parse_schedule(plugin: str, job: Job) -> Callable[[dt.datetime], bool]:
    """The huey ``crontab`` of a job's schedule; a bad one is a PluginError naming the
    job and the field."""
    from huey import crontab

    fields = job.schedule.split()
    where = f"job {job.name} of plugin {plugin}: schedule {job.schedule!r}"
    if len(fields) != len(CRON_FIELDS):
        raise PluginError(f"{where}: expected five fields (minute hour day month weekday), "
                          f"got {len(fields)}", plugin=plugin, hook="register_jobs")
    # Each field on its own first, so the message can say which one is wrong.
    for field, value in zip(CRON_FIELDS, fields):
        try:
            crontab(**{field: value}, strict=True)
        except ValueError as exc:
            raise PluginError(f"{where}: bad {_FIELD_WORDS[field]} {value!r}: "
                              f"{_cron_problem(field, value, exc)}",
                              plugin=plugin, hook="register_jobs") from None
    check: Callable[[dt.datetime], bool] = crontab(**dict(zip(CRON_FIELDS, fields)),
                                                   strict=True)
    return check


def _cron_problem(field: str, value: str, exc: ValueError) -> str:
    if "" in value.split(","):
        return "an empty item between commas"
    if any(c.isalpha() for c in value):
        return f"use numbers, not names ({_RANGES[field]})"
    return f"{exc} ({_RANGES[field]})"


def jobs_file(config: Config) -> Path:
    """The SQLite file of the queue: beside a SQLite database (``accord.db`` ->
    ``accord-jobs.db``), else ``accord-jobs.db`` in the working folder."""
    parsed = urlparse(config.database_url)
    if parsed.scheme == "sqlite" and parsed.path not in ("", "/", "/:memory:"):
        # sqlite:///accord.db names accord.db (relative); sqlite:////srv/crm.db, /srv/crm.db.
        database = Path(parsed.path[1:])
        return database.with_name(f"{database.stem}-jobs{database.suffix or '.db'}")
    return Path("accord-jobs.db")


def build_huey(kernel: Accord) -> Any:
    """A huey instance with one periodic task per job of the installed plugins.

    The queue is ``RedisHuey`` when ``redis_url`` is set, else ``SqliteHuey`` in
    ``jobs_file``. Schedules are read in the worker's local time (as cron does). Each
    task re-reads the plugin states when it fires and skips a job whose plugin is not
    running. A bad schedule is a PluginError, raised before anything is created.
    """
    kernel.sync()
    _require_table(kernel)
    jobs = installed_jobs(kernel)
    schedules = {name: parse_schedule(plugin, job) for name, (plugin, job) in jobs.items()}
    huey = _queue(kernel.config)
    for name in sorted(jobs):
        huey.periodic_task(schedules[name], name=name)(_task(kernel, name, jobs[name][0]))
    from .services.importing_jobs import register_import_task

    register_import_task(kernel, huey)  # uploads over the API run as import jobs
    return huey


def _queue(config: Config) -> Any:
    from huey import RedisHuey, SqliteHuey

    # Results are not kept by huey: runs are recorded in accord_job_run.
    options: dict[str, Any] = {"results": False, "utc": False}
    if config.redis_url:
        if importlib.util.find_spec("redis") is None:
            raise ConfigError("redis_url: the Redis queue needs the redis package; "
                              "pip install redis")
        return RedisHuey(QUEUE_NAME, url=config.redis_url, **options)
    return SqliteHuey(QUEUE_NAME, filename=str(jobs_file(config)), **options)


def _task(kernel: Accord, name: str, plugin: str) -> Callable[[], str | None]:
    def fire() -> str | None:
        # Plugins toggle without a restart: list_jobs syncs with the database, so a job
        # whose plugin was disabled since the worker started is no longer among them.
        try:
            if name not in list_jobs(kernel):
                logger.info("job %s skipped: the %s plugin is not running", name, plugin)
                return None
            return run_job(kernel, name).status
        finally:
            # The consumer's threads live long: a connection that died (the database
            # restarted) goes back to the pool, which replaces it at the next run.
            kernel.release_connection()

    fire.__doc__ = f"Run the job {name} of the {plugin} plugin."
    return fire
