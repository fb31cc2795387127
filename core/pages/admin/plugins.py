"""``/admin/plugins``: every plugin with its state and why it does not run; enabling,
disabling and purging through ``accord.services.plugins``.

A toggle bumps the plugin-state counter, so every user's next page (in every worker)
shows the navigation and pages of the plugins running then, without a restart. A
purge shows the dry-run report first (``purge_plan``) and asks for the plugin's name
typed again, then exports every row to an archive file on the server (the backup's format) and
drops the tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, g, render_template, request

from ...errors import AccordError, NotFound, PermissionDenied
from ...plugins.manager import CORE
from ...services import plugins as service
from .common import done, messages_of, refused

if TYPE_CHECKING:
    from ...kernel import Accord
    from ...plugins.manager import Stopped

__all__ = ["register", "PluginRow", "why_stopped"]

_URL = "/admin/plugins"
#: What a refusal's ``option`` would do anyway, as the button offering it says.
_ANYWAY = {"with_deps": "Enable it with what it requires",
           "cascade": "Disable it with the plugins that require it"}


@dataclass(frozen=True)
class PluginRow:
    """A plugin as the page shows it: the service's info, why it does not run, and the
    buttons it offers."""

    info: service.PluginInfo
    why: str | None
    running: bool

    @property
    def can_enable(self) -> bool:
        return self.info.state != "enabled" and self.info.state != "failed"

    @property
    def can_disable(self) -> bool:
        return self.info.state == "enabled"

    @property
    def can_purge(self) -> bool:
        return self.info.state == "disabled"


def why_stopped(stopped: Stopped | None) -> str | None:
    """Why a plugin does not run and what would make it run, in the page's words."""
    if stopped is None:
        return None
    text = str(stopped)
    if stopped.fix == "enable" and stopped.culprit != stopped.name:
        return f"{text}; enable {stopped.culprit} first"
    if stopped.fix == "repair":
        return f"{text}; fix or reinstall {stopped.culprit}, then restart Accord"
    if stopped.fix == "install":
        return f"{text}; install {stopped.culprit} {stopped.wanted}".rstrip()
    return text


def register(bp: Blueprint, kernel: Accord) -> None:
    @bp.get(_URL)
    def admin_plugins() -> Any:
        return _page(kernel)

    @bp.post(f"{_URL}/<name>/enable")
    def admin_plugin_enable(name: str) -> Any:
        with_deps = request.form.get("with_deps") == "1"
        try:
            names = service.enable(kernel, name, actor=g.actor, with_deps=with_deps)
        except (NotFound, PermissionDenied):
            raise
        except AccordError as exc:
            return _page(kernel, name, exc)
        return done(f"Enabled {', '.join(names)}; every user's next page shows "
                    f"{'it' if len(names) == 1 else 'them'}." if names
                    else f"{name} was enabled already.", _URL)

    @bp.post(f"{_URL}/<name>/disable")
    def admin_plugin_disable(name: str) -> Any:
        cascade = request.form.get("cascade") == "1"
        try:
            names = service.disable(kernel, name, actor=g.actor, cascade=cascade)
        except (NotFound, PermissionDenied):
            raise
        except AccordError as exc:
            return _page(kernel, name, exc)
        return done(f"Disabled {', '.join(names)} (the data is kept); every user's next "
                    "page goes without it.", _URL)

    @bp.route(f"{_URL}/<name>/purge", methods=["GET", "POST"])
    def admin_plugin_purge(name: str) -> Any:
        plan = service.purge_plan(kernel, name, actor=g.actor)
        form = {"export": request.form.get("export", "").strip() or _export_file(kernel, name),
                "confirm": request.form.get("confirm", "")}
        if request.method == "GET":
            return _purge_page(kernel, plan, form)
        if form["confirm"].strip() != name:
            return _purge_page(kernel, plan, form, {"confirm": [
                f"type {name} to confirm that its tables are dropped"]}, status=422)
        try:
            purged = service.purge(kernel, name, export_to=form["export"], actor=g.actor)
        except (NotFound, PermissionDenied):
            raise
        except AccordError as exc:
            return _purge_page(kernel, plan, form, messages_of(exc), status=exc.status)
        rows = sum(purged.tables.values())
        return done(f"Purged {name}: {rows} row{'' if rows == 1 else 's'} of "
                    f"{len(purged.tables)} table{'' if len(purged.tables) == 1 else 's'} "
                    f"exported to {form['export']}.", _URL)


def _page(kernel: Accord, name: str | None = None, exc: AccordError | None = None) -> Any:
    infos = service.list_plugins(kernel, actor=g.actor)
    rows = [PluginRow(info, why_stopped(kernel.plugins.stopped(info.name)),
                      info.name in kernel.plugins.active)
            for info in infos if info.name != CORE]
    context: dict[str, Any] = {"rows": rows, "problem_of": name,
                               "problem": exc.message if exc is not None else None,
                               "anyway": None}
    option = getattr(exc, "option", None)
    if exc is not None and option in _ANYWAY:
        context["anyway"] = (option, _ANYWAY[option])
    if exc is None:
        return render_template("admin/plugins.html", **context)
    return refused("admin/plugins.html", exc, **context)


def _purge_page(kernel: Accord, plan: service.PurgePlan, form: dict[str, str],
                errors: dict[str, list[str]] | None = None, status: int = 200) -> Response:
    plugin = kernel.plugins.get(plan.name)
    body = render_template("admin/purge.html", plan=plan, form=form, errors=errors or {},
                           state=plugin.stored_state)
    return Response(body, status=status)


def _export_file(kernel: Accord, name: str) -> str:
    """A new file beside accord.toml (or in the working folder) for the export."""
    folder = Path(kernel.config.path).parent if kernel.config.path else Path.cwd()
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    return str(folder / f"accord-purge-{name}-{stamp}.zip")
