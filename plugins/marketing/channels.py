"""Sending channels: how a campaign's messages reach people.

A channel (``register_channels``, this plugin's hook) has a ``name`` campaigns of that
type use (``email``; a provider plugin adds ``sms``) and a ``send(kernel, message)``
that delivers one ``Message`` and returns the provider's id for it. It raises
``TemporaryFailure`` for a failure worth retrying (a refused connection, a busy server:
the job queue tries again later) and ``PermanentFailure`` for one that is not (an
address the server refuses: the member is marked bounced).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["Channel", "Message", "TemporaryFailure", "PermanentFailure"]


@dataclass(frozen=True)
class Message:
    """One message to one campaign member: the address (an email address, a phone
    number), the rendered subject and body, extra headers (``List-Unsubscribe``), and
    who it is for (``campaign_id``, ``member_id``, ``contact_id``)."""

    to: str
    subject: str
    body: str
    campaign_id: int
    member_id: int
    contact_id: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Channel:
    """A way to send: ``name`` (a campaign type), a ``label`` for people, the contact
    field holding the address (``email``, ``mobile``), and ``send``."""

    name: str
    label: str
    address_field: str
    send: Callable[[Accord, Message], str]


class TemporaryFailure(Exception):
    """Sending failed for now; the job queue tries again (``send_attempts``)."""


class PermanentFailure(Exception):
    """Sending this message will never work (the address is refused): no retry."""
