"""The ``accord`` command line: a thin face over the kernel.

Commands are imported only when run, so ``accord --help`` starts fast; a plugin's
commands appear as ``accord <plugin> …`` once the plugin is enabled.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import sys
from typing import Any, Iterator

import click

from ._context import CliState, handle_errors

__all__ = ["main", "cli"]

#: Core commands: name -> (module, attribute, one-line help for the listing).
CORE_COMMANDS = {
    "init": ("accord.cli.setup", "init", "Write accord.toml and create the database."),
    "serve": ("accord.cli.setup", "serve", "Serve the web app (development server)."),
    "demo": ("accord.cli.demo", "demo",
             "Fill an empty database with demo data, or scale data (--scale N)."),
    "plugins": ("accord.cli.plugins", "plugins", "List, enable, disable and purge plugins."),
    "plugin": ("accord_sdk.cli", "plugin",
               "Plugin authors: scaffold a plugin, write its next migration, check it."),
    "hooks": ("accord.cli.plugins", "hooks", "Hooks and the plugins that implement them."),
    "db": ("accord.cli.db", "db", "Migrations: status, upgrade, downgrade, drift check."),
    "fields": ("accord.cli.fields", "fields", "List, add and remove custom fields."),
    "users": ("accord.cli.users", "users",
              "Add, list, deactivate and reactivate users; set roles and passwords."),
    "roles": ("accord.cli.roles", "roles", "Roles: their permissions and record rules."),
    "tokens": ("accord.cli.tokens", "tokens", "Create, list and revoke API tokens."),
    "teams": ("accord.cli.users", "teams",
              "Add and list teams; change their members and manager."),
    "assign": ("accord.cli.assignment", "assign", "Assign a record to a user or a team."),
    "transfer": ("accord.cli.assignment", "transfer", "Move a user's records to another user."),
    "report": ("accord.cli.report", "report", "Compute a metric (KPI) over a date range."),
    "rates": ("accord.cli.rates", "rates", "Exchange rates into the base currency."),
    "goals": ("accord.cli.goals", "goals", "Set, list and remove goals (targets for metrics)."),
    "worker": ("accord.cli.jobs", "worker", "Run the plugins' jobs on their schedules."),
    "jobs": ("accord.cli.jobs", "jobs", "List the plugins' jobs and run one now."),
    "webhooks": ("accord.cli.webhooks", "webhooks",
                 "Webhook subscriptions, their deliveries, and redelivery."),
    "import": ("accord.cli.importing", "import_", "Import records from a CSV or XLSX file."),
    "export": ("accord.cli.exporting", "export", "Export a list of records to CSV or XLSX."),
    "backup": ("accord.cli.backup", "backup", "Write the whole database to an archive."),
    "restore": ("accord.cli.backup", "restore", "Restore an archive into an empty database."),
    "duplicates": ("accord.cli.merging", "duplicates",
                   "List likely duplicate contacts and organizations."),
    "merge": ("accord.cli.merging", "merge", "Merge a duplicate record into another."),
    "anonymize": ("accord.cli.anonymize", "anonymize",
                  "Erase one person's personal data, or pseudonymize the whole database."),
}


class AccordGroup(click.Group):
    """Loads core commands lazily and finds plugin command groups through the kernel."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(CORE_COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in CORE_COMMANDS:
            module, attr, _ = CORE_COMMANDS[name]
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return _plugin_group(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, CORE_COMMANDS[name][2]) for name in sorted(CORE_COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
        with formatter.section("Plugin commands"):
            formatter.write_text("An enabled plugin that adds commands has a group named "
                                 "after it: accord PLUGIN --help lists them. accord hooks "
                                 "list names those plugins (the register_commands hook).")

    def invoke(self, ctx: click.Context) -> Any:
        # Before super().invoke: resolving a plugin's command group starts the kernel.
        verbose = bool(ctx.params.get("verbose"))
        ctx.ensure_object(CliState).verbose = verbose
        with _log_to_stderr(verbose), handle_errors():
            return super().invoke(ctx)


class _EchoHandler(logging.Handler):
    """Log records as ``warning: message`` lines on stderr, as the command's output."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.echo(f"{record.levelname.lower()}: {self.format(record)}", err=True)
        except Exception:  # a broken stream must not turn a log line into a crash
            self.handleError(record)


@contextlib.contextmanager
def _log_to_stderr(verbose: bool) -> Iterator[None]:
    """Accord's warnings are one line each on stderr; ``--verbose`` adds the DEBUG lines
    (a failed plugin's traceback, say). Unless logging is configured already, as
    Python's last-resort handler would have printed them."""
    logger = logging.getLogger("accord")
    if logger.hasHandlers():  # logging is configured (a host, a test run): respect it
        yield
        return
    handler = _EchoHandler(logging.DEBUG if verbose else logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def _plugin_group(ctx: click.Context, name: str) -> click.Command | None:
    state = ctx.ensure_object(CliState)
    with handle_errors():
        kernel = state.kernel()
        if name not in kernel.plugins.plugins:
            return None
        stopped = kernel.plugins.stopped(name)
        if stopped is not None:
            raise click.ClickException(stopped.for_cli())
        group = click.Group(name, help=f"Commands of the {name} plugin.")
        for _, command in kernel.plugins.collect("register_commands", only=[name]):
            group.add_command(command)
        return group


@click.group(cls=AccordGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Configuration file (default: ./accord.toml, or $ACCORD_CONFIG).")
@click.option("-v", "--verbose", is_flag=True,
              help="Show debug logs, such as the traceback of a plugin that failed to load.")
@click.version_option(package_name="accord-crm", prog_name="accord")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """Accord: a plugin-based CRM framework."""
    ctx.ensure_object(CliState).config_path = config_path


def main(argv: list[str] | None = None) -> Any:
    return cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="accord")
