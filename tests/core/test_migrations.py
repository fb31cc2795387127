"""Migrations of the core and of plugins, up, down and up again on both engines, and the
``accord db`` commands that report them (status, check)."""

from __future__ import annotations

import pytest

from accord import services
from accord.models import CORE_MODELS, Role, RolePermission
from accord.services.plugins import enable
from accord_sdk.pytest_plugin import CliRunner


@pytest.fixture
def k(make_kernel, plugins_folder):
    return make_kernel(plugins_dir=plugins_folder)


@pytest.fixture
def notes(k, actor):
    """The kernel with acme_notes enabled (both its migrations applied)."""
    enable(k, "acme_notes", actor=actor)
    return k


def columns(kernel, table):
    return [c.name for c in kernel.database.get_columns(table)]


def test_core_migrations_go_down_and_up_again(kernel):
    core_tables = {m._meta.table_name for m in CORE_MODELS}
    assert core_tables <= set(kernel.database.get_tables())
    with kernel.bound():
        manager_metrics = (RolePermission.select()
                           .where(RolePermission.role == "manager",
                                  RolePermission.permission == "core.metrics.read"))
        assert manager_metrics.count() == 1
        service_metrics = (RolePermission.select()
                           .where(RolePermission.role == "service",
                                  RolePermission.permission == "core.metrics.read"))
        assert service_metrics.count() == 1
        assert kernel.migrations.downgrade("core", 13) == ["0014_create_merge_redirects"]
        assert "accord_merge_redirect" not in kernel.database.get_tables()
        assert kernel.migrations.downgrade("core", 12) == ["0013_create_imports"]
        assert not {"accord_import", "accord_import_mapping"} & set(kernel.database.get_tables())
        assert kernel.migrations.downgrade("core", 11) == ["0012_create_webhooks"]
        assert not {"accord_webhook", "accord_webhook_delivery"} & set(
            kernel.database.get_tables())
        assert kernel.migrations.downgrade("core", 10) == [
            "0011_grant_metrics_to_service_and_marketing"]
        assert service_metrics.count() == 0
        assert kernel.migrations.downgrade("core", 9) == ["0010_create_number_sequences"]
        assert "accord_number_sequence" not in kernel.database.get_tables()
        assert kernel.migrations.downgrade("core", 8) == ["0009_create_web_logins"]
        assert not {"accord_web_session", "accord_login_failure"} & set(
            kernel.database.get_tables())
        assert kernel.migrations.downgrade("core", 5)[-1] == "0006_never_reuse_ids"
        assert "accord_id_high_water" not in kernel.database.get_tables()
        assert kernel.migrations.downgrade("core", 4) == ["0005_move_plugin_grants_to_plugins"]
        assert "withheld" not in columns(kernel, "accord_role_permission")
        assert kernel.migrations.downgrade("core", 3) == ["0004_grant_metrics_to_managers"]
        assert manager_metrics.count() == 0
        assert kernel.migrations.downgrade("core", 2) == ["0003_create_job_runs"]
        assert "accord_job_run" not in kernel.database.get_tables()
        assert kernel.migrations.downgrade("core", 1) == ["0002_create_access_tables"]
        assert "accord_api_token" not in kernel.database.get_tables()
        assert kernel.migrations.downgrade("core", 0) == ["0001_create_core_tables"]
        assert not core_tables & set(kernel.database.get_tables())
        status = kernel.migrations.status("core")
        assert (status.applied, status.pending) == (
            (), ("0001_create_core_tables", "0002_create_access_tables", "0003_create_job_runs",
                 "0004_grant_metrics_to_managers", "0005_move_plugin_grants_to_plugins",
                 "0006_never_reuse_ids", "0007_create_goals", "0008_add_exchange_rates",
                 "0009_create_web_logins", "0010_create_number_sequences",
                 "0011_grant_metrics_to_service_and_marketing", "0012_create_webhooks",
                 "0013_create_imports", "0014_create_merge_redirects"))

        assert kernel.migrations.upgrade("core") == ["0001_create_core_tables",
                                                     "0002_create_access_tables",
                                                     "0003_create_job_runs",
                                                     "0004_grant_metrics_to_managers",
                                                     "0005_move_plugin_grants_to_plugins",
                                                     "0006_never_reuse_ids",
                                                     "0007_create_goals",
                                                     "0008_add_exchange_rates",
                                                     "0009_create_web_logins",
                                                     "0010_create_number_sequences",
                                                     "0011_grant_metrics_to_service_and_marketing",
                                                     "0012_create_webhooks",
                                                     "0013_create_imports",
                                                     "0014_create_merge_redirects"]
        assert core_tables <= set(kernel.database.get_tables())
        assert Role.select().count() == 6
        assert RolePermission.select().where(RolePermission.role == "admin").count() == 1
        assert kernel.migrations.status("core").pending == ()
    kernel.sync()
    contact = services.create(kernel, "contact", {"last_name": "Back"},
                              actor=services.Actor.system("test"))
    assert contact.version == 1


def test_plugin_migrations_go_down_step_by_step_and_up_again(notes, actor):
    k = notes
    services.create(k, "acme_notes.note", {"title": "Survivor", "priority": 2}, actor=actor)
    assert columns(k, "acme_notes_note")[-2:] == ["title", "priority"]
    with k.bound():
        assert k.migrations.downgrade("acme_notes", 1) == ["0002_add_priority"]
    assert "priority" not in columns(k, "acme_notes_note")
    rows = k.database.execute_sql("SELECT title FROM acme_notes_note").fetchall()
    assert [r[0] for r in rows] == ["Survivor"]
    assert k.migrations.status("acme_notes").pending == ("0002_add_priority",)

    with k.bound():
        assert k.migrations.downgrade("acme_notes", 0) == ["0001_create_notes"]
        assert k.migrations.downgrade("acme_notes", 0) == []
    assert "acme_notes_note" not in k.database.get_tables()

    with k.bound():
        assert k.migrations.upgrade("acme_notes") == ["0001_create_notes", "0002_add_priority"]
    assert columns(k, "acme_notes_note")[-2:] == ["title", "priority"]
    note = services.create(k, "acme_notes.note", {"title": "Fresh"}, actor=actor)
    assert note.priority == 3


def test_db_status_lists_applied_and_pending_and_exits_1_when_pending(notes):
    cli = CliRunner(notes)
    clean = cli("db", "status")
    assert clean.exit_code == 0, clean.output
    lines = [line.split() for line in clean.output.splitlines()[2:]]
    assert lines == [["core", "0001_create_core_tables", "applied"],
                     ["core", "0002_create_access_tables", "applied"],
                     ["core", "0003_create_job_runs", "applied"],
                     ["core", "0004_grant_metrics_to_managers", "applied"],
                     ["core", "0005_move_plugin_grants_to_plugins", "applied"],
                     ["core", "0006_never_reuse_ids", "applied"],
                     ["core", "0007_create_goals", "applied"],
                     ["core", "0008_add_exchange_rates", "applied"],
                     ["core", "0009_create_web_logins", "applied"],
                     ["core", "0010_create_number_sequences", "applied"],
                     ["core", "0011_grant_metrics_to_service_and_marketing", "applied"],
                     ["core", "0012_create_webhooks", "applied"],
                     ["core", "0013_create_imports", "applied"],
                     ["core", "0014_create_merge_redirects", "applied"],
                     ["acme_notes", "0001_create_notes", "applied"],
                     ["acme_notes", "0002_add_priority", "applied"]]

    with notes.bound():
        notes.migrations.downgrade("acme_notes", 1)
    behind = cli("db", "status")
    assert behind.exit_code == 1
    assert ["acme_notes", "0002_add_priority", "pending"] in [
        line.split() for line in behind.output.splitlines()]
    assert "1 pending; run 'accord db upgrade'" in behind.output

    upgraded = cli("db", "upgrade")
    assert upgraded.output.strip() == "acme_notes: applied 0002_add_priority"
    assert cli("db", "status").exit_code == 0


def test_db_status_does_not_fail_on_plugins_that_are_not_enabled(k):
    # 'accord db upgrade' leaves them alone (enabling applies them), so a status that
    # failed on them could never be made to pass.
    cli = CliRunner(k)
    assert cli("db", "upgrade").output.strip() == "nothing to apply; the database is up to date"
    result = cli("db", "status")
    assert result.exit_code == 0, result.output
    assert ["acme_notes", "0001_create_notes", "pending", "(applied", "on", "enable)"] in [
        line.split() for line in result.output.splitlines()]


def test_db_downgrade_through_the_cli(notes, actor, tmp_path):
    from accord.services.plugins import disable

    cli = CliRunner(notes)
    refused = cli("db", "downgrade", "acme_notes", "--to", "0")
    assert refused.exit_code == 1
    assert ("acme_notes is enabled and its code expects its newest tables; disable it first "
            "(accord plugins disable acme_notes)" in refused.output)
    assert "acme_notes_note" in notes.database.get_tables()
    core = cli("db", "downgrade", "core", "--to", "0")
    assert core.exit_code == 1 and "would drop all data" in core.output
    assert "accord_contact" in notes.database.get_tables()

    disable(notes, "acme_notes", actor=actor)
    export = tmp_path / "notes.json"
    done = cli("db", "downgrade", "acme_notes", "--to", "1", "--export", str(export), "--yes")
    assert (done.exit_code, done.output.strip().splitlines()) == (0, [
        f"acme_notes: exported to {export}", "acme_notes: reverted 0002_add_priority"])
    assert "priority" not in columns(notes, "acme_notes_note")


def test_db_check_finds_no_drift_on_a_fresh_database(notes):
    result = CliRunner(notes)("db", "check")
    assert (result.exit_code, result.output.strip()) == (0, "the tables match the models")


def test_db_check_reports_a_column_dropped_by_hand(notes):
    notes.database.execute_sql("ALTER TABLE accord_contact DROP COLUMN mobile")
    result = CliRunner(notes)("db", "check")
    assert result.exit_code == 1
    assert "the tables differ from the models:" in result.output
    assert "accord_contact.mobile" in result.output


def test_db_check_reports_a_plugin_migration_left_behind(notes):
    with notes.bound():
        notes.migrations.downgrade("acme_notes", 1)
    result = CliRunner(notes)("db", "check")
    assert result.exit_code == 1
    assert "acme_notes_note.priority" in result.output


def test_custom_field_expression_indexes_are_not_drift(notes):
    cli = CliRunner(notes)
    added = cli("fields", "add", "contact", "x_tier", "choice", "--choices", "gold,silver",
                "--indexed")
    assert added.exit_code == 0, added.output
    assert cli("fields", "add", "acme_notes.note", "x_score", "integer",
               "--indexed").exit_code == 0
    indexes = {i.name for i in notes.database.get_indexes("accord_contact")}
    assert "accord_contact_x_tier_idx" in indexes
    result = cli("db", "check")
    assert (result.exit_code, result.output.strip()) == (0, "the tables match the models")
