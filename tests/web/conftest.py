"""Browser tests of the pages: Debian's Chromium driven by Playwright against a live
server, on SQLite (see ``pytest_collection_modifyitems`` in tests/conftest.py).

One browser and one server per test module (both take a second to start); each test
gets its own kernel on a fresh database (the SDK's ``make_kernel``), served by
swapping the app the server dispatches to, and its own browser context (cookies).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import pytest

from accord import services
from accord.services import Actor
from accord.services.passwords import set_password
from accord.web import create_app

from browsing import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PASSWORD

#: How long a step may wait for the page (a click's navigation, an expectation): long
#: enough for a loaded CI machine running two test workers, never reached by a page
#: that works.
WAIT_MS = 15_000


class _Dispatcher:
    """The WSGI app the live server runs: whichever app the current test serves."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no app is served between tests"]
        return self.app(environ, start_response)


@dataclass
class LiveServer:
    url: str
    dispatcher: _Dispatcher

    def serve(self, app: Any) -> None:
        self.dispatcher.app = app


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    from werkzeug.serving import make_server

    dispatcher = _Dispatcher()
    server = make_server("127.0.0.1", 0, dispatcher, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", dispatcher)
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session", autouse=True)
def _patient_expectations() -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run 'make install' (it installs Debian's "
                    "chromium), or 'apt-get install -y chromium'")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def web_kernel(make_kernel: Callable[..., Any]) -> Any:
    """The kernel the pages are served over: the core, sales and competitors."""
    return make_kernel(plugins=["sales", "competitors"], enable=["sales", "competitors"])


@pytest.fixture
def site(live_server: LiveServer, web_kernel: Any) -> Iterator[str]:
    """The base URL of the pages over ``web_kernel``."""
    live_server.serve(create_app(web_kernel, SECRET_KEY="web-tests"))
    try:
        yield live_server.url
    finally:
        live_server.serve(None)


@pytest.fixture
def new_context(browser: Any, site: str) -> Iterator[Callable[..., Any]]:
    """``new_context(viewport=PHONE)``: a browser context (its own cookies) on the site;
    every one made is closed at teardown."""
    made: list[Any] = []

    def factory(viewport: dict[str, int] = DESKTOP) -> Any:
        context = browser.new_context(base_url=site, viewport=viewport)
        context.set_default_timeout(WAIT_MS)
        made.append(context)
        return context

    yield factory
    for context in made:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., Any]) -> Any:
    """A page in a fresh browser context, at desktop width."""
    return new_context().new_page()


@pytest.fixture
def make_user(web_kernel: Any) -> Callable[..., Any]:
    """``make_user(role, email=...)``: a user of that role with the password ``PASSWORD``."""
    counter = iter(range(1, 1000))

    def factory(role: str = "admin", *, email: str | None = None, name: str | None = None,
                teams: tuple[str, ...] = ()) -> Any:
        system = Actor.system("test")
        email = email or f"{role.replace('-', '')}{next(counter)}@example.com"
        data = {"email": email, "name": name or email.split("@")[0].title(), "role": role}
        user: Any = services.create(web_kernel, "user", data, actor=system)
        set_password(web_kernel, user, PASSWORD, actor=system)
        return user

    return factory
