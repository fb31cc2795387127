"""The pages without a browser: their hooks (navigation entries, search types), the
login service (lockout, sessions), the CSRF check, the error pages and what the
pages leave alone (the API, its tokens)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from accord import services
from accord.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from accord.errors import NotFound
from accord.hooks import hookimpl
from accord.models import LoginFailure, User, WebSession
from accord.pages import NavEntry
from accord.pages.navigation import navigation
from accord.plugins import PluginManifest
from accord.records import Permission
from accord.services import Actor
from accord.services.logins import LoginRefused, locked_for, log_in
from accord.services.passwords import set_password
from accord.services.plugins import disable, enable
from accord.services.search import search
from accord.services.sessions import IDLE, session_user, start_session
from accord.web import create_app
from accord_sdk.pytest_plugin import CliRunner, PageClient

SYSTEM = Actor.system("test")
PASSWORD = "correct horse battery"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)


def _user(kernel, email="ada@example.com", role="admin", password=PASSWORD):
    user = services.create(kernel, "user", {"email": email, "name": "Ada", "role": role},
                           actor=SYSTEM)
    if password:
        set_password(kernel, user, password, actor=SYSTEM)
    return user


# The hooks -----------------------------------------------------------------------------

class Board:
    """A plugin adding navigation entries: one good, two broken."""

    MANIFEST = PluginManifest(name="board", version="1.0")

    @hookimpl
    def register_permissions(self):
        return [Permission("board.view", "See the board")]

    @hookimpl
    def navigation_entries(self, actor):
        entries = [NavEntry("Board", "/search?q=board", "board.view", order=5),
                   NavEntry("Elsewhere", "https://evil.example/"),
                   NavEntry("Ghost", "/ghost", "nobody.declared.this")]
        if actor.label == "vip@example.com":
            # Home's url: the first entry in call order (the plugin's) wins.
            entries.append(NavEntry("VIP lounge", "/", order=1))
        return entries


def test_hook_navigation_entries(make_kernel, caplog):
    kernel = make_kernel(plugins=[Board()], enable=["board"])
    viewer = Actor(1, "viewer@example.com", "custom", grants=("board.view", "core.*.read"))
    outsider = Actor(2, "outsider@example.com", "custom", grants=("core.contact.read",))
    with caplog.at_level(logging.WARNING, logger="accord.pages.navigation"):
        shown = navigation(kernel, viewer, "/search", {"q": "board"})
    assert [(e.label, e.url, e.current, e.plugin) for e in shown] == [
        ("Home", "/", False, "core"),
        ("Board", "/search?q=board", True, "board"),
        ("Organizations", "/records/organization", False, "core"),
        ("Contacts", "/records/contact", False, "core")]
    assert "url 'https://evil.example/' is not a path on the site" in caplog.text
    assert "no running plugin declares the permission nobody.declared.this" in caplog.text
    assert [e.label for e in navigation(kernel, outsider, "/", {})] == ["Home", "Contacts"]
    vip = Actor(3, "vip@example.com", "custom", grants=("board.view",))
    assert [(e.label, e.current) for e in navigation(kernel, vip, "/", {})] == [
        ("VIP lounge", True), ("Board", False)]
    disable(kernel, "board", actor=SYSTEM)
    assert [e.label for e in navigation(kernel, viewer, "/", {})] == [
        "Home", "Organizations", "Contacts"]


#: acme_notes with its notes in the global search (a copy: the plugin itself is shared).
SEARCHABLE_NOTES = ('''@hookimpl
def register_permissions():''', '''@hookimpl
def register_search_types():
    from accord.pages import SearchType

    return [SearchType("acme_notes.note", "Notes", ("priority",), order=1)]


@hookimpl
def register_permissions():''')


def test_hook_register_search_types(make_kernel, plugin_copy, plugins_folder):
    folder = plugin_copy(Path(plugins_folder) / "acme_notes", {"hooks.py": SEARCHABLE_NOTES})
    kernel = make_kernel(plugins_dir=folder, enable=["acme_notes"])
    services.create(kernel, "acme_notes.note", {"title": "Quarterly plan", "priority": 2},
                    actor=SYSTEM)
    services.create(kernel, "organization", {"name": "Quarterly Partners"}, actor=SYSTEM)
    groups = search(kernel, "quarterly", actor=SYSTEM)
    assert [(g.label, [i["title"] if "title" in i else i["name"] for i in g.items])
            for g in groups] == [("Notes", ["Quarterly plan"]),
                                 ("Organizations", ["Quarterly Partners"])]
    assert groups[0].items[0]["priority"] == 2
    disable(kernel, "acme_notes", actor=SYSTEM)
    assert [g.label for g in search(kernel, "quarterly", actor=SYSTEM)] == ["Organizations"]
    with pytest.raises(NotFound, match="'acme_notes.note' is not available: the acme_notes plugin is "
                             "disabled"):
        search(kernel, "", actor=SYSTEM, record_type="acme_notes.note")


@pytest.mark.parametrize("search_type, error", [
    ('SearchType("contact")', "hook register_search_types: search type 'contact' is not one "
                              "of the plugin's record types (acme_notes.note)"),
    ('SearchType("acme_notes.note", details=("colour",))',
     "hook register_search_types: search type acme_notes.note: details colour are not "
     "fields of acme_notes.note")])
def test_a_bad_search_type_fails_its_plugin_at_load(make_kernel, plugin_copy, plugins_folder,
                                                     search_type, error):
    old, new = SEARCHABLE_NOTES
    new = new.replace('SearchType("acme_notes.note", "Notes", ("priority",), order=1)',
                      search_type)
    folder = plugin_copy(Path(plugins_folder) / "acme_notes", {"hooks.py": (old, new)})
    kernel = make_kernel(plugins_dir=folder, allow_failed=True)
    plugin = kernel.plugins.get("acme_notes")
    assert (plugin.state, plugin.error) == ("failed", error.split(": ", 1)[1])
    assert plugin.failed_hook == "register_search_types"


def test_search_keeps_to_the_readers_rule_and_masks(make_kernel, actor):
    kernel = make_kernel(plugins=["sales"], enable=["sales"])
    rep = _user(kernel, "rep@example.com", "sales", password=None)
    other = _user(kernel, "other@example.com", "sales", password=None)
    contact = services.create(kernel, "contact", {"last_name": "Acme",
                                                  "email": "x@acme.example"}, actor=SYSTEM)
    for name, owner in (("Acme renewal", rep), ("Acme expansion", other)):
        services.create(kernel, "sales.opportunity", {"name": name, "owner_id": owner.id,
                                                      "contact_id": contact.id}, actor=SYSTEM)
    from accord.services.authz import actor_for

    groups = search(kernel, "acme", actor=actor_for(kernel, rep))
    assert {g.label: [i["name"] if "name" in i else i["last_name"] for i in g.items]
            for g in groups} == {"Contacts": ["Acme"], "Opportunities": ["Acme renewal"]}
    reader = _user(kernel, "ro@example.com", "read-only", password=None)
    contacts = search(kernel, "acme", actor=actor_for(kernel, reader))[0]
    assert contacts.items[0]["email"] is None  # personal data masked for read-only
    assert search(kernel, "acme.example", actor=actor_for(kernel, reader)) == []  # not searched


# Logging in --------------------------------------------------------------------------

def test_the_lockout_starts_at_the_fifth_failure_within_fifteen_minutes(kernel):
    user = _user(kernel)
    for minute in range(5):
        with pytest.raises(LoginRefused) as refused:
            log_in(kernel, "ada@example.com", "guess", now=T0 + dt.timedelta(minutes=minute))
    assert refused.value.message == ("Too many failed logins for this email; try again in "
                                     "15 minutes.")
    assert locked_for(kernel, "ADA@example.com", now=T0 + dt.timedelta(minutes=18)) == 1
    with pytest.raises(LoginRefused, match="try again in 1 minute\\.$"):
        log_in(kernel, "ada@example.com", PASSWORD, now=T0 + dt.timedelta(minutes=18, seconds=30))
    with kernel.bound():
        assert LoginFailure.select().count() == 5  # attempts while locked are not counted
    assert log_in(kernel, "ada@example.com", PASSWORD,
                  now=T0 + dt.timedelta(minutes=19, seconds=1)).id == user.id
    with kernel.bound():
        assert LoginFailure.select().count() == 0  # a success wipes the slate


def test_failures_spread_over_more_than_the_window_do_not_lock(kernel):
    _user(kernel)
    for minute in (0, 4, 8, 12, 16):
        with pytest.raises(LoginRefused, match="^Wrong email or password\\.$"):
            log_in(kernel, "ada@example.com", "guess", now=T0 + dt.timedelta(minutes=minute))
    assert locked_for(kernel, "ada@example.com", now=T0 + dt.timedelta(minutes=16)) == 0


def test_an_unknown_email_is_locked_like_a_known_one(kernel):
    for minute in range(5):
        with pytest.raises(LoginRefused) as refused:
            log_in(kernel, "nobody@example.com", "guess", now=T0 + dt.timedelta(minutes=minute))
    assert refused.value.locked_minutes == 15


def test_a_session_ends_after_being_idle(kernel):
    user = _user(kernel)
    key = start_session(kernel, user)
    assert session_user(kernel, key).id == user.id
    with kernel.bound():
        stale = dt.datetime.now(dt.timezone.utc) - IDLE - dt.timedelta(seconds=1)
        WebSession.update(seen_at=stale).execute()
    assert session_user(kernel, key) is None
    assert session_user(kernel, "x" * 500) is None and session_user(kernel, None) is None


def test_the_cookie_is_secure_over_tls_or_when_configured(make_kernel):
    kernel = make_kernel()
    _user(kernel)
    app = create_app(kernel, SECRET_KEY="k")
    plain = app.test_client().get("/login").headers["Set-Cookie"]
    tls = app.test_client().get("/login", base_url="https://crm.example").headers["Set-Cookie"]
    assert "Secure" not in plain and "HttpOnly" in plain and "SameSite=Lax" in plain
    assert "; Secure" in tls
    forced = make_kernel(secure_cookies=True)
    cookie = create_app(forced, SECRET_KEY="k").test_client().get("/login").headers["Set-Cookie"]
    assert "; Secure" in cookie


def test_login_goes_back_to_a_local_page_only(kernel):
    _user(kernel)
    app = create_app(kernel, SECRET_KEY="k")
    for wanted, landing in (("/search?q=acme", "/search?q=acme"),
                            ("https://evil.example/", "/"), ("//evil.example", "/")):
        client = app.test_client()
        token = PageClient.token_of(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"email": "ada@example.com", "password": PASSWORD,
                                               "csrf_token": token, "next": wanted})
        assert response.headers["Location"] == landing


# What the pages answer, and what they leave alone ----------------------------------------

def test_the_api_keeps_its_tokens_and_needs_no_csrf(make_api_client, page_client):
    api = make_api_client("admin")
    refused = page_client.post("/api/v1/contacts", json={"last_name": "Ng"}, csrf=False)
    assert refused.status_code == 401  # a session cookie is no API credential
    assert refused.get_json()["detail"].startswith("send an API token")
    created = api.post("/api/v1/contacts", json={"last_name": "Ng"})  # no CSRF token
    assert created.status_code == 201, created.get_json()
    routed = api.get("/api/v2/contacts")  # no route at all: still a problem document
    assert (routed.status_code, routed.mimetype, routed.get_json()["detail"]) == (
        404, "application/problem+json", "no such resource")


def test_error_pages_say_what_happened_in_html(page_client):
    missing = page_client.get("/no/such/page")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert "There is no page at /no/such/page." in missing.get_data(as_text=True)
    assert 'aria-label="Main"' in missing.get_data(as_text=True)  # the bar, still logged in
    wrong = page_client.get("/logout")
    assert wrong.status_code == 405
    assert "/logout does not take GET requests." in wrong.get_data(as_text=True)
    unknown = page_client.get("/search?type=nothing")
    assert unknown.status_code == 404
    assert "Unknown record type &#39;nothing&#39;" in unknown.get_data(as_text=True)
    bad = page_client.get("/search?q=" + "x" * 300)
    assert bad.status_code == 400 and "at most 200" in bad.get_data(as_text=True)


class Crashing:
    MANIFEST = PluginManifest(name="crashing", version="1.0")

    @hookimpl
    def navigation_entries(self):
        raise RuntimeError("secret internals")


def test_an_unexpected_error_is_an_apology_never_a_traceback(make_kernel, make_page_client,
                                                             caplog):
    kernel = make_kernel(plugins=[Crashing()])
    client = make_page_client(kernel=kernel)
    enable(kernel, "crashing", actor=SYSTEM)
    with caplog.at_level(logging.ERROR):
        page = client.get("/")
    body = page.get_data(as_text=True)
    assert page.status_code == 500
    assert "Sorry, the page could not be shown. The error was logged at" in body
    assert "secret internals" not in body and "Traceback" not in body
    assert "secret internals" in caplog.text  # logged with its traceback


def test_a_csrf_token_of_another_session_is_refused(kernel, page_client):
    mine = page_client
    theirs = mine.app.test_client()
    foreign = PageClient.token_of(theirs.get("/login").get_data(as_text=True))
    refused = mine.post("/logout", data={"csrf_token": foreign}, csrf=False)
    assert refused.status_code == 400
    assert "belongs to another session" in refused.get_data(as_text=True)
    with kernel.bound():
        assert WebSession.select().count() == 1


# Setting passwords: the CLI and the demo -------------------------------------------------

def test_users_add_with_password_can_log_in(kernel):
    cli = CliRunner(kernel)
    short = cli("users", "add", "rep@example.com", "--name", "Rep", "--role", "sales",
                "--password", input="short\nshort\n")
    assert short.exit_code == 1
    assert "password: use at least 10 characters; no user was added" in short.output
    with kernel.bound():
        assert not User.select().where(User.email == "rep@example.com").exists()
    added = cli("users", "add", "rep@example.com", "--name", "Rep", "--role", "sales",
                "--password", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert "they can log in to the web pages" in added.output
    assert log_in(kernel, "rep@example.com", PASSWORD).email == "rep@example.com"
    changed = cli("users", "password", "rep@example.com", input="new password 1\n" * 2)
    assert changed.exit_code == 0, changed.output
    assert log_in(kernel, "rep@example.com", "new password 1").email == "rep@example.com"
    with pytest.raises(LoginRefused):
        log_in(kernel, "rep@example.com", PASSWORD)


def test_init_demo_prints_the_demo_logins(cli_runner):
    result = cli_runner("init", "--demo")
    assert result.exit_code == 0, result.output
    assert ("demo logins (password accord-demo): admin@example.com (admin), "
            "maria.lopez@example.com (sales)") in result.output


def test_the_demo_users_log_in_with_the_documented_password(kernel):
    load_demo(kernel)
    for email in DEMO_LOGINS:
        assert log_in(kernel, email, DEMO_PASSWORD).email == email
    with kernel.bound():
        others = User.select().where(User.email.not_in(DEMO_LOGINS))
        assert others.count() == 3 and all(u.password_hash is None for u in others)
