"""Pytest fixtures for Accord and its plugins; Accord's own suite uses exactly these.

- ``make_kernel(plugins=[...], enable=[...], **config)``: a started kernel on a fresh
  database, with only the plugins named (objects, modules or installed names);
  ``enable_loaded=True`` enables every one that loaded. A plugin named in
  ``plugins`` or ``enable`` that fails to load raises its ``PluginLoadError`` unless
  ``allow_failed=True`` (tests of broken plugins). The database is an earlier test's
  build for the same plugins and settings, reset (``accord_sdk._reuse``), unless the
  test is marked ``fresh_database`` or takes ``monkeypatch``.
- ``kernel``: ``make_kernel()`` with the plugins of ``@pytest.mark.plugins(...)``,
  all enabled (``@pytest.mark.plugins(..., allow_failed=True)`` keeps failed ones out).
- ``actor``: the actor tests write as; ``cli``: runs ``accord`` against a kernel;
  ``count_queries``: counts the SQL a block runs; ``plugin_copy``: a plugins folder
  with a purpose-broken copy of a plugin package.
- ``make_api_client(role="admin", *, email=None, teams=(), kernel=None)``: a new user
  with a token and a test client of the web app sending it; ``api_client``: an admin's.
- ``make_page_client(role="admin", *, email=None, name=None, teams=(), kernel=None,
  user=None)``: a new user with the password ``PAGE_PASSWORD`` (or ``user``, an
  existing one), logged in to the pages through ``/login``; its ``PageClient`` has
  ``.user``, ``.csrf_token`` (the session's current one), ``.get(path)`` and
  ``.post(path, data, csrf=True)`` (the token added to the form unless ``csrf=False``),
  and ``PageClient.token_of(html)``; ``page_client``: an admin's.

Every test that uses a kernel runs on SQLite, and on PostgreSQL too when
``ACCORD_TEST_DATABASE_URL`` is set (test ids end in ``[sqlite]`` / ``[postgres]``).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import inspect
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, cast

import pytest

from . import _reuse
from .databases import worker_database

if TYPE_CHECKING:
    from accord.models import User

ENGINE_FIXTURE = "accord_engine"
#: Seconds the dashboard waits for its cards under test (``CARDS_WAIT`` is 1.5 s).
TEST_CARDS_WAIT = 60.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "plugins(*plugins, allow_failed=False): plugins the "
                                       "`kernel` fixture loads and enables (objects, modules or "
                                       "installed names); one that fails to load fails the test")
    config.addinivalue_line("markers", "sqlite_only: run on SQLite only")
    config.addinivalue_line("markers", "fresh_database: build the test's database from "
                                       "scratch (no build of an earlier test reused)")
    config.addinivalue_line("markers", "postgres_only: run on PostgreSQL only")
    # The dashboard shows a card not computed within CARDS_WAIT as "being computed": a
    # test reading its figures must not meet that on a busy machine. A test of the
    # wait itself sets it lower (monkeypatch).
    from accord.pages import dashboard

    dashboard.CARDS_WAIT = TEST_CARDS_WAIT


def _engines() -> list[str]:
    return ["sqlite", "postgres"] if os.environ.get("ACCORD_TEST_DATABASE_URL") else ["sqlite"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if ENGINE_FIXTURE not in metafunc.fixturenames:
        return
    engines = _engines()
    if metafunc.definition.get_closest_marker("sqlite_only"):
        engines = ["sqlite"]
    if metafunc.definition.get_closest_marker("postgres_only"):
        engines = [e for e in engines if e == "postgres"]
    if not engines:
        metafunc.parametrize(ENGINE_FIXTURE, [pytest.param(
            "postgres", marks=pytest.mark.skip(reason="set ACCORD_TEST_DATABASE_URL"))])
        return
    metafunc.parametrize(ENGINE_FIXTURE, engines)


@pytest.fixture(autouse=True)
def _accord_isolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's accord.toml, ACCORD_* variables or database."""
    for name in list(os.environ):
        if name.startswith("ACCORD_") and name != "ACCORD_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def database_url(accord_engine: str, tmp_path: Path) -> str:
    """The URL of an empty database on the engine under test."""
    if accord_engine == "postgres":
        url = worker_database(os.environ["ACCORD_TEST_DATABASE_URL"],
                              os.environ.get("PYTEST_XDIST_WORKER"))
        _reuse.park_postgres(url)  # an empty public schema (the last one set aside)
        return url
    return f"sqlite:///{tmp_path / 'accord.db'}"


def _prepared(url: str, key: tuple[Any, ...]) -> str:
    """Put the build of ``key`` in place on the test's database: ``"restored"``; or
    ``"build"`` (the database is empty: build it, then keep the build); or ``"leave"``
    (the test wrote to it first: neither)."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        if os.path.exists(path):
            return "leave"
        return "restored" if _reuse.restore_sqlite(path, key) else "build"
    restored = _reuse.restore_postgres(url, key)
    return "leave" if restored is None else "restored" if restored else "build"


def _snapshot(url: str, key: tuple[Any, ...]) -> None:
    if url.startswith("sqlite:///"):
        _reuse.snapshot_sqlite(url[len("sqlite:///"):], key)
    else:
        _reuse.snapshot_postgres(url, key)


def _resolve(plugin: Any) -> Any:
    """An installed plugin's name becomes its hooks module (tests name what they load)."""
    if not isinstance(plugin, str):
        return plugin
    for ep in importlib.metadata.entry_points(group="accord.plugins"):
        if ep.name == plugin:
            return ep.load()
    raise LookupError(f"no installed plugin named {plugin!r}")


@pytest.fixture
def make_kernel(database_url: str, tmp_path: Path,
                request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """Build started kernels on the test's database; all are closed at teardown.

    The first kernel of a test starts on the database an earlier test with the same
    plugins, enabled plugins and settings built, reset to what that build left
    (``accord_sdk._reuse``), unless the test is marked ``fresh_database`` or takes
    ``monkeypatch``."""
    from accord.config import Config
    from accord.kernel import Accord
    from accord.plugins.manager import as_load_error
    from accord.services import Actor
    from accord.services.plugins import enable as enable_plugin

    made: list[Accord] = []
    function = getattr(request.node, "function", None)
    reusable = (request.node.get_closest_marker("fresh_database") is None and not (
        function is not None and "monkeypatch" in inspect.signature(function).parameters))

    def factory(plugins: list[Any] | tuple[Any, ...] = (), enable: list[str] | None = None,
                *, allow_failed: bool = False, enable_loaded: bool = False,
                **settings: Any) -> Accord:
        """``enable_loaded``: also enable every plugin that loaded (the ``kernel``
        fixture's way)."""
        settings.setdefault("database_url", database_url)
        settings.setdefault("discover_plugins", False)
        resolved = [_resolve(p) for p in plugins]
        key = None
        if reusable and not made and settings["database_url"] == database_url:
            key = _reuse.setup_key(resolved, enable, enable_loaded, settings)
        built = key is not None and _prepared(database_url, key) == "build"
        kernel = Accord(Config(**settings), plugins=resolved)
        made.append(kernel)
        kernel.start(upgrade=True)
        names = list(enable) if enable is not None else []
        if enable_loaded:
            names += [n for n in kernel.plugins.plugins if not kernel.plugins.get(n).failed]
        if not allow_failed:
            # A plugin the test named that failed to load would otherwise surface later
            # as "unknown record type": fail with its load error instead. Plugins given
            # in code have the source "code"; those found in plugins_dir are not named.
            named = [n for n, p in kernel.plugins.plugins.items() if p.source == "code"]
            for name in dict.fromkeys([*named, *names]):
                plugin = kernel.plugins.plugins.get(name)
                if plugin is not None and plugin.failed:
                    raise as_load_error(plugin)
        for name in dict.fromkeys(names):
            if kernel.plugins.get(name).stored_state != "enabled":
                enable_plugin(kernel, name, actor=Actor.system("test"), with_deps=True)
        if built and key is not None:
            _snapshot(database_url, key)
        return kernel

    yield factory
    for kernel in made:
        kernel.close()


@pytest.fixture
def kernel(make_kernel: Callable[..., Any], request: pytest.FixtureRequest) -> Any:
    """A started kernel; ``@pytest.mark.plugins(...)`` names plugins to load and enable."""
    marker = request.node.get_closest_marker("plugins")
    plugins = list(marker.args) if marker else []
    return make_kernel(plugins=plugins, enable_loaded=True,
                       allow_failed=bool(marker and marker.kwargs.get("allow_failed", False)))


@pytest.fixture
def actor() -> Any:
    """The actor tests write as."""
    from accord.services import Actor

    return Actor.system("test")


@dataclass
class CliResult:
    exit_code: int
    output: str
    exception: BaseException | None = None


@dataclass
class CliRunner:
    """Runs ``accord`` commands; against ``kernel`` when given, else from the config
    files and variables in the test's working folder."""

    kernel: Any = None
    env: dict[str, str] = field(default_factory=dict)

    def __call__(self, *args: str, input: str | None = None) -> CliResult:
        from click.testing import CliRunner as ClickRunner

        from accord.cli import cli
        from accord.cli._context import CliState

        runner = ClickRunner()
        result = runner.invoke(cli, list(args), obj=CliState(_kernel=self.kernel),
                               env=self.env, input=input, catch_exceptions=True)
        exc = result.exception
        if exc is not None and not isinstance(exc, SystemExit):
            raise exc
        return CliResult(result.exit_code, result.output, exc)


@pytest.fixture
def cli(kernel: Any) -> CliRunner:
    """Run ``accord ...`` against the test's ``kernel``: ``cli("plugins", "list")``."""
    return CliRunner(kernel)


@pytest.fixture
def cli_runner() -> CliRunner:
    """Run ``accord ...`` as a user would: from ./accord.toml and ACCORD_* variables.

    Installed plugins are not discovered (``ACCORD_DISCOVER_PLUGINS=false``), so a test
    sees only the plugins it names; set ``cli_runner.env`` to change that."""
    return CliRunner(env={"ACCORD_DISCOVER_PLUGINS": "false"})


@pytest.fixture
def count_queries(kernel: Any) -> Callable[[], Any]:
    """``with count_queries() as counter: ...`` then ``counter.count``."""
    from playhouse.test_utils import count_queries as _count

    @contextlib.contextmanager
    def counting() -> Iterator[Any]:
        with kernel.bound(), _count() as counter:
            yield counter

    return counting


@dataclass
class ApiClient:
    """A Flask test client that sends a user's bearer token with every request."""

    client: Any
    token: str
    user: Any

    def open(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.open("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.open("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.open("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.open("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.open("DELETE", path, **kwargs)


@pytest.fixture
def make_api_client(kernel: Any) -> Callable[..., ApiClient]:
    """``make_api_client(role="sales", email=..., teams=[...])``: a new user of that role
    with a token, and a client of the test kernel's web app sending it. Pass
    ``kernel=`` for another kernel (one made with ``make_kernel``)."""
    from accord import services
    from accord.services import Actor
    from accord.services.teams import add_member
    from accord.services.tokens import create_token
    from accord.web import create_app

    default_kernel = kernel
    apps: dict[int, Any] = {}
    counter = iter(range(1, 10_000))

    def factory(role: str = "admin", *, email: str | None = None,
                teams: list[str] | tuple[str, ...] = (), kernel: Any = None) -> ApiClient:
        target = default_kernel if kernel is None else kernel
        if id(target) not in apps:
            apps[id(target)] = create_app(target, TESTING=True)
        system = Actor.system("test")
        email = email or f"{role.replace('-', '')}{next(counter)}@example.com"
        user = cast("User", services.create(
            target, "user", {"email": email, "name": email.split("@")[0], "role": role},
            actor=system))
        for team in teams:
            add_member(target, team, user.id, actor=system)
        with target.bound():
            _, token = create_token(target, user, name="test", actor=system)
        return ApiClient(apps[id(target)].test_client(), token, user)

    return factory


@pytest.fixture
def api_client(make_api_client: Callable[..., ApiClient]) -> ApiClient:
    """An admin's API client on the test kernel: ``api_client.get("/api/v1/contacts")``."""
    return make_api_client("admin")


#: The password ``make_page_client`` gives the users it logs in.
PAGE_PASSWORD = "correct horse battery"
_TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class PageClient:
    """A Flask test client logged in to the pages as ``user``, sending the session's
    CSRF token with every form it posts."""

    client: Any
    user: Any

    @property
    def app(self) -> Any:
        """The Flask app the client talks to (another ``app.test_client()`` is a
        stranger: not logged in)."""
        return self.client.application

    @property
    def csrf_token(self) -> str:
        """The token of the client's session as it is now (logging in or out changes it),
        computed as the pages' templates do, from the session cookie."""
        from accord.pages.app import SESSION_COOKIE
        from accord.pages.csrf import csrf_token

        cookie = self.client.get_cookie(SESSION_COOKIE)
        headers = {"Cookie": f"{SESSION_COOKIE}={cookie.value}"} if cookie else {}
        with self.app.test_request_context(headers=headers):
            return csrf_token()

    @staticmethod
    def token_of(html: str) -> str:
        """The value of the ``csrf_token`` field of a page's form."""
        match = _TOKEN_FIELD.search(html)
        assert match, "the page has no csrf_token field"
        return match[1]

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: Mapping[str, Any] | None = None, *, csrf: bool = True,
             **kwargs: Any) -> Any:
        """POST the form ``data``, with the session's ``csrf_token`` unless ``csrf=False``
        (or ``data`` brings its own); a JSON body (``json=``) gets it in the
        ``X-CSRF-Token`` header instead, as the pages' scripts send it."""
        from accord.pages.csrf import FIELD, HEADER

        if csrf and "json" in kwargs:
            kwargs["headers"] = {HEADER: self.csrf_token, **(kwargs.get("headers") or {})}
        elif csrf:
            data = {FIELD: self.csrf_token, **(data or {})}
        return self.client.post(path, data=data, **kwargs)


@pytest.fixture
def make_page_client(request: pytest.FixtureRequest,
                     accord_engine: str) -> Callable[..., PageClient]:
    """``make_page_client(role="sales", email=..., name=..., teams=[...])``: a new user of
    that role with the password ``PAGE_PASSWORD``, logged in to the pages of the test
    kernel's web app (one app per kernel, ``create_app(kernel, SECRET_KEY=...)``).
    ``user=`` logs in an existing user instead (its password set through the
    services); ``kernel=`` another kernel (one made with ``make_kernel``)."""
    from accord import services
    from accord.services import Actor
    from accord.services.passwords import set_password
    from accord.services.teams import add_member
    from accord.web import create_app

    apps: dict[int, Any] = {}
    counter = iter(range(1, 10_000))

    def factory(role: str = "admin", *, email: str | None = None, name: str | None = None,
                teams: list[str] | tuple[str, ...] = (), kernel: Any = None,
                user: Any = None) -> PageClient:
        # The `kernel` fixture is asked for only here: a test passing its own kernel
        # does not start a second one on the same database. (`accord_engine` above puts
        # the test on each engine, which `kernel` would otherwise do.)
        target = request.getfixturevalue("kernel") if kernel is None else kernel
        if id(target) not in apps:
            apps[id(target)] = create_app(target, SECRET_KEY="accord-page-tests")
        system = Actor.system("test")
        if user is None:
            # Not @example.com, where make_api_client's users are.
            email = email or f"{role.replace('-', '')}{next(counter)}@pages.example.com"
            user = cast("User", services.create(target, "user", {
                "email": email, "name": name or email.split("@")[0].title(), "role": role},
                actor=system))
            for team in teams:
                add_member(target, team, user.id, actor=system)
        elif email or name or teams:
            raise TypeError("make_page_client: give user= or email/name/teams, not both")
        set_password(target, user, PAGE_PASSWORD, actor=system)
        client = apps[id(target)].test_client()
        token = PageClient.token_of(client.get("/login").get_data(as_text=True))
        answer = client.post("/login", data={"email": user.email, "password": PAGE_PASSWORD,
                                             "csrf_token": token})
        assert answer.status_code == 302, answer.get_data(as_text=True)
        return PageClient(client, user)

    return factory


@pytest.fixture
def page_client(make_page_client: Callable[..., PageClient]) -> PageClient:
    """An admin logged in to the test kernel's pages: ``page_client.get("/records/contact")``."""
    return make_page_client("admin")


@pytest.fixture
def plugin_copy(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """``plugin_copy(package_folder, {"hooks.py": (old, new)})``: a plugins folder (for
    ``make_kernel(plugins_dir=...)``) holding a copy of a plugin package with text
    replaced in some of its files: a purpose-broken copy, to test what loading it says.
    Each ``old`` must occur in its file. At teardown the copy's modules are forgotten
    and the original's, if they were imported before, come back: a test module that
    imported the original (``from acme_notes import hooks``) keeps working."""
    import shutil
    import sys

    names: list[str] = []
    saved: dict[str, Any] = {}

    def factory(package: str | os.PathLike[str], edits: dict[str, tuple[str, str]]) -> str:
        source = Path(package)
        folder = tmp_path / f"plugin-copy-{len(names)}"
        shutil.copytree(source, folder / source.name,
                        ignore=shutil.ignore_patterns("__pycache__"))
        if source.name not in names:
            saved.update({n: m for n, m in sys.modules.items()
                          if n.split(".")[0] == source.name})
        names.append(source.name)
        for name, (old, new) in edits.items():
            path = folder / source.name / name
            text = path.read_text(encoding="utf-8")
            assert old in text, f"{name} does not hold {old!r}"
            path.write_text(text.replace(old, new), encoding="utf-8")
        return str(folder)

    yield factory
    for top in names:
        for name in [n for n in sys.modules if n.split(".")[0] == top]:
            del sys.modules[name]
    sys.modules.update(saved)
