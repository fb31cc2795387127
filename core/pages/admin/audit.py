"""``/admin/audit``: the audit trail, newest first, through
``accord.services.audit.audit_entries`` (``admin.audit``; a reader with record rules
sees only the entries of records within them, personal data masked as the service
masks it).

Filters: ``record_type``, ``record_id``, ``user`` (a user id), ``action``, ``since``
and ``until`` (days, both included, in UTC). Keyset paging: ``?before=ID`` shows the
entries below that id, as the API's cursor does.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import Blueprint, Response, g, render_template, request

from ...errors import ValidationError
from ...services.audit import audit_entries
from ...services.paging import MAX_ID
from ...services.people import user_roster
from .common import messages_of

if TYPE_CHECKING:
    from ...kernel import Accord

__all__ = ["register", "PAGE_SIZE", "summary"]

#: Entries one page shows.
PAGE_SIZE = 50
_FILTERS = ("record_type", "record_id", "user", "action", "since", "until")
#: Actions the services write, offered as suggestions (any text may be typed).
_ACTIONS = ("created", "updated", "deleted", "enabled", "disabled", "purged", "settings",
            "downgraded", "field_added", "field_removed", "granted", "revoked", "rule_set",
            "password_set", "token_created", "token_revoked", "tagged", "untagged")


def summary(changes: dict[str, Any], limit: int = 6) -> list[str]:
    """``field: before → after`` lines of an entry's changes (the first ``limit``)."""
    def text(value: Any) -> str:
        if value is None:
            return "—"
        shown = str(value)
        return shown if len(shown) <= 60 else shown[:59] + "…"

    lines = []
    for key, pair in list(changes.items())[:limit]:
        if isinstance(pair, list) and len(pair) == 2:
            lines.append(f"{key}: {text(pair[0])} → {text(pair[1])}")
        else:
            lines.append(f"{key}: {text(pair)}")
    if len(changes) > limit:
        lines.append(f"and {len(changes) - limit} more")
    return lines


def register(bp: Blueprint, kernel: Accord) -> None:
    @bp.get("/admin/audit")
    def admin_audit() -> Any:
        form = {k: request.args.get(k, "").strip() for k in _FILTERS}
        errors: dict[str, list[str]] = {}
        numbers = {k: _whole(form[k], k, errors) for k in ("record_id", "user")}
        before = _whole(request.args.get("before", "").strip(), "before", errors)
        since = _day(form["since"], "since", errors)
        until = _day(form["until"], "until", errors)
        if since is not None and until is not None and until <= since:
            errors.setdefault("until", []).append("the last day comes before the first")
        entries: list[Any] = []
        more = None
        status = 200
        if errors:
            status = 400
        else:
            try:
                page = audit_entries(
                    kernel, actor=g.actor, record_type=form["record_type"] or None,
                    record_id=numbers["record_id"], actor_id=numbers["user"],
                    action=form["action"] or None, since=since, until=until,
                    limit=PAGE_SIZE, before=before)
            except ValidationError as exc:
                errors = {("user" if k == "actor_id" else k): v
                          for k, v in messages_of(exc).items()}
                status = exc.status
            else:
                entries = page.items
                if page.next_before is not None:
                    more = "?" + urlencode({**{k: v for k, v in form.items() if v},
                                            "before": page.next_before})
        users = (user_roster(kernel, actor=g.actor) if g.actor.can("core.user.read")
                 else None)
        body = render_template("admin/audit.html", form=form, errors=errors, entries=entries,
                               more=more, newest=("?" + urlencode({k: v for k, v in form.items() if v})
                                                  if before is not None else None), users=users,
                               types=sorted({*kernel.records.names(), "plugin", "role"}),
                               actions=_ACTIONS, summary=summary)
        return Response(body, status=status)


def _whole(raw: str, name: str, errors: dict[str, list[str]]) -> int | None:
    if not raw:
        return None
    if raw.isascii() and raw.isdigit() and int(raw) <= MAX_ID:
        return int(raw)
    errors.setdefault(name, []).append(
        f"{raw!r} is not a whole number from 0 to {MAX_ID}")
    return None


def _day(raw: str, name: str, errors: dict[str, list[str]]) -> dt.datetime | None:
    """The start of a day (``since``) or of the day after (``until``), in UTC."""
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        errors.setdefault(name, []).append(f"{raw!r} is not a date (YYYY-MM-DD)")
        return None
    if name == "until":
        if day == dt.date.max:
            return None
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone.utc)
