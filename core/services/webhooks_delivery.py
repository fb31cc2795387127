"""Delivering outbox messages to webhook subscriptions (``accord worker``).

One pass (``deliver_due``): new outbox messages are fanned out to a delivery row per
matching active subscription; due deliveries are claimed with a lease (two workers, or
a worker killed mid-post and started again, never lose one: an expired lease is taken
over); each is POSTed, signed; a 2xx marks it delivered, anything else schedules a retry
with exponential backoff and full jitter, until ``max_attempts`` makes it dead. A
delivery waits while an earlier one of the same record to the same subscription is
still open, so a receiver sees a record's events in order. Receivers de-duplicate by
``Accord-Event-Id``: delivery is at least once, and exactly once for them.

Every URL is checked against private, loopback, link-local, multicast and reserved
addresses when it is stored and again at every post, connecting to the very address
checked (a name that resolves elsewhere later, DNS rebinding, gains nothing), unless
``[webhooks] allow_private = true``.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import random
import socket
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import peewee

from ..database import is_postgres
from ..models import OutboxMessage, WebhookDelivery, WebhookSubscription, utcnow
from ..webhook_events import matches, record_key

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["Settings", "settings", "url_problem", "sign", "deliver_due", "run_deliveries",
           "fan_out", "backoff_cap", "OPEN", "USER_AGENT"]

logger = logging.getLogger(__name__)

#: Deliveries still to be made: not tried yet, or failed and waiting for a retry.
OPEN = ("pending", "failed")
USER_AGENT = "Accord-Webhooks/1"
_DEFAULTS: dict[str, Any] = {"allow_private": False, "timeout_seconds": 10.0,
                             "retry_base_seconds": 30.0, "retry_max_seconds": 21600.0,
                             "max_attempts": 10, "lease_seconds": 60.0}
_ERROR_CHARS = 500


@dataclass(frozen=True)
class Settings:
    """The ``[webhooks]`` table of the configuration, defaults filled in."""

    allow_private: bool
    timeout_seconds: float
    retry_base_seconds: float
    retry_max_seconds: float
    max_attempts: int
    lease_seconds: float

    @property
    def lease(self) -> float:
        """How long a claim holds: never shorter than a post may take."""
        return max(self.lease_seconds, self.timeout_seconds + 1)


def settings(kernel: Accord) -> Settings:
    return Settings(**{**_DEFAULTS, **dict(kernel.config.webhooks)})


def backoff_cap(config: Settings, attempts: int) -> float:
    """The longest wait after the ``attempts``-th failed try: base × 2^(attempts-1),
    at most ``retry_max_seconds``; the wait itself is drawn between 0 and it."""
    return float(min(config.retry_max_seconds,
                     config.retry_base_seconds * 2 ** max(attempts - 1, 0)))


# Addresses --------------------------------------------------------------------------

class Refused(Exception):
    """A URL that may not be posted to; the message says why."""


_PRIVATE_HINT = ("webhooks may not reach private networks unless the configuration "
                 "allows it ([webhooks] allow_private = true in accord.toml)")


def _kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """What makes an address private (None for a public one)."""
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    for kind in ("loopback", "link_local", "multicast", "unspecified", "private",
                 "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "non-public"


def _target(url: str) -> tuple[str, int, str, bool]:
    """host, port, path with query, https; Refused for anything but http(s)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(f"{url!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise Refused("only http:// and https:// URLs are allowed")
    if not parts.hostname:
        raise Refused(f"{url!r} names no host")
    https = parts.scheme == "https"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.hostname, port or (443 if https else 80), path, https


def _addresses(host: str, port: int, allow_private: bool) -> list[str]:
    """Every address ``host`` resolves to, each checked; Refused naming the culprit."""
    literal = True
    try:
        found = [str(ipaddress.ip_address(host))]
    except ValueError:
        literal = False
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise Refused(f"the host {host!r} cannot be resolved ({exc})") from None
        found = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private:
        for text in found:
            kind = _kind(ipaddress.ip_address(text.split("%")[0]))
            if kind is not None:
                shown = host if literal else f"{host} (resolves to {text})"
                article = "an" if kind[0] in "aeiou" else "a"
                raise Refused(f"{shown} is {article} {kind} address; {_PRIVATE_HINT}")
    if not found:
        raise Refused(f"the host {host!r} has no address")
    return found


def url_problem(kernel: Accord, url: str) -> str | None:
    """Why a subscription may not post to ``url`` (None when it may)."""
    try:
        host, port, _, _ = _target(url)
        _addresses(host, port, settings(kernel).allow_private)
    except Refused as exc:
        return str(exc)
    return None


class _Pinned(http.client.HTTPConnection):
    """A connection to the checked address, whatever the name resolves to now."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the URL's host name, as usual.
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``Accord-Signature`` header: ``v1=`` and the hex HMAC-SHA256 of
    ``"{timestamp}.{body}"`` keyed with the subscription's secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"v1={digest.hexdigest()}"


def _post(config: Settings, url: str, secret: str, event_id: str,
          body: bytes) -> tuple[int | None, str | None]:
    """POST ``body``; (status code, None) for a 2xx, else (code or None, why)."""
    try:
        host, port, path, https = _target(url)
        address = _addresses(host, port, config.allow_private)[0]
    except Refused as exc:
        return None, f"refused: {exc}"
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "Accord-Event-Id": event_id, "Accord-Timestamp": timestamp,
               "Accord-Signature": sign(secret, timestamp, body)}
    kind = _PinnedTLS if https else _Pinned
    connection = kind(host, port, address, config.timeout_seconds)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read(_ERROR_CHARS)
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:_ERROR_CHARS]
    finally:
        connection.close()
    if 200 <= response.status < 300:
        return response.status, None
    text = answer.decode("utf-8", "replace").strip()
    return response.status, f"HTTP {response.status}" + (f": {text}" if text else "")


# Fan-out, claims, results -----------------------------------------------------------

def fan_out(kernel: Accord, limit: int = 500) -> int:
    """Give each new outbox message a delivery per matching active subscription and
    mark it routed; returns how many messages were routed."""
    M, S, D = OutboxMessage, WebhookSubscription, WebhookDelivery
    with kernel.bound():  # an idle pass reads, and takes no write lock
        if not M.select(M.id).where(M.status == "pending").exists():
            return 0
    with kernel.transaction():
        assert kernel.database is not None
        query = M.select().where(M.status == "pending").order_by(M.id).limit(limit)
        if is_postgres(kernel.database):
            # A second worker waits here, then skips what the first routed.
            query = query.for_update()
        messages = list(query)
        if not messages:
            return 0
        subscriptions = list(S.select(S.id, S.events).where(S.active == True))  # noqa: E712
        now = utcnow()
        rows = [{"message": m.id, "subscription": s.id, "topic": m.topic,
                 "record_key": record_key(m.topic, m.payload), "status": "pending",
                 "attempts": 0, "next_attempt_at": now, "created_at": now}
                for m in messages for s in subscriptions if matches(s.events or (), m.topic)]
        for start in range(0, len(rows), 200):
            D.insert_many(rows[start:start + 200]).on_conflict_ignore().execute()
        M.update(status="routed").where(M.id.in_([m.id for m in messages])).execute()
    return len(messages)


@dataclass(frozen=True)
class _Claimed:
    id: int
    attempts: int
    url: str
    secret: str
    event_id: str
    body: bytes


def body_of(message: OutboxMessage) -> bytes:
    """The JSON a receiver gets for a message: event id, topic, time, payload."""
    return json.dumps({"id": str(message.id), "topic": message.topic,
                       "created_at": message.created_at.isoformat(),
                       "payload": message.payload}, separators=(",", ":")).encode()


def _claim(kernel: Accord, owner: str, config: Settings, limit: int) -> list[_Claimed]:
    D, S, M = WebhookDelivery, WebhookSubscription, OutboxMessage
    earlier = D.alias("earlier")
    now = utcnow()
    blocked = (earlier.select(peewee.SQL("1"))
               .where(earlier.subscription == D.subscription,
                      earlier.record_key == D.record_key, earlier.id < D.id,
                      earlier.status.in_(OPEN)))
    claimed: list[_Claimed] = []
    with kernel.bound():  # an idle pass reads, and takes no write lock
        if not D.select(D.id).where(D.status.in_(OPEN), D.next_attempt_at <= now).exists():
            return claimed
    with kernel.transaction():
        query: Any = (D.select(D.id, D.attempts, D.message, S.url, S.secret)
                      .join(S, on=(D.subscription == S.id))
                      .where(D.status.in_(OPEN), D.next_attempt_at <= now,
                             D.lease_until.is_null() | (D.lease_until < now),
                             S.active == True,  # noqa: E712
                             D.record_key.is_null() | ~peewee.fn.EXISTS(blocked))
                      .order_by(D.id).limit(limit).dicts())
        due: list[dict[str, Any]] = list(query)
        until = now + timedelta(seconds=config.lease)
        taken: list[dict[str, Any]] = []
        for row in due:
            got = (D.update(lease_owner=owner, lease_until=until)
                   .where(D.id == row["id"], D.status.in_(OPEN),
                          D.lease_until.is_null() | (D.lease_until < now)).execute())
            if got == 1:
                taken.append(row)
        messages = {m.id: m for m in M.select().where(
            M.id.in_([row["message"] for row in taken]))} if taken else {}
        for row in taken:
            message = messages[row["message"]]
            claimed.append(_Claimed(row["id"], row["attempts"], row["url"], row["secret"],
                                    str(message.id), body_of(message)))
    return claimed


def _record(kernel: Accord, owner: str, config: Settings, item: _Claimed,
            status: int | None, error: str | None) -> str:
    D = WebhookDelivery
    attempts = item.attempts + 1
    now = utcnow()
    values: dict[Any, Any] = {D.attempts: attempts, D.last_status_code: status,
                              D.lease_owner: None, D.lease_until: None}
    if error is None:
        outcome = "delivered"
        values.update({D.status: outcome, D.delivered_at: now, D.last_error: None})
    else:
        outcome = "dead" if attempts >= config.max_attempts else "failed"
        wait = random.uniform(0, backoff_cap(config, attempts))  # full jitter
        values.update({D.status: outcome, D.last_error: error[:_ERROR_CHARS],
                       D.next_attempt_at: now + timedelta(seconds=wait)})
    with kernel.transaction():
        # A worker whose lease ran out (and was taken over) records nothing.
        D.update(values).where(D.id == item.id, D.lease_owner == owner).execute()
    if error is not None:
        logger.warning("webhook delivery %s (attempt %s) %s: %s", item.id, attempts,
                       outcome, error)
    return outcome


def deliver_due(kernel: Accord, *, owner: str | None = None, limit: int = 50) -> dict[str, int]:
    """One pass: fan out new messages, claim the due deliveries, post them. Returns
    how many ended delivered, failed (retried later) and dead."""
    config = settings(kernel)
    owner = owner or uuid.uuid4().hex
    fan_out(kernel)
    counts = {"delivered": 0, "failed": 0, "dead": 0}
    for item in _claim(kernel, owner, config, limit):
        status, error = _post(config, item.url, item.secret, item.event_id, item.body)
        counts[_record(kernel, owner, config, item, status, error)] += 1
    return counts


def run_deliveries(kernel: Accord, stop: threading.Event, *, poll: float = 1.0) -> None:
    """Deliver until ``stop`` is set: a pass, then a pause of ``poll`` seconds when it
    found nothing to do. A failing pass (the database away) is logged and retried."""
    owner = uuid.uuid4().hex
    while not stop.is_set():
        try:
            kernel.sync()
            counts = deliver_due(kernel, owner=owner)
        except Exception:  # the worker boundary: keep delivering once the cause is gone
            logger.exception("webhook delivery pass failed")
            counts = {}
        finally:
            kernel.release_connection()  # a connection that died is not used again
        if not any(counts.values()):
            stop.wait(poll)
