"""Issue 11 (data safety and authorization), as a user meets it: the exact message, the
exit code, and that nothing changed."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import accord_sales.hooks
import pytest

from accord import services
from accord.config import Config
from accord.database import masked_url
from accord.errors import ConfigError, ValidationError
from accord.kernel import Accord
from accord.models import Contact
from accord.services.assignment import assign, transfer

SECRET_URL = "postgresql://postgres:S3cretPw@127.0.0.1:1/accord"
BROKEN = ("warning: plugin broken_import failed to load: cannot import: RuntimeError: this "
          "plugin is broken on purpose (accord plugins info broken_import)")


@pytest.fixture
def project(cli_runner, database_url, plugins_folder):
    """A folder whose accord.toml names the test database and the local plugins."""
    Path("accord.toml").write_text(
        f'[database]\nurl = "{database_url}"\n'
        f'[plugins]\ndir = "{plugins_folder}"\ndiscover = false\n', encoding="utf-8")
    result = cli_runner("init")
    assert result.exit_code == 0, result.output
    return cli_runner


@pytest.fixture
def site(cli_runner, database_url):
    """A folder whose accord.toml names the test database, set up, with no plugins."""
    Path("accord.toml").write_text(f'[database]\nurl = "{database_url}"\n', encoding="utf-8")
    result = cli_runner("init")
    assert result.exit_code == 0, result.output
    return cli_runner


# Item 9 -------------------------------------------------------------------------

def test_item_09_no_password_in_connection_errors(cli_runner):
    assert masked_url(SECRET_URL) == "postgresql://postgres:***@127.0.0.1:1/accord"
    assert masked_url("postgresql://postgres@db/accord") == "postgresql://postgres@db/accord"
    with pytest.raises(ConfigError) as exc:
        Accord(Config(database_url=SECRET_URL)).start()
    assert str(exc.value).startswith(
        "database_url: cannot connect to postgresql://postgres:***@127.0.0.1:1/accord: ")
    assert "S3cretPw" not in str(exc.value)
    cli_runner.env["ACCORD_DATABASE_URL"] = SECRET_URL
    result = cli_runner("users", "list")
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: database_url: cannot connect to postgresql://postgres:***@127.0.0.1:1/accord: ")
    assert "S3cretPw" not in result.output
    with pytest.raises(ConfigError) as exc:
        Accord(Config(database_url="mysql://root:S3cretPw@db/accord")).start()
    assert str(exc.value) == ("database_url: unsupported scheme 'mysql' in "
                              "'mysql://root:***@db/accord'; use sqlite:/// or postgresql://")


def test_item_09_init_shows_the_url_it_set_up(cli_runner, database_url):
    cli_runner.env["ACCORD_DATABASE_URL"] = database_url
    result = cli_runner("init")
    assert result.exit_code == 0, result.output
    assert f"database ready: {masked_url(database_url)}" in result.output


# Item 20 ------------------------------------------------------------------------

def test_item_20_serve_refuses_a_port_out_of_range(site):
    result = site("serve", "--port", "99999")
    assert result.exit_code == 2
    assert ("Error: Invalid value for '--port': 99999 is not in the range 1<=x<=65535."
            in result.output)
    assert "serving" not in result.output


def test_item_20_serve_on_a_taken_port_is_one_line(site):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = site("serve", "--port", str(port))
    assert result.exit_code == 1
    assert result.output == (f"Error: cannot serve on http://127.0.0.1:{port}/: "
                             "Address already in use\n")


def test_item_20_serve_on_a_bad_host_says_so_first(site):
    result = site("serve", "--host", "no-such-host.invalid")
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot serve on http://no-such-host.invalid:5000/: "
                                    "unknown host 'no-such-host.invalid' (")
    assert "serving" not in result.output


def test_item_20_serve_announces_once_bound(site, monkeypatch):
    from werkzeug.serving import BaseWSGIServer

    served = []
    monkeypatch.setattr(BaseWSGIServer, "serve_forever",
                        lambda self, *a, **k: served.append(self.server_address[1]))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = site("serve", "--port", str(port))
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Accord is serving on http://127.0.0.1:{port}/ "
                                    "(Ctrl+C to stop)\n")
    assert served == [port]


# Item 21 ------------------------------------------------------------------------

@pytest.mark.parametrize("command", [("users", "list"), ("serve",), ("plugins", "list")])
def test_item_21_read_commands_create_no_database(cli_runner, command):
    result = cli_runner(*command)
    assert result.exit_code == 1
    assert result.output == "Error: no database at accord.db; run 'accord init'\n"
    assert not Path("accord.db").exists()
    assert sorted(p.name for p in Path(".").iterdir()) == []


def test_item_21_init_still_creates_the_database(cli_runner):
    result = cli_runner("init")
    assert result.exit_code == 0, result.output
    assert Path("accord.db").exists()
    assert cli_runner("users", "list").exit_code == 0


# Item 22 ------------------------------------------------------------------------

DEACTIVATED = ("gone@example.com is deactivated; records would be lost to a user who cannot "
               "work them")


def test_item_22_assign_to_a_deactivated_user_is_refused_like_transfer(kernel, actor, cli):
    ann = services.create(kernel, "user", {"email": "ann@example.com", "name": "Ann",
                                           "role": "sales"}, actor=actor)
    services.create(kernel, "user", {"email": "gone@example.com", "name": "Gone",
                                     "role": "sales", "active": False}, actor=actor)
    contact = services.create(kernel, "contact", {"last_name": "Doe", "owner_id": ann.id},
                              actor=actor)
    with pytest.raises(ValidationError) as assigning:
        assign(kernel, "contact", contact.id, actor=actor, user="gone@example.com")
    with pytest.raises(ValidationError) as transferring:
        transfer(kernel, from_user=ann.id, to_user="gone@example.com", actor=actor)
    assert str(assigning.value) == str(transferring.value) == f"to: {DEACTIVATED}"
    for args in (("assign", "contact", str(contact.id), "--to", "gone@example.com"),
                 ("transfer", "--from", "ann@example.com", "--to", "gone@example.com")):
        result = cli(*args)
        assert result.exit_code == 1
        assert result.output == f"Error: invalid input:\n  to: {DEACTIVATED}\n"
    with kernel.bound():
        assert Contact.get_by_id(contact.id).owner_id == ann.id


# Item 25 ------------------------------------------------------------------------

def test_item_25_a_broken_plugin_is_one_warning_line(project, monkeypatch):
    # As in a shell: logging unconfigured (pytest's capture handlers taken away).
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    result = project("users", "list")
    assert result.exit_code == 0, result.output
    assert BROKEN in result.output.splitlines()
    assert "Traceback" not in result.output
    verbose = project("--verbose", "users", "list")
    assert verbose.exit_code == 0, verbose.output
    assert BROKEN in verbose.output.splitlines()
    assert "Traceback (most recent call last)" in verbose.output
    info = project("plugins", "info", "broken_import")
    assert info.exit_code == 0, info.output
    assert "error        cannot import: RuntimeError: this plugin is broken on purpose" in (
        info.output)
    assert "Traceback (most recent call last)" in info.output
    assert info.output.rstrip().endswith("RuntimeError: this plugin is broken on purpose")


# Item 19 ------------------------------------------------------------------------

@pytest.mark.plugins(accord_sales.hooks)
@pytest.mark.parametrize("args, message", [
    (("--from", "9999-12", "--months", "2"),
     "from: give a month from 1900-01 to 9899-11 for 2 months, not 9999-12"),
    (("--from", "0001-01"), "from: give a month from 1900-01 to 9899-07 for 6 months, not 0001-01"),
])
def test_item_19_forecast_out_of_the_calendar_is_an_error(cli, args, message):
    result = cli("sales", "forecast", *args)
    assert result.exit_code == 1
    assert result.output == f"Error: invalid input:\n  {message}\n"


@pytest.mark.plugins(accord_sales.hooks)
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_item_19_jobs_run_out_of_the_calendar_is_an_error(cli, day):
    result = cli("jobs", "run", "sales.contract_renewals", "--date", day)
    assert result.exit_code == 2
    assert (f"Error: Invalid value for '--date': give a day from 1900-01-01 to 9899-12-31, "
            f"not {day}") in result.output
    assert "Traceback" not in result.output
    listed = cli("jobs", "list")
    assert "sales.contract_renewals  sales   15 6 * * *  never" in listed.output
