"""Record pages: one for every record of every type, the plugins' included, generated
from the record type and its schema like the API.

``/records/<type>/<id>`` shows the record's fields as a form (custom fields included;
personal fields hidden from a reader without ``core.personal_data.read``; fields only
an action sets shown, not editable), its timeline (``accord.services.reading.timeline``
merged with the record's audit entries), a form adding a note, call or task, and its
actions as buttons with forms generated from their schemas. Every write goes through
the services, with the record's version:

- ``POST /records/<type>/<id>`` saves the changed fields (``services.update``);
- ``POST /records/<type>/<id>/activities`` adds an activity (``services.create``);
- ``POST /records/<type>/<id>/actions/<name>`` runs an action (``run_action``).

A refusal draws the page again with the message beside the field and the entered
values kept; a stale version says the record changed meanwhile.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import marshmallow as ma
from flask import Blueprint, Response, flash, g, redirect, render_template, request

from .. import services
from ..errors import AccordError, BadQuery, NotFound, PermissionDenied, StaleVersion, ValidationError
from ..schemas import ACTIVITY_KINDS
from ..services.actions import actions_of, find_action, run_action
from ..services.audit import record_history
from ..services.authz import permission_for, require
from ..services.reading import dump, masked_fields, timeline
from ..services.search import title_of
from ..services.lists import list_page
from .plugin_pages import record_panels

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordAction, RecordType

__all__ = ["register", "FormField", "form_fields"]

#: Fields never shown as inputs: the record's bookkeeping.
_BOOKKEEPING = frozenset({"id", "version", "created_at", "updated_at", "custom"})
#: Kinds of activity the page's "add" form offers, with their button words.
_OWNERSHIP = frozenset({"owner_id", "team_id"})
_DONE = {"create": "Created", "update": "Updated", "delete": "Deleted"}
_ADD_KINDS = (("note", "Add a note"), ("call", "Log a call"), ("task", "Add a task"))
#: Records a reference's input offers as the user types.
OPTIONS = 10


@dataclass
class FormField:
    """An input of a generated form: its name, label, input type, the text it shows,
    and whether it can be changed (a masked or action-owned field cannot)."""

    name: str
    label: str
    input: str  # text, textarea, number, date, datetime-local, checkbox, select, money
    value: Any = ""
    editable: bool = True
    masked: bool = False
    required: bool = False
    choices: tuple[str, ...] = ()
    note: str = ""
    errors: list[str] = field(default_factory=list)
    link: str = ""  # a reference's record page, and its title
    link_text: str = ""
    reference: str = ""  # the record type a reference names (its input offers records)


def _label(name: str) -> str:
    base = name[:-3] if name.endswith("_id") else name
    base = base[2:] if base.startswith("x_") else base
    text = base.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _choices(f: ma.fields.Field[Any]) -> tuple[str, ...]:
    for validator in f.validators:
        if isinstance(validator, ma.validate.OneOf):
            return tuple(str(c) for c in validator.choices)
    return ()


def _input_of(f: ma.fields.Field[Any]) -> str | None:
    """The input type of a marshmallow field, or None when a form cannot edit it."""
    if isinstance(f, (ma.fields.List, ma.fields.Dict, ma.fields.Nested, ma.fields.Method,
                      ma.fields.Function)):
        return None
    if type(f).__name__ == "MoneyField":
        return "money"
    if _choices(f):
        return "select"
    if isinstance(f, ma.fields.Boolean):
        return "checkbox"
    if isinstance(f, ma.fields.DateTime):  # AwareDateTime included
        return "datetime-local"
    if isinstance(f, ma.fields.Date):
        return "date"
    if isinstance(f, (ma.fields.Integer, ma.fields.Decimal, ma.fields.Float)):
        return "number"
    if isinstance(f, ma.fields.String) and not any(
            isinstance(v, ma.validate.Length) and v.max is not None for v in f.validators):
        return "textarea"
    return "text"


def _structured(f: ma.fields.Field[Any]) -> bool:
    """A field holding objects (nested records, a dict, a list of them), which a form
    cannot show as one value."""
    inner = f.inner if isinstance(f, ma.fields.List) else f
    return isinstance(inner, (ma.fields.Nested, ma.fields.Dict))


def _text_of(kind: str, value: Any) -> Any:
    """A dumped value as its input shows it."""
    if value is None:
        return {"amount": "", "currency": ""} if kind == "money" else ""
    if kind == "money":
        return {"amount": str(value.get("amount", "")), "currency": value.get("currency", "")}
    if kind == "checkbox":
        return bool(value)
    if kind == "datetime-local" and isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value).astimezone(dt.timezone.utc)
        except ValueError:
            return value
        return moment.strftime("%Y-%m-%dT%H:%M")
    return str(value)


def form_fields(schema: ma.Schema, values: dict[str, Any] | None = None, *,
                hidden: frozenset[str] = frozenset(),
                fixed: frozenset[str] = frozenset()) -> list[FormField]:
    """The inputs of a schema's loadable fields, filled with ``values`` (dumped data)."""
    out = []
    for name, f in schema.fields.items():
        if name in _BOOKKEEPING or f.load_only and values is not None:
            continue
        kind = _input_of(f)
        if kind is None and _structured(f):
            continue  # records inside the record (a ticket's comments): a plugin's panel
        shown_only = f.dump_only or kind is None
        if shown_only and values is None:
            continue  # an action's form: nothing to show
        value = (values or {}).get(name)
        item = FormField(name, _label(name), kind or "text",
                         _text_of(kind or "text", value) if kind else value,
                         required=bool(f.required), choices=_choices(f))
        if name in hidden:
            item.masked, item.editable, item.value = True, False, ""
        elif shown_only or name in fixed:
            item.editable = False
            if name in fixed:
                item.note = "changed by an action"
        out.append(item)
    # What the record is first: the type's own fields, then custom ones, then those of
    # the mixins and bases it builds on (an address), ownership last.
    rank = _declaration_rank(type(schema))
    out.sort(key=lambda item: (item.name in _OWNERSHIP, rank.get(item.name, 0)))
    return out


def _declaration_rank(cls: type) -> dict[str, float]:
    """For each field, how far up the schema's classes it is declared (0: the type's
    own schema; custom fields, declared by the kernel's subclass, come right after)."""
    classes = [c for c in cls.__mro__ if "_declared_fields" in vars(c)]
    rank: dict[str, float] = {}
    for depth, klass in enumerate(classes):
        for name in vars(klass)["_declared_fields"]:
            rank[name] = depth
    for name in rank:
        if name.startswith("x_"):
            rank[name] = 1.5
    return rank


def _entered(item: FormField, form: Any) -> Any:
    """What the form sent for one input, as its input shows it."""
    if item.input == "money":
        return {"amount": form.get(f"{item.name}.amount", ""),
                "currency": form.get(f"{item.name}.currency", "")}
    if item.input == "checkbox":
        return form.get(item.name) is not None
    return form.get(item.name, "")


def _loadable(item: FormField, entered: Any) -> Any:
    """An entered value as the schema loads it (strings it cannot read are passed on,
    so its message names what is wrong)."""
    if item.input == "money":
        if not entered["amount"].strip() and not entered["currency"].strip():
            return None
        return {"amount": entered["amount"].strip(), "currency": entered["currency"].strip()}
    if item.input == "checkbox":
        return bool(entered)
    text = str(entered).strip()
    if text == "":
        return None
    if item.input == "number":
        try:
            return int(text)
        except ValueError:
            return text
    if item.input == "datetime-local" and "+" not in text and not text.endswith("Z"):
        return text + ("+00:00" if len(text) > 10 else "")
    return text


def _changes(items: list[FormField], form: Any) -> dict[str, Any]:
    """The editable inputs whose entered value differs from the shown one (which the
    inputs are then set to, to draw the form again if it is refused)."""
    data = {}
    for item in items:
        if not item.editable:
            continue
        entered = _entered(item, form)
        if entered != item.value:
            data[item.name] = _loadable(item, entered)
            item.value = entered
    return data


def _place(items: list[FormField], messages: dict[str, list[str]]) -> list[str]:
    """Put each message beside its input; return those that name none of them."""
    by_name = {item.name: item for item in items}
    rest = []
    for key, problems in messages.items():
        name = key.split(".", 1)[0].split("[", 1)[0]
        target = by_name.get(name) or by_name.get(f"{name}_id")
        if target is not None and key != "_schema":
            target.errors.extend(problems)
        else:
            rest.extend(problems if key == "_schema" else [f"{key}: {p}" for p in problems])
    return rest


def _describe(kernel: Accord, rt: RecordType, items: list[FormField]) -> None:
    """Custom fields' labels, and a link to each referenced record the reader may see
    (its title; ``#id`` when the reader may not read it)."""
    custom = kernel.fields.of(rt.name)
    references = {f.object_id_name: kernel.records.for_model(f.rel_model)
                  for f in rt.model._meta.refs}
    for item in items:
        defined = custom.get(item.name)
        if defined is not None and defined.label:
            item.label = defined.label
        target = references.get(item.name)
        if target is not None and item.editable and g.actor.can(permission_for(target, "read")):
            item.reference = target.name
        if target is None or item.masked or not str(item.value).isdigit():
            continue
        item.link = f"/records/{target.name}/{item.value}"
        try:
            other = services.get(kernel, target, int(item.value), actor=g.actor)
        except (NotFound, PermissionDenied):
            item.link, item.link_text = "", f"#{item.value}"
            continue
        item.link_text = title_of(target, dump(kernel, target, other, actor=g.actor))


@dataclass
class _Entry:
    at: dt.datetime
    kind: str
    title: str
    detail: str = ""


def _timeline(kernel: Accord, rt: RecordType, record_id: int) -> list[_Entry]:
    entries = [_Entry(item.at, _kind_label(item.kind), item.title,
                      "done" if item.details.get("done") else "")
               for item in timeline(kernel, rt.name, record_id, actor=g.actor)]
    for audit in record_history(kernel, rt.name, record_id, actor=g.actor):
        changed = ", ".join(_label(k) for k in sorted(audit.changes or {})
                            if k not in _BOOKKEEPING)
        verb = _DONE.get(audit.action) or _kind_label(audit.action)
        entries.append(_Entry(audit.at, "Change", f"{verb} by {audit.actor_label or 'the system'}",
                              changed if audit.action.startswith("update") else ""))
    for entry in entries:
        if entry.at.tzinfo is None:
            entry.at = entry.at.replace(tzinfo=dt.timezone.utc)
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def _kind_label(kind: str) -> str:
    word = kind.rsplit(".", 1)[-1].replace("_", " ")
    return word[:1].upper() + word[1:]


@dataclass
class _Action:
    action: RecordAction
    fields: list[FormField]
    error: str = ""

    @property
    def label(self) -> str:
        return _label(self.action.name)


def register(bp: Blueprint, kernel: Accord) -> None:
    def page(rt: RecordType, record: Any, *, items: list[FormField] | None = None,
             problems: list[str] | None = None, stale: bool = False,
             activity: dict[str, Any] | None = None, failed: str | None = None,
             action_form: Any = None, action_messages: dict[str, list[str]] | None = None,
             status: int = 200) -> Response:
        values = dump(kernel, rt, record, actor=g.actor)
        hidden = masked_fields(kernel, rt, g.actor)
        fixed = frozenset(rt.verb_field_map)
        can_edit = not rt.written_by and g.actor.can(permission_for(rt, "write"))
        if items is None:
            items = form_fields(kernel.schema(rt), values, hidden=hidden, fixed=fixed)
        if not can_edit:
            for item in items:
                item.editable = False
        _describe(kernel, rt, items)
        actions = []
        for action in actions_of(kernel, rt.name):
            if not g.actor.can(action.permission) or not action.offered(rt, record):
                continue
            inputs = form_fields(action.schema()) if action.schema is not None else []
            entry = _Action(action, inputs)
            if action.name == failed:
                for item in inputs:
                    item.value = _entered(item, action_form)
                rest = _place(inputs, action_messages or {})
                entry.error = " ".join(rest)
            actions.append(entry)
        activity_rt = kernel.records.get("activity")
        may_log = g.actor.can(permission_for(activity_rt, "write"))
        body = render_template(
            "record.html", rt=rt, record=record, values=values, title=title_of(rt, values),
            items=items, problems=problems or [], stale=stale, can_edit=can_edit,
            timeline=_timeline(kernel, rt, record.id), actions=actions,
            may_log=may_log, add_kinds=_ADD_KINDS, activity=activity or {},
            activity_kinds=ACTIVITY_KINDS,
            panels=record_panels(kernel, g.actor, rt.name, values))
        return Response(body, status=status)

    def load(type_name: str, record_id: int) -> tuple[RecordType, Any]:
        rt = kernel.records.get(type_name)
        return rt, services.get(kernel, rt, record_id, actor=g.actor)

    def back(rt: RecordType, record_id: int, anchor: str = "") -> Any:
        return redirect(f"/records/{rt.name}/{record_id}{anchor}")

    def new_form(rt: RecordType) -> list[FormField]:
        if rt.written_by:
            raise AccordError(f"{rt.label} records are written by the "
                              f"{' or '.join(rt.written_by)} action only, not by a form")
        require(g.actor, permission_for(rt, "write"))
        fixed = {f.name for f in rt.verb_fields if not f.on_create}
        items = [item for item in form_fields(kernel.schema(rt))
                 if item.name not in fixed and item.name not in _OWNERSHIP]
        _describe(kernel, rt, items)
        return items

    def new_page(rt: RecordType, items: list[FormField], problems: list[str],
                 status: int = 200) -> Response:
        body = render_template("record_new.html", rt=rt, items=items, problems=problems)
        return Response(body, status=status)

    @bp.get("/records/<type_name>/options")
    def record_options(type_name: str) -> Response:
        """The records of a type matching what was typed into a reference's input, as
        the options of its datalist (the reader's rule applies: ``list_page``)."""
        rt = kernel.records.get(type_name)
        typed = request.args.get(request.args.get("field", ""), "").strip()
        options: list[tuple[int, str]] = []
        if typed and not typed.isdigit():
            try:
                found = list_page(kernel, rt, actor=g.actor, q=typed[:200], limit=OPTIONS)
            except BadQuery:
                found = {"items": []}
            options = [(item["id"], title_of(rt, item)) for item in found["items"]]
        return Response(render_template("_options.html", options=options))

    @bp.get("/records/<type_name>/new")
    def record_new(type_name: str) -> Response:
        """The empty form; values in the query string fill the fields of their names
        (a link "New repair" from a ticket gives ``?ticket_id=12``)."""
        rt = kernel.records.get(type_name)
        items = new_form(rt)
        for item in items:
            given = request.args.get(item.name, "").strip()
            if given:
                item.value = given[:1000]
        return new_page(rt, items, [])

    @bp.post("/records/<type_name>/new")
    def record_create(type_name: str) -> Any:
        rt = kernel.records.get(type_name)
        items = new_form(rt)
        data = {}
        for item in items:
            item.value = _entered(item, request.form)
            value = _loadable(item, item.value)
            if value is not None:
                data[item.name] = value
        try:
            record = services.create(kernel, rt.name, data, actor=g.actor)
        except ValidationError as exc:
            return new_page(rt, items, _place(items, exc.messages), status=422)
        title = title_of(rt, dump(kernel, rt, record, actor=g.actor))
        flash(f"Created the {rt.label.lower()} “{title}”.", "info")
        return back(rt, record.id)

    @bp.get("/records/<type_name>/<int:record_id>")
    def record_page(type_name: str, record_id: int) -> Any:
        try:
            rt, record = load(type_name, record_id)
        except NotFound:  # a merged record's old id leads to its winner
            from ..services.merging import resolve as merged_into

            winner = merged_into(kernel, type_name, record_id)
            if winner is None:
                raise
            return redirect(f"/records/{type_name}/{winner}", 301)
        return page(rt, record)

    @bp.post("/records/<type_name>/<int:record_id>")
    def record_save(type_name: str, record_id: int) -> Any:
        rt, record = load(type_name, record_id)
        values = dump(kernel, rt, record, actor=g.actor)
        items = form_fields(kernel.schema(rt), values,
                            hidden=masked_fields(kernel, rt, g.actor),
                            fixed=frozenset(rt.verb_field_map))
        data = _changes(items, request.form)
        if not data:
            flash("Nothing was changed.", "info")
            return back(rt, record_id)
        try:
            services.update(kernel, rt.name, record_id, data, actor=g.actor,
                            version=request.form.get("version", type=int))
        except ValidationError as exc:
            return page(rt, record, items=items, problems=_place(items, exc.messages),
                        status=422)
        except StaleVersion:
            return page(rt, record, items=items, stale=True, status=412)
        flash(f"Saved: {', '.join(_label(name) for name in data)}.", "info")
        return back(rt, record_id)

    @bp.post("/records/<type_name>/<int:record_id>/activities")
    def record_activity(type_name: str, record_id: int) -> Any:
        rt, record = load(type_name, record_id)
        form = request.form
        kind = form.get("kind", "")
        data: dict[str, Any] = {"kind": kind, "subject": form.get("subject", "").strip(),
                                "body": form.get("body", "").strip() or None}
        due = form.get("due_at", "").strip()
        if due:
            data["due_at"] = due + ("+00:00" if len(due) > 10 else "T09:00:00+00:00")
        elif kind == "call":
            data["done_at"] = dt.datetime.now(dt.timezone.utc).isoformat()
        if rt.name == "contact":
            data["contact_id"] = record_id
            if getattr(record, "organization_id", None):
                data["organization_id"] = record.organization_id
        elif rt.name == "organization":
            data["organization_id"] = record_id
        else:
            data.update(record_type=rt.name, record_id=record_id)
        try:
            services.create(kernel, "activity", data, actor=g.actor)
        except ValidationError as exc:
            errors: dict[str, list[str]] = {}
            for key, problems in exc.messages.items():
                name = key.split(".")[0]
                if name in ("kind", "subject", "due_at", "_schema"):
                    errors.setdefault(name, []).extend(problems)
                else:  # a field the form has no input for: said above the form
                    errors.setdefault("_schema", []).extend(f"{name}: {p}" for p in problems)
            return page(rt, record, activity={"values": dict(form), "errors": errors},
                        status=422)
        flash(f"Added the {kind} “{data['subject']}”.", "info")
        return back(rt, record_id, "#timeline")

    @bp.post("/records/<type_name>/<int:record_id>/actions/<name>")
    def record_action(type_name: str, record_id: int, name: str) -> Any:
        rt, record = load(type_name, record_id)
        action = find_action(kernel, rt.name, name)
        body: dict[str, Any] = {}
        if action.schema is not None:
            for item in form_fields(action.schema()):
                value = _loadable(item, _entered(item, request.form))
                if value is not None and not (item.input == "checkbox" and not value):
                    body[item.name] = value
        try:
            run_action(kernel, rt.name, record_id, name, body or None, actor=g.actor,
                       version=request.form.get("version", type=int))
        except (NotFound, PermissionDenied):
            raise
        except ValidationError as exc:
            return page(rt, record, failed=name, action_form=request.form,
                        action_messages=exc.messages, status=422)
        except StaleVersion:
            return page(rt, record, stale=True, status=412)
        except AccordError as exc:
            return page(rt, record, failed=name, action_form=request.form,
                        action_messages={"_schema": [exc.message]}, status=exc.status)
        flash(f"{_label(name)}: done.", "info")
        return back(rt, record_id)
