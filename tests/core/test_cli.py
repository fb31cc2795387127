"""The ``accord`` command line as a user meets it: output, exit codes and what is stored."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from accord import services
from accord.services.backup import read_archive_rows
from accord.models import Organization, PluginState, User


def rows(output):
    """The cells of a printed table, without its header and rule."""
    return [[c.strip() for c in line.split("  ") if c.strip()]
            for line in output.splitlines()[2:]]


@pytest.fixture
def project(cli_runner, database_url, plugins_folder):
    """A folder whose accord.toml names the test database and the local plugins."""
    Path("accord.toml").write_text(
        f'[database]\nurl = "{database_url}"\n'
        f'[plugins]\ndir = "{plugins_folder}"\ndiscover = false\n', encoding="utf-8")
    result = cli_runner("init")
    assert result.exit_code == 0, result.output
    return cli_runner


# accord init ------------------------------------------------------------------

def test_init_in_an_empty_folder_writes_a_commented_config_and_the_database(cli_runner):
    result = cli_runner("init")
    assert result.exit_code == 0, result.output
    assert "accord.toml: written" in result.output
    assert "database ready: sqlite:///accord.db" in result.output
    text = Path("accord.toml").read_text(encoding="utf-8")
    assert text.startswith("# Accord configuration.")
    assert '\n[database]\n' in text and 'url = "sqlite:///accord.db"' in text
    assert "# [fields.contact.x_tier]" in text
    with sqlite3.connect("accord.db") as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"accord_contact", "accord_plugin", "accord_migrations_core"} <= names
        assert conn.execute("SELECT count(*) FROM accord_role").fetchone() == (6,)


def test_init_twice_keeps_the_file_and_the_data(cli_runner):
    assert cli_runner("init").exit_code == 0
    assert cli_runner("users", "add", "ann@example.com", "--name", "Ann",
                      "--role", "sales").exit_code == 0
    written = Path("accord.toml").read_text(encoding="utf-8")
    again = cli_runner("init")
    assert again.exit_code == 0
    assert "accord.toml: kept as it is" in again.output
    assert Path("accord.toml").read_text(encoding="utf-8") == written
    assert "ann@example.com" in cli_runner("users", "list").output


def test_init_demo_loads_the_demo_once(cli_runner, database_url, make_kernel):
    cli_runner.env["ACCORD_DATABASE_URL"] = database_url
    result = cli_runner("init", "--demo")
    assert result.exit_code == 0, result.output
    assert ("demo data loaded: organizations 8, contacts 10, users 5, teams 1, activities 12, "
            "products 5") in result.output
    again = cli_runner("init", "--demo")
    assert "demo data skipped: the database already holds records" in again.output
    k = make_kernel()
    with k.bound():
        assert (Organization.select().count(), User.select().count()) == (8, 5)


def test_a_command_on_an_uninitialised_database_says_to_run_init(cli_runner, database_url):
    cli_runner.env["ACCORD_DATABASE_URL"] = database_url
    result = cli_runner("users", "list")
    assert result.exit_code == 1
    if database_url.startswith("sqlite:///"):  # no file is created: issue 11, item 21
        assert f"Error: no database at {database_url[10:]}; run 'accord init'" in result.output
    else:
        assert f"Error: the database {database_url} is not set up; run 'accord init'" in (
            result.output)


# accord plugins / hooks ---------------------------------------------------------

def test_plugins_list_shows_states_and_errors(project):
    result = project("plugins", "list")
    assert result.exit_code == 0
    listed = {r[0]: r for r in rows(result.output) if len(r) >= 4}
    assert listed["acme_notes"][1:3] == ["1.2.0", "discovered"]
    assert listed["broken_import"][2] == "failed"
    assert listed["acme_extra"][-1] == "acme_notes >=1,<2"
    assert ("broken_import: cannot import: RuntimeError: this plugin is broken on purpose"
            in result.output)
    data = {p["name"]: p for p in json.loads(project("plugins", "list", "--json").output)}
    assert data["wrong_args"]["state"] == "failed"
    assert "rowz" in data["wrong_args"]["error"]


def test_plugins_enable_info_disable(project):
    refused = project("plugins", "enable", "acme_extra")
    assert refused.exit_code == 1
    assert "it requires acme_notes (>=1,<2), not enabled" in refused.output
    done = project("plugins", "enable", "acme_extra", "--with-deps")
    assert (done.exit_code, done.output) == (0, "enabled acme_notes\nenabled acme_extra\n")
    assert project("plugins", "enable", "acme_notes").output == "acme_notes is already enabled\n"

    shown = project("plugins", "info", "acme_notes").output.splitlines()
    info = dict(re.match(r"(.+?)\s{2,}(.*)", line).groups() for line in shown)
    assert (info["version"], info["state"]) == ("1.2.0", "enabled")
    assert info["required by"] == "acme_extra, needs_new_notes"
    assert info["record types"] == "acme_notes.note"
    assert info["migrations"] == "0001_create_notes, 0002_add_priority"
    assert "validate_records" in info["hooks"]

    cascade = project("plugins", "disable", "acme_notes")
    assert cascade.exit_code == 1 and "use --cascade" in cascade.output
    off = project("plugins", "disable", "acme_notes", "--cascade")
    assert off.output == ("disabled acme_extra (its data is kept)\n"
                          "disabled acme_notes (its data is kept)\n")
    unknown = project("plugins", "info", "nothere")
    assert unknown.exit_code == 1 and "Error: unknown plugin 'nothere'" in unknown.output


def test_plugins_purge_needs_export_and_yes_and_dry_run_changes_nothing(project, make_kernel,
                                                                       plugins_folder):
    project("plugins", "enable", "acme_notes")
    k = make_kernel(plugins_dir=plugins_folder)
    services.create(k, "acme_notes.note", {"title": "Keep"}, actor=services.Actor.system("t"))
    project("plugins", "disable", "acme_notes")

    dry = project("plugins", "purge", "acme_notes", "--dry-run")
    assert dry.exit_code == 0
    assert ["acme_notes_note", "1"] in rows(dry.output.split("\n", 1)[1])
    assert "plugins depending on it: acme_extra, needs_new_notes" in dry.output
    no_export = project("plugins", "purge", "acme_notes", "--yes")
    assert no_export.exit_code == 2 and "--export FILE is required" in no_export.output
    no_yes = project("plugins", "purge", "acme_notes", "--export", "notes.json")
    assert no_yes.exit_code == 2 and "add --yes to confirm" in no_yes.output
    assert not Path("notes.json").exists()
    assert "acme_notes_note" in k.database.get_tables()

    done = project("plugins", "purge", "acme_notes", "--export", "notes.json", "--yes")
    assert done.exit_code == 0, done.output
    assert done.output == ("exported 1 rows of 1 tables to notes.json\n"
                           "deleted from its records (exported too): 0 activities, "
                           "0 tag links, 0 tags, 1 audit entry\npurged acme_notes\n")
    exported = read_archive_rows("notes.json", "acme_notes_note")
    assert [r["title"] for r in exported] == ["Keep"]
    assert "acme_notes_note" not in k.database.get_tables()
    with k.bound():
        assert PluginState.get_by_id("acme_notes").state == "purged"


def test_hooks_list_shows_call_order_and_disabled_plugins(project):
    project("plugins", "enable", "acme_extra", "--with-deps")
    project("plugins", "disable", "acme_extra")
    listed = {r[0]: r[1] for r in rows(project("hooks", "list").output)}
    assert listed["validate_records"] == "acme_notes, acme_extra (off)"
    assert listed["register_record_types"] == "acme_notes, core"
    assert "kernel_started" not in listed
    assert "kernel_started" in project("hooks", "list", "--all").output


# accord fields / users / teams / assign / transfer / report --------------------

def test_fields_add_list_remove(cli):
    added = cli("fields", "add", "contact", "x_tier", "choice", "--choices", "gold,silver",
                "--indexed")
    assert (added.exit_code, added.output) == (0, "added contact.x_tier (choice)\n")
    assert rows(cli("fields", "list").output) == [
        ["contact", "x_tier", "choice", "gold,silver", "indexed", "database"]]
    removed = cli("fields", "remove", "contact", "x_tier")
    assert removed.output == "removed contact.x_tier (stored values are kept)\n"
    assert cli("fields", "list").output == "no custom fields\n"
    gone = cli("fields", "remove", "contact", "x_tier")
    assert (gone.exit_code, gone.output) == (1, "Error: contact has no custom field 'x_tier'\n")


def test_fields_add_refuses_a_bad_name_or_kind(cli):
    bad_name = cli("fields", "add", "contact", "tier", "text")
    assert bad_name.exit_code == 1
    assert "name: 'tier': custom field names start with 'x_'" in bad_name.output
    bad_kind = cli("fields", "add", "contact", "x_tier", "colour")
    assert bad_kind.exit_code == 2  # a usage error: click lists the kinds
    assert "'colour' is not one of 'text', 'integer'" in bad_kind.output
    no_choices = cli("fields", "add", "contact", "x_level", "choice")
    assert no_choices.exit_code == 1 and "choices: a choice field needs a list of choices" in (
        no_choices.output)
    assert cli("fields", "list").output == "no custom fields\n"


def test_users_add_and_list_and_an_unknown_role(cli, kernel):
    added = cli("users", "add", "Ann@Example.com", "--name", "Ann", "--role", "sales")
    assert added.exit_code == 0, added.output
    bad = cli("users", "add", "bob@example.com", "--name", "Bob", "--role", "boss")
    assert bad.exit_code == 1
    assert ("role: no role 'boss' (roles: admin, manager, marketing, read-only, sales, service)"
            in bad.output)
    with kernel.bound():
        assert [u.email for u in User.select()] == ["ann@example.com"]
    assert [r[1:5] for r in rows(cli("users", "list").output)] == [
        ["ann@example.com", "Ann", "sales", "active"]]


def test_teams_add_join_list(cli):
    cli("users", "add", "ann@example.com", "--name", "Ann", "--role", "manager")
    cli("users", "add", "bob@example.com", "--name", "Bob", "--role", "sales")
    team = cli("teams", "add", "Field sales", "--manager", "ann@example.com")
    assert team.exit_code == 0 and team.output.endswith(": Field sales\n")
    assert cli("teams", "join", "Field sales", "bob@example.com").output == (
        "bob@example.com joined Field sales\n")
    # The manager is a member.
    assert [r[1:] for r in rows(cli("teams", "list").output)] == [
        ["Field sales", "ann@example.com", "ann@example.com, bob@example.com"]]
    missing = cli("teams", "join", "Nope", "bob@example.com")
    assert (missing.exit_code, missing.output) == (
        1, "Error: no team 'Nope' (give an id or a name)\n")


def test_assign_and_transfer(cli, kernel, actor):
    cli("users", "add", "ann@example.com", "--name", "Ann", "--role", "sales")
    cli("users", "add", "bob@example.com", "--name", "Bob", "--role", "sales")
    cli("teams", "add", "North")
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=actor)
    services.create(kernel, "contact", {"last_name": "Ng", "organization_id": org.id},
                    actor=actor)
    assigned = cli("assign", "organization", str(org.id), "--to", "ann@example.com",
                   "--team", "North")
    assert assigned.exit_code == 0, assigned.output
    assert cli("assign", "contact", "1", "--to", "ann@example.com").exit_code == 0
    assert cli("assign", "organization", str(org.id)).exit_code == 2

    moved = cli("transfer", "--from", "ann@example.com", "--to", "bob@example.com")
    assert moved.output.splitlines() == ["contact: 1", "organization: 1", "transferred 2 records"]
    with kernel.bound():
        stored = Organization.get_by_id(org.id)
        assert (stored.owner.email, stored.team.name) == ("bob@example.com", "North")
    same = cli("transfer", "--from", "bob@example.com", "--to", "bob@example.com")
    assert same.exit_code == 1 and "already belong to that user" in same.output


def test_report_lists_and_computes_metrics(cli, kernel, actor):
    listing = cli("report")
    assert [r[0] for r in rows(listing.output)] == [
        "core.active_customers", "core.completeness", "core.contact_frequency",
        "core.new_customers", "core.stale_records"]
    services.bulk_create(kernel, "organization", [
        {"name": "A", "relationship": "customer"}, {"name": "B", "relationship": "customer"},
        {"name": "C", "relationship": "prospect"}], actor=actor)
    total = cli("report", "core.new_customers", "--by", "total")
    assert total.exit_code == 0
    assert rows(total.output.split("\n", 1)[1]) == [["total", "2"]]
    unknown = cli("report", "core.nope")
    assert unknown.exit_code == 1 and "unknown metric 'core.nope'" in unknown.output


# Start-up cost ------------------------------------------------------------------

def test_help_imports_nothing_heavy():
    code = ("import sys\nfrom accord.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('peewee', 'marshmallow', 'flask') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert "Commands:" in run.stdout
    assert run.stdout.strip().splitlines()[-1] == "[]"
