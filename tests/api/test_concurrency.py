"""Optimistic locking under real concurrency: several threads, each its own web client
and database connection, on either engine (SQLite writers wait their turn: its write
transactions begin IMMEDIATE)."""

from __future__ import annotations

import threading
from typing import Any, Callable

from accord import services
from accord.models import User
from accord.services import Actor
from accord.services.fields import add_field
from accord.services.tokens import create_token
from accord.web import create_app

SYSTEM = Actor.system("test")
THREADS = 8


def run_together(count: int, work: Callable[..., Any], kernel: Any) -> list[Any]:
    """Run ``work(call, index, together)`` in ``count`` threads released at the same
    moment; ``together()`` waits until every thread has reached it."""
    app = create_app(kernel, TESTING=True)
    user = services.create(kernel, "user", {"email": "racer@example.com", "name": "Racer",
                                            "role": "admin"}, actor=SYSTEM)
    with kernel.bound():
        _, token = create_token(kernel, User.get_by_id(user.id), name="race", actor=SYSTEM)
    headers = {"Authorization": f"Bearer {token}"}
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def thread(index: int) -> None:
        client = app.test_client()

        def call(method: str, path: str, **kwargs: Any) -> Any:
            merged = {**headers, **kwargs.pop("headers", {})}
            return client.open(path, method=method, headers=merged, **kwargs)

        try:
            barrier.wait(timeout=30)
            results[index] = work(call, index, lambda: barrier.wait(timeout=30))
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=thread, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hangs"
    if errors:
        raise errors[0]
    return results


def test_only_one_of_several_writers_with_the_same_if_match_wins(kernel, helpers):
    org = services.create(kernel, "organization", {"name": "Contended"}, actor=SYSTEM)
    path = f"/api/v1/organizations/{org.id}"

    def patch(call: Any, index: int, together: Any) -> tuple[int, str]:
        response = call("PATCH", path, json={"city": f"City {index}"},
                        headers={"If-Match": '"1"'})
        return response.status_code, response.get_json().get("city", "")

    results = run_together(THREADS, patch, kernel)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [412] * (THREADS - 1), results
    (winner,) = [city for status, city in results if status == 200]
    row = helpers.stored(kernel, "organization", org.id)
    assert (row.version, row.city) == (2, winner)
    entries = helpers.audit(kernel, "organization", org.id)
    assert [e.action for e in entries] == ["created", "updated"]


def test_no_update_is_lost_when_every_writer_retries(kernel, helpers):
    add_field(kernel, "organization", "x_visits", "integer", actor=SYSTEM)
    org = services.create(kernel, "organization", {"name": "Counter", "x_visits": 0},
                          actor=SYSTEM)
    path = f"/api/v1/organizations/{org.id}"

    def increment(call: Any, index: int, together: Any) -> int:
        for attempt in range(1, 200):
            current = call("GET", path)
            assert current.status_code == 200
            value = current.get_json()["x_visits"]
            if attempt == 1:
                together()  # everyone has read version 1: the first round must collide
            response = call("PATCH", path, json={"x_visits": value + 1},
                            headers={"If-Match": current.headers["ETag"]})
            if response.status_code == 200:
                return attempt
            assert response.status_code == 412, response.get_json()
        raise AssertionError("never got through")

    attempts = run_together(THREADS, increment, kernel)
    row = helpers.stored(kernel, "organization", org.id)
    assert row.custom["x_visits"] == THREADS
    assert row.version == THREADS + 1
    assert sorted(attempts)[:2] == [1, 2]  # one won the first round; the others retried
    updates = [e for e in helpers.audit(kernel, "organization", org.id) if e.action == "updated"]
    assert sorted(e.changes["x_visits"][1] for e in updates) == list(range(1, THREADS + 1))
