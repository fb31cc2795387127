"""The shell's own pages: home ("My tasks today"), the global search, and marking a
task done. Each view parses the request, calls one service and renders."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from flask import (Blueprint, Response, flash, g, redirect, render_template, request,
                   url_for)

from ..errors import BadQuery
from ..services.authz import permission_for
from ..services.search import GROUP_SIZE, search
from ..services.tasks import complete_task, due_tasks

if TYPE_CHECKING:
    from ..kernel import Accord

__all__ = ["register", "PAGE_SIZE"]

#: Records a page of one search type shows.
PAGE_SIZE = 25


def register(bp: Blueprint, kernel: Accord) -> None:
    @bp.get("/")
    def home() -> str:
        today = dt.datetime.now(dt.timezone.utc).date()
        activity = kernel.records.get("activity")
        tasks = None
        if g.actor.can(permission_for(activity, "read")):
            tasks = due_tasks(kernel, actor=g.actor, day=today)["items"]
        return render_template("home.html", tasks=tasks, today=today)

    @bp.get("/search")
    def search_page() -> Any:
        q = request.args.get("q", "")
        type_name = request.args.get("type") or None
        error = None
        try:
            groups = search(kernel, q, actor=g.actor, record_type=type_name,
                            cursor=request.args.get("cursor") or None,
                            limit=PAGE_SIZE if type_name else GROUP_SIZE)
        except BadQuery as exc:
            groups = []
            error = "; ".join(" ".join(problems) for problems in exc.flat().values())
        only = groups[0] if type_name and groups else None
        template = ("_search_results.html" if request.headers.get("HX-Target") == "results"
                    else "search.html")
        body = render_template(template, q=q, type_name=type_name, groups=groups,
                               only=only, error=error)
        return Response(body, status=400 if error else 200)

    @bp.post("/activities/<int:activity_id>/done")
    def task_done(activity_id: int) -> Any:
        version = request.form.get("version", type=int)
        task: Any = complete_task(kernel, activity_id, actor=g.actor, version=version)
        if request.headers.get("HX-Request"):
            return render_template("_task_done.html", task=task)
        flash(f"Marked “{task.subject}” done.", "info")
        return redirect(url_for("pages.home"))
