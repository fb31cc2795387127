"""The conformance kit fails purpose-broken plugins, each with the sentence saying what
to fix, and the public API list says what plugin code may import."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.public import PUBLIC_MODULES, is_public
from accord_sdk.conformance import CHECKS, assert_conforms, run_checks

BROKEN = str(Path(__file__).parent / "broken_plugins")
#: The checks that need the plugin loaded, enabled and exercised.
LATER = ("lifecycle", "openapi", "migrations")


def _check(name, database_url, **options):
    options.setdefault("discover", False)
    return run_checks(name, plugins_dir=BROKEN, database_urls=[database_url], **options)


def test_a_misspelled_hook_is_named_with_its_file_line_and_the_right_name(database_url):
    report = _check("kit_misspelled", database_url)
    assert report.failures == [
        "hooks: FAILED: kit_misspelled/hooks.py:12: hook 'register_record_type' is not a "
        "hookspec (did you mean 'register_record_types'?)"]
    assert [str(line) for line in report.lines if line.check in LATER] == [
        f"{check}: skipped: the plugin did not load" for check in LATER]


def test_a_migration_without_its_backward_step_fails_the_migrations_check(database_url):
    report = _check("kit_no_down", database_url)
    assert report.failures == [
        "migrations: FAILED: kit_no_down/migrations/0002_add_colour.py has no down(): add "
        "down(migrator, database) undoing what up() does, so the plugin can be downgraded "
        "and purged"]


def test_an_action_without_a_declared_permission_fails_the_permissions_check(database_url):
    report = _check("kit_no_permission", database_url)
    assert report.failures == [
        "permissions: FAILED: kit_no_permission/hooks.py: hook register_actions: action "
        "contact/pin needs permission kit_no_permission.contact.pin, which neither the "
        "plugin, the core nor a plugin it requires declares; declare it in "
        "register_permissions"]


def test_private_imports_and_a_permission_no_role_holds_fail(database_url):
    report = _check("kit_private", database_url, skip=["openapi"])
    assert report.failures == [
        "permissions: FAILED: kit_private/hooks.py: hook register_actions: action "
        "contact/star needs permission kit_private.contact.star, which no built-in role but "
        "admin holds; give it to one in register_role_grants "
        "(RoleGrant(\"manager\", (\"kit_private.contact.star\",)))",
        "imports: FAILED: kit_private/hooks.py:3 imports accord.cli.db, which is private: use "
        "a command of your own (register_commands) calling accord.services",
        "imports: FAILED: kit_private/hooks.py:5 imports accord.models.base, which is "
        "private: use accord.models",
        "imports: FAILED: kit_private/hooks.py:7 imports _actor_sql from accord.services.authz, "
        "which is private (its name starts with '_'): use a public name"]
    # The rest of the kit still ran: the plugin itself loads, enables and round-trips.
    assert [str(line) for line in report.lines if line.check in ("lifecycle", "migrations")] \
        == ["lifecycle: ok", "migrations: ok"]


@pytest.mark.sqlite_only
def test_another_plugins_package_only_through_what_it_declares_and_when_required(
        database_url):
    report = _check("kit_reach", database_url, discover=True, skip=list(LATER))
    assert report.failures == [
        "imports: FAILED: kit_reach/hooks.py:7 imports accord_sales.models, which sales does "
        "not declare for other plugins: use accord_sales, accord_sales.hookspecs, "
        "accord_sales.services, accord_sales.settings",
        "imports: FAILED: kit_reach/hooks.py:9 imports accord_service.hookspecs, a module of "
        "the service plugin, which the plugin does not require: add 'service' to "
        "MANIFEST.requires or read its data through record types, customer facts and "
        "metrics"]


@pytest.mark.sqlite_only
def test_assert_conforms_raises_with_the_failures(database_url):
    with pytest.raises(AssertionError) as caught:
        assert_conforms("kit_misspelled", plugins_dir=BROKEN, discover=False,
                        database_urls=[database_url])
    assert str(caught.value).startswith(
        "kit_misspelled fails the conformance kit:\nhooks: FAILED: kit_misspelled/hooks.py:12: "
        "hook 'register_record_type' is not a hookspec (did you mean 'register_record_types'?)"
        "\n\nreport:\nmanifest: ok\n")


def test_an_unknown_check_to_skip_is_refused():
    with pytest.raises(ValueError) as caught:
        run_checks("kit_misspelled", skip=["speed"])
    assert str(caught.value) == f"unknown checks speed; the checks are {', '.join(CHECKS)}"


def test_plugin_check_prints_a_line_per_check_and_exits_1_on_failure(cli_runner):
    cli_runner.env.update({"ACCORD_PLUGINS_DIR": BROKEN})
    result = cli_runner("plugin", "check", "kit_no_permission", "--fast", "--skip", "openapi")
    assert (result.exit_code, result.output) == (1, "\n".join([
        "manifest: ok",
        "hooks: ok",
        "permissions: FAILED: kit_no_permission/hooks.py: hook register_actions: action "
        "contact/pin needs permission kit_no_permission.contact.pin, which neither the "
        "plugin, the core nor a plugin it requires declares; declare it in "
        "register_permissions",
        "settings: skipped: the plugin did not load",
        "imports: ok",
        "deprecations: ok",
        "lifecycle: skipped: the plugin did not load",
        "migrations: skipped: the plugin did not load",
        "kit_no_permission: 1 check(s) failed", ""]))


def test_plugin_check_names_a_plugin_it_cannot_find(cli_runner):
    cli_runner.env.update({"ACCORD_PLUGINS_DIR": BROKEN})
    result = cli_runner("plugin", "check", "dental", "--fast")
    assert result.exit_code == 1
    assert result.output == (
        "Error: no plugin named 'dental' is installed or in the plugins folder (found: "
        "kit_deprecated, kit_misspelled, kit_no_down, kit_no_permission, kit_private, "
        "kit_reach)\n")


def test_the_public_api_is_the_documented_list():
    assert sorted(PUBLIC_MODULES) == [
        "accord", "accord.compat", "accord.config", "accord.database", "accord.dates",
        "accord.errors", "accord.facts", "accord.hooks", "accord.jobs", "accord.kernel",
        "accord.metrics", "accord.models", "accord.money", "accord.pages",
        "accord.pagination", "accord.plugins", "accord.query", "accord.rates", "accord.records",
        "accord.routes", "accord.scale", "accord.schemas", "accord.services",
        "accord.signing"]
    assert [name for name in (
        "accord", "accord.services", "accord.services.authz", "accord.pages", "accord_sdk",
        "accord_sdk.conformance", "accord.cli.db", "accord.models.base", "accord.pages.format",
        "accord.api.crud", "accord.migrating", "accord.web", "accord.plugins.manager",
        "accord.services._private", "accord.customfields") if is_public(name)] == [
        "accord", "accord.services", "accord.services.authz", "accord.pages", "accord_sdk",
        "accord_sdk.conformance"]


@pytest.mark.sqlite_only
def test_a_manifest_without_description_for_another_core_api_fails(database_url):
    import types

    from accord.plugins import PluginManifest

    plugin = types.ModuleType("kit_future")
    plugin.MANIFEST = PluginManifest(name="kit_future", version="1.0", core_api=">=2,<3")
    report = run_checks(plugin, discover=False, database_urls=[database_url],
                        skip=["permissions", "imports", *LATER])
    assert report.failures == [
        "manifest: FAILED: __init__.py: MANIFEST has no description; say in one line what "
        "the plugin adds",
        "manifest: FAILED: __init__.py: MANIFEST core_api '>=2,<3' does not hold this core's "
        "API 1.0; target it (core_api='>=1,<2')"]


@pytest.mark.sqlite_only
def test_deprecated_names_warn_and_names_accord_no_longer_has_fail(database_url, monkeypatch):
    import accord.money
    from accord.compat import deprecated

    # Nothing in Accord is deprecated today: the test deprecates a function of its own.
    monkeypatch.setattr(accord.money, "old_format_amount", deprecated(
        "1.0", "1.1", "accord.money.format_amount")(lambda amount: str(amount)),
        raising=False)
    report = _check("kit_deprecated", database_url, skip=list(LATER))
    assert sorted(str(line) for line in report.lines if line.check == "deprecations") == [
        "deprecations: FAILED: kit_deprecated/hooks.py:11 imports gone_in_this_version from "
        "accord.records, which this Accord does not have (removed after its deprecation? "
        "see docs/compatibility.md)",
        "deprecations: warning: kit_deprecated/hooks.py:4 imports "
        "accord.money.old_format_amount, deprecated since 1.0 and removed in 1.1: use "
        "accord.money.format_amount"]


@pytest.mark.sqlite_only
def test_run_tests_runs_the_plugins_own_tests_folder(database_url, tmp_path):
    plugin = tmp_path / "plugins" / "kit_tested"
    (plugin / "tests").mkdir(parents=True)
    (plugin / "__init__.py").write_text(
        "from accord.plugins import PluginManifest\n"
        "MANIFEST = PluginManifest(name='kit_tested', version='1.0', description='Tested')\n")
    (plugin / "hooks.py").write_text("from accord.hooks import hookimpl\n\n\n@hookimpl\n"
                                     "def register_metrics():\n    return []\n")
    own = plugin / "tests" / "test_kit_tested.py"
    own.write_text("def test_it_adds_up():\n    assert 1 + 1 == 2\n")
    options = dict(plugins_dir=str(tmp_path / "plugins"), database_urls=[database_url],
                   discover=False, skip=list(LATER), run_tests=True)
    report = run_checks("kit_tested", **options)
    assert [str(line) for line in report.lines if line.check == "tests"] == ["tests: ok"]
    own.write_text("def test_it_adds_up():\n    assert 1 + 1 == 3\n")
    report = run_checks("kit_tested", **options)
    [line] = [str(line) for line in report.lines if line.check == "tests"]
    assert line.startswith(f"tests: FAILED: its tests in {plugin / 'tests'} fail (1 failed in "), line
    assert line.endswith("); run pytest there"), line
