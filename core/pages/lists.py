"""List pages: one for every record type, the plugins' included, generated from the
record type like the API's lists.

``/records/<type>`` shows one page of ``accord.services.lists.list_page`` — the API's
filters (``?x_tier=gold``, ``?amount__gte=1000``), ``q``, ``sort`` and keyset
``cursor``, with the reader's permission, record rule and masking — as a table whose
columns ``?fields=`` chooses; ``/records/<type>.csv`` streams every record of the same
query as CSV (``.xlsx``: as a workbook) through ``accord.services.exporting``;
``POST /records/<type>/assign`` gives the ticked records to a user through
``accord.services.assignment.assign``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from flask import (Blueprint, Response, flash, g, redirect, render_template, request,
                   stream_with_context)

from ..errors import AccordError, BadQuery, ValidationError
from ..models import Team, User
from ..query import OPERATORS, sort_keys
from ..services.assignment import assign, find_user
from ..services.authz import permission_for, require
from ..services.exporting import (FORMATS, MEDIA_TYPES, csv_cell, csv_lines, prepare,
                                  xlsx_chunks)
from ..services.lists import MAX_EXPAND, column_fields, list_page
from ..services.reading import masked_fields
from ..services.search import title_of
from .errors import error_page
from .format import shown

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordType
    from ..services.actors import Actor

__all__ = ["register", "PAGE_SIZE", "PAGE_PARAMS", "csv_cell", "default_columns"]

#: Records one list page shows.
PAGE_SIZE = 25
#: Query parameters that are not filters (everything else is one, as in the API).
PAGE_PARAMS = frozenset({"q", "sort", "cursor", "fields", "limit", "expand"})
#: The filter form's fields: turned into one API-style filter and redirected away.
_FORM = ("filter_field", "filter_op", "filter_value")
#: Fields shown after the title when ``?fields=`` does not choose, in this order.
_PREFERRED = ("email", "phone", "organization_id", "stage", "amount", "status",
              "expected_close_date", "city", "website", "due_at", "kind", "number",
              "total", "role", "active")
_DEFAULT_WIDTH = 5
_OPERATOR_LABELS = {"": "is", "contains": "contains", "gte": "≥ (at least)",
                    "lte": "≤ (at most)", "gt": "> (more than)", "lt": "< (less than)",
                    "in": "is one of (a,b,…)", "isnull": "is empty (true/false)"}


@dataclass(frozen=True)
class Column:
    """A column of a list: the dumped key, its heading, whether the list can sort and
    filter on it, the model field of a reference to a record type, and money."""

    key: str
    label: str
    sortable: bool
    reference: str | None
    money: bool


def register(bp: Blueprint, kernel: Accord) -> None:
    @bp.get("/records/<type_name>")
    def record_list(type_name: str) -> Any:
        for fmt in FORMATS:
            if type_name.endswith(f".{fmt}"):
                return _export(kernel, kernel.records.get(type_name[:-len(fmt) - 1]), fmt)
        rt = kernel.records.get(type_name)
        if any(request.args.get(name) for name in _FORM):
            return _add_filter(rt)
        return _page(kernel, rt)

    @bp.post("/records/<type_name>/assign")
    def record_assign(type_name: str) -> Any:
        rt = kernel.records.get(type_name)
        require(g.actor, permission_for(rt, "write"))
        back = _back(rt)
        ids = [int(v) for v in request.form.getlist("ids")
               if v.strip().isdigit() and len(v.strip()) <= 18]
        if not rt.owned:
            flash(f"{rt.label or rt.name} records have no owner to assign.", "error")
            return redirect(back)
        if not ids:
            flash("Tick the records to assign first.", "error")
            return redirect(back)
        if not request.form.get("user", "").strip():
            flash("Choose the user to assign the records to.", "error")
            return redirect(back)
        try:
            target = find_user(kernel, request.form["user"])
            if not target.active:
                raise ValidationError({"to": [f"{target.email} is deactivated; records would "
                                              "be lost to a user who cannot work them"]})
        except AccordError as exc:
            flash(f"Nothing was assigned: {_reason(exc)}", "error")
            return redirect(back)
        done, refused = 0, []
        for record_id in ids:
            try:
                assign(kernel, rt.name, record_id, actor=g.actor, user=target.id)
                done += 1
            except AccordError as exc:
                refused.append(f"#{record_id}: {_reason(exc)}")
        label = (rt.label or rt.name).lower()
        if done:
            flash(f"Assigned {done} {label} record{'s' if done != 1 else ''} to "
                  f"{target.name}.", "info")
        if refused:
            flash(f"Not assigned ({len(refused)}): " + "; ".join(refused), "error")
        return redirect(back)


# The page -------------------------------------------------------------------------------

def _filters() -> dict[str, Any]:
    """The filters of the query string, as the API reads them."""
    out: dict[str, Any] = {}
    for key in request.args:
        if key in PAGE_PARAMS or key in _FORM:
            continue
        values = request.args.getlist(key)
        out[key] = values[0] if len(values) == 1 else ",".join(values)
    return out


def _args(**changes: Any) -> str:
    """The current query string with ``changes`` (None removes a parameter)."""
    pairs = [(k, v) for k, v in request.args.items(multi=True)
             if k not in changes and k not in _FORM]
    for key, value in changes.items():
        if value is None:
            continue
        for one in value if isinstance(value, list) else [value]:
            pairs.append((key, one))
    return "?" + urlencode(pairs) if pairs else ""


def _add_filter(rt: RecordType) -> Any:
    """The filter form's field, operator and value as one filter of the URL."""
    name = request.args.get("filter_field", "").strip()
    op = request.args.get("filter_op", "").strip()
    value = request.args.get("filter_value", "")
    if op == "isnull" and not value.strip():
        value = "true"
    key = f"{name}__{op}" if op else name
    url = f"/records/{rt.name}" + _args(cursor=None)
    joiner = "&" if "?" in url else "?"
    return redirect(url + joiner + urlencode([(key, value)]) if name else url)


def columns_of(kernel: Accord, rt: RecordType, actor: Actor) -> dict[str, Column]:
    """Every column the type's list can show, by key, in the schema's order."""
    custom = kernel.fields.of(rt.name)
    personal = masked_fields(kernel, rt, actor)
    # References to record types (a user's role is a reference to no record type).
    references = {f.object_id_name: f.name for f in rt.model._meta.refs
                  if kernel.records.for_model(f.rel_model) is not None}
    out: dict[str, Column] = {}
    for key, field in column_fields(kernel, rt):
        defined = custom.get(key)
        label = (defined.label if defined is not None and defined.label
                 else key.removesuffix("_id").replace("_", " ").capitalize())
        attribute = field.attribute or field.name
        reference = references.get(attribute) or references.get(key)
        out[key] = Column(key, label, key not in personal and _sorts(kernel, rt, key),
                          reference, key in rt.money_fields)
    return out


def _sorts(kernel: Accord, rt: RecordType, key: str) -> bool:
    try:
        sort_keys(kernel, rt, [key])
    except ValidationError:
        return False
    return True


def default_columns(rt: RecordType, available: dict[str, Column]) -> list[str]:
    """The title fields, then a few telling ones, then the owner."""
    keys = rt.data_keys
    chosen = [keys.get(n, n) for n in rt.title_fields if keys.get(n, n) in available]
    for name in _PREFERRED:
        if len(chosen) >= _DEFAULT_WIDTH:
            break
        if name in available and name not in chosen:
            chosen.append(name)
    if "owner_id" in available and "owner_id" not in chosen:
        chosen.append("owner_id")
    return chosen or [k for k in available][:_DEFAULT_WIDTH]


def _chosen(rt: RecordType, available: dict[str, Column]) -> list[str]:
    """``?fields=`` (comma-separated or repeated), refused by name like the API's."""
    wanted = [f.strip() for raw in request.args.getlist("fields") for f in raw.split(",")
              if f.strip()]
    if not wanted:
        return default_columns(rt, available)
    wanted = list(dict.fromkeys(w for w in wanted if w != "id"))
    unknown = [f for f in wanted if f not in available]
    if unknown:
        raise BadQuery("unknown fields in ?fields=",
                       {"fields": [f"{rt.name} has no field {f!r}" for f in unknown]})
    return wanted


def _query(kernel: Accord, rt: RecordType, columns: list[Column], *, cursor: str | None,
           limit: int | str | None) -> dict[str, Any]:
    """One page of the list as the API gives it, references of the shown columns
    embedded (``expand``: their read permission and rule apply)."""
    args = request.args
    expand = ",".join([c.reference for c in columns
                       if c.reference and c.key not in ("owner_id", "team_id")][:MAX_EXPAND])
    return list_page(kernel, rt, actor=g.actor, filters=_filters(),
                     sort=",".join(args.getlist("sort")).split(","), q=args.get("q"),
                     cursor=cursor, limit=limit, expand=expand or None)


def _problem(exc: ValidationError) -> list[str]:
    """The API's 400 as lines: ``field: problem``."""
    return [f"{field}: {problem}" for field, problems in exc.flat().items()
            for problem in problems] or [exc.message]


def _page(kernel: Accord, rt: RecordType) -> Response:
    available = columns_of(kernel, rt, g.actor)
    problems: list[str] = []
    items: list[dict[str, Any]] = []
    next_cursor = None
    try:
        chosen = _chosen(rt, available)
    except BadQuery as exc:
        problems = _problem(exc)
        chosen = default_columns(rt, available)
    columns = [available[k] for k in chosen]
    if not problems:
        try:
            page = _query(kernel, rt, columns, cursor=request.args.get("cursor") or None,
                          limit=request.args.get("limit") or PAGE_SIZE)
            items, next_cursor = page["items"], page["next_cursor"]
        except ValidationError as exc:  # BadQuery, or a bad ?limit=
            problems = _problem(exc)
    names = _names(kernel, items)
    rows = [(item, [_cell(item, c, names) for c in columns]) for item in items]
    sort = ",".join(request.args.getlist("sort"))
    can_assign = rt.owned and g.actor.can(permission_for(rt, "write"))
    can_create = not rt.written_by and g.actor.can(permission_for(rt, "write"))
    body = render_template(
        "records.html", rt=rt, label=rt.plural.replace("_", " ").capitalize(), columns=columns, rows=rows,
        available=list(available.values()), chosen=chosen, problems=problems,
        next_url=_args(cursor=next_cursor) if next_cursor else None,
        first_url=_args(cursor=None) if request.args.get("cursor") else None,
        sort=sort, sort_url=lambda key: _args(sort=_toggled(sort, key), cursor=None),
        active=_active_filters(), filterable=_filterable(columns, available),
        operators=[("", _OPERATOR_LABELS[""])] + [(op, _OPERATOR_LABELS[op])
                                                  for op in OPERATORS],
        q=request.args.get("q", ""), hidden=_kept(("q", "cursor")),
        column_hidden=_kept(("fields", "cursor")), filter_hidden=_kept(("cursor",)),
        csv_url=f"/records/{rt.name}.csv" + _args(cursor=None),
        xlsx_url=f"/records/{rt.name}.xlsx" + _args(cursor=None),
        users=_assignees(kernel) if can_assign else [], can_assign=can_assign,
        can_create=can_create,
        back=request.full_path.rstrip("?"))
    return Response(body, status=400 if problems else 200)


def _filterable(columns: list[Column], available: dict[str, Column]) -> list[Column]:
    """The fields the filter form offers: the columns shown first, then the others."""
    ordered = columns + [c for c in available.values() if c not in columns]
    return [c for c in ordered if c.sortable]


def _toggled(sort: str, key: str) -> str:
    """Sorting on a column's header: ascending, and descending when it is the sort."""
    return f"-{key}" if sort == key else key


def _kept(dropped: tuple[str, ...]) -> list[tuple[str, str]]:
    """The current parameters a form must carry along as hidden fields."""
    return [(k, v) for k, v in request.args.items(multi=True)
            if k not in dropped and k not in _FORM]


def _active_filters() -> list[tuple[str, str, str]]:
    """(parameter, value, URL without it) of each filter applied."""
    out = []
    for key, value in _filters().items():
        out.append((key, str(value), _args(**{key: None, "cursor": None})))
    return out


def _names(kernel: Accord, items: list[dict[str, Any]]) -> dict[str, dict[Any, str]]:
    """Names of the owners and teams the page shows (one query each)."""
    owners = {i.get("owner_id") for i in items} - {None}
    teams = {i.get("team_id") for i in items} - {None}
    out: dict[str, dict[Any, str]] = {"owner_id": {}, "team_id": {}}
    with kernel.bound():
        if owners:
            out["owner_id"] = {u.id: u.name for u in User.select(User.id, User.name)
                               .where(User.id.in_(sorted(owners)))}
        if teams:
            out["team_id"] = {t.id: t.name for t in Team.select(Team.id, Team.name)
                              .where(Team.id.in_(sorted(teams)))}
    return out


def _cell(item: dict[str, Any], column: Column, names: dict[str, dict[Any, str]]) -> str:
    value = item.get(column.key)
    if value is None:
        return ""
    if column.key in names:
        return names[column.key].get(value, f"#{value}")
    if column.reference:
        embedded = item.get(column.reference)
        if isinstance(embedded, dict):
            return _title(embedded) or f"#{value}"
        return f"#{value}"
    return shown(value)


def _title(embedded: dict[str, Any]) -> str:
    for key in ("name", "subject", "reference", "number"):
        if embedded.get(key):
            return str(embedded[key])
    parts = [embedded.get("first_name"), embedded.get("last_name")]
    return " ".join(str(p) for p in parts if p)


def _assignees(kernel: Accord) -> list[Any]:
    with kernel.bound():
        return list(User.select(User.id, User.name, User.email)
                    .where(User.active == True).order_by(User.name))  # noqa: E712


def _back(rt: RecordType) -> str:
    """Where the assign form returns: the list it was sent from, a path of the site."""
    back = request.form.get("back", "")
    parts = urlsplit(back)
    if parts.scheme or parts.netloc or not parts.path.startswith(f"/records/{rt.name}"):
        return f"/records/{rt.name}"
    return back


def _reason(exc: AccordError) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(p for problems in exc.flat().values() for p in problems)
    return exc.message


# CSV and XLSX --------------------------------------------------------------------------

def _export(kernel: Accord, rt: RecordType, fmt: str) -> Response:
    """Every record of the list's query with the columns shown, streamed through
    ``accord.services.exporting`` (the first page is read before the answer starts, so
    a refusal is a whole error page)."""
    available = columns_of(kernel, rt, g.actor)
    args = request.args
    try:
        chosen = _chosen(rt, available)
        export = prepare(kernel, rt, actor=g.actor, filters=_filters(), q=args.get("q"),
                         sort=args.getlist("sort"), fields=chosen, with_id=True)
    except ValidationError as exc:
        return error_page(400, "The list's parameters were refused",
                          "; ".join(_problem(exc)))
    body = csv_lines(export) if fmt == "csv" else xlsx_chunks(export)
    response = Response(stream_with_context(body), mimetype=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{rt.name.replace(".", "-")}.{fmt}"')
    return response
