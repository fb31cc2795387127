"""Hooks the marketing plugin declares for other plugins (a provider plugin's sending
channel).

A plugin implementing them declares ``requires={"marketing": ">=0.1,<1"}`` in its
manifest, so it loads after the marketing plugin has added these specifications (an
implementation of a hook nobody declared is a load error).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accord.hooks import hookspec

if TYPE_CHECKING:
    from .channels import Channel

__all__ = ["register_channels"]


@hookspec
def register_channels() -> list[Channel]:
    """Declare ways to send campaign messages (SMS through a provider, a chat app).

    Called: when a campaign is sent (``accord marketing campaign send``, the launch
        action) and when campaign types are listed; only for enabled plugins.
    Returns: a list of ``accord_marketing.channels.Channel(name, label, address_field,
        send)``: campaigns of type ``name`` are sent through it, to the contact field
        ``address_field``; ``send(kernel, message)`` delivers one
        ``accord_marketing.channels.Message`` and returns the provider's id, or raises
        ``TemporaryFailure`` (retried by the job queue) or ``PermanentFailure`` (the
        member is marked bounced).
    Order: every implementation runs; the first channel of a name wins. The shipped
        SMTP channel (``accord_marketing.smtp.EMAIL``) comes after them all, so a
        plugin declaring ``email`` replaces it. A channel refused or retried never
        sends twice: the member is marked sent with the returned id in the same
        transaction as the call, and skipped once sent.
    Since: marketing 0.1
    """
