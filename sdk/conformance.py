"""The conformance kit: ``accord plugin check NAME``, and ``run_checks`` for a plugin's
own pytest run.

The kit loads the plugin into a throwaway kernel (a new SQLite file, and the
PostgreSQL database of ``ACCORD_TEST_DATABASE_URL`` when it is set: its ``public``
schema is emptied) and checks, in this order:

- ``manifest``: complete (a description), versions valid (PEP 440), ``core_api`` a
  range holding this core's API;
- ``hooks``: every hook implementation names a hook specification (the core's or a
  required plugin's) and takes only the arguments it gives; nothing else refused at load;
- ``permissions``: every record type, action, API route and navigation entry needs a
  declared permission that a built-in role other than admin holds;
- ``settings``: the plugin starts without settings and refuses an unknown one;
- ``imports``: its modules import only the public API (``accord.public``) and, of the
  plugins it requires, what they declare for others;
- per engine, ``lifecycle``: enable, one record per record type made through the
  services, disable (rows untouched, API and pages answer 404), enable (rows back);
  ``openapi``: its operations exercised from the OpenAPI document (no 5xx, answers as
  documented; needs schemathesis); ``migrations``: down to nothing (its tables gone) and
  up again, ``accord db check`` clean;
- ``tests`` (``--run-tests``): the plugin's own ``tests`` folder passes under pytest.

Each finding is one line: ``CHECK: ok``, ``CHECK: FAILED: what to fix`` or
``CHECK: warning: what the kit could not prove``. Any failure exits 1.

In a plugin's tests::

    from accord_sdk.conformance import assert_conforms

    def test_the_plugin_passes_the_kit(database_url):
        assert_conforms("acme_dental", database_urls=[database_url])
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence, cast

import click

from .conformance_checks import (Finding, Subject, check_deprecations, check_hooks,
                                 check_imports,
                                 check_manifest_versions, check_permissions, check_settings,
                                 failed, migration_load_error, plugin_files, plugin_tables,
                                 seed_records, warning)

if TYPE_CHECKING:
    from accord.models import User

__all__ = ["CHECKS", "Line", "Report", "run_checks", "assert_conforms", "check_command"]

#: The checks, in the order they run (the names ``--skip`` takes).
CHECKS = ("manifest", "hooks", "permissions", "settings", "imports", "deprecations",
          "lifecycle", "openapi", "migrations", "tests")
_ACTOR_LABEL = "accord plugin check"
_PASSWORD = "conformance kit password"


@dataclass(frozen=True)
class Line:
    """One line of the report: ``status`` is ok, failed, warning or skipped."""

    check: str
    status: str
    message: str = ""

    def __str__(self) -> str:
        if self.status == "ok":
            return f"{self.check}: ok"
        label = "FAILED" if self.status == "failed" else self.status
        return f"{self.check}: {label}: {self.message}"


@dataclass
class Report:
    """What the kit found about one plugin."""

    plugin: str
    lines: list[Line] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(line.status == "failed" for line in self.lines)

    @property
    def failures(self) -> list[str]:
        return [str(line) for line in self.lines if line.status == "failed"]

    @property
    def warnings(self) -> list[str]:
        return [str(line) for line in self.lines if line.status == "warning"]

    def text(self) -> str:
        return "\n".join(str(line) for line in self.lines)

    def add(self, check: str, findings: Iterable[Finding]) -> None:
        findings = list(findings)
        if not any(f.status == "failed" for f in findings):
            self.lines.append(Line(check, "ok"))
        self.lines += [Line(check, f.status, f.message) for f in findings]

    def skip(self, check: str, why: str) -> None:
        self.lines.append(Line(check, "skipped", why))


def run_checks(plugin: Any, *, plugins: Sequence[Any] = (), plugins_dir: str | None = None,
               discover: bool = True, database_urls: Sequence[str] | None = None,
               skip: Iterable[str] = (), fast: bool = False,
               run_tests: bool = False) -> Report:
    """Check ``plugin`` (an installed or local plugin's name, or its hooks module) and
    return the report. ``plugins``: more plugins given in code (the ones it requires
    when they are not installed); ``plugins_dir`` / ``discover``: where the kernel finds
    plugins, as in accord.toml; ``database_urls``: the engines (default: a new SQLite
    file, and ACCORD_TEST_DATABASE_URL's database when set, emptied first; ``fast``:
    SQLite only and a smaller OpenAPI run)."""
    unknown = sorted(set(skip) - set(CHECKS))
    if unknown:
        raise ValueError(f"unknown checks {', '.join(unknown)}; the checks are "
                         f"{', '.join(CHECKS)}")
    skipped = set(skip)
    code = list(plugins)
    if not isinstance(plugin, str):
        code.insert(0, plugin)
        manifest = getattr(plugin, "MANIFEST", None) or getattr(
            sys.modules.get(plugin.__name__.rsplit(".", 1)[0]), "MANIFEST", None)
        name = manifest.name if manifest is not None else plugin.__name__
    else:
        name = plugin
    report = Report(name)
    with tempfile.TemporaryDirectory(prefix="accord-check-") as work:
        urls = list(database_urls) if database_urls is not None else _default_urls(work, fast)
        for index, url in enumerate(urls):
            engine = "postgresql" if url.startswith("postgres") else "sqlite"
            suffix = f" ({engine})" if len(urls) > 1 else ""
            with _kernel(url, code, plugins_dir, discover) as kernel:
                if name not in kernel.plugins.plugins:
                    known = ", ".join(sorted(kernel.plugins.plugins)) or "none"
                    raise click.ClickException(f"no plugin named {name!r} is installed or in "
                                               f"the plugins folder (found: {known})")
                subject = _subject(kernel, name)
                if index == 0:
                    _static_checks(report, subject, skipped)
                if subject.plugin.failed:
                    for check in ("lifecycle", "openapi", "migrations"):
                        refused = migration_load_error(subject) if check == "migrations" else []
                        if check in skipped:
                            continue
                        if refused:
                            report.add(check + suffix, refused)
                        else:
                            report.skip(check + suffix, "the plugin did not load")
                    continue
                _engine_checks(report, subject, skipped, suffix, fast)
        if run_tests and "tests" not in skipped:
            report.add("tests", _own_tests(subject))
    return report


def assert_conforms(plugin: Any, **options: Any) -> Report:
    """``run_checks`` in a test: raise AssertionError listing the failures (and the
    whole report) when any check failed; else return the report."""
    report = run_checks(plugin, **options)
    if report.failed:
        raise AssertionError(f"{report.plugin} fails the conformance kit:\n" +
                             "\n".join(report.failures) + "\n\nreport:\n" + report.text())
    return report


def _default_urls(work: str, fast: bool) -> list[str]:
    urls = [f"sqlite:///{Path(work) / 'check.db'}"]
    postgres = os.environ.get("ACCORD_TEST_DATABASE_URL")
    if postgres and not fast:
        urls.append(postgres)  # emptied by _kernel
    return urls


@contextlib.contextmanager
def _kernel(url: str, code: list[Any], plugins_dir: str | None,
            discover: bool) -> Iterator[Any]:
    from accord.config import Config
    from accord.kernel import Accord

    if url.startswith("postgres"):
        from .databases import reset_postgres

        reset_postgres(url)
    kernel = Accord(Config(database_url=url, plugins_dir=plugins_dir, discover_plugins=discover,
                           secret_key="accord plugin check"),
                    plugins=code)
    kernel.start(upgrade=True)
    try:
        yield kernel
    finally:
        kernel.close()


def _subject(kernel: Any, name: str) -> Subject:
    subject = Subject(kernel, name)
    plugin = subject.plugin
    module = plugin.module
    if module is None and plugin.loader is not None:
        with contextlib.suppress(Exception):  # a plugin that cannot be imported at all
            module = plugin.loader()
    if module is not None:
        subject.root, subject.files = plugin_files(module)
    subject.module = module
    return subject


def _static_checks(report: Report, subject: Subject, skipped: set[str]) -> None:
    from accord.plugins.manifest import CORE_API_VERSION

    plugin = subject.plugin
    module = subject.module
    if "manifest" not in skipped:
        report.add("manifest", check_manifest_versions(plugin, CORE_API_VERSION))
    if "hooks" not in skipped:
        if module is None:
            report.add("hooks", [failed(f"{subject.name}: {plugin.error}")])
        else:
            report.add("hooks", check_hooks(subject, module))
    if "permissions" not in skipped:
        if plugin.failed and plugin.failed_hook not in ("register_actions",
                                                        "register_api_routes"):
            report.skip("permissions", "the plugin did not load")
        else:
            report.add("permissions", _enabled(subject, check_permissions))
    if "settings" not in skipped:
        if plugin.failed:
            report.skip("settings", "the plugin did not load")
        else:
            report.add("settings", check_settings(subject))
    if "imports" not in skipped:
        if module is None:
            report.skip("imports", "the plugin cannot be imported")
        else:
            report.add("imports", check_imports(subject, module.__name__.split(".")[0]))
    if "deprecations" not in skipped:
        if module is None:
            report.skip("deprecations", "the plugin cannot be imported")
        else:
            report.add("deprecations",
                       check_deprecations(subject, module.__name__.split(".")[0]))


def _enabled(subject: Subject, check: Any) -> list[Finding]:
    """Run ``check`` with the plugin enabled (its grants and entries in force)."""
    if subject.plugin.failed:
        return list(check(subject))
    problem = _enable(subject)
    return [problem] if problem else list(check(subject))


def _enable(subject: Subject) -> Finding | None:
    from accord.errors import AccordError
    from accord.services import Actor
    from accord.services.plugins import enable

    if subject.name in subject.kernel.plugins.active:
        return None
    try:
        enable(subject.kernel, subject.name, actor=Actor.system(_ACTOR_LABEL), with_deps=True)
    except AccordError as exc:
        return failed(f"enabling {subject.name} failed: {exc}")
    return None


def _engine_checks(report: Report, subject: Subject, skipped: set[str], suffix: str,
                   fast: bool) -> None:
    problem = _enable(subject)
    if problem is not None:
        for check in ("lifecycle", "openapi", "migrations"):
            if check not in skipped:
                report.add(check + suffix, [problem])
        return
    kernel = subject.kernel
    web = _Web(kernel)
    made: dict[str, int] = {}
    if "lifecycle" not in skipped:
        findings, made = _round_trip(subject, web)
        report.add("lifecycle" + suffix, findings)
    if "openapi" not in skipped:
        report.add("openapi" + suffix, _openapi(subject, web, made, fast))
    if "migrations" not in skipped:
        report.add("migrations" + suffix, _migrations(subject))


class _Web:
    """An admin's API client and logged-in page client on the kernel's app."""

    def __init__(self, kernel: Any) -> None:
        from accord import services
        from accord.services import Actor
        from accord.services.passwords import set_password
        from accord.services.tokens import create_token
        from accord.web import create_app

        system = Actor.system(_ACTOR_LABEL)
        self.app = create_app(kernel, TESTING=True, SECRET_KEY="accord plugin check")
        from accord.models import User as Users

        with kernel.bound():  # a second run on the same database finds it there
            known = Users.get_or_none(Users.email == "kit@check.example.com")
        self.user: User = known if known is not None else cast("User", services.create(
            kernel, "user", {"email": "kit@check.example.com", "name": "Kit", "role": "admin"},
            actor=system))
        with kernel.bound():
            _, self.token = create_token(kernel, self.user, name="kit", actor=system)
        set_password(kernel, self.user, _PASSWORD, actor=system)
        self.client = self.app.test_client()
        self.pages = self.app.test_client()
        login = self.pages.get("/login").get_data(as_text=True)
        token = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        self.pages.post("/login", data={"email": self.user.email, "password": _PASSWORD,
                                        "csrf_token": token})

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers={"Authorization": f"Bearer {self.token}"},
                               **kwargs)


def _counts(kernel: Any, models: list[Any]) -> dict[str, int]:
    with kernel.bound():
        return {m._meta.table_name: m.select().count() for m in models}


def _round_trip(subject: Subject, web: _Web) -> tuple[list[Finding], dict[str, int]]:
    from accord.services import Actor
    from accord.services.plugins import disable, enable

    from .conformance_checks import _own

    kernel, name = subject.kernel, subject.name
    actor = Actor.system(_ACTOR_LABEL)
    made, out = seed_records(kernel, name, actor)
    models = plugin_tables(kernel, name)
    types = {t.name: t for t in _own(kernel, name, "register_record_types")}
    api = [f"/api/v1/{t.path}" for t in types.values()]
    api += [f"/api/v1{r.path}" for r in _own(kernel, name, "register_api_routes")
            if r.method == "GET" and "<" not in r.path and r.args is None]
    pages = [entry.url for entries in (kernel.plugins.call_one(
        name, "navigation_entries", kernel=kernel, actor=actor)
        if name in kernel.plugins.implementations("navigation_entries") else [])
        for entry in entries or () if entry.url.startswith(f"/{name}/")]
    before = _counts(kernel, models)
    for path in api:
        status = web.get(path).status_code
        if status != 200:
            out.append(failed(f"GET {path} answers {status} while {name} is enabled; it "
                              "should answer 200 to an admin"))
    disable(kernel, name, actor=actor)
    after = _counts(kernel, models)
    if after != before:
        changed = sorted(t for t in before if before[t] != after.get(t))
        out.append(failed(f"disabling {name} changed the rows of {', '.join(changed)}; "
                          "disabling must leave the data untouched (purge removes it)"))
    for path in api:
        status = web.get(path).status_code
        if status != 404:
            out.append(failed(f"GET {path} answers {status} with {name} disabled; a disabled "
                              "plugin's API must answer 404 (declare routes through "
                              "register_api_routes, not a blueprint of your own)"))
    for url in pages:
        status = web.pages.get(url).status_code
        if status != 404:
            out.append(failed(f"page {url} answers {status} with {name} disabled; it must "
                              "answer 404 (register pages through register_pages)"))
    enable(kernel, name, actor=actor)
    again = _counts(kernel, models)
    if again != before:
        out.append(failed(f"enabling {name} again did not bring its rows back as they were: "
                          f"{before} before, {again} after"))
    for type_name, record_id in made.items():
        path = f"/api/v1/{types[type_name].path}/{record_id}"
        status = web.get(path).status_code
        if status != 200:
            out.append(failed(f"GET {path} answers {status} after enabling {name} again; "
                              "the record made before disabling should be back"))
    return out, made


def _openapi(subject: Subject, web: _Web, made: dict[str, int],
             fast: bool) -> list[Finding]:
    from .conformance_checks import _own

    try:
        from .openapi_check import exercise_operations
        import schemathesis  # noqa: F401
    except ImportError:
        return [warning("schemathesis is not installed (pip install accord-crm[dev]); the "
                        "plugin's operations were not exercised")]
    kernel, name = subject.kernel, subject.name
    types = {t.name: t for t in _own(kernel, name, "register_record_types")}
    targets = {f"/api/v1/{types[n].path}": i for n, i in made.items() if n in types}
    client = _Client(web)
    run = exercise_operations(client, f"/api/v1/{name}", targets,
                              max_examples=1 if fast else 2, budget=8.0 if fast else 20.0)
    out = [failed(f"openapi: {failure}") for failure in run.failures
           if not failure.startswith("the document: ") or f"/{name}/" in failure]
    if not run.operations and types:
        out.append(failed(f"the OpenAPI document has no operation under /api/v1/{name}"))
    if run.cut_short:
        out.append(warning(f"the time budget cut {len(run.cut_short)} operation runs short"))
    return out


@dataclass
class _Client:
    """What ``exercise_operations`` needs of an API client."""

    web: _Web

    @property
    def client(self) -> Any:
        return self.web.client

    @property
    def token(self) -> str:
        return str(self.web.token)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.web.get(path, **kwargs)


def _migrations(subject: Subject) -> list[Finding]:
    from click.testing import CliRunner

    from accord.cli.db import check as db_check
    from accord.cli._context import CliState
    from accord.errors import AccordError
    from accord.services import Actor
    from accord.services.plugins import disable, enable

    kernel, name = subject.kernel, subject.name
    out = migration_load_error(subject)
    if out:
        return out
    models = plugin_tables(kernel, name)
    folder = subject.plugin.migrations_folder
    if folder is None:
        if models:
            return [failed(f"{name} has tables ({', '.join(m._meta.table_name for m in models)}) "
                           "but no migrations folder; write migrations/0001_create_tables.py "
                           "(accord plugin migration)")]
        return []
    actor = Actor.system(_ACTOR_LABEL)
    disable(kernel, name, actor=actor, cascade=True)
    try:
        with kernel.bound():
            kernel.migrations.downgrade(name, 0)
            left = [m._meta.table_name for m in models if m.table_exists()]
        if left:
            out.append(failed(f"migrations: after every down() the tables {', '.join(left)} "
                              "remain; down() must drop what up() creates"))
        with kernel.bound():
            kernel.migrations.upgrade(name)
    except AccordError as exc:
        return [failed(f"migrations of {name}: {exc}")]
    enable(kernel, name, actor=actor)
    # With the root command's context settings: click keeps the help option a command
    # is first run with, and `accord db check --help` must read as it does for a user.
    from accord.cli import cli

    result = CliRunner().invoke(db_check, [], obj=CliState(_kernel=kernel),
                                **cli.context_settings)
    if result.exit_code != 0:
        drift = " ".join(line.strip() for line in result.output.splitlines()[1:])
        out.append(failed(f"after up, down and up again the tables differ from the models: "
                          f"{drift}; write the migration these changes need "
                          "(accord plugin migration)"))
    return out


def _own_tests(subject: Subject) -> list[Finding]:
    root = subject.root
    folder = root.parent / "tests" if root is not None else None
    if folder is None or not folder.is_dir():
        folder = root / "tests" if root is not None else None
    if folder is None or not folder.is_dir():
        return [warning(f"{subject.name} has no tests folder")]
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(folder)], capture_output=True, text=True, cwd=folder.parent,
                            check=False)
    if result.returncode != 0:
        tail = [line for line in result.stdout.splitlines() if line.strip()][-1:]
        return [failed(f"its tests in {folder} fail ({' '.join(tail)}); run pytest there")]
    return []


@click.command("check")
@click.argument("name")
@click.option("--skip", "skip", multiple=True, type=click.Choice(CHECKS),
              help="Leave out a check (repeatable).")
@click.option("--fast", is_flag=True, help="SQLite only, and a smaller OpenAPI run.")
@click.option("--run-tests", is_flag=True, help="Also run the plugin's own tests folder.")
@click.pass_context
def check_command(ctx: click.Context, name: str, skip: tuple[str, ...], fast: bool,
                  run_tests: bool) -> None:
    """Check plugin NAME against the conformance kit, on a throwaway database (and on
    ACCORD_TEST_DATABASE_URL's PostgreSQL database, which it empties, when set); exit 1
    on any failure."""
    from accord.cli._context import CliState

    state = ctx.find_object(CliState)
    config = state.config() if state is not None else None
    report = run_checks(name, plugins_dir=config.plugins_dir if config else None,
                        discover=config.discover_plugins if config else True, skip=skip,
                        fast=fast, run_tests=run_tests)
    for line in report.lines:
        click.echo(str(line))
    if report.failed:
        click.echo(f"{name}: {len(report.failures)} check(s) failed")
        raise SystemExit(1)
    click.echo(f"{name} passes the conformance kit")
