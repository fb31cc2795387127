"""Brute force: the password lockout holds per account and cannot be dodged by writing
the email another way; wrong API tokens from one client are throttled (429 with
Retry-After) without slowing valid requests."""

from __future__ import annotations

import time
from typing import Any

import pytest

from accord import services
from accord.api.auth import MAX_BAD_TOKENS, BadTokenThrottle
from accord.services import Actor
from accord.services.logins import MAX_FAILURES, WRONG, LoginRefused, log_in
from accord.services.passwords import set_password

PASSWORD = "correct horse battery"


def user(kernel: Any, email: str) -> Any:
    system = Actor.system("test")
    made = services.create(kernel, "user", {"email": email, "name": "Brute", "role": "sales"},
                           actor=system)
    set_password(kernel, made, PASSWORD, actor=system)
    return made


def refusal(kernel: Any, email: str, password: str) -> str:
    with pytest.raises(LoginRefused) as caught:
        log_in(kernel, email, password)
    return caught.value.message


@pytest.mark.parametrize("spelling", ["ANNA@brute.example", "  anna@brute.example ",
                                      "Anna@Brute.Example\t"])
def test_security_the_lockout_is_not_dodged_by_case_or_spaces(kernel, spelling):
    user(kernel, "anna@brute.example")
    for attempt in range(MAX_FAILURES):
        # Each wrong try spelled another way: all count for the one account.
        email = [spelling, "anna@brute.example"][attempt % 2]
        refusal(kernel, email, "wrong")
    locked = refusal(kernel, spelling, PASSWORD)
    assert locked.startswith("Too many failed logins"), locked
    assert refusal(kernel, "anna@brute.example", PASSWORD).startswith("Too many")


def test_security_the_lockout_is_per_account(kernel):
    user(kernel, "anna@brute.example")
    other = user(kernel, "ben@brute.example")
    for _ in range(MAX_FAILURES):
        refusal(kernel, "anna@brute.example", "wrong")
    assert refusal(kernel, "anna@brute.example", PASSWORD).startswith("Too many")
    assert log_in(kernel, "ben@brute.example", PASSWORD).id == other.id


def test_security_an_unknown_email_locks_like_a_known_one(kernel):
    for _ in range(MAX_FAILURES - 1):
        assert refusal(kernel, "nobody@brute.example", "wrong") == WRONG
    assert refusal(kernel, "nobody@brute.example", "wrong").startswith("Too many")


def test_security_wrong_tokens_are_throttled_per_client(kernel, api_client):
    app = api_client.client.application
    for _ in range(MAX_BAD_TOKENS):
        answer = api_client.get("/api/v1/contacts",
                                headers={"Authorization": "Bearer acc_wrong"})
        assert answer.status_code == 401
    refused = api_client.get("/api/v1/contacts", headers={"Authorization": "Bearer acc_x"})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.get_json()["detail"].startswith("too many wrong API tokens")
    # The right token too: a guesser learns nothing while refused.
    assert api_client.get("/api/v1/contacts").status_code == 429
    # Another client address is not concerned.
    other = app.test_client().get("/api/v1/contacts",
                                  headers={"Authorization": f"Bearer {api_client.token}"},
                                  environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def test_security_the_throttle_lets_a_client_go_after_the_window():
    now = [1000.0]
    throttle = BadTokenThrottle(limit=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.retry_after("1.2.3.4") == 0
        throttle.failed("1.2.3.4")
        now[0] += 1
    assert throttle.retry_after("1.2.3.4") == 57  # at 1003; the first leaves at 1060
    now[0] = 1060.0
    assert throttle.retry_after("1.2.3.4") == 0
    throttle.failed("1.2.3.4")
    assert throttle.retry_after("1.2.3.4") == 1  # three within the window again
    assert throttle.retry_after("5.6.7.8") == 0


def test_security_valid_requests_are_not_throttled_nor_slowed(kernel, api_client):
    """Many valid requests never count; the check costs microseconds."""
    for _ in range(MAX_BAD_TOKENS * 2):
        assert api_client.get("/api/v1/health").status_code == 200
    for _ in range(MAX_BAD_TOKENS + 5):
        assert api_client.get("/api/v1/contacts?limit=1").status_code == 200
    throttle = BadTokenThrottle()
    started = time.perf_counter()
    for _ in range(10_000):
        throttle.retry_after("127.0.0.1")
    assert (time.perf_counter() - started) / 10_000 < 20e-6
