"""Configuration: accord.toml and ACCORD_* variables. Every mistake is a ConfigError
naming the key, and the CLI shows it without a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from accord.config import load_config
from accord.database import open_database
from accord.errors import ConfigError


def config_error(text: str, environ: dict[str, str] | None = None) -> str:
    Path("accord.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(environ=environ or {})
    return str(exc.value)


def test_defaults_without_a_file():
    config = load_config(environ={})
    assert (config.database_url, config.log_level, config.path) == (
        "sqlite:///accord.db", "WARNING", None)


def test_the_file_is_read_with_its_tables():
    Path("accord.toml").write_text(
        'log_level = "INFO"\n[database]\nurl = "sqlite:///crm.db"\n'
        '[plugins]\nenabled = ["sales"]\ndir = "local"\ndiscover = false\n'
        '[plugins.settings.sales]\ncurrency = "EUR"\n'
        '[fields.contact.x_tier]\nkind = "choice"\nchoices = ["gold", "silver"]\n',
        encoding="utf-8")
    config = load_config(environ={})
    assert config.database_url == "sqlite:///crm.db"
    assert (config.enabled_plugins, config.plugins_dir, config.discover_plugins) == (
        ("sales",), "local", False)
    assert config.plugin_settings == {"sales": {"currency": "EUR"}}
    assert config.fields["contact"]["x_tier"]["choices"] == ["gold", "silver"]
    assert config.path == "accord.toml"


def test_broken_toml_names_the_file_and_the_place():
    message = config_error('log_level = "INFO"\n[database\nurl = "x"\n')
    assert message.startswith("accord.toml: not valid TOML: ")
    assert "line 2" in message


def test_unknown_key_is_named():
    assert config_error('databse = "sqlite:///x.db"\n') == "accord.toml: databse: unknown key"
    assert config_error('[database]\nulr = "x"\n') == "accord.toml: database.ulr: unknown key"
    assert config_error('[plugins]\nenable = ["x"]\n') == "accord.toml: plugins.enable: unknown key"


def test_bad_value_is_named():
    assert config_error('log_level = "LOUD"\n') == (
        "accord.toml: log_level: Must be one of: DEBUG, INFO, WARNING, ERROR.")
    assert config_error('[plugins]\nenabled = "sales"\n') == (
        "accord.toml: enabled_plugins: Not a valid list.")


def test_custom_field_needs_the_x_prefix_and_a_known_kind():
    assert config_error('[fields.contact.tier]\nkind = "text"\n') == (
        "accord.toml: fields.contact.tier: custom field names start with 'x_'")
    assert config_error('[fields.contact.x_tier]\nkind = "colour"\n') == (
        "accord.toml: fields.contact.x_tier: kind: Must be one of: text, integer, decimal, "
        "date, boolean, choice, multi_choice.")
    assert config_error('[fields.contact.x_tier]\nkind = "text"\nsize = 3\n') == (
        "accord.toml: fields.contact.x_tier: size: unknown key")


def test_accord_variables_override_the_file():
    Path("accord.toml").write_text(
        'log_level = "INFO"\n[database]\nurl = "sqlite:///file.db"\n', encoding="utf-8")
    config = load_config(environ={"ACCORD_DATABASE_URL": "sqlite:///env.db",
                                  "ACCORD_LOG_LEVEL": "DEBUG",
                                  "ACCORD_ENABLED_PLUGINS": "sales, service,",
                                  "ACCORD_DISCOVER_PLUGINS": "no",
                                  "ACCORD_PLUGINS_DIR": "/srv/plugins"})
    assert config.database_url == "sqlite:///env.db"
    assert config.log_level == "DEBUG"
    assert config.enabled_plugins == ("sales", "service")
    assert (config.discover_plugins, config.plugins_dir) == (False, "/srv/plugins")


def test_real_environment_is_read_by_default(monkeypatch):
    monkeypatch.setenv("ACCORD_LOG_LEVEL", "ERROR")
    assert load_config().log_level == "ERROR"


def test_trusted_proxies_are_a_small_number():
    assert load_config(environ={"ACCORD_TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    assert load_config(environ={}).trusted_proxies == 0
    assert config_error("", {"ACCORD_TRUSTED_PROXIES": "yes"}) == (
        "ACCORD_TRUSTED_PROXIES: expected a number of proxies (0 to 10), got 'yes'")
    assert config_error("trusted_proxies = 11\n").endswith(
        "trusted_proxies: give the number of proxies, 0 to 10")


def test_bad_variables_are_named():
    assert config_error("", {"ACCORD_DISCOVER_PLUGINS": "maybe"}) == (
        "ACCORD_DISCOVER_PLUGINS: expected true or false, got 'maybe'")
    # The file is fine; the message blames the variable.
    assert config_error('log_level = "INFO"\n', {"ACCORD_LOG_LEVEL": "LOUD"}) == (
        "ACCORD_LOG_LEVEL: log_level: Must be one of: DEBUG, INFO, WARNING, ERROR.")


def test_an_explicit_config_path_must_exist():
    with pytest.raises(ConfigError) as exc:
        load_config("elsewhere/accord.toml", environ={})
    assert str(exc.value) == "elsewhere/accord.toml: no such configuration file"
    with pytest.raises(ConfigError) as exc:
        load_config(environ={"ACCORD_CONFIG": "missing.toml"})
    assert str(exc.value) == "missing.toml: no such configuration file"


@pytest.mark.parametrize("url, message", [
    ("mysql://u@db/crm",
     "database_url: unsupported scheme 'mysql' in 'mysql://u@db/crm'; use sqlite:/// or "
     "postgresql://"),
    ("sqlite://", "database_url: no file in 'sqlite://' (e.g. sqlite:///accord.db)"),
])
def test_unsupported_database_urls(url, message):
    with pytest.raises(ConfigError) as exc:
        open_database(url)
    assert str(exc.value) == message


def test_unknown_enabled_plugin_is_named_on_init(cli_runner):
    Path("accord.toml").write_text('[plugins]\nenabled = ["nosuch"]\ndiscover = false\n',
                                   encoding="utf-8")
    result = cli_runner("init")
    assert result.exit_code == 1
    assert "enabled_plugins: unknown plugin 'nosuch'" in result.output


def test_cli_shows_a_broken_file_without_a_traceback(cli_runner):
    Path("accord.toml").write_text("databse = 1\n", encoding="utf-8")
    result = cli_runner("plugins", "list")
    assert result.exit_code == 1
    assert "Error: accord.toml: databse: unknown key" in result.output
    assert "Traceback" not in result.output
    assert not Path("accord.db").exists()


def test_cli_missing_config_option_path(cli_runner):
    result = cli_runner("--config", "nope.toml", "users", "list")
    assert result.exit_code == 1
    assert "Error: nope.toml: no such configuration file" in result.output


def test_a_real_run_prints_the_message_on_stderr_and_no_traceback(tmp_path):
    (tmp_path / "accord.toml").write_text("[database\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", "from accord.cli import main; main()",
                          "users", "list"], cwd=tmp_path, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin"}, timeout=60)
    assert run.returncode == 1
    assert "Error: accord.toml: not valid TOML" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
