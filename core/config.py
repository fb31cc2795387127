"""Configuration: ``accord.toml`` (or ``--config``), overridden by ``ACCORD_*`` variables.

A broken file or a bad value is a ``ConfigError`` that names the key.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import marshmallow as ma

from .errors import ConfigError, describe_messages
from .money import CurrencyField

__all__ = ["Config", "load_config", "CONFIG_FILE", "FIELD_KINDS"]

CONFIG_FILE = "accord.toml"
FIELD_KINDS = ("text", "integer", "decimal", "date", "boolean", "choice", "multi_choice")

#: Environment variables and the key each overrides.
ENV_KEYS = {
    "ACCORD_DATABASE_URL": "database_url",
    "ACCORD_PLUGINS_DIR": "plugins_dir",
    "ACCORD_SECRET_KEY": "secret_key",
    "ACCORD_ENABLED_PLUGINS": "enabled_plugins",
    "ACCORD_DISCOVER_PLUGINS": "discover_plugins",
    "ACCORD_LOG_LEVEL": "log_level",
    "ACCORD_REDIS_URL": "redis_url",
    "ACCORD_BASE_CURRENCY": "base_currency",
    "ACCORD_SECURE_COOKIES": "secure_cookies",
    "ACCORD_TRUSTED_PROXIES": "trusted_proxies",
    "ACCORD_BUSY_TIMEOUT": "busy_timeout",
    "ACCORD_SIGNAL_TIMEOUT": "signal_timeout",
}


class _CustomFieldSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(FIELD_KINDS))
    label = ma.fields.String(load_default=None)
    required = ma.fields.Boolean(load_default=False)
    choices = ma.fields.List(ma.fields.String(), load_default=None)
    indexed = ma.fields.Boolean(load_default=False)
    personal = ma.fields.Boolean(load_default=False)


class _ConfigSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    database_url = ma.fields.String(load_default="sqlite:///accord.db")
    plugins_dir = ma.fields.String(load_default=None)
    secret_key = ma.fields.String(load_default=None)
    # Mark the web session cookie Secure even on plain HTTP requests (behind a proxy
    # that ends TLS without saying so); over HTTPS it is Secure anyway.
    secure_cookies = ma.fields.Boolean(load_default=False)
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host:
    # their values are trusted for that many hops (the client's address a rate limit
    # counts, https). 0: the headers are ignored (anyone could forge them).
    trusted_proxies = ma.fields.Integer(
        load_default=0, strict=True,
        validate=ma.validate.Range(0, 10, error="give the number of proxies, 0 to 10"))
    enabled_plugins = ma.fields.List(ma.fields.String(), load_default=list)
    # Seconds a write waits for SQLite's write lock (busy_timeout) and for a PostgreSQL
    # connection to open before the request is answered 503 (accord.unavailable).
    busy_timeout = ma.fields.Float(load_default=10.0, validate=ma.validate.Range(
        min=0.1, max=300, error="give seconds from 0.1 to 300"))
    # Seconds the caller waits for a signal's receivers before going on without the
    # ones still running (logged as hung; accord.signals).
    signal_timeout = ma.fields.Float(load_default=5.0, validate=ma.validate.Range(
        min=0.01, max=300, error="give seconds from 0.01 to 300"))
    discover_plugins = ma.fields.Boolean(load_default=True)
    log_level = ma.fields.String(
        load_default="WARNING",
        validate=ma.validate.OneOf(["DEBUG", "INFO", "WARNING", "ERROR"]),
    )
    plugin_settings = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Dict(), load_default=dict
    )
    # The job queue (accord worker); without it, a SQLite file beside the database.
    redis_url = ma.fields.String(
        load_default=None,
        validate=ma.validate.Regexp(
            r"^(redis|rediss|unix)://\S+$",
            error="expected redis://host:6379/0, rediss://… or unix:///path/to/socket"),
    )
    # The config key is "fields"; marshmallow takes declared fields off the class, so
    # shadowing Schema.fields is harmless at run time.
    fields = ma.fields.Dict(  # type: ignore[assignment]
        keys=ma.fields.String(),
        values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Dict()),
        load_default=dict,
    )
    organization_relationships = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=40)),
        load_default=lambda: ["prospect", "customer", "partner", "reseller", "supplier"],
        validate=ma.validate.Length(min=1),
    )
    # The currency every money metric is reported in (amounts in others are converted
    # with the exchange rates, accord.rates).
    base_currency = CurrencyField(load_default="EUR")
    # The largest file an import takes over the API or the import page, in MiB (other
    # requests stay at 1 MiB); the command line reads files of any size.
    import_max_mb = ma.fields.Integer(load_default=200, strict=True, validate=ma.validate.Range(
        min=1, max=10240, error="give megabytes from 1 to 10240"))
    # [webhooks]: delivery settings; the defaults live in accord.services.webhooks_delivery.
    webhooks = ma.fields.Nested(lambda: _WebhooksSchema(), load_default=dict)


class _WebhooksSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    _seconds = ma.validate.Range(min=0.1, max=86400, error="give seconds from 0.1 to 86400")
    allow_private = ma.fields.Boolean()  # deliver to private, loopback, link-local hosts
    timeout_seconds = ma.fields.Float(validate=_seconds)
    retry_base_seconds = ma.fields.Float(validate=_seconds)
    retry_max_seconds = ma.fields.Float(validate=_seconds)
    lease_seconds = ma.fields.Float(validate=_seconds)
    max_attempts = ma.fields.Integer(strict=True, validate=ma.validate.Range(
        min=1, max=100, error="give a number of attempts from 1 to 100"))


@dataclass(frozen=True)
class Config:
    """The settings a kernel runs with. Built by ``load_config`` or directly in code."""

    database_url: str = "sqlite:///accord.db"
    plugins_dir: str | None = None
    secret_key: str | None = None
    secure_cookies: bool = False
    trusted_proxies: int = 0
    enabled_plugins: tuple[str, ...] = ()
    busy_timeout: float = 10.0
    signal_timeout: float = 5.0
    discover_plugins: bool = True
    log_level: str = "WARNING"
    redis_url: str | None = None
    plugin_settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    fields: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    organization_relationships: tuple[str, ...] = (
        "prospect", "customer", "partner", "reseller", "supplier")
    base_currency: str = "EUR"
    import_max_mb: int = 200
    webhooks: Mapping[str, Any] = field(default_factory=dict)
    path: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, path: str | None = None) -> Config:
        """Validate a mapping shaped like ``accord.toml``; raise ConfigError naming the key."""
        where = path or "configuration"
        try:
            loaded = _ConfigSchema().load(dict(data))
        except ma.ValidationError as exc:
            raise ConfigError(f"{where}: {_describe(exc.messages)}") from None
        for type_name, defs in loaded["fields"].items():
            for name, definition in defs.items():
                key = f"fields.{type_name}.{name}"
                if not name.startswith("x_"):
                    raise ConfigError(f"{where}: {key}: custom field names start with 'x_'")
                try:
                    _CustomFieldSchema().load(definition)
                except ma.ValidationError as exc:
                    raise ConfigError(f"{where}: {key}: {_describe(exc.messages)}") from None
        loaded["enabled_plugins"] = tuple(loaded["enabled_plugins"])
        loaded["organization_relationships"] = tuple(loaded["organization_relationships"])
        return cls(**loaded, path=path)


def _describe(messages: Any) -> str:
    """Marshmallow's nested messages as 'key.sub: problem' text."""
    return describe_messages(messages, unknown="unknown key")


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for var, key in ENV_KEYS.items():
        if var not in environ:
            continue
        value: Any = environ[var]
        if key == "enabled_plugins":
            value = [p.strip() for p in value.split(",") if p.strip()]
        elif key in ("discover_plugins", "secure_cookies"):
            lowered = value.strip().lower()
            if lowered not in ("0", "1", "true", "false", "yes", "no"):
                raise ConfigError(f"{var}: expected true or false, got {value!r}")
            value = lowered in ("1", "true", "yes")
        elif key == "trusted_proxies":
            if not value.strip().isdigit():
                raise ConfigError(f"{var}: expected a number of proxies (0 to 10), got "
                                  f"{value!r}")
            value = int(value.strip())
        elif key in ("busy_timeout", "signal_timeout"):
            try:
                value = float(value.strip())
            except ValueError:
                raise ConfigError(f"{var}: expected a number of seconds, got {value!r}") from None
        out[key] = value
    return out


def load_config(path: str | os.PathLike[str] | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    """Read ``accord.toml`` (or ``path``) if present, then apply ``ACCORD_*`` variables.

    A path given explicitly (or through ``ACCORD_CONFIG``) must exist; relative paths
    in it are taken from the working folder, as the quick start runs Accord there.
    """
    environ = os.environ if environ is None else environ
    explicit = path is not None or "ACCORD_CONFIG" in environ
    file = Path(path if path is not None else environ.get("ACCORD_CONFIG", CONFIG_FILE))
    data: dict[str, Any] = {}
    if file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{file}: cannot be read: {exc.strerror}") from None
        data = _flatten_file(data, str(file))
    elif explicit:
        raise ConfigError(f"{file}: no such configuration file")
    overrides = _env_overrides(environ)
    try:
        # Checked on their own first, so a bad value is blamed on its variable, not the file.
        _ConfigSchema().load(overrides, partial=True)
    except ma.ValidationError as exc:
        key = next(iter(exc.messages))
        variable = {k: v for v, k in ENV_KEYS.items()}.get(key, "ACCORD_*")
        raise ConfigError(f"{variable}: {_describe(exc.messages)}") from None
    data.update(overrides)
    return Config.from_mapping(data, path=str(file) if file.exists() else None)


def _flatten_file(data: dict[str, Any], where: str) -> dict[str, Any]:
    """Map the file's tables onto the flat keys: [database] url, [plugins] enabled/dir/settings."""
    data = dict(data)
    out: dict[str, Any] = {}
    database = data.pop("database", {})
    plugins = data.pop("plugins", {})
    if not isinstance(database, dict) or not isinstance(plugins, dict):
        raise ConfigError(f"{where}: [database] and [plugins] must be tables")
    for key, value in database.items():
        if key not in ("url", "busy_timeout"):
            raise ConfigError(f"{where}: database.{key}: unknown key")
        out["database_url" if key == "url" else key] = value
    for key, value in plugins.items():
        target = {"enabled": "enabled_plugins", "dir": "plugins_dir",
                  "discover": "discover_plugins", "settings": "plugin_settings"}.get(key)
        if target is None:
            raise ConfigError(f"{where}: plugins.{key}: unknown key")
        out[target] = value
    if "fields" in data:
        out["fields"] = data.pop("fields")
    out.update(data)
    return out
