"""CRUD, history and actions for every record type, core and plugin alike.

A plugin declares a record type (model + schema) and gets all of this without a
line of view code: the routes are generic and resolve the type per request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, redirect, request

from .. import services
from ..errors import NotFound, ValidationError
from ..services.actions import run_action
from ..services.audit import record_history
from ..services.reading import TIMELINE_LIMIT
from .auth import current_actor
from .bodies import if_match, json_object
from .lists import limit_arg, list_records
from .problems import ApiError
from .resources import path_of, resolve

if TYPE_CHECKING:
    from ..kernel import Accord
    from ..records import RecordType

__all__ = ["register"]


def _etag(record: Any) -> str:
    return f'"{record.version}"'


def _one(kernel: Accord, record_type: RecordType, record: Any, status: int = 200) -> Response:
    response = jsonify(services.dump(kernel, record_type, record, actor=current_actor()))
    response.status_code = status
    response.headers["ETag"] = _etag(record)
    return response


def _read(kernel: Accord, record_type: RecordType, record: Any) -> Response:
    """A single read: ``?fields=`` and ``?expand=`` as a list takes them."""
    from ..errors import BadQuery
    from ..services.lists import shape

    actor = current_actor()
    unknown = sorted(set(request.args) - {"fields", "expand"})
    if unknown:
        raise ApiError(400, "unknown parameters; see errors", errors={
            name: ["unknown parameter of a single read; use fields or expand"]
            for name in unknown})
    item = services.dump(kernel, record_type, record, actor=actor)
    try:
        [item] = shape(kernel, record_type, [record], [item], actor=actor,
                       fields=request.args.get("fields"), expand=request.args.get("expand"))
    except BadQuery as exc:
        raise ApiError(400, exc.detail, errors=exc.flat()) from None
    response = jsonify(item)
    response.headers["ETag"] = _etag(record)
    return response


def register(bp: Blueprint, kernel: Accord) -> None:
    """Add the generic record routes to the API blueprint."""

    def collection(plugin: str | None, plural: str) -> Any:
        record_type = resolve(kernel, plugin, plural)
        actor = current_actor()
        if request.method == "GET":
            return jsonify(list_records(kernel, record_type, actor))
        record = services.create(kernel, record_type.name, json_object(), actor=actor)
        response = _one(kernel, record_type, record, 201)
        response.headers["Location"] = f"/api/v1/{path_of(record_type)}/{record.id}"
        return response

    def item(plugin: str | None, plural: str, record_id: int) -> Any:
        record_type = resolve(kernel, plugin, plural)
        actor = current_actor()
        if request.method == "GET":
            try:
                record = services.get(kernel, record_type.name, record_id, actor=actor)
            except NotFound:  # a merged record's old id leads to its winner
                from ..services.merging import resolve as merged_into

                winner = merged_into(kernel, record_type.name, record_id)
                if winner is None:
                    raise
                return redirect(f"/api/v1/{path_of(record_type)}/{winner}", 301)
            return _read(kernel, record_type, record)
        if request.method == "DELETE":
            services.delete(kernel, record_type.name, record_id, actor=actor, version=if_match())
            return Response(status=204)
        data = json_object()
        # 404 before 422 and 412: a record out of reach is not told apart from none.
        services.get(kernel, record_type, record_id, actor=actor)
        if request.method == "PUT":
            _require_complete(kernel, record_type, data)
        version = if_match()
        record = services.update(kernel, record_type.name, record_id, data, actor=actor,
                                 version=version)
        return _one(kernel, record_type, services.get(kernel, record_type, record.id,
                                                      actor=actor))

    def history(plugin: str | None, plural: str, record_id: int) -> Any:
        record_type = resolve(kernel, plugin, plural)
        entries = record_history(kernel, record_type.name, record_id, actor=current_actor())
        return jsonify({"items": [{
            "id": e.id, "at": e.at.isoformat(), "action": e.action,
            "actor": {"id": e.actor_id, "label": e.actor_label}, "changes": e.changes,
        } for e in entries]})

    def timeline(plugin: str | None, plural: str, record_id: int) -> Any:
        record_type = resolve(kernel, plugin, plural)
        actor = current_actor()
        services.get(kernel, record_type.name, record_id, actor=actor)
        items = services.timeline(kernel, record_type.name, record_id,
                                  limit=limit_arg(default=TIMELINE_LIMIT),
                                  actor=actor)
        return jsonify({"items": [{
            "at": item.at.isoformat(), "kind": item.kind, "title": item.title,
            "source_type": item.source_type, "source_id": item.source_id,
            "details": item.details} for item in items]})

    def action(plugin: str | None, plural: str, record_id: int, name: str) -> Any:
        record_type = resolve(kernel, plugin, plural)
        # The types as this request found them: the result is shown as one of them even
        # if a toggle by another thread sharing the kernel withdraws it meanwhile.
        types = {rt.model: rt for rt in kernel.records}
        body = json_object() if request.get_data() else {}
        result = run_action(kernel, record_type.name, record_id, name, body,
                            actor=current_actor(), version=if_match())
        target = types.get(type(result)) if hasattr(result, "version") else None
        if target is not None:
            return _one(kernel, target, result)
        return jsonify(result)

    for prefix, has_plugin in (("/<plural>", False), ("/<plugin>/<plural>", True)):
        def bind(view: Any, has_plugin: bool = has_plugin) -> Any:
            def endpoint(**kwargs: Any) -> Any:
                plugin = kwargs.pop("plugin", None) if has_plugin else None
                return view(plugin, **kwargs)
            return endpoint

        tag = "plugin_" if has_plugin else ""
        # Ids past 64 bits match no route (404): the engines cannot even compare them.
        rid = f"<int(max={2 ** 63 - 1}):record_id>"
        bp.add_url_rule(prefix, f"{tag}collection", bind(collection), methods=["GET", "POST"])
        bp.add_url_rule(f"{prefix}/{rid}", f"{tag}item", bind(item),
                        methods=["GET", "PATCH", "PUT", "DELETE"])
        bp.add_url_rule(f"{prefix}/{rid}/history", f"{tag}history", bind(history),
                        methods=["GET"])
        bp.add_url_rule(f"{prefix}/{rid}/timeline", f"{tag}timeline", bind(timeline),
                        methods=["GET"])
        bp.add_url_rule(f"{prefix}/{rid}/<name>", f"{tag}action", bind(action),
                        methods=["POST"])


def _require_complete(kernel: Accord, record_type: RecordType, data: dict[str, Any]) -> None:
    """PUT replaces a record: every required field must be there."""
    schema = kernel.schema(record_type)
    missing = [name for name, field in schema.fields.items()
               if field.required and name not in data]
    if missing:
        raise ValidationError({name: ["Missing data for required field."] for name in missing})
