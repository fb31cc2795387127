"""List endpoints: the query string read into ``accord.services.lists.list_page``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import request

from ..errors import BadQuery, ValidationError
from ..services.lists import list_page
from ..services.paging import DEFAULT_LIMIT, MAX_LIMIT, parse_limit
from .problems import ApiError

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordType
    from ..services.actors import Actor

__all__ = ["list_records", "limit_arg", "MAX_LIMIT", "DEFAULT_LIMIT"]

RESERVED = {"limit", "cursor", "sort", "q", "fields", "expand"}
#: Parameters given once; the others take comma-separated lists, and a repeat adds to it.
SINGLE = ("limit", "cursor", "q")


def limit_arg(default: int = DEFAULT_LIMIT) -> int:
    """``?limit=``, the page size of every list and timeline (``parse_limit``'s rule)."""
    try:
        return parse_limit(request.args.get("limit"), default=default)
    except ValidationError as exc:
        raise ApiError(400, f"limit must be a whole number from 1 to {MAX_LIMIT}",
                       errors=exc.flat()) from None


def _filters() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in request.args:
        if key in RESERVED:
            continue
        values = request.args.getlist(key)
        out[key] = values[0] if len(values) == 1 else ",".join(values)
    return out


def list_records(kernel: Accord, record_type: RecordType, actor: Actor) -> dict[str, Any]:
    """One page of a list, shaped ``{"items": [...], "next_cursor": str | None}``."""
    nul = sorted({k for k, v in request.args.items(multi=True) if "\x00" in k + v})
    if nul:
        raise ApiError(400, "list parameters may not contain the NUL character (%00)",
                       errors={k: ["holds a NUL character"] for k in nul})
    args = request.args
    repeated = [name for name in SINGLE if len(args.getlist(name)) > 1]
    if repeated:
        raise ApiError(400, "a list parameter is given more than once",
                       errors={name: [f"give {name} once"] for name in repeated})

    def joined(name: str) -> str | None:
        values = args.getlist(name)
        return ",".join(values) if values else None

    try:
        return list_page(kernel, record_type, actor=actor, filters=_filters(),
                         sort=(joined("sort") or "").split(","), q=args.get("q"),
                         cursor=args.get("cursor"), limit=limit_arg(),
                         fields=joined("fields"), expand=joined("expand"))
    except BadQuery as exc:
        raise ApiError(400, exc.detail, errors=exc.flat()) from None
