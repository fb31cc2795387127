"""Background jobs: plugins declare them (``register_jobs``), ``run_job`` and
``accord jobs`` run them now and record each run, ``accord worker`` fires them on
their cron schedules through huey (tested by building the huey instance and executing
its periodic tasks, never by starting a consumer)."""

from __future__ import annotations

import datetime as dt
import logging
import re
import types
from pathlib import Path

import pytest

from accord import services
from accord.config import Config, load_config
from accord.errors import ConfigError, NotFound, PluginError
from accord.hooks import hookimpl
from accord.jobs import Job, build_huey, jobs_file, last_runs, list_jobs, run_job
from accord.models import Activity, JobRun
from accord.plugins import PluginManifest
from accord.services.plugins import disable, enable
from accord_sdk.pytest_plugin import CliRunner

UTC = dt.timezone.utc
DAY = dt.date(2024, 5, 1)
DOCS = Path(__file__).resolve().parents[2] / "docs"


def review(kernel, today):
    """Log one review activity per day: a second run for the same day adds nothing."""
    subject = f"Ledger review {today.isoformat()}"
    # run_job runs jobs bound to the kernel's database: models query it directly.
    if Activity.select().where(Activity.subject == subject).exists():
        return "0 reviews logged (already done)"
    services.create(kernel, "activity", {"kind": "task", "subject": subject},
                    actor=services.Actor.system("ledger.review"))
    return "1 review logged"


def locked(kernel, today):
    raise RuntimeError("the ledger is locked")


class Ledger:
    MANIFEST = PluginManifest(name="ledger", version="1.0")

    @hookimpl
    def register_jobs(self):
        return [Job("ledger.review", "Log the day's ledger review", "15 6 * * *", review),
                Job("ledger.locked", "Fails: the ledger is locked", "0 * * * 1-5", locked)]


class BadSchedule:
    MANIFEST = PluginManifest(name="bad", version="1.0")

    def __init__(self, schedule):
        self.schedule = schedule

    @hookimpl
    def register_jobs(self):
        return [Job("bad.nightly", "Never scheduled", self.schedule, review)]


@pytest.fixture
def ledger(make_kernel):
    return make_kernel(plugins=[Ledger()], enable=["ledger"])


def periodic(huey):
    """The names of a huey instance's periodic tasks (huey has no public listing)."""
    return sorted(type(task).__name__ for task in huey._registry.periodic_tasks)


def runs(kernel):
    with kernel.bound():
        return list(JobRun.select().order_by(JobRun.id))


def test_hook_register_jobs(ledger, actor):
    jobs = list_jobs(ledger)
    assert sorted(jobs) == ["core.goal_pace", "ledger.locked", "ledger.review"]
    plugin, job = jobs["ledger.review"]
    assert (plugin, job.description, job.schedule) == (
        "ledger", "Log the day's ledger review", "15 6 * * *")
    listed = CliRunner(ledger)("jobs", "list")
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines()[0].split() == [
        "NAME", "PLUGIN", "SCHEDULE", "LAST", "RUN", "STATUS", "SUMMARY"]
    assert re.search(r"^ledger\.review\s+ledger\s+15 6 \* \* \*\s+never\s+-$",
                     listed.output, re.MULTILINE)
    disable(ledger, "ledger", actor=actor)
    assert list(list_jobs(ledger)) == ["core.goal_pace"]  # the core's own job stays
    assert "ledger.review" not in CliRunner(ledger)("jobs", "list").output


def test_run_job_records_the_run_and_is_idempotent(ledger):
    before = dt.datetime.now(UTC)
    first = run_job(ledger, "ledger.review", DAY)
    assert (first.job, first.plugin, first.day, first.status, first.summary, first.error) == (
        "ledger.review", "ledger", DAY, "ok", "1 review logged", None)
    again = run_job(ledger, "ledger.review", DAY)
    assert again.summary == "0 reviews logged (already done)"

    stored = runs(ledger)
    assert [(r.job, r.day, r.status, r.summary) for r in stored] == [
        ("ledger.review", DAY, "ok", "1 review logged"),
        ("ledger.review", DAY, "ok", "0 reviews logged (already done)")]
    assert all(r.started_at.tzinfo == UTC and before <= r.started_at <= r.finished_at
               for r in stored)
    with ledger.bound():
        assert Activity.select().where(Activity.subject == "Ledger review 2024-05-01").count() == 1
    assert last_runs(ledger)["ledger.review"].id == stored[-1].id


def test_run_job_without_a_date_runs_for_today(ledger):
    assert run_job(ledger, "ledger.review").day == dt.date.today()


def test_jobs_run_and_list_through_the_cli(ledger):
    cli = CliRunner(ledger)
    result = cli("jobs", "run", "ledger.review", "--date", "2024-05-01")
    assert (result.exit_code, result.output) == (0, "ledger.review: 1 review logged\n")
    assert runs(ledger)[0].day == DAY
    line = next(li for li in cli("jobs", "list").output.splitlines()
                if li.startswith("ledger.review"))
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d \S+\s+ok\s+1 review logged$", line)
    bad_date = cli("jobs", "run", "ledger.review", "--date", "May 1st")
    assert bad_date.exit_code == 2 and "'May 1st' does not match the format" in bad_date.output


def test_a_failing_job_is_recorded_failed_and_the_cli_exits_1(ledger, caplog):
    with caplog.at_level(logging.ERROR, logger="accord.jobs"):
        run = run_job(ledger, "ledger.locked", DAY)
    assert (run.status, run.summary, run.error) == (
        "failed", None, "RuntimeError: the ledger is locked")
    assert [(r.status, r.error) for r in runs(ledger)] == [
        ("failed", "RuntimeError: the ledger is locked")]
    assert caplog.messages == ["job ledger.locked of plugin ledger failed for 2024-05-01: "
                               "RuntimeError: the ledger is locked"]
    assert caplog.records[0].exc_info  # a bug: its traceback goes to the log

    cli = CliRunner(ledger)
    result = cli("jobs", "run", "ledger.locked")
    assert result.exit_code == 1
    assert "Error: ledger.locked failed: RuntimeError: the ledger is locked" in result.output
    line = next(li for li in cli("jobs", "list").output.splitlines()
                if li.startswith("ledger.locked"))
    assert re.search(r"\s+failed\s+RuntimeError: the ledger is locked$", line)


def invalid_contact(kernel, today):
    services.create(kernel, "contact", {"first_name": "Nameless"},
                    actor=services.Actor.system("quirky.invalid"))
    return "never reached"


class Quirky:
    MANIFEST = PluginManifest(name="quirky", version="1.0")

    @hookimpl
    def register_jobs(self):
        return [Job("quirky.noop", "Returns nothing", "* * * * *", lambda k, d: None),
                Job("quirky.invalid", "Writes bad data", "* * * * *", invalid_contact)]


def test_a_job_must_return_its_summary(make_kernel):
    k = make_kernel(plugins=[Quirky()], enable=["quirky"])
    run = run_job(k, "quirky.noop", DAY)
    assert (run.status, run.error) == (
        "failed", "TypeError: returned None, not a one-line summary (str)")


def test_a_job_refused_by_a_service_is_recorded_with_the_message(make_kernel, caplog):
    k = make_kernel(plugins=[Quirky()], enable=["quirky"])
    with caplog.at_level(logging.ERROR, logger="accord.jobs"):
        run = run_job(k, "quirky.invalid", DAY)
    assert (run.status, run.error) == ("failed", "last_name: Missing data for required field.")
    assert not caplog.records[0].exc_info  # an expected error: the message, no traceback
    result = CliRunner(k)("jobs", "run", "quirky.invalid")
    assert result.exit_code == 1
    assert result.output.endswith(
        "Error: quirky.invalid failed: last_name: Missing data for required field.\n")
    assert "Traceback" not in result.output


def test_unknown_job_names_the_known_ones(ledger):
    with pytest.raises(NotFound) as exc:
        run_job(ledger, "ledger.nope")
    assert str(exc.value) == ("unknown job 'ledger.nope' (known: core.goal_pace, "
                              "ledger.locked, ledger.review)")
    result = CliRunner(ledger)("jobs", "run", "ledger.nope")
    assert result.exit_code == 1
    assert result.output == ("Error: unknown job 'ledger.nope' "
                             "(known: core.goal_pace, ledger.locked, ledger.review)\n")
    assert runs(ledger) == []


def test_a_disabled_plugins_jobs_are_not_listed_or_run(ledger, actor):
    disable(ledger, "ledger", actor=actor)
    with pytest.raises(NotFound) as exc:
        run_job(ledger, "ledger.review")
    assert str(exc.value) == ("job 'ledger.review' belongs to the ledger plugin, which is "
                              "disabled; 'accord plugins enable ledger' first")
    result = CliRunner(ledger)("jobs", "run", "ledger.review")
    assert result.exit_code == 1 and "'accord plugins enable ledger' first" in result.output
    assert runs(ledger) == []


# The worker ------------------------------------------------------------------------

def test_the_worker_has_one_periodic_task_per_job(ledger):
    from huey import SqliteHuey

    huey = build_huey(ledger)
    assert isinstance(huey, SqliteHuey)
    assert huey.utc is False  # schedules are read in local time, as cron reads them
    assert periodic(huey) == ["core.goal_pace", "ledger.locked", "ledger.review"]

    def due(*moment):
        return sorted(type(t).__name__ for t in huey.read_periodic(dt.datetime(*moment)))

    assert due(2024, 5, 1, 6, 15) == ["ledger.review"]  # a Wednesday
    assert due(2024, 5, 1, 9, 0) == ["ledger.locked"]
    assert due(2024, 5, 4, 9, 0) == []  # Saturday: the locked job runs Monday to Friday
    assert due(2024, 5, 1, 6, 16) == []

    # The consumer executes what the scheduler found due; so does this, synchronously.
    for task in huey.read_periodic(dt.datetime(2024, 5, 1, 6, 15)):
        huey.execute(task)
    assert [(r.job, r.day, r.status) for r in runs(ledger)] == [
        ("ledger.review", dt.date.today(), "ok")]


def test_accord_worker_lists_the_jobs_and_runs_the_consumer(make_kernel, monkeypatch,
                                                            request):
    from huey.consumer import Consumer

    started = []
    monkeypatch.setattr(Consumer, "run", lambda self: started.append(
        (self.workers, self.worker_type, sorted(type(t).__name__
                                                for t in self.huey._registry.periodic_tasks))))
    # The worker turns the run log on (accord.jobs at INFO); put it back afterwards.
    jobs_logger = logging.getLogger("accord.jobs")
    request.addfinalizer(lambda level=jobs_logger.level: jobs_logger.setLevel(level))
    k = make_kernel(plugins=[Ledger(), Quirky()], enable=["ledger"])
    result = CliRunner(k)("worker", "--workers", "3")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"accord worker: 5 job(s), queue in {jobs_file(k.config)}, 3 worker thread(s); "
        "Ctrl-C stops it",
        "  0 6 * * *       core.goal_pace",
        "  0 * * * 1-5     ledger.locked",
        "  15 6 * * *      ledger.review",
        "  * * * * *       quirky.invalid (skipped until its plugin runs)",
        "  * * * * *       quirky.noop (skipped until its plugin runs)"]
    assert started == [(3, "thread", ["core.goal_pace", "ledger.locked", "ledger.review",
                                      "quirky.invalid", "quirky.noop"])]
    assert CliRunner(k)("worker", "--workers", "0").exit_code == 2


def test_the_worker_skips_a_job_whose_plugin_was_disabled_since_it_started(make_kernel,
                                                                          actor):
    plugin = Ledger()
    worker = make_kernel(plugins=[plugin], enable=["ledger"])
    huey = build_huey(worker)
    # Another process (the admin's CLI, a web worker) toggles the plugin.
    admin = make_kernel(plugins=[plugin])
    disable(admin, "ledger", actor=actor)

    def fire():
        for task in huey.read_periodic(dt.datetime(2024, 5, 1, 6, 15)):
            huey.execute(task)

    fire()
    assert runs(worker) == []
    enable(admin, "ledger", actor=actor)
    fire()
    assert [r.job for r in runs(worker)] == ["ledger.review"]


def test_a_plugin_enabled_after_the_worker_started_runs_without_a_restart(make_kernel, actor):
    worker = make_kernel(plugins=[Ledger()])  # installed, not enabled
    huey = build_huey(worker)
    assert periodic(huey) == ["core.goal_pace", "ledger.locked", "ledger.review"]
    enable(worker, "ledger", actor=actor)
    for task in huey.read_periodic(dt.datetime(2024, 5, 1, 6, 15)):
        huey.execute(task)
    assert [r.job for r in runs(worker)] == ["ledger.review"]


def test_two_kernels_build_their_own_huey(ledger, make_kernel):
    other = make_kernel(plugins=[Ledger()], enable=["ledger"])
    first, second = build_huey(ledger), build_huey(other)
    assert first is not second and first._registry is not second._registry


@pytest.mark.parametrize(("schedule", "problem"), [
    ("61 6 * * *", "bad minute '61': 61 is not a valid input (0-59)"),
    ("0 6 * * mon", "bad weekday 'mon': use numbers, not names (0-6, Sunday is 0 or 7)"),
    ("0 6 * *", "expected five fields (minute hour day month weekday), got 4"),
    ("0 6 1,,2 * *", "bad day of month '1,,2': an empty item between commas"),
    ("0 6 * 0 *", "bad month '0': 0 is not a valid input (1-12)"),
])
def test_a_bad_schedule_is_refused_naming_the_job(make_kernel, schedule, problem):
    k = make_kernel(plugins=[BadSchedule(schedule)], enable=["bad"])
    message = f"job bad.nightly of plugin bad: schedule {schedule!r}: {problem}"
    with pytest.raises(PluginError) as exc:
        build_huey(k)
    assert (str(exc.value), exc.value.plugin, exc.value.hook) == (
        message, "bad", "register_jobs")
    result = CliRunner(k)("worker")
    assert (result.exit_code, result.output) == (1, f"Error: {message}\n")
    assert not jobs_file(k.config).exists()  # refused before the queue is made


def test_the_queue_file_sits_beside_a_sqlite_database():
    def path(url):
        return jobs_file(Config(database_url=url))

    assert path("sqlite:///accord.db") == Path("accord-jobs.db")
    assert path("sqlite:////srv/crm/data.sqlite3") == Path("/srv/crm/data-jobs.sqlite3")
    assert path("sqlite:///var/crm") == Path("var/crm-jobs.db")
    assert path("postgresql://accord@127.0.0.1:5432/accord") == Path("accord-jobs.db")


def test_redis_url_is_checked_like_every_key():
    assert load_config(environ={}).redis_url is None
    url = "redis://127.0.0.1:6379/2"
    assert load_config(environ={"ACCORD_REDIS_URL": url}).redis_url == url
    with pytest.raises(ConfigError) as exc:
        load_config(environ={"ACCORD_REDIS_URL": "http://127.0.0.1:6379"})
    assert str(exc.value) == ("ACCORD_REDIS_URL: redis_url: expected redis://host:6379/0, "
                              "rediss://… or unix:///path/to/socket")
    Path("accord.toml").write_text('redis_url = "127.0.0.1"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^accord.toml: redis_url: expected redis://"):
        load_config(environ={})


def test_redis_url_makes_a_redis_queue(make_kernel):
    k = make_kernel(plugins=[Ledger()], enable=["ledger"], redis_url="redis://127.0.0.1:6379/3")
    try:
        import redis  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match=r"^redis_url: the Redis queue needs the redis "):
            build_huey(k)
        return
    from huey import RedisHuey

    huey = build_huey(k)  # connects lazily: no Redis server is needed to build it
    assert isinstance(huey, RedisHuey)
    assert periodic(huey) == ["core.goal_pace", "ledger.locked", "ledger.review"]


def test_job_runs_table_comes_and_goes_with_its_migration(ledger):
    with ledger.bound():
        assert ledger.migrations.downgrade("core", 2)[-3:] == [
            "0005_move_plugin_grants_to_plugins", "0004_grant_metrics_to_managers",
            "0003_create_job_runs"]
    assert "accord_job_run" not in ledger.database.get_tables()
    result = CliRunner(ledger)("jobs", "list")
    assert result.exit_code == 1
    assert "the database has no job run table yet; run 'accord db upgrade'" in result.output
    with ledger.bound():
        assert ledger.migrations.upgrade("core")[:3] == ["0003_create_job_runs",
                                                         "0004_grant_metrics_to_managers",
                                                         "0005_move_plugin_grants_to_plugins"]
    assert run_job(ledger, "ledger.review", DAY).status == "ok"


def test_the_docs_example_runs(make_kernel, actor):
    """docs/jobs.md's example, run as the plugin it shows."""
    source = re.search(r"```python\n(.*?)```", (DOCS / "jobs.md").read_text("utf-8"), re.S)[1]
    hooks = types.ModuleType("acme_followups_hooks")
    exec(compile(source, "docs/jobs.md", "exec"), hooks.__dict__)
    hooks.MANIFEST = PluginManifest(name="acme_followups", version="1.0")
    k = make_kernel(plugins=[hooks], enable=["acme_followups"])
    maria = services.create(k, "user", {"email": "maria@example.com", "name": "Maria",
                                        "role": "sales"}, actor=actor)
    quiet, called, _ = services.bulk_create(k, "organization", [
        {"name": "Quiet", "relationship": "customer", "owner_id": maria.id},
        {"name": "Called", "relationship": "customer"},
        {"name": "Prospect", "relationship": "prospect"}], actor=actor)
    services.create(k, "activity", {"kind": "call", "subject": "Catch-up",
                                    "organization_id": called}, actor=actor)

    first = run_job(k, "acme_followups.follow_ups")
    assert (first.status, first.summary) == ("ok", "1 follow-up tasks booked")
    with k.bound():
        task = Activity.get(Activity.subject == "Follow up: no contact in 60 days")
    assert (task.organization_id, task.owner_id, task.kind) == (quiet, maria.id, "task")
    assert run_job(k, "acme_followups.follow_ups").summary == "0 follow-up tasks booked"
    # Two months on, the call is old news, but Quiet's open task still counts as contact.
    later = dt.date.today() + dt.timedelta(days=61)
    assert run_job(k, "acme_followups.follow_ups", later).summary == "1 follow-up tasks booked"
    with k.bound():
        booked = Activity.select().where(Activity.subject == "Follow up: no contact in 60 days")
        assert sorted(a.organization_id for a in booked) == sorted([quiet, called])
