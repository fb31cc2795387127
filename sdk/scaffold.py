"""``accord plugin new NAME``: write a new plugin, ready to install, enable and test.

The files come from ``scaffold_templates/`` (package data of ``accord_sdk``):
``package/`` is the installable project, ``minimal/`` the one-file local plugin. Each
``*.tmpl`` file is a ``string.Template``; ``$name`` is the plugin's name,
``$package`` its import name, ``$dist`` its distribution name and ``$title`` its
label. In paths, ``__name__`` and ``__package__`` stand for the name and the package.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import keyword
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

import click

__all__ = ["new_command", "write_plugin", "check_name", "Names", "TEMPLATES"]

#: The folder of the templates shipped with accord_sdk.
TEMPLATES = Path(__file__).with_name("scaffold_templates")
_SUFFIX = ".tmpl"
#: What a plugin's name may be: the manifest's own rule (accord.plugins.manifest).
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,49}$")


@dataclass(frozen=True)
class Names:
    """The names a plugin goes by: ``dental_clinic`` is the plugin, ``accord_dental_clinic``
    its package, ``accord-dental-clinic`` its distribution, ``Dental clinic`` its label."""

    name: str

    @property
    def package(self) -> str:
        return f"accord_{self.name}"

    @property
    def dist(self) -> str:
        return self.package.replace("_", "-")

    @property
    def title(self) -> str:
        return self.name.replace("_", " ").strip().capitalize()

    def mapping(self) -> dict[str, str]:
        return {"name": self.name, "package": self.package, "dist": self.dist,
                "title": self.title}


def _taken_names() -> dict[str, str]:
    """Names a new plugin may not take, each with the reason."""
    from accord.cli import CORE_COMMANDS
    from accord.pages.plugin_pages import RESERVED_PATHS
    from accord.plugins.discovery import DISTRIBUTION, ENTRY_POINT_GROUP

    taken = {"core": "the kernel's name"}
    taken.update({path: "a path of Accord's own pages" for path in RESERVED_PATHS})
    taken.update({command: "a command of Accord's own (accord " + command + ")"
                  for command in CORE_COMMANDS})
    try:
        shipped = importlib.metadata.distribution(DISTRIBUTION).entry_points
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - Accord is installed
        shipped = importlib.metadata.EntryPoints(())
    taken.update({ep.name: "a plugin shipped with Accord"
                  for ep in shipped.select(group=ENTRY_POINT_GROUP)})
    return taken


def check_name(name: str) -> None:
    """Refuse a name no plugin may have, saying why (``click.ClickException``)."""
    if not _NAME.match(name) or keyword.iskeyword(name):
        raise click.ClickException(
            f"invalid plugin name {name!r}: use 2 to 50 lowercase letters, digits and '_', "
            "starting with a letter (e.g. dental_clinic)")
    reason = _taken_names().get(name)
    if reason is not None:
        raise click.ClickException(f"invalid plugin name {name!r}: it is {reason}")
    package = Names(name).package
    if importlib.util.find_spec(package) is not None:  # accord_sdk, an installed plugin…
        raise click.ClickException(f"invalid plugin name {name!r}: a package {package} is "
                                   "installed already")


def _render(source: Path, names: Names) -> str:
    text = source.read_text(encoding="utf-8")
    return Template(text).substitute(names.mapping())


def _target_path(relative: Path, names: Names) -> Path:
    parts = [part.replace("__package__", names.package).replace("__name__", names.name)
             for part in relative.parts]
    last = parts[-1]
    parts[-1] = last[:-len(_SUFFIX)] if last.endswith(_SUFFIX) else last
    return Path(*parts)


def _templates(kind: str) -> list[Path]:
    root = TEMPLATES / kind
    return sorted(p for p in root.rglob(f"*{_SUFFIX}") if p.is_file())


def write_plugin(name: str, target: Path, *, minimal: bool = False) -> list[Path]:
    """Write the plugin ``name`` into ``target`` (a folder; created if missing) and
    return the files written. Refuses a bad name, and a target that is a file or a
    non-empty folder (or, with ``minimal``, an existing ``<name>.py``), writing
    nothing."""
    check_name(name)
    names = Names(name)
    kind = "minimal" if minimal else "package"
    root = TEMPLATES / kind
    files = [(_target_path(source.relative_to(root), names), source)
             for source in _templates(kind)]
    if target.exists() and not target.is_dir():
        raise click.ClickException(f"{target} exists and is not a folder")
    if minimal:
        for relative, _ in files:
            if (target / relative).exists():
                raise click.ClickException(f"{target / relative} exists already; "
                                           "remove it or choose another --dir")
    elif target.exists() and any(target.iterdir()):
        raise click.ClickException(f"{target} exists and is not empty; "
                                   "choose another --dir")
    rendered = [(relative, _render(source, names)) for relative, source in files]
    written = []
    for relative, text in rendered:
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


@click.command("new")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(path_type=Path),
              help="Where to write the plugin (default: ./NAME; with --minimal, the "
                   "current folder).")
@click.option("--minimal", is_flag=True,
              help="Write one file, NAME.py, for a local plugins folder instead of a "
                   "package.")
def new_command(name: str, directory: Path | None, minimal: bool) -> None:
    """Write a new plugin NAME: an installable package (pyproject.toml, the plugin's
    package with a record type, an action, a page, a command, a migration, and its
    tests), or with --minimal a one-file local plugin.

    NAME is the plugin's name: lowercase letters, digits and '_' (dental_clinic). The
    package imports as accord_NAME and installs as accord-NAME."""
    target = directory if directory is not None else Path(name if not minimal else ".")
    written = write_plugin(name, target, minimal=minimal)
    names = Names(name)
    if minimal:
        click.echo(f"wrote {written[0]}")
        click.echo("next: put it in the plugins folder accord.toml names "
                   f"([plugins] dir), then 'accord plugins enable {name}' and "
                   f"'accord {name} recent'")
        return
    click.echo(f"wrote {names.dist} in {target} ({len(written)} files)")
    click.echo(f"next: pip install -e {target}, then 'accord plugins enable {name}'; "
               f"its tests: cd {target} && pytest")
