"""The pipeline stages page, ``/sales/stages``: each pipeline's stages in order, with
forms to add one stage at a position, rename one, and move one up or down, the other
stages and pipelines kept.

Every change goes through the settings service as ``PATCH /api/v1/plugins/sales/settings``
and ``POST /api/v1/sales/pipelines/<pipeline>/stages`` do (``accord_sales.api``:
``add_stage``, ``rename_stage``, ``move_stage``), so the settings' checks apply (one won
stage, unique names, a stage holding opportunities cannot go) and their message is
shown on the pipeline's box. The page needs the permission to configure plugins
(``admin.plugins``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from flask import (Blueprint, Response, current_app, flash, g, redirect, render_template,
                   request, url_for)

from accord.errors import ValidationError
from accord.pages import sentence
from accord.services.authz import require
from accord.services.plugins import PLUGINS

from ..api import add_stage, move_stage, rename_stage
from ..settings import STAGE_KINDS, pipelines

if TYPE_CHECKING:
    from accord.kernel import Accord

__all__ = ["blueprint"]

_SETTINGS_KEY = "plugins.settings.sales.pipelines: "


def blueprint() -> Blueprint:
    """A new blueprint of the page (one per app: Flask keeps state on blueprints)."""
    bp = Blueprint("stages", __name__, template_folder="../templates")
    bp.add_url_rule("/stages", "index", index)
    bp.add_url_rule("/stages/<pipeline>/add", "add", add, methods=["POST"])
    bp.add_url_rule("/stages/<pipeline>/rename", "rename", rename, methods=["POST"])
    bp.add_url_rule("/stages/<pipeline>/move", "move", move, methods=["POST"])
    return bp


def _page(*, failed: str | None = None, problems: list[str] | None = None,
          entered: dict[str, Any] | None = None, status: int = 200) -> Response:
    kernel = current_app.extensions["accord"]
    body = render_template("sales/stages.html", pipelines=list(pipelines(kernel).values()),
                           kinds=STAGE_KINDS, failed=failed, problems=problems or [],
                           entered=entered or {})
    return Response(body, status=status)


def index() -> Response:
    require(g.actor, PLUGINS)
    return _page()


def _messages(exc: ValidationError) -> list[str]:
    """The settings' messages as sentences, a field's name before its own."""
    out = []
    for key, problems in exc.flat().items():
        for problem in problems:
            # The settings service names the whole key of a pipeline's problem.
            text = sentence(problem.removeprefix(_SETTINGS_KEY))
            if key not in ("pipelines", "settings", "_schema"):
                text = f"{key.rsplit('.', 1)[-1].replace('_', ' ').capitalize()}: {text}"
            out.append(text)
    return out


def _number(raw: str, name: str) -> int | None:
    text = raw.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValidationError({name: [f"give a whole number, not {text[:20]!r}"]}) from None


def _done(pipeline: str, message: str) -> Any:
    flash(message, "info")
    return redirect(url_for(".index") + f"#pipeline-{pipeline}")


def add(pipeline: str) -> Any:
    require(g.actor, PLUGINS)
    kernel = current_app.extensions["accord"]
    form = request.form
    name = form.get("name", "").strip()
    try:
        probability = _number(form.get("probability", ""), "probability")
        if not name:
            raise ValidationError({"name": ["give the new stage a name"]})
        if probability is None:
            raise ValidationError({"probability": ["give a probability from 0 to 100"]})
        add_stage(kernel, pipeline, actor=g.actor, name=name, probability=probability,
                  kind=form.get("kind", "open"),
                  position=_number(form.get("position", ""), "position"))
    except ValidationError as exc:
        return _page(failed=f"add-{pipeline}", problems=_messages(exc), entered=dict(form),
                     status=422)
    return _done(pipeline, f"Added the stage “{name}” to the {pipeline} pipeline.")


def _change(pipeline: str, change: Callable[[Accord, str], str]) -> Any:
    """A change to one stage (the form's ``stage``): ``change(kernel, stage)`` makes it
    and says what it did; a refusal draws the page again beside that pipeline's stages."""
    require(g.actor, PLUGINS)
    kernel = current_app.extensions["accord"]
    try:
        done = change(kernel, request.form.get("stage", ""))
    except ValidationError as exc:
        return _page(failed=f"stage-{pipeline}", problems=_messages(exc),
                     entered=dict(request.form), status=422)
    return _done(pipeline, done)


def rename(pipeline: str) -> Any:
    def change(kernel: Accord, stage: str) -> str:
        new_name = request.form.get("name", "").strip()
        if not new_name:
            raise ValidationError({"name": ["give the stage its new name"]})
        rename_stage(kernel, pipeline, stage, new_name, actor=g.actor)
        return f"Renamed the stage “{stage}” to “{new_name}”."

    return _change(pipeline, change)


def move(pipeline: str) -> Any:
    def change(kernel: Accord, stage: str) -> str:
        position = _number(request.form.get("position", ""), "position")
        if position is None:
            raise ValidationError({"position": ["give the stage's new position"]})
        move_stage(kernel, pipeline, stage, position, actor=g.actor)
        return f"Moved the stage “{stage}” to position {position}."

    return _change(pipeline, change)
