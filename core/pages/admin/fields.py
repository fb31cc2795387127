"""``/admin/fields``: the custom fields of each record type, through
``accord.services.fields``: adding one (``add_field``) and removing one
(``remove_field``: the records keep their values, which come back if the field is
defined again). ``?record_type=`` shows one type's fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import Blueprint, Response, g, render_template, request

from ...config import FIELD_KINDS
from ...errors import AccordError, NotFound, PermissionDenied
from ...services.fields import add_field, list_fields, remove_field
from .common import done, messages_of

if TYPE_CHECKING:
    from ...kernel import Accord

__all__ = ["register"]

_URL = "/admin/fields"
_REFUSALS = (NotFound, PermissionDenied)
_FLAGS = ("required", "indexed", "personal", "discard_values")


def register(bp: Blueprint, kernel: Accord) -> None:
    @bp.get(_URL)
    def admin_fields() -> Any:
        chosen = request.args.get("record_type") or None
        return _page(kernel, chosen)

    @bp.post(_URL)
    def admin_field_add() -> Any:
        form: dict[str, Any] = {k: request.form.get(k, "").strip()
                                for k in ("record_type", "name", "kind", "label", "choices")}
        form.update({k: request.form.get(k) == "1" for k in _FLAGS})
        choices = [c.strip() for c in form["choices"].split(",") if c.strip()]
        try:
            field = add_field(kernel, form["record_type"], form["name"], form["kind"],
                              actor=g.actor, label=form["label"] or None,
                              required=form["required"], choices=choices or None,
                              indexed=form["indexed"], personal=form["personal"],
                              discard_values=form["discard_values"])
        except _REFUSALS:
            raise
        except AccordError as exc:
            return _page(kernel, None, form=form, errors=messages_of(exc), status=exc.status)
        return done(f"Added the field {field.name} to {field.record_type}; its lists, "
                    "record pages and the API show it now.",
                    f"{_URL}?record_type={quote(field.record_type)}")

    @bp.post(f"{_URL}/<type_name>/<name>/remove")
    def admin_field_remove(type_name: str, name: str) -> Any:
        try:
            remove_field(kernel, type_name, name, actor=g.actor)
        except _REFUSALS:
            raise
        except AccordError as exc:
            return _page(kernel, type_name, removing=(type_name, name, exc.message),
                         status=exc.status)
        return done(f"Removed the field {name} of {type_name}; the records keep its "
                    "values, which come back if it is defined again.",
                    f"{_URL}?record_type={quote(type_name)}")


def _page(kernel: Accord, chosen: str | None, *, form: dict[str, Any] | None = None,
          errors: dict[str, list[str]] | None = None,
          removing: tuple[str, str, str] | None = None, status: int = 200) -> Response:
    problem = None
    try:
        found = list_fields(kernel, actor=g.actor, record_type=chosen)
    except AccordError as exc:
        if isinstance(exc, _REFUSALS):
            raise
        found, problem, status = [], messages_of(exc, "record_type"), 400
    by_type: dict[str, list[Any]] = {}
    for field in found:
        by_type.setdefault(field.record_type, []).append(field)
    body = render_template("admin/fields.html", by_type=by_type, chosen=chosen,
                           types=sorted(kernel.records.names()), kinds=FIELD_KINDS,
                           form=form or {"record_type": chosen or "", "kind": "text"},
                           errors=errors or {}, removing=removing, problem=problem)
    return Response(body, status=status)
