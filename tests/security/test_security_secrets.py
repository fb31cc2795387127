"""Secrets never logged or echoed: with every log record kept at DEBUG and
``ACCORD_TRACE_HOOKS=1``, creating tokens, a wrong password at the login, a refused
password change, a wrong bearer token and a database URL holding a password leave
no password, token or secret in any log record, error body or command output."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from accord import services
from accord.config import Config
from accord.errors import ConfigError, ValidationError
from accord.kernel import Accord
from accord.services import Actor
from accord.services.passwords import set_password

PASSWORD = "Hunter2-Correct-Horse"
WRONG = "Wr0ng-Secret-Passw0rd"
SHORT = "Sh0rt"
DB_PASSWORD = "Db-Pa55w0rd-Never-Shown"


def logged(caplog: Any) -> str:
    """Every record's message, arguments and traceback as one text."""
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        if record.exc_text:
            parts.append(record.exc_text)
    return "\n".join(parts)


@pytest.fixture
def traced(make_kernel: Any, monkeypatch: pytest.MonkeyPatch, caplog: Any) -> Any:
    monkeypatch.setenv("ACCORD_TRACE_HOOKS", "1")
    kernel = make_kernel(log_level="DEBUG")
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="accord")
    return kernel


def test_security_tokens_passwords_and_bad_tokens_never_reach_the_logs(
        traced, make_api_client, make_page_client, caplog, cli):
    kernel = traced
    client = make_api_client("admin")
    assert any("hook " in r.getMessage() for r in caplog.records), "tracing is on"
    secrets_seen = [client.token]
    # A token created through the API is shown once, in its answer, and nowhere else.
    made = client.post("/api/v1/tokens", json={"name": "ci"})
    assert made.status_code == 201, made.get_data(as_text=True)
    token = made.get_json()["token"]
    secrets_seen.append(token)
    for path in ("/api/v1/tokens", "/api/v1/audit", f"/api/v1/users/{client.user.id}",
                 f"/api/v1/users/{client.user.id}/history"):
        body = client.get(path).get_data(as_text=True)
        assert token not in body and client.token not in body, path
    # A wrong bearer token: refused without echoing it.
    forged = token[:-4] + "AAAA"
    refused = client.get("/api/v1/contacts", headers={"Authorization": f"Bearer {forged}"})
    assert refused.status_code == 401 and forged not in refused.get_data(as_text=True)
    secrets_seen.append(forged)
    # A wrong password at the login page: not shown back, not logged.
    pages = make_page_client("sales")
    set_password(kernel, pages.user, PASSWORD, actor=Actor.system("test"))
    stranger = pages.app.test_client()
    login = stranger.get("/login").get_data(as_text=True)
    from accord_sdk.pytest_plugin import PageClient

    answer = stranger.post("/login", data={"email": pages.user.email, "password": WRONG,
                                           "csrf_token": PageClient.token_of(login)})
    assert answer.status_code in (200, 401, 422)
    assert WRONG not in answer.get_data(as_text=True)
    # A refused password change, from Python and from the CLI.
    with pytest.raises(ValidationError) as caught:
        set_password(kernel, pages.user, SHORT, actor=Actor.system("test"))
    assert SHORT not in str(caught.value) and SHORT not in repr(caught.value.messages)
    result = cli("users", "password", pages.user.email, input=f"{SHORT}\n{SHORT}\n")
    assert result.exit_code == 1 and SHORT not in result.output
    result = cli("users", "password", pages.user.email, input=f"{PASSWORD}\n{WRONG}\n"
                                                              f"{PASSWORD}\n{PASSWORD}\n")
    assert WRONG not in result.output and PASSWORD not in result.output
    text = logged(caplog)
    for secret in (*secrets_seen, PASSWORD, WRONG, SHORT):
        assert secret not in text, f"{secret[:6]}… is in the logs"
    with kernel.bound():
        from accord.models import AuditEntry

        audit = " ".join(str(e.changes) for e in AuditEntry.select())
    for secret in (*secrets_seen, PASSWORD, WRONG, SHORT):
        assert secret not in audit


def test_security_a_database_password_is_never_shown(caplog, monkeypatch, cli_runner):
    caplog.set_level(logging.DEBUG)
    url = f"postgresql://accord:{DB_PASSWORD}@127.0.0.1:9/nodb"
    with pytest.raises(ConfigError) as caught:
        Accord(Config(database_url=url, log_level="DEBUG", discover_plugins=False)).start()
    message = str(caught.value)
    assert DB_PASSWORD not in message and "accord:***@127.0.0.1" in message
    monkeypatch.setenv("ACCORD_DATABASE_URL", url)
    for args in (("db", "check"), ("plugins", "list"), ("users", "list")):
        result = cli_runner(*args)
        assert result.exit_code == 1 and DB_PASSWORD not in result.output, result.output
    bad_scheme = f"mysql://accord:{DB_PASSWORD}@127.0.0.1/nodb"
    with pytest.raises(ConfigError) as caught:
        Accord(Config(database_url=bad_scheme, discover_plugins=False)).start()
    assert DB_PASSWORD not in str(caught.value)
    assert DB_PASSWORD not in logged(caplog)


def test_security_an_unexpected_error_answers_without_details(kernel, api_client, caplog,
                                                              monkeypatch):
    """A 500 says only that it was logged; the log has the traceback, the body has no
    query, path or value."""
    from accord.api import crud

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"postgresql://accord:{DB_PASSWORD}@db/x SELECT secret")

    monkeypatch.setattr(crud, "list_records", broken)
    answer = api_client.get("/api/v1/contacts")
    assert answer.status_code == 500
    body = answer.get_data(as_text=True)
    assert DB_PASSWORD not in body and "SELECT" not in body and "Traceback" not in body
    assert answer.get_json()["detail"] == "an unexpected error occurred; it has been logged"


def test_security_a_user_never_shows_its_password_hash(kernel, api_client):
    user = services.create(kernel, "user", {"email": "h@security.example", "name": "H",
                                            "role": "sales"}, actor=Actor.system("test"))
    set_password(kernel, user, PASSWORD, actor=Actor.system("test"))
    for path in (f"/api/v1/users/{user.id}", "/api/v1/users?limit=100",
                 f"/api/v1/users/{user.id}/history", "/api/v1/audit"):
        body = api_client.get(path).get_data(as_text=True)
        assert "argon2" not in body and "password_hash" not in body, path
    filtered = api_client.get("/api/v1/users?password_hash__contains=argon2")
    assert filtered.status_code == 400


def test_security_a_webhook_secret_is_shown_once_only(traced, make_api_client, caplog):
    client = make_api_client("admin")
    secret = "Webhook-Signing-Secret-0123456789"
    made = client.post("/api/v1/webhooks", json={
        "url": "https://93.184.216.34/hook", "events": ["contact.*"], "secret": secret})
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.get_json()["secret"] == secret
    hook = made.get_json()["id"]
    changed = client.patch(f"/api/v1/webhooks/{hook}", json={"secret": secret + "-2"})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    refused = client.patch(f"/api/v1/webhooks/{hook}", json={"secret": "short"})
    assert refused.status_code == 422
    for answer in (changed, refused, client.get("/api/v1/webhooks"),
                   client.get(f"/api/v1/webhooks/{hook}"), client.get("/api/v1/audit")):
        body = answer.get_data(as_text=True)
        assert secret not in body and "short" not in body.replace("shortest", "")
    text = logged(caplog)
    assert secret not in text
    # peewee's query log keeps the SQL, without the values (accord.database).
    assert 'INSERT INTO "accord_webhook"' in text and "(parameters hidden)" in text
