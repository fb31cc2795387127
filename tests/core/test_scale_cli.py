"""accord demo: the small demo, --scale N, and its messages for a bad N (issue 17)."""

from __future__ import annotations

import pytest

from accord import services
from accord.models import Contact, Organization
from accord_sdk.pytest_plugin import CliRunner


@pytest.mark.plugins("sales")
def test_scale_cli_writes_and_reports(kernel):
    result = CliRunner(kernel)("demo", "--scale", "0.001")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("scale 0.001 written in ")
    assert ("users 7, teams 1, products 20, organizations 200, contacts 1,000, "
            "sales.opportunities 300, sales.closed ") in lines[0]
    assert lines[1].startswith("time by step: users ")
    with kernel.bound():
        assert Contact.select().count() == 1000


def test_scale_cli_names_the_plugins_it_skips(make_kernel):
    kernel = make_kernel(plugins=["sales", "service"])  # loaded, not enabled
    result = CliRunner(kernel)("demo", "--scale", "0.001")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == ["sales: skipped, the plugin is not enabled",
                                              "service: skipped, the plugin is not enabled"]


@pytest.mark.parametrize("value, message", [
    ("0", "--scale: 0 is not a scale; give a number above 0 (0.01 is 10,000 contacts, 1 is "
          "a million)"),
    ("-0.5", "--scale: -0.5 is not a scale; give a number above 0 (0.01 is 10,000 contacts, "
             "1 is a million)"),
    ("many", "--scale: 'many' is not a number; give a number above 0, such as 0.01 or 1"),
    ("", "--scale: '' is not a number; give a number above 0, such as 0.01 or 1"),
    ("inf", "--scale: inf is not a scale; give a number above 0 (0.01 is 10,000 contacts, 1 "
            "is a million)"),
    ("11", "--scale: 11 is too large; the largest scale is 10 (10,000,000 contacts)"),
])
def test_scale_cli_refuses_a_bad_number(kernel, value, message):
    result = CliRunner(kernel)("demo", "--scale", value)
    assert (result.exit_code, result.output) == (1, f"Error: {message}\n")
    with kernel.bound():
        assert Organization.select().count() == 0


def test_scale_cli_refuses_a_database_with_records(kernel, actor):
    services.create(kernel, "organization", {"name": "Kept"}, actor=actor)
    result = CliRunner(kernel)("demo", "--scale", "0.01")
    assert (result.exit_code, result.output) == (1, (
        "Error: the database already holds records; accord demo --scale fills an empty "
        "database only (create a new one, or point ACCORD_DATABASE_URL at one)\n"))
    with kernel.bound():
        assert [o.name for o in Organization.select()] == ["Kept"]


def test_scale_cli_without_scale_loads_the_small_demo(kernel):
    cli = CliRunner(kernel)
    result = cli("demo")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("demo data loaded: organizations 8, contacts 10,")
    again = cli("demo")
    assert (again.exit_code, again.output) == (1, "Error: the database already holds "
                                                  "records; the demo fills an empty database "
                                                  "only\n")
