"""``/admin/anonymize``: erase a person's personal data on request. Find the contact,
see what will be replaced (``accord.services.anonymize.preview``), confirm, and read
the report of what was erased (``erase``; ``admin.anonymize``, the services check it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, g, render_template, request

from ...errors import AccordError, NotFound, PermissionDenied, ValidationError
from ...services.anonymize import ERASE, erase, preview
from ...services.authz import require
from ...services.lists import list_page
from ...services.paging import MAX_ID
from .common import messages_of

if TYPE_CHECKING:
    from ...kernel import Accord

__all__ = ["register"]

_URL = "/admin/anonymize"
#: The type a person is found in, and how many matches are shown.
_TYPE = "contact"
_FOUND = 20


def register(bp: Blueprint, kernel: Accord) -> None:
    @bp.get(_URL)
    def admin_anonymize() -> Any:
        require(g.actor, ERASE)
        q = request.args.get("q", "").strip()
        raw = request.args.get("id", "").strip()
        errors: dict[str, list[str]] = {}
        found: list[dict[str, Any]] | None = None
        if q:
            try:
                found = list_page(kernel, _TYPE, actor=g.actor, q=q, limit=_FOUND)["items"]
            except ValidationError as exc:
                errors = messages_of(exc, "q")
        if raw:
            record_id = _id(raw)
            if record_id is None:
                errors["id"] = [f"{raw!r} is not the id of a {_TYPE}"]
            else:
                return _confirm(kernel, record_id, errors={})
        return _page("admin/anonymize.html", 400 if errors else 200, q=q, found=found,
                     errors=errors)

    @bp.post(_URL)
    def admin_erase() -> Any:
        record_id = _id(request.form.get("id", ""))
        if record_id is None:
            return _page("admin/anonymize.html", 400, q="", found=None, errors={
                "id": ["choose the person to erase"]})
        if request.form.get("confirm") != "yes":
            return _confirm(kernel, record_id, errors={"confirm": [
                "tick the box to confirm: the erasure cannot be undone"]}, status=400)
        try:
            report = erase(kernel, _TYPE, record_id, actor=g.actor)
        except PermissionDenied:
            raise
        except AccordError as exc:
            return _confirm(kernel, record_id, errors=messages_of(exc), status=exc.status)
        return _page("admin/anonymize_done.html", 200, report=report)


def _id(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID else None


def _confirm(kernel: Accord, record_id: int, *, errors: dict[str, list[str]],
             status: int = 200) -> Response:
    """What erasing the contact would replace, and the confirmation form."""
    try:
        records = preview(kernel, _TYPE, record_id, actor=g.actor)
    except PermissionDenied:
        raise
    except NotFound as exc:
        return _page("admin/anonymize.html", 404, q="", found=None,
                     errors={"id": [exc.message]})
    return _page("admin/anonymize_confirm.html", status, record_id=record_id,
                 records=records, errors=errors)


def _page(template: str, status: int, **context: Any) -> Response:
    return Response(render_template(template, record_type=_TYPE, **context), status=status)
