"""``accord plugin migration NAME MESSAGE``: write a plugin's next migration.

The state the plugin's migrations build is made on a scratch SQLite database (the
core's migrations, those of the plugins it requires, then its own, through the
kernel's runner), compared with the plugin's models (its record types' and
``register_models``'), and the difference written as the next numbered migration,
with ``up()`` and ``down()``. Before anything is written the new file is proved on
that scratch database: up, down and up again, the models matching the tables after
each up. A change that needs a data step nobody can guess (a rename, a new NOT NULL
column without a default, a type change, a dropped table or column) is refused.
"""

from __future__ import annotations

import importlib
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import peewee
from playhouse.migrations import Migration, MigrationError, Runner

from .migration_diff import Changes, compare
from .migration_render import render

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["Generated", "generate", "migration_command"]


@dataclass(frozen=True)
class Generated:
    """A migration written (or, dry, only shown)."""

    path: Path
    source: str
    changes: list[str]


def slug(message: str) -> str:
    """The file-name part of a message: ``"Add tooth!"`` -> ``add_tooth``."""
    return re.sub(r"[^\w]+", "_", message.strip()).strip("_").lower()


def next_name(folder: Path | None, message: str) -> str:
    """``NNNN_<slug>``: the number after the folder's highest, as wide as theirs."""
    existing = Migration.load_directory(str(folder)) if folder and folder.is_dir() else []
    width = max((len(re.match(r"\d+", m.name).group())  # type: ignore[union-attr]
                 for m in existing), default=4)
    number = max((m.idx for m in existing), default=0) + 1
    return f"{number:0{width}d}_{slug(message)}"


def _scratch_kernel(config: Any, folder: Path, module: Any) -> Accord:
    from accord.config import Config
    from accord.kernel import Accord

    scratch = Config(database_url=f"sqlite:///{folder / 'state.db'}",
                     plugins_dir=config.plugins_dir if config else None,
                     discover_plugins=config.discover_plugins if config else True)
    return Accord(scratch, plugins=[module] if module is not None else []).start(upgrade=True)


def _import(path: str) -> Any:
    try:
        module = importlib.import_module(path)
    except ImportError as exc:
        raise click.ClickException(f"--module {path}: cannot import it: {exc}") from None
    if getattr(module, "__path__", None) and (Path(module.__path__[0]) / "hooks.py").exists():
        module = importlib.import_module(f"{path}.hooks")
    return module


def _required(kernel: Accord, name: str) -> list[str]:
    """The plugins ``name`` requires, directly or not, in load order."""
    found: set[str] = set()

    def walk(current: str) -> None:
        for other in kernel.plugins.get(current).requires:
            plugin = kernel.plugins.plugins.get(other)
            if plugin is None or plugin.failed:
                why = f": {plugin.error}" if plugin is not None else " (not installed)"
                raise click.ClickException(f"{current} requires {other}, which cannot be "
                                           f"loaded{why}")
            if other not in found:
                found.add(other)
                walk(other)

    walk(name)
    return [n for n in kernel.plugins.load_order if n in found]


def _models(kernel: Accord, name: str) -> list[type[peewee.Model]]:
    models = [rt.model for _, rt in kernel.plugins.collect("register_record_types",
                                                           only=[name])]
    models += [m for _, m in kernel.plugins.collect("register_models", only=[name])]
    return list(dict.fromkeys(models))


def generate(name: str, message: str, *, config: Any = None, module: Any = None,
             dry_run: bool = False) -> Generated:
    """Write plugin ``name``'s next migration (or, with ``dry_run``, only return it).
    Raises ``click.ClickException`` naming the culprit, writing nothing, when there is
    nothing to write or a change cannot be written safely."""
    if not slug(message):
        raise click.ClickException(f"the message {message!r} has no letter or digit to "
                                   "name the file with")
    with tempfile.TemporaryDirectory(prefix="accord-migration-") as scratch:
        work = Path(scratch)
        kernel = _scratch_kernel(config, work, module)
        try:
            return _generate(kernel, work, name, message, dry_run)
        finally:
            kernel.close()


def _generate(kernel: Accord, work: Path, name: str, message: str,
              dry_run: bool) -> Generated:
    from accord.database import open_database

    plugin = kernel.plugins.plugins.get(name)
    if plugin is None:
        raise click.ClickException(
            f"no plugin named {name}: install it, put it in the plugins folder, or name "
            "its module with --module")
    if plugin.failed:
        raise click.ClickException(f"{name} failed to load: {plugin.error}")
    folder = plugin.migrations_folder
    if folder is None:
        if plugin.folder is None or not (plugin.folder / "__init__.py").exists():
            raise click.ClickException(f"{name} is not a package: its migrations need a "
                                       "migrations/ folder beside its hooks module")
        folder = plugin.folder / "migrations"
    models = _models(kernel, name)
    if not models:
        raise click.ClickException(f"{name} has no models (register_record_types, "
                                   "register_models): nothing to migrate")
    target = open_database(f"sqlite:///{work / 'models.db'}")
    database = _database(kernel)
    try:
        with kernel.bound():
            for other in _required(kernel, name):
                kernel.migrations.upgrade(other)
            before = set(database.get_tables())
            applied = kernel.migrations.upgrade(name) if folder.is_dir() else []
            owned = set(database.get_tables()) - before
            owned.discard(f"accord_migrations_{name}")
            changes = compare(database, target, models, owned)
        if changes.problems:
            raise click.ClickException(
                "\n".join([f"{name}: cannot write this migration:", *changes.problems]))
        if not changes:
            raise click.ClickException("no change: the models match the migrations")
        numbers = [n.split("_", 1)[0] for n in applied]
        after = (f"migrations {numbers[0]}-{numbers[-1]}" if len(applied) > 1
                 else f"migration {applied[0]}" if applied else "an empty database")
        file_name = next_name(folder, message)
        source = render(changes, message, after)
        _prove(kernel, work, folder, file_name, source, models, owned, name)
    finally:
        target.close()
    path = folder / f"{file_name}.py"
    if not dry_run:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return Generated(path, source, changes.lines())


def _prove(kernel: Accord, work: Path, folder: Path, file_name: str, source: str,
           models: list[type[peewee.Model]], owned: set[str], name: str) -> None:
    """Run the new migration up, down and up again on the scratch state; after each up
    the models must match the tables, after the down the tables must be as before."""
    copy = work / "migrations"
    if folder.is_dir():
        shutil.copytree(folder, copy)
    else:
        copy.mkdir()
    (copy / f"{file_name}.py").write_text(source, encoding="utf-8")
    runner = Runner(kernel.database, str(copy), table_name=f"accord_migrations_{name}")
    step = "up"
    try:
        with kernel.bound():
            before = _state(kernel, work, models, owned, "before")
            runner.up()
            _clean(kernel, work, models, owned, file_name, "up")
            step = "down"
            runner.down()
            if _state(kernel, work, models, owned, "down") != before:
                raise click.ClickException(
                    f"{file_name}.py: its down() does not bring the tables back to what "
                    "they were; nothing written")
            step = "up again"
            runner.up()
            _clean(kernel, work, models, owned, file_name, "up again")
    except (MigrationError, peewee.DatabaseError, ValueError) as exc:
        raise click.ClickException(
            f"{file_name}.py fails on a scratch database ({step}): {exc}; nothing "
            "written") from None


def _database(kernel: Accord) -> peewee.Database:
    assert kernel.database is not None, "the scratch kernel is started"
    return kernel.database


def _state(kernel: Accord, work: Path, models: list[type[peewee.Model]], owned: set[str],
           label: str) -> list[str]:
    from accord.database import open_database

    target = open_database(f"sqlite:///{work / f'{label}.db'}")
    try:
        changes: Changes = compare(_database(kernel), target, models, owned)
    finally:
        target.close()
    return changes.lines()


def _clean(kernel: Accord, work: Path, models: list[type[peewee.Model]], owned: set[str],
           file_name: str, label: str) -> None:
    left = _state(kernel, work, models, owned, label.replace(" ", "_"))
    if left:
        raise click.ClickException(
            f"{file_name}.py, once applied, still leaves the models and the tables "
            f"different: {'; '.join(left)}; nothing written, write this migration by hand")


@click.command("migration")
@click.argument("name")
@click.argument("message")
@click.option("--dry-run", is_flag=True, help="Print the migration instead of writing it.")
@click.option("--module", "module_path", metavar="DOTTED.PATH",
              help="Load the plugin from this module (its hooks module or its package) "
                   "rather than from the installed plugins and the plugins folder.")
@click.pass_context
def migration_command(ctx: click.Context, name: str, message: str, dry_run: bool,
                      module_path: str | None) -> None:
    """Write plugin NAME's next migration, from its models' difference with the state
    its migrations build; MESSAGE names it ("add tooth" -> NNNN_add_tooth.py).

    Refused, writing nothing, when nothing changed or a change needs a data step
    (a rename, a new NOT NULL column without a default, a type change, a dropped table
    or column): write that migration by hand."""
    from accord.cli._context import CliState
    from accord.errors import AccordError

    state = ctx.find_object(CliState) or CliState()
    try:
        config = state.config()
        module = _import(module_path) if module_path else None
        made = generate(name, message, config=config, module=module, dry_run=dry_run)
    except AccordError as exc:
        raise click.ClickException(str(exc)) from None
    if dry_run:
        click.echo(made.source, nl=False)
        return
    shown = made.path.resolve()
    if shown.is_relative_to(Path.cwd().resolve()):
        shown = shown.relative_to(Path.cwd().resolve())
    click.echo(f"wrote {shown}:")
    for line in made.changes:
        click.echo(f"  {line}")
