"""The errors Accord raises on purpose, and who sees each of them.

Every error a user can cause is an ``AccordError``: the CLI prints its message and
exits 1 without a traceback, the API turns it into an ``application/problem+json``
answer with the status given here.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AccordError",
    "ConfigError",
    "NotFound",
    "PermissionDenied",
    "PluginError",
    "PluginFailed",
    "PluginLoadError",
    "StaleVersion",
    "TooManyRequests",
    "Conflict",
    "ValidationError",
    "flatten_messages", "describe_messages", "BadQuery",
]


class AccordError(Exception):
    """Base of every expected error. Seen by API clients and CLI users as a message."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(AccordError):
    """Input that breaks a rule: a field, a custom field or a plugin's veto (API: 422).

    ``messages`` maps a field name (``email``, ``x_tier``, or ``rows[17].email`` for a
    row of a bulk write) to the list of what is wrong with it.
    """

    status = 422

    def __init__(self, messages: dict[str, list[str]] | str, *, row: int | None = None) -> None:
        if isinstance(messages, str):
            messages = {"_schema": [messages]}
        self.messages = {key: list(value) for key, value in messages.items()}
        self.row = row
        super().__init__(self._summary())

    def _summary(self) -> str:
        parts = []
        for field, problems in self.messages.items():
            where = field if self.row is None else f"rows[{self.row}].{field}"
            if field == "_schema":
                where = "record" if self.row is None else f"rows[{self.row}]"
            parts.append(f"{where}: {' '.join(problems)}")
        return "; ".join(parts)

    def at_row(self, row: int) -> ValidationError:
        """The same error, placed at a row of a bulk write."""
        return ValidationError(self.messages, row=row)

    def flat(self) -> dict[str, list[str]]:
        """Messages keyed by their full path (``rows[3].email`` inside a bulk)."""
        if self.row is None:
            return dict(self.messages)
        return {
            (f"rows[{self.row}]" if k == "_schema" else f"rows[{self.row}].{k}"): v
            for k, v in self.messages.items()
        }


def flatten_messages(messages: Any, prefix: str = "",
                     unknown: str | None = None) -> dict[str, list[str]]:
    """``{"a": {"b": ["x"]}}`` as ``{"a.b": ["x"]}``; "Unknown field." names the field
    (or reads ``unknown``: "unknown key" in a config file)."""
    if isinstance(messages, list):
        flat = [str(m) for m in messages if not isinstance(m, dict)]
        out = {prefix or "_schema": flat} if flat else {}
        for nested in (m for m in messages if isinstance(m, dict)):
            out.update(flatten_messages(nested, prefix, unknown))
        return out
    if not isinstance(messages, dict):
        return {prefix or "_schema": [str(messages)]}
    out = {}
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if value == ["Unknown field."]:
            value = [unknown or f"unknown field {key!r}"]
        out.update(flatten_messages(value, name, unknown))
    return out


def describe_messages(messages: Any, prefix: str = "", unknown: str | None = None) -> str:
    """Flattened messages as one line of text: ``a.b: x; c: y``."""
    return "; ".join(f"{name}: {' '.join(texts)}"
                     for name, texts in flatten_messages(messages, prefix, unknown).items())


class BadQuery(ValidationError):
    """A query's parameters that cannot be understood (a list's unknown filter, a
    foreign cursor): ``detail`` says what, ``messages`` name each parameter (API:
    400, not 422: nothing was to be written)."""

    status = 400

    def __init__(self, detail: str, messages: dict[str, list[str]]) -> None:
        super().__init__(messages)
        self.detail = detail


class NotFound(AccordError):
    """A record, record type, user, plugin or field that does not exist (API: 404)."""

    status = 404


class PermissionDenied(AccordError):
    """The actor lacks a permission; the message names it (API: 403)."""

    status = 403


class StaleVersion(AccordError):
    """An update or delete made against an older version of a record (API: 412)."""

    status = 412


class Conflict(AccordError):
    """A request that clashes with the current state, such as disabling a plugin
    that others need (API: 409)."""

    status = 409


class TooManyRequests(AccordError):
    """The same thing asked too often in a short time, such as a public form sent again
    and again (API and pages: 429)."""

    status = 429


class ConfigError(AccordError):
    """A broken ``accord.toml`` or ``ACCORD_*`` variable; the message names the key.
    Seen by whoever starts Accord."""


class PluginError(AccordError):
    """A plugin that cannot be enabled, disabled or purged as asked; names the plugin.

    ``option``: the option of the request that would do it anyway (``with_deps``,
    ``cascade``), which each face names in its own terms (``--with-deps``,
    ``{"with_deps": true}``) after the message."""

    status = 409

    def __init__(self, message: str, *, plugin: str, hook: str | None = None,
                 option: str | None = None) -> None:
        super().__init__(message)
        self.plugin = plugin
        self.hook = hook
        self.option = option


class PluginLoadError(PluginError):
    """A plugin that failed to import or register (a misspelled hook, wrong hook
    arguments). The plugin is marked failed with this message; the rest start."""


class PluginFailed(PluginError):
    """A plugin's hook raised an error of its own while serving a request: the write
    (or read) is refused, nothing is changed, and the message names the plugin and the
    hook, logged with its traceback. A 409 like every plugin error, as the project's
    rule for a broken third-party plugin asks (a 4xx naming the culprit): the client
    sent nothing wrong, but the request cannot be served in the installation's present
    state, and an administrator changes that state by disabling the plugin."""
