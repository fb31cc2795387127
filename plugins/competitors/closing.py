"""Closing a contested deal as lost from the pages: a panel on the opportunity's record
page naming the competitors on the deal, with a form saying which one it went to.

Sales' ``move`` action takes ``details.lost_to``, which this plugin's close check asks
for on a contested deal; the generic action form cannot fill a dict, so this panel
does, and posts through the same action (``run_action``) as the API: the check, the
audit and the win/loss record are the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, flash, g, redirect, request

from accord.errors import AccordError, ValidationError
from accord.pages import Panel
from accord.services.actions import run_action

from .rules import NONE, OPPORTUNITY, involved

if TYPE_CHECKING:
    from accord.kernel import Accord
    from accord.services.actors import Actor

__all__ = ["closing_panels", "register"]


def _lost_stages(kernel: Accord, pipeline: str) -> list[str]:
    from accord_sales.settings import pipelines

    found = pipelines(kernel).get(pipeline)
    return [s.name for s in found.stages if s.kind == "lost"] if found else []


def closing_panels(kernel: Accord, actor: Actor, record: dict[str, Any]) -> list[Panel]:
    """On an open opportunity with competitors, the form closing it as lost to one."""
    with kernel.bound():
        competitors = involved(record["id"])
    stages = _lost_stages(kernel, record.get("pipeline") or "")
    if not competitors or not stages or record.get("closed_at") or \
            not actor.can(f"{OPPORTUNITY}.move"):
        return []
    return [Panel("Lost to a competitor", template="competitors/_close_lost.html",
                  order=45, context={"record": record, "competitors": competitors,
                                     "stages": stages, "none": NONE})]


def register(bp: Blueprint) -> None:
    @bp.post("/deals/<int:opportunity_id>/lost")
    def close_lost(opportunity_id: int) -> Any:
        kernel = current_app.extensions["accord"]
        form = request.form
        body = {"stage": form.get("stage", ""), "loss_reason": form.get("loss_reason") or None,
                "details": {"lost_to": form.get("lost_to", "")}}
        try:
            run_action(kernel, OPPORTUNITY, opportunity_id, "move", body, actor=g.actor,
                       version=form.get("version", type=int))
        except ValidationError as exc:
            flash("Not closed: " + "; ".join(" ".join(p) for p in exc.flat().values()),
                  "error")
        except AccordError as exc:
            if exc.status in (403, 404):
                raise
            flash(f"Not closed: {exc.message}", "error")
        else:
            flash("Closed as lost.", "info")
        return redirect(f"/records/{OPPORTUNITY}/{opportunity_id}")
