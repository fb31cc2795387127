"""The login page's lockout, as a browser meets it (SQLite only, as every page test):
wrong passwords typed with the email in other cases and with spaces all count for the
one account, and the right password is refused meanwhile."""

from __future__ import annotations

from accord.services.logins import MAX_FAILURES
from accord_sdk.pytest_plugin import PAGE_PASSWORD, PageClient


def _login(client, email: str, password: str):
    token = PageClient.token_of(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token})


def test_security_the_login_page_locks_an_account_however_its_email_is_typed(
        make_page_client):
    user = make_page_client("sales", email="lock@security.example").user
    stranger = make_page_client("admin").app.test_client()
    spellings = ["LOCK@security.example", " lock@security.example ",
                 "Lock@Security.Example", "lock@SECURITY.example\t", "lock@security.example"]
    for email in spellings[:MAX_FAILURES]:
        answer = _login(stranger, email, "not the password")
        assert answer.status_code != 302
    refused = _login(stranger, user.email, PAGE_PASSWORD)
    assert refused.status_code != 302
    assert "Too many failed logins for this email" in refused.get_data(as_text=True)
    assert stranger.get("/").status_code == 302  # still not logged in
