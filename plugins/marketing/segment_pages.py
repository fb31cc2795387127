"""The segment pages: the list and the builder with its live count (``add_pages``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping


from accord import services
from accord.errors import Conflict, NotFound, PermissionDenied, ValidationError
from accord.services.authz import require

from .models.segments import KINDS, TARGETS

if TYPE_CHECKING:
    from flask import Blueprint

    from accord.kernel import Accord
    from accord.services import Actor

from .segments import (FREEZE, OPS, RuleField, SEGMENT, _MAX_ID, _NULLS, _ORG, _count, _stored, draft_count, members_query, preview, rule_fields)



# The pages: the segment list and the segment builder ---------------------------------------
#
# /marketing/segments lists the segments the reader may read with their counts;
# /marketing/segments/new and /marketing/segments/<id> are the builder: target, kind, and
# the rules as rows (field, op, value). While rules are typed, htmx posts the form to
# /marketing/segments/draft, which answers the live count (``draft_count``, the same
# function as POST /api/v1/marketing/segments/count); "Add rule" and "Remove" post it
# with ``op`` and get the rows back. Without scripts they post the form and the page
# comes back with the rows changed, nothing saved.

_TEMPLATES = "marketing"
_OP_WORDS = {"eq": "is", "ne": "is not", "lt": "is less than", "lte": "is at most",
             "gt": "is more than", "gte": "is at least", "in": "is one of (a, b, …)",
             "contains": "contains", "is_null": "is empty", "not_null": "is not empty",
             "includes": "includes", "excludes": "does not include"}


def _kernel() -> Accord:
    from flask import current_app

    return current_app.extensions["accord"]  # type: ignore[no-any-return]


def _form_value(text: str, op: str) -> Any:
    """A rule's value as typed: none for is_null/not_null, a list for ``in`` (and for
    includes/excludes given with commas), a whole number when it reads as one
    (``"007"`` stays text), else the text."""
    if op in _NULLS:
        return None
    if op == "in" or (op in ("includes", "excludes") and "," in text):
        return [_form_value(part.strip(), "eq") for part in text.split(",") if part.strip()]
    if text.lstrip("-").isdigit() and text.isascii() and str(int(text)) == text:
        return int(text)
    return text


def _form_rules(form: Any) -> list[dict[str, Any]]:
    """The rule rows of the form, as typed (blank rows included)."""
    names, ops, values = (form.getlist(k) for k in ("rule_field", "rule_op", "rule_value"))
    rows = []
    for index, name in enumerate(names):
        op = ops[index] if index < len(ops) else "eq"
        text = values[index] if index < len(values) else ""
        rows.append({"field": name.strip(), "op": op, "text": text.strip()})
    return rows


def _rules_of(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rules of the filled rows (a row with no field chosen is left out)."""
    return [{"field": r["field"], "op": r["op"], "value": _form_value(r["text"], r["op"])}
            for r in rows if r["field"]]


def _rows_of(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for rule in rules:
        value = rule.get("value")
        text = ", ".join(str(v) for v in value) if isinstance(value, list) else \
            "" if value is None else str(value).lower() if isinstance(value, bool) else \
            str(value)
        rows.append({"field": rule.get("field", ""), "op": rule.get("op", "eq"),
                     "text": text})
    return rows


def _edited(rows: list[dict[str, Any]], op: str) -> list[dict[str, Any]]:
    if op == "add":
        return [*rows, {"field": "", "op": "eq", "text": ""}]
    if op.startswith("remove-") and op[7:].isdigit():
        index = int(op[7:])
        return [r for i, r in enumerate(rows) if i != index]
    return rows


def _row_problems(rows: list[dict[str, Any]],
                  problems: Mapping[str, list[str]]) -> tuple[dict[int, str], list[str]]:
    """Problems by row (the index among all rows, blank ones included), and the rest."""
    filled = [i for i, r in enumerate(rows) if r["field"]]
    by_row: dict[int, str] = {}
    rest: list[str] = []
    for key, texts in problems.items():
        parts = key.split(".")
        if parts[0] == "rules" and len(parts) > 1 and parts[1].isdigit() and \
                int(parts[1]) < len(filled):
            row = filled[int(parts[1])]
            what = parts[2] if len(parts) > 2 else "rule"
            by_row[row] = f"{what}: {' '.join(texts)}"
        else:
            rest.append(f"{key}: {' '.join(texts)}")
    return by_row, rest


def _live(kernel: Accord, actor: Actor, target: str,
          rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The builder's count: ``count`` or ``problems`` (by row, and the rest)."""
    try:
        answer = draft_count(kernel, actor=actor, target=target, rules=_rules_of(rows))
    except ValidationError as exc:
        by_row, rest = _row_problems(rows, exc.flat())
        return {"count": None, "row_problems": by_row, "problems": rest, "target": target}
    return {"count": answer["count"], "row_problems": {}, "problems": [], "target": target}


def _choices(kernel: Accord, target: str) -> list[tuple[str, list[RuleField]]]:
    """The fields of the field menu, in groups."""
    known = rule_fields(kernel, target)
    groups: dict[str, list[RuleField]] = {}
    for field in known.values():
        if field.name.startswith(_ORG):
            group = "Their organization"
        else:
            group = {"field": "Fields", "custom": "Custom fields", "tags": "Tags",
                     "fact": "Customer facts"}[field.source]
        groups.setdefault(group, []).append(field)
    order = ["Fields", "Custom fields", "Tags", "Customer facts", "Their organization"]
    return [(g, groups[g]) for g in order if g in groups]


def _builder(segment: Any, values: dict[str, Any], rows: list[dict[str, Any]], *,
             status: int = 200, problems: list[str] | None = None,
             errors: Mapping[str, list[str]] | None = None, stale: bool = False) -> Any:
    from flask import Response, g, render_template

    kernel = _kernel()
    target = str(values["target"]) if values.get("target") in TARGETS else "contact"
    live = _live(kernel, g.actor, target, rows)
    members = None
    if segment is not None and status == 200:
        try:
            members = preview(kernel, segment.id, actor=g.actor)
        except (NotFound, PermissionDenied, Conflict):
            # The reader may not read the target's records, or a rule names a field
            # gone since it was saved (its plugin disabled): no preview.
            members = None
    row_problems = dict(live["row_problems"])
    for key, texts in (errors or {}).items():
        if key.startswith("rules."):
            found, _ = _row_problems(rows, {key: texts})
            row_problems.update(found)
    body = render_template(
        f"{_TEMPLATES}/segment.html", segment=segment, values=values, rows=rows,
        target=target, targets=TARGETS, kinds=KINDS, groups=_choices(kernel, target),
        ops=OPS, op_words=_OP_WORDS, live=live, row_problems=row_problems,
        problems=problems or [], errors={k: v for k, v in (errors or {}).items()
                                         if not k.startswith("rules.")},
        members=members, stale=stale, may_write=g.actor.can(f"{SEGMENT}.write"),
        may_freeze=g.actor.can(FREEZE))
    return Response(body, status=status)


def _form_values(form: Any) -> dict[str, Any]:
    return {"name": str(form.get("name", "")).strip(),
            "target": str(form.get("target", "contact")),
            "kind": str(form.get("kind", "dynamic")),
            "description": str(form.get("description", "")).strip()}


def _write_data(values: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": values["name"], "target": values["target"], "kind": values["kind"],
            "description": values["description"] or None, "rules": _rules_of(rows)}


def _page_list() -> Any:
    from flask import g, render_template

    from accord.query import find

    kernel = _kernel()
    segments = find(kernel, SEGMENT, {}, sort=("name",), limit=200, actor=g.actor)
    counts: dict[int, int | None] = {}
    with kernel.bound():
        for segment in segments:
            try:
                counts[segment.id] = _count(members_query(kernel, segment))
            except Conflict:  # a field gone since it was saved
                counts[segment.id] = None
    return render_template(f"{_TEMPLATES}/segments.html", segments=segments, counts=counts,
                           may_write=g.actor.can(f"{SEGMENT}.write"))


def _page_new() -> Any:
    from flask import flash, g, redirect, request

    require(g.actor, f"{SEGMENT}.write")
    if request.method == "GET":
        values = {"name": "", "target": request.args.get("target", "contact"),
                  "kind": "dynamic", "description": ""}
        return _builder(None, values, [{"field": "", "op": "eq", "text": ""}])
    values = _form_values(request.form)
    rows = _form_rules(request.form)
    if request.form.get("op"):
        return _builder(None, values, _edited(rows, str(request.form["op"])))
    try:
        created: Any = services.create(_kernel(), SEGMENT, _write_data(values, rows),
                                       actor=g.actor)
    except ValidationError as exc:
        return _builder(None, values, rows, status=422, errors=exc.flat())
    flash("Segment created.", "info")
    return redirect(f"/marketing/segments/{created.id}")


def _page_segment(segment_id: int) -> Any:
    from flask import flash, g, redirect, request

    from accord.errors import StaleVersion

    kernel = _kernel()
    segment = _stored(kernel, segment_id, g.actor)
    if request.method == "GET":
        values = {"name": segment.name, "target": segment.target, "kind": segment.kind,
                  "description": segment.description or ""}
        rows = _rows_of(segment.rules or []) or [{"field": "", "op": "eq", "text": ""}]
        return _builder(segment, values, rows)
    values = _form_values(request.form)
    rows = _form_rules(request.form)
    if request.form.get("op"):
        return _builder(segment, values, _edited(rows, str(request.form["op"])))
    try:
        services.update(kernel, SEGMENT, segment.id, _write_data(values, rows),
                        actor=g.actor, version=request.form.get("version", type=int))
    except ValidationError as exc:
        return _builder(segment, values, rows, status=422, errors=exc.flat())
    except StaleVersion:
        return _builder(segment, values, rows, status=412, stale=True)
    flash("Saved.", "info")
    return redirect(f"/marketing/segments/{segment.id}")


def _page_draft() -> Any:
    """The live count (htmx); with ``op``, the rule rows and the count out of band."""
    from flask import Response, g, render_template, request

    kernel = _kernel()
    require(g.actor, f"{SEGMENT}.read")
    values = _form_values(request.form)
    target = values["target"] if values["target"] in TARGETS else "contact"
    rows = _form_rules(request.form)
    op = str(request.form.get("op", ""))
    if op:
        rows = _edited(rows, op)
    live = _live(kernel, g.actor, target, rows)
    template = "segment_rules.html" if op else "segment_count.html"
    body = render_template(f"{_TEMPLATES}/{template}", rows=rows, live=live,
                           groups=_choices(kernel, target), ops=OPS, op_words=_OP_WORDS,
                           row_problems=live["row_problems"], oob=bool(op),
                           focus_row=len(rows) - 1 if op == "add" else None)
    return Response(body)


def _page_freeze(segment_id: int) -> Any:
    from flask import flash, g, redirect, request

    from accord.errors import StaleVersion
    from accord.services.actions import run_action

    try:
        run_action(_kernel(), SEGMENT, segment_id, "freeze", None, actor=g.actor,
                   version=request.form.get("version", type=int))
    except ValidationError as exc:
        flash(" ".join(m for ms in exc.flat().values() for m in ms), "error")
    except StaleVersion:
        flash("The segment was changed meanwhile; reload it and freeze it again.", "error")
    else:
        flash("Members stored.", "info")
    return redirect(f"/marketing/segments/{segment_id}")


def add_pages(bp: Blueprint) -> None:
    """The segment list and builder under /marketing/segments."""
    bp.add_url_rule("/segments", "segments", _page_list)
    bp.add_url_rule("/segments/new", "segment_new", _page_new, methods=["GET", "POST"])
    bp.add_url_rule("/segments/draft", "segment_draft", _page_draft, methods=["POST"])
    bp.add_url_rule(f"/segments/<int(max={_MAX_ID}):segment_id>", "segment",
                    _page_segment, methods=["GET", "POST"])
    bp.add_url_rule(f"/segments/<int(max={_MAX_ID}):segment_id>/freeze", "segment_freeze",
                    _page_freeze, methods=["POST"])
