"""``accord plugins …`` and ``accord hooks list``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from ..plugins.manager import refusal_in_terms
from ._context import CliState, actor, pass_state, table

if TYPE_CHECKING:
    from ..kernel import Accord


@click.group()
def plugins() -> None:
    """List, enable, disable and purge plugins."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def list_plugins(state: CliState, as_json: bool) -> None:
    """Name, version, state, source and requirements of every plugin found."""
    from ..services.plugins import list_plugins as infos

    rows: list[dict[str, Any]] = [p.as_dict() for p in infos(state.kernel(), actor=actor())]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no plugins found (install one, or set plugins.dir in accord.toml)")
        return
    table(["NAME", "VERSION", "STATE", "SOURCE", "REQUIRES"],
          [[r["name"], r["version"], r["state"], r["source"],
            ", ".join(f"{k} {v}" for k, v in r["requires"].items()) or "-"] for r in rows])
    for r in rows:
        if r["error"]:
            click.echo(f"{r['name']}: {r['error']}")


@plugins.command("info")
@click.argument("name")
@pass_state
def info(state: CliState, name: str) -> None:
    """Everything known about one plugin."""
    kernel = state.kernel()
    p = kernel.plugins.get(name)
    m = p.manifest
    lines = [("name", name), ("version", p.version), ("state", p.state),
             ("description", m.description if m else ""), ("source", p.source),
             ("requires", ", ".join(f"{k} {v}" for k, v in p.requires.items()) or "-"),
             ("core API", m.core_api if m else "?"),
             ("required by", ", ".join(kernel.plugins.dependents(name, enabled_only=False)) or "-"),
             ("hooks", ", ".join(kernel.plugins.hooks_of(name)) or "-"),
             ("migrations", ", ".join(kernel.migrations.status(name).applied) or "-"
              if p.module is not None else "-")]
    if p.error:
        lines.append(("error", p.error))
    reason = kernel.plugins.inactive_reason(name)
    if reason:
        lines.append(("not running", reason))
    if p.module is not None:
        types = [rt.name for _, rt in kernel.plugins.collect("register_record_types", only=[name])]
        perms = [x.name for _, x in kernel.plugins.collect("register_permissions", only=[name])]
        lines += [("record types", ", ".join(types) or "-"), ("permissions", ", ".join(perms) or "-")]
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        click.echo(f"{key.ljust(width)}  {value}")
    if p.traceback:
        click.echo("")
        click.echo(p.traceback.rstrip())


@plugins.command("enable")
@click.argument("name")
@click.option("--with-deps", is_flag=True, help="Also enable the plugins it requires.")
@pass_state
def enable(state: CliState, name: str, with_deps: bool) -> None:
    """Enable a plugin: apply its migrations and switch its hooks on."""
    from ..services.plugins import enable as do_enable

    kernel = state.kernel()
    with refusal_in_terms(kernel.plugins, "cli"):
        done = do_enable(kernel, name, actor=actor(), with_deps=with_deps)
    if not done:
        click.echo(f"{name} is already enabled")
    for target in done:
        click.echo(f"enabled {target}")


@plugins.command("disable")
@click.argument("name")
@click.option("--cascade", is_flag=True, help="Also disable the plugins that require it.")
@pass_state
def disable(state: CliState, name: str, cascade: bool) -> None:
    """Disable a plugin; its tables and rows are kept untouched."""
    from ..services.plugins import disable as do_disable

    kernel = state.kernel()
    with refusal_in_terms(kernel.plugins, "cli"):
        done = do_disable(kernel, name, actor=actor(), cascade=cascade)
    for target in done:
        click.echo(f"disabled {target} (its data is kept)")


@plugins.command("purge")
@click.argument("name")
@click.option("--export", "export_to", type=click.Path(dir_okay=False),
              help="New archive file (the backup's format) to write every row of the "
                   "plugin to first (required).")
@click.option("--yes", is_flag=True, help="Confirm that the plugin's tables are dropped.")
@click.option("--dry-run", is_flag=True, help="Only report what would be removed.")
@pass_state
def purge(state: CliState, name: str, export_to: str | None, yes: bool, dry_run: bool) -> None:
    """Export a disabled plugin's data, then drop its tables for good."""
    from ..services.plugins import purge as do_purge
    from ..services.plugins import purge_plan

    kernel = state.kernel()
    plan = purge_plan(kernel, name, actor=actor())
    if dry_run:
        click.echo(f"purging {name} would drop:")
        table(["TABLE", "ROWS"], sorted(plan.tables.items()))
        click.echo(f"and delete from its records: {_traces(plan.traces)}")
        click.echo("plugins depending on it: " + (", ".join(plan.dependents) or "none"))
        return
    if not export_to:
        raise click.UsageError("--export FILE is required: the data is written there first")
    if not yes:
        raise click.UsageError("purging drops tables for good; add --yes to confirm "
                               "(or --dry-run to see what would go)")
    done = do_purge(kernel, name, export_to=export_to, actor=actor())
    rows = sum(done.tables.values())
    click.echo(f"exported {rows} rows of {len(done.tables)} tables to {export_to}")
    click.echo(f"deleted from its records (exported too): {_traces(done.traces)}")
    click.echo(f"purged {name}")


def _traces(counts: dict[str, int]) -> str:
    """``2 activities, 1 tag link, 0 tags, 5 audit entries``."""
    singular = {"activities": "activity", "tag links": "tag link", "tags": "tag",
                "audit entries": "audit entry"}
    return ", ".join(f"{n} {singular.get(kind, kind) if n == 1 else kind}"
                     for kind, n in counts.items())


@plugins.command("settings")
@click.argument("name")
@click.argument("assignments", nargs=-1, metavar="[KEY=VALUE]...")
@pass_state
def settings(state: CliState, name: str, assignments: tuple[str, ...]) -> None:
    """Show a plugin's settings, or change some: KEY=VALUE, the value as JSON or text.

    KEY.PART=VALUE changes part of a setting and keeps the rest (null removes it):
    pipelines.renewals='[...]' sets one pipeline of sales, the others stay."""
    from ..services.plugins import patch_settings, plugin_settings, set_settings

    kernel = state.kernel()
    if assignments:
        values: dict[str, Any] = {}
        patch: dict[str, Any] = {}
        for item in assignments:
            key, sep, raw = item.partition("=")
            if not sep or not key or "" in key.split("."):
                raise click.UsageError(f"{item!r}: write KEY=VALUE or KEY.PART=VALUE")
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                value = raw
            if "." not in key:
                values[key] = value
                continue
            *path, last = key.split(".")
            place = patch
            for part in path:
                place = place.setdefault(part, {})
                if not isinstance(place, dict):
                    raise click.UsageError(f"{item!r}: {part} is given a value and parts")
            place[last] = value
        if values and patch:
            raise click.UsageError("give whole settings (KEY=VALUE) or parts of settings "
                                   "(KEY.PART=VALUE), not both in one command")
        current = (patch_settings(kernel, name, patch, actor=actor()) if patch else
                   set_settings(kernel, name, values, actor=actor()))
    else:
        current = plugin_settings(kernel, name, actor=actor())
    click.echo(json.dumps(current, indent=2, sort_keys=True, default=str))


@click.group()
def hooks() -> None:
    """Hooks and the plugins that implement them."""


@hooks.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also list hooks nobody implements.")
@pass_state
def list_hooks(state: CliState, show_all: bool) -> None:
    """Each hook with its implementations in call order (disabled ones marked)."""
    kernel = state.kernel()
    rows = []
    for name in kernel.plugins.hook_names():
        impls = kernel.plugins.implementations(name)
        if not impls and not show_all:
            continue
        shown = [i if i in kernel.plugins.active else f"{i} (off)" for i in impls]
        rows.append([name, ", ".join(shown) or "-"])
    table(["HOOK", "IMPLEMENTATIONS (CALL ORDER)"], rows)
