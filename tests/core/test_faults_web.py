"""Faults (issue 17, part 4) met by the web app and the service layer: the database
away or locked (503 with Retry-After, nothing written, recovery by itself), a plugin
raising in a hook on every call (the write refused, the plugin named, the rest
working) and a plugin hanging in a signal receiver (the request not held)."""

from __future__ import annotations

import logging
import sqlite3
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from accord import services, signals
from accord.config import Config, load_config
from accord.errors import ConfigError, PluginFailed, ValidationError
from accord.hooks import hookimpl
from accord.models import AuditEntry, Contact, OutboxMessage
from accord.plugins import PluginManifest
from accord.records import OutboxItem

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.tcpproxy import TcpProxy  # noqa: E402

DOWN = "the database cannot be reached; nothing was changed, try again in a moment"


def _contacts(kernel) -> list[str]:
    with kernel.bound():
        return sorted(c.last_name for c in Contact.select())


# PostgreSQL away --------------------------------------------------------------------

@pytest.fixture
def proxied(make_kernel, database_url):
    """A kernel that reaches the test's PostgreSQL database through a TcpProxy."""
    make_kernel()  # the tables, through the direct URL
    parts = urlparse(database_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    url = parts._replace(netloc=parts.netloc.replace(
        f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname),
        f"127.0.0.1:{proxy.port}")).geturl()
    yield make_kernel(database_url=url, busy_timeout=2), proxy
    proxy.cut()


@pytest.mark.postgres_only
def test_postgres_away_answers_503_then_recovers_by_itself(proxied, make_api_client,
                                                            make_page_client):
    kernel, proxy = proxied
    api = make_api_client(kernel=kernel)
    pages = make_page_client(kernel=kernel)
    assert api.post("/api/v1/contacts", json={"last_name": "Before"}).status_code == 201
    proxy.cut()
    for _ in range(2):  # the pool's connections died: each request finds out cleanly
        listed = api.get("/api/v1/contacts")
        assert listed.status_code == 503
        assert listed.headers["Content-Type"] == "application/problem+json"
        assert listed.headers["Retry-After"] == "5"
        assert listed.get_json() == {"type": "about:blank", "title": "Service unavailable",
                                     "status": 503, "detail": DOWN}
        written = api.post("/api/v1/contacts", json={"last_name": "During"})
        assert (written.status_code, written.get_json()["detail"]) == (503, DOWN)
        page = pages.get("/records/contact")
        assert page.status_code == 503 and page.headers["Retry-After"] == "5"
        html = page.get_data(as_text=True)
        assert "Try again in a moment" in html and "cannot be reached" in html
        assert "Traceback" not in html
        # Its stylesheet needs no database.
        assert pages.client.get("/static/accord.css").status_code == 200
    proxy.restore()
    assert api.post("/api/v1/contacts", json={"last_name": "After"}).status_code == 201
    assert [c["last_name"] for c in api.get("/api/v1/contacts?sort=id").get_json()["items"]] \
        == ["Before", "After"]
    assert pages.get("/records/contact").status_code == 200


class CutMidWrite:
    """Cuts the proxy from inside the write transaction (after the row was inserted)."""

    MANIFEST = PluginManifest(name="cutter", version="1.0")
    proxy: TcpProxy | None = None

    @staticmethod
    @hookimpl
    def outbox_items(record_type, records):
        if record_type.name != "contact":
            return []
        if CutMidWrite.proxy is not None:
            CutMidWrite.proxy.cut()
        return [OutboxItem("cutter.seen", {"n": len(records)})]


@pytest.mark.postgres_only
def test_postgres_lost_mid_write_keeps_nothing_of_it(make_kernel, database_url,
                                                      make_api_client):
    make_kernel(plugins=[CutMidWrite], enable=["cutter"])
    parts = urlparse(database_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    url = database_url.replace(f":{parts.port}/", f":{proxy.port}/")
    kernel = make_kernel(plugins=[CutMidWrite], database_url=url, busy_timeout=2)
    direct = make_kernel(plugins=[CutMidWrite])
    api = make_api_client(kernel=kernel)
    try:
        CutMidWrite.proxy = proxy
        answer = api.post("/api/v1/contacts", json={"last_name": "Halfway"})
        CutMidWrite.proxy = None
        assert (answer.status_code, answer.get_json()["detail"]) == (503, DOWN)
        with direct.bound():  # no row, no audit entry, no outbox message of it
            assert Contact.select().where(Contact.last_name == "Halfway").count() == 0
            assert AuditEntry.select().where(AuditEntry.record_type == "contact").count() == 0
            assert OutboxMessage.select().where(OutboxMessage.topic == "cutter.seen").count() == 0
        proxy.restore()
        assert api.post("/api/v1/contacts", json={"last_name": "Whole"}).status_code == 201
        with direct.bound():
            assert [c.last_name for c in Contact.select()] == ["Whole"]
            assert OutboxMessage.select().where(OutboxMessage.topic == "cutter.seen").count() == 1
    finally:
        CutMidWrite.proxy = None
        proxy.cut()


# SQLite locked ---------------------------------------------------------------------

@pytest.mark.sqlite_only
def test_sqlite_locked_by_a_long_writer_answers_503_after_the_busy_timeout(
        make_kernel, database_url, make_api_client, make_page_client):
    kernel = make_kernel(busy_timeout=0.5)
    api = make_api_client(kernel=kernel)
    pages = make_page_client(kernel=kernel)
    assert api.post("/api/v1/contacts", json={"last_name": "Before"}).status_code == 201
    path = urlparse(database_url).path[1:]
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE accord_contact SET last_name = 'Held'")
    try:
        started = time.monotonic()
        answer = api.post("/api/v1/contacts", json={"last_name": "Blocked"})
        waited = time.monotonic() - started
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "1"
        assert answer.get_json()["detail"] == ("the database is busy with another write; "
                                               "nothing was changed, try again in a moment")
        assert 0.4 < waited < 5
        # Reads go on while the writer holds the lock (WAL).
        assert api.get("/api/v1/contacts").status_code == 200
        form = pages.post("/records/contact/new", {"last_name": "Blocked too"})
        assert form.status_code == 503 and "busy with another write" in form.get_data(
            as_text=True)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert api.post("/api/v1/contacts", json={"last_name": "After"}).status_code == 201
    assert _contacts(kernel) == ["After", "Before"]
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    check.close()


def test_busy_timeout_and_signal_timeout_are_configured(tmp_path, monkeypatch):
    (tmp_path / "accord.toml").write_text("busy_timeout = 2.5\nsignal_timeout = 0.5\n")
    config = load_config(tmp_path / "accord.toml")
    assert (config.busy_timeout, config.signal_timeout) == (2.5, 0.5)
    monkeypatch.setenv("ACCORD_BUSY_TIMEOUT", "30")
    assert load_config(tmp_path / "accord.toml").busy_timeout == 30
    monkeypatch.setenv("ACCORD_BUSY_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="ACCORD_BUSY_TIMEOUT: expected a number of seconds"):
        load_config(tmp_path / "accord.toml")
    with pytest.raises(ConfigError, match="busy_timeout: give seconds from 0.1 to 300"):
        Config.from_mapping({"busy_timeout": 0})


# A plugin raising in a hook on every call ---------------------------------------------

class Broken:
    MANIFEST = PluginManifest(name="acme_broken", version="1.0")

    @staticmethod
    @hookimpl
    def validate_records(rows):
        return _explode(rows)


def _explode(rows):
    raise KeyError("tier")  # deep in the plugin's own code


class Polite:
    """Another plugin: vetoes on purpose, which stays a 422."""

    MANIFEST = PluginManifest(name="acme_polite", version="1.0")

    @staticmethod
    @hookimpl
    def validate_records(rows):
        for row in rows:
            if row.get("last_name") == "Nobody":
                raise ValidationError({"last_name": ["not nobody"]})


def test_a_plugin_failing_in_a_hook_refuses_the_write_and_is_named(make_kernel,
                                                                     make_api_client,
                                                                     actor, caplog):
    broken = make_kernel(plugins=[Broken, Polite], enable=["acme_polite"])
    services.create(broken, "contact", {"last_name": "Kept"}, actor=actor)
    api = make_api_client(kernel=broken)
    from accord.services.plugins import enable

    enable(broken, "acme_broken", actor=actor)
    expected = ("the plugin acme_broken failed in its hook validate_records (KeyError: "
                "'tier'); nothing was changed; disable the plugin or tell its author")
    with caplog.at_level(logging.ERROR, logger="accord.plugins.guard"):
        with pytest.raises(PluginFailed) as refused:
            services.create(broken, "contact", {"last_name": "Lost"}, actor=actor)
        answer = api.post("/api/v1/contacts", json={"last_name": "Lost"})
    assert (refused.value.plugin, refused.value.hook, str(refused.value)) == (
        "acme_broken", "validate_records", expected)
    assert answer.status_code == 409
    assert answer.get_json()["detail"] == expected
    assert "plugin acme_broken failed in hook validate_records" in caplog.text
    assert "KeyError" in caplog.text  # the traceback is in the log, not in the answer
    # Reads go on, and so do the other plugins' writes and vetoes once it is disabled.
    assert [c["last_name"] for c in api.get("/api/v1/contacts").get_json()["items"]] == ["Kept"]
    assert api.get(f"/api/v1/contacts?q=Kept").status_code == 200
    from accord.services.plugins import disable

    disable(broken, "acme_broken", actor=actor)
    assert api.post("/api/v1/contacts", json={"last_name": "Now"}).status_code == 201
    vetoed = api.post("/api/v1/contacts", json={"last_name": "Nobody"})
    assert (vetoed.status_code, vetoed.get_json()["errors"]) == (422, {"last_name": ["not nobody"]})
    with pytest.raises(ValidationError):
        services.create(broken, "contact", {"last_name": "Nobody"}, actor=actor)
    assert _contacts(broken) == ["Kept", "Now"]


# A plugin hanging in a signal receiver -------------------------------------------------

def test_a_hanging_receiver_does_not_hold_the_request(make_kernel, make_api_client, caplog):
    kernel = make_kernel(signal_timeout=0.3)
    api = make_api_client(kernel=kernel)
    release = threading.Event()
    seen: list[list[int]] = []
    after: list[str] = []

    def hangs(sender, ids, **kwargs):
        seen.append(ids)
        release.wait(10)

    def next_one(sender, **kwargs):
        after.append("ran")

    with caplog.at_level(logging.ERROR, logger="accord.signals"):
        with signals.record_created.connected_to(hangs, sender=kernel), \
                signals.record_created.connected_to(next_one, sender=kernel):
            started = time.monotonic()
            answer = api.post("/api/v1/contacts", json={"last_name": "Quick"})
            waited = time.monotonic() - started
            assert answer.status_code == 201 and answer.get_json()["last_name"] == "Quick"
            assert waited < 2  # signal_timeout (0.3 s) and the write itself
            # The receiver ran after commit: the record was there; the one after it runs too.
            assert seen == [[answer.get_json()["id"]]]
            release.set()
            for _ in range(100):
                if after:
                    break
                time.sleep(0.02)
            assert after == ["ran"]
    assert "is hung: still running after 0.3 s (signal_timeout)" in caplog.text
    assert _contacts(kernel) == ["Quick"]


def test_receivers_still_run_in_turn_and_after_commit(make_kernel, actor):
    kernel = make_kernel()
    elsewhere = make_kernel()
    order: list[tuple[str, list[str]]] = []

    def first(sender, ids, **kwargs):
        with elsewhere.bound():
            order.append(("first", [c.last_name for c in Contact.select().where(
                Contact.id.in_(ids))]))

    def second(sender, ids, **kwargs):
        order.append(("second", []))

    with signals.record_created.connected_to(first, sender=kernel), \
            signals.record_created.connected_to(second, sender=kernel):
        services.create(kernel, "contact", {"last_name": "Ng"}, actor=actor)
    assert order == [("first", ["Ng"]), ("second", [])]


def test_a_receiver_that_writes_gets_its_own_signals(make_kernel, actor):
    kernel = make_kernel()
    got: list[str] = []

    def on_organization(sender, record_type, ids, **kwargs):
        if record_type == "organization":
            services.create(sender, "contact", {"last_name": "From a receiver",
                                                "organization_id": ids[0]}, actor=actor)
        else:
            got.append(record_type)

    with signals.record_created.connected_to(on_organization, sender=kernel):
        services.create(kernel, "organization", {"name": "Northwind"}, actor=actor)
    assert got == ["contact"]
    assert _contacts(kernel) == ["From a receiver"]
