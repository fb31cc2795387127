"""What restore refuses, and what it leaves (issue 16, part 4): a database that is not
empty is left as it was; a newer archive format, a migration or a plugin this
installation lacks, a corrupted or truncated archive are refused with a message that
names the culprit, and the target database is left empty. The CLI's exit codes."""

from __future__ import annotations

import gzip
import json
import os
import zipfile

import pytest

from accord import services
from accord.config import Config
from accord.database import open_database
from accord.errors import AccordError
from accord.models import Contact
from accord.services.backup import backup
from accord.services.backup_schema import user_tables
from accord.services.restore import restore
from accord_sdk.databases import reset_postgres, worker_database
from accord_sdk.pytest_plugin import CliRunner


@pytest.fixture
def empty_url(accord_engine, tmp_path):
    """A second, empty database on the engine under test."""
    if accord_engine == "postgres":
        url = worker_database(os.environ["ACCORD_TEST_DATABASE_URL"], "b")
        reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture
def archive(kernel, actor, tmp_path):
    services.create(kernel, "contact", {"first_name": "Ada", "last_name": "Archived"},
                    actor=actor)
    return backup(kernel, tmp_path / "core.accord", actor=actor).path


def tables_at(url):
    database = open_database(url)
    try:
        return user_tables(database)
    finally:
        database.close()


def rewrite(source, target, *, manifest=None, member=None):
    """A copy of an archive with its manifest changed by ``manifest(dict)`` and the
    lines of the member ``member[0]`` changed by ``member[1](list of lines)``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename == "manifest.json" and manifest:
                loaded = json.loads(data)
                manifest(loaded)
                data = json.dumps(loaded).encode()
            if member and info.filename == member[0]:
                lines = gzip.decompress(data).decode().splitlines(keepends=True)
                data = gzip.compress("".join(member[1](lines)).encode())
            new.writestr(info, data)
    return target


def refused(url, source):
    with pytest.raises(AccordError) as caught:
        restore(Config(database_url=url, discover_plugins=False), source)
    return str(caught.value)


def test_restore_into_a_database_that_has_tables_is_refused(kernel, archive):
    with kernel.bound():
        before = Contact.select().count()
        count = len(user_tables(kernel.database))
    message = refused(kernel.config.database_url, archive)
    assert message == (f"the database is not empty: it has {count} tables (accord_activity, "
                       "accord_api_token, accord_audit, accord_contact, "
                       "accord_contact_interest, …); restore only into an empty database")
    with kernel.bound():
        assert Contact.select().count() == before
        assert len(user_tables(kernel.database)) == count


def test_a_newer_archive_format_is_refused(archive, empty_url, tmp_path):
    newer = rewrite(archive, tmp_path / "newer.accord",
                    manifest=lambda m: m.update(format_version=2))
    assert refused(empty_url, newer) == (
        f"{newer} has archive format 2, newer than this Accord reads (1); upgrade Accord "
        "to restore it")
    assert tables_at(empty_url) == []


def test_a_migration_the_code_lacks_is_refused(archive, empty_url, tmp_path):
    ahead = rewrite(archive, tmp_path / "ahead.accord", manifest=lambda m: m["owners"][
        "core"]["migrations"].append("0099_add_holograms"))
    assert refused(empty_url, ahead) == (
        "core: the archive has migration 0099_add_holograms applied, which this "
        "installation lacks; install the core version that has it")
    assert tables_at(empty_url) == []


def test_a_plugin_not_installed_is_refused(archive, empty_url, tmp_path):
    def add_plugin(manifest):
        manifest["owners"]["acme_ghost"] = {"migrations": ["0001_create_ghosts"],
                                            "version": "1.0", "tables": {}}

    ghost = rewrite(archive, tmp_path / "ghost.accord", manifest=add_plugin)
    assert refused(empty_url, ghost) == (
        "the archive holds the tables of acme_ghost, not installed here; install it and "
        "restore again")
    assert tables_at(empty_url) == []


def test_a_changed_row_fails_the_checksum_and_the_database_is_left_empty(
        archive, empty_url, tmp_path):
    def change(lines):
        return [line.replace("Archived", "Forged") for line in lines]

    forged = rewrite(archive, tmp_path / "forged.accord",
                     member=("tables/accord_contact.jsonl.gz", change))
    message = refused(empty_url, forged)
    assert message == (f"{forged}: table accord_contact does not match its checksum (1 row "
                       "read, 1 expected); the archive is corrupted")
    assert tables_at(empty_url) == []  # the tables its migrations made are gone again


def test_a_missing_row_is_refused(archive, empty_url, tmp_path):
    dropped = rewrite(archive, tmp_path / "dropped.accord",
                      member=("tables/accord_contact.jsonl.gz", lambda lines: lines[1:]))
    assert "table accord_contact does not match its checksum (0 rows read, 1 expected)" in (
        refused(empty_url, dropped))
    assert tables_at(empty_url) == []


def test_a_truncated_or_foreign_file_is_refused(archive, empty_url, tmp_path):
    data = archive.read_bytes()
    cut = tmp_path / "cut.accord"
    cut.write_bytes(data[: len(data) // 2])
    assert refused(empty_url, cut).startswith(
        f"{cut} is not an Accord archive, or it is truncated or corrupted (")
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("manifest.json", json.dumps({"format": "something-else"}))
    assert refused(empty_url, other) == (
        f"{other} is not an Accord archive (its manifest.json does not say format "
        "'accord-backup')")
    assert refused(empty_url, tmp_path / "nowhere.accord") == (
        f"{tmp_path / 'nowhere.accord'}: no such file")
    assert tables_at(empty_url) == []


def test_the_cli_backs_up_and_restores_with_exit_codes(kernel, cli, empty_url, tmp_path):
    services.create(kernel, "contact", {"first_name": "Cli", "last_name": "Person"},
                    actor=services.Actor.system("t"))
    target = tmp_path / "cli.accord"
    done = cli("backup", str(target))
    assert done.exit_code == 0, done.output
    with kernel.bound():
        count = len(user_tables(kernel.database))
    assert done.output.startswith("backed up ")
    assert done.output.endswith(f" rows of {count} tables (core) to {target}\n")
    # It holds password and token hashes and webhook secrets: its owner's only.
    assert target.stat().st_mode & 0o777 == 0o600
    again = cli("backup", str(target))
    assert (again.exit_code, again.output) == (
        1, f"Error: invalid input:\n  file: {target} already exists; choose a new file\n")

    into_full = CliRunner(env={"ACCORD_DATABASE_URL": kernel.config.database_url,
                               "ACCORD_DISCOVER_PLUGINS": "false"})("restore", str(target))
    assert into_full.exit_code == 1
    assert into_full.output.startswith("Error: the database is not empty: it has ")
    into_empty = CliRunner(env={"ACCORD_DATABASE_URL": empty_url,
                                "ACCORD_DISCOVER_PLUGINS": "false"})("restore", str(target))
    assert into_empty.exit_code == 0, into_empty.output
    rows = done.output.split()[2]
    assert into_empty.output == f"restored {rows} rows of {count} tables from {target}\n"
    missing = CliRunner(env={"ACCORD_DATABASE_URL": empty_url})("restore", "nope.accord")
    assert (missing.exit_code, missing.output) == (1, "Error: nope.accord: no such file\n")


def test_a_purge_export_is_not_a_backup(archive, empty_url, tmp_path):
    export = rewrite(archive, tmp_path / "export.zip",
                     manifest=lambda m: m.update(kind="export", plugin="acme_notes"))
    assert refused(empty_url, export) == (
        f"{export} is an export of acme_notes, not a backup of a whole database; it cannot "
        "be restored")
    assert tables_at(empty_url) == []
