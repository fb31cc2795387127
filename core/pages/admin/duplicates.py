"""``/admin/duplicates``: likely duplicate contacts and organizations with their scores
and reasons (``accord.services.duplicates``), and the merge form: both records side by
side, a choice per field that differs, merged through ``accord.services.merging``
(``admin.merge`` and write on the type; the services check both)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import Blueprint, Response, g, render_template, request

from ...errors import AccordError, NotFound, PermissionDenied, ValidationError
from ...services.duplicates import DEFAULT_MIN_SCORE, TYPES, find_duplicates
from ...services.merging import CHOICES, merge, preview
from ...services.paging import MAX_ID
from .common import done, messages_of

if TYPE_CHECKING:
    from ...kernel import Accord

__all__ = ["register"]

_URL = "/admin/duplicates"
#: Pairs one page shows.
PAGE_SIZE = 100


def register(bp: Blueprint, kernel: Accord) -> None:
    @bp.get(_URL)
    def admin_duplicates() -> Any:
        type_name = request.args.get("type", "contact")
        raw = request.args.get("min_score", "").strip() or str(DEFAULT_MIN_SCORE)
        errors: dict[str, list[str]] = {}
        found = None
        if type_name not in TYPES:
            errors["type"] = ["choose contact or organization"]
        if not (raw.isascii() and raw.isdigit()) or int(raw) > 100:
            errors["min_score"] = [f"{raw!r} is not a whole number from 0 to 100"]
        if not errors:
            try:
                found = find_duplicates(kernel, type_name, actor=g.actor,
                                        min_score=int(raw), limit=PAGE_SIZE)
            except ValidationError as exc:
                errors = messages_of(exc)
        body = render_template("admin/duplicates.html", type_name=type_name, min_score=raw,
                               types=TYPES, found=found, errors=errors)
        return Response(body, status=400 if errors else 200)

    @bp.get(f"{_URL}/merge")
    def admin_merge_form() -> Any:
        type_name, winner, loser, errors = _pair(request.args)
        if errors:
            return _form(kernel, type_name, winner, loser, {}, errors, status=400)
        return _form(kernel, type_name, winner, loser, {}, {})

    @bp.post(f"{_URL}/merge")
    def admin_merge() -> Any:
        type_name, winner, loser, errors = _pair(request.form)
        values = {key[len("take."):]: value for key, value in request.form.items()
                  if key.startswith("take.") and value in CHOICES}
        if errors:
            return _form(kernel, type_name, winner, loser, values, errors, status=400)
        assert winner is not None and loser is not None
        try:
            result = merge(kernel, type_name, winner, loser, actor=g.actor, values=values,
                           winner_version=_version(request.form.get("winner_version")),
                           loser_version=_version(request.form.get("loser_version")))
        except PermissionDenied:
            raise
        except AccordError as exc:
            return _form(kernel, type_name, winner, loser, values, messages_of(exc),
                         status=exc.status)
        moved = "; ".join(f"{plugin}: " + ", ".join(f"{n} {kind}" for kind, n in kinds.items())
                          for plugin, kinds in sorted(result.moved.items()))
        return done(f"Merged {type_name} {loser} into {winner}"
                    + (f". Moved {moved}." if moved else "; nothing else named it."),
                    f"/records/{type_name}/{winner}")


def _pair(form: Any) -> tuple[str, int | None, int | None, dict[str, list[str]]]:
    type_name = form.get("type", "contact")
    errors: dict[str, list[str]] = {}
    ids: list[int | None] = []
    for name in ("winner", "loser"):
        raw = (form.get(name) or "").strip()
        if raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID:
            ids.append(int(raw))
        else:
            ids.append(None)
            errors[name] = [f"give the id of the {name} ({raw!r} is none)"]
    return type_name, ids[0], ids[1], errors


def _version(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= MAX_ID else None


def _form(kernel: Accord, type_name: str, winner: int | None, loser: int | None,
          values: dict[str, Any], errors: dict[str, list[str]], *,
          status: int = 200) -> Response:
    """The merge form: both records side by side (as the reader may see them), or the
    reason they cannot be shown."""
    shown = None
    if winner is not None and loser is not None:
        try:
            shown = preview(kernel, type_name, winner, loser, actor=g.actor, values=values)
        except PermissionDenied:
            raise
        except (NotFound, ValidationError) as exc:
            errors = {**messages_of(exc), **errors}
            status = exc.status if status == 200 else status
    swap = urlencode({"type": type_name, "winner": loser or "", "loser": winner or ""})
    body = render_template("admin/merge.html", type_name=type_name, winner=winner,
                           loser=loser, shown=shown, errors=errors, swap=swap)
    return Response(body, status=status)
