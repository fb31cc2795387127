"""Exports of any list as CSV or XLSX: ``GET /api/v1/<resource>/export?format=csv|xlsx``
with the list's own filters, ``q``, ``sort`` and ``fields``
(``accord.services.exporting``), streamed as a file download.

``export`` is no record id (ids are whole numbers), so the route cannot shadow
``/<resource>/<id>``; Werkzeug matches its fixed segment before the plugin collection
route ``/<plugin>/<plural>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, request, stream_with_context

from ..errors import BadQuery
from ..services.authz import permission_for
from ..services.exporting import FORMATS, MEDIA_TYPES, csv_lines, prepare, xlsx_chunks
from .auth import current_actor
from .problems import ApiError
from .resources import path_of, resolve

if TYPE_CHECKING:
    from apispec import APISpec

    from ..kernel import Accord
    from ..records import RecordType

__all__ = ["register", "document_export"]

#: Parameters that are not filters.
_RESERVED = {"format", "sort", "q", "fields"}


def register(bp: Blueprint, kernel: Accord) -> None:
    def export(plugin: str | None, plural: str) -> Any:
        record_type = resolve(kernel, plugin, plural)
        return _export(kernel, record_type)

    def core_export(plural: str) -> Any:
        return export(None, plural)

    def plugin_export(plugin: str, plural: str) -> Any:
        return export(plugin, plural)

    bp.add_url_rule("/<plural>/export", "export", core_export, methods=["GET"])
    bp.add_url_rule("/<plugin>/<plural>/export", "plugin_export", plugin_export,
                    methods=["GET"])


def _export(kernel: Accord, record_type: RecordType) -> Response:
    args = request.args
    nul = sorted({k for k, v in args.items(multi=True) if "\x00" in k + v})
    if nul:
        raise ApiError(400, "export parameters may not contain the NUL character (%00)",
                       errors={k: ["holds a NUL character"] for k in nul})
    repeated = [name for name in ("format", "q") if len(args.getlist(name)) > 1]
    if repeated:
        raise ApiError(400, "a list parameter is given more than once",
                       errors={name: [f"give {name} once"] for name in repeated})
    fmt = (args.get("format") or "csv").strip().lower()
    if fmt not in FORMATS:
        raise ApiError(400, "unknown export format", errors={"format": [
            f"{fmt!r} is not an export format; use csv or xlsx"]})
    filters: dict[str, Any] = {}
    for key in args:
        if key not in _RESERVED:
            values = args.getlist(key)
            filters[key] = values[0] if len(values) == 1 else ",".join(values)
    try:
        export = prepare(kernel, record_type, actor=current_actor(), filters=filters,
                         q=args.get("q"), sort=args.getlist("sort"),
                         fields=args.getlist("fields"))
    except BadQuery as exc:
        raise ApiError(400, exc.detail, errors=exc.flat()) from None
    body = csv_lines(export) if fmt == "csv" else xlsx_chunks(export)
    response = Response(stream_with_context(body), mimetype=MEDIA_TYPES[fmt])
    name = record_type.name.replace(".", "-")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def document_export(spec: APISpec, kernel: Accord, record_type: RecordType, tag: str,
                    list_parameters: list[Any]) -> None:
    """The export path of one record type in the OpenAPI document: the list's
    parameters (but the page's), ``format``, and a file for an answer."""
    from .openapi import ERRORS, _responses

    read = permission_for(record_type, "read")
    single = path_of(record_type).replace("/", "_")
    parameters = [p for p in list_parameters if p not in ("Limit", "Cursor") and not (
        isinstance(p, dict) and p.get("name") == "expand")]
    parameters.insert(0, {"name": "format", "in": "query", "description": "The file's format",
                          "schema": {"type": "string", "enum": list(FORMATS),
                                     "default": "csv"}})
    spec.path(path=f"/api/v1/{path_of(record_type)}/export", operations={"get": {
        "tags": [tag], "operationId": f"export_{single}",
        "summary": f"Export the list of {record_type.plural} as CSV or XLSX",
        "description": f"Requires the permission `{read}`; record rules and masking apply "
                       "as to the list. Every record the filters find, one column per "
                       "field (a money field as `<name>` and `<name>_currency`), streamed "
                       "as an attachment.",
        "x-permission": read, "parameters": parameters,
        "responses": {200: {
            "description": "The file (Content-Disposition names it)",
            "content": {media: {"schema": {"type": "string", "format": "binary"}}
                        for media in MEDIA_TYPES.values()}},
            **_responses(ERRORS["list"])}}})
