"""The shipped ``email`` channel: campaign messages sent with the standard library's
``smtplib`` to the server of the settings (``smtp_host``, ``smtp_port``,
``smtp_starttls``, ``smtp_username``, ``smtp_password``), from ``from_address``.

Each message is plain text with an HTML alternative carrying the open-tracking pixel;
its ``Message-ID`` is the provider id kept on the member. A refused connection, a
dropped one or a 4xx answer is a ``TemporaryFailure`` (tried again later); a refused
recipient or another 5xx answer a ``PermanentFailure`` (the member is bounced).
"""

from __future__ import annotations

import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING

from .channels import Channel, Message, PermanentFailure, TemporaryFailure

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["EMAIL", "send_email", "build_email"]

#: How long a connection or an answer of the server is waited for, in seconds.
TIMEOUT = 30


def build_email(kernel: Accord, message: Message) -> EmailMessage:
    """The email of ``message``: text, and HTML with the open-tracking pixel."""
    from .campaigns import tracking_url

    settings = kernel.settings("marketing")
    email = EmailMessage()
    email["From"] = settings["from_address"]
    email["To"] = message.to
    email["Subject"] = message.subject
    domain = settings["from_address"].rpartition("@")[2] or None
    email["Message-ID"] = make_msgid(f"campaign{message.campaign_id}", domain=domain)
    for name, value in message.headers.items():
        email[name] = value
    email.set_content(message.body)
    pixel = tracking_url(kernel, "open", message.member_id)
    paragraphs = "".join(f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>"
                         for part in message.body.split("\n\n"))
    email.add_alternative(
        f"<!doctype html><html><body>{paragraphs}"
        f'<img src="{html.escape(pixel)}" width="1" height="1" alt=""></body></html>',
        subtype="html")
    return email


def send_email(kernel: Accord, message: Message) -> str:
    """Send one campaign message through the SMTP server; its Message-ID."""
    settings = kernel.settings("marketing")
    email = build_email(kernel, message)
    try:
        with smtplib.SMTP(settings["smtp_host"], settings["smtp_port"],
                          timeout=TIMEOUT) as server:
            if settings["smtp_starttls"]:
                server.starttls(context=ssl.create_default_context())
            if settings["smtp_username"]:
                server.login(settings["smtp_username"], settings["smtp_password"] or "")
            server.send_message(email)
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure(f"the server refused {message.to}: "
                               f"{_answer(exc.recipients)}") from None
    except smtplib.SMTPResponseException as exc:
        text = f"the server answered {exc.smtp_code} {_text(exc.smtp_error)}"
        if 400 <= exc.smtp_code < 500:
            raise TemporaryFailure(text) from None
        raise PermanentFailure(text) from None
    except (OSError, smtplib.SMTPException) as exc:
        # A refused or dropped connection, a timeout: the server may be back later.
        raise TemporaryFailure(f"could not reach {settings['smtp_host']}:"
                               f"{settings['smtp_port']}: {exc}") from None
    return str(email["Message-ID"])


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _answer(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{code} {_text(text)}" for code, text in recipients.values())


#: The channel the plugin declares for ``email`` campaigns.
EMAIL = Channel("email", "Email (SMTP)", "email", send_email)
