"""Administration endpoints: health (public) and the plugins, custom fields, roles,
the audit trail and API tokens.

Each endpoint requires its ``admin.*`` permission (a 403 names it) and calls the same
services as the CLI, so both refuse the same things with the same messages. Users
and teams need nothing here: the generic record routes serve ``/users`` and
``/teams``. These routes are static, so Flask prefers them to the generic
``/<plural>`` ones registered on the same blueprint.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import marshmallow as ma
from flask import Blueprint, Response, jsonify, request
from marshmallow import fields, validate

from ..config import FIELD_KINDS
from ..errors import NotFound, ValidationError, flatten_messages
from ..models import ApiToken, AuditEntry, User
from ..pagination import decode_cursor, encode_cursor
from ..services.authz import require
from ..services.values import jsonable
from .auth import current_actor
from .bodies import json_object
from .lists import DEFAULT_LIMIT, MAX_LIMIT
from .problems import ApiError

if TYPE_CHECKING:
    from ..customfields import FieldDef
    from ..kernel import Accord

__all__ = ["register"]

PLUGINS, FIELDS, USERS, AUDIT = "admin.plugins", "admin.fields", "admin.users", "admin.audit"
#: The largest id either engine can compare (SQLite's INTEGER; Python ints go further).
MAX_ID = 2**63 - 1


def register(bp: Blueprint, kernel: Accord) -> None:
    """Add the administration routes to the API blueprint."""

    @bp.get("/health", endpoint="health")
    def health() -> Any:
        from ..database import is_postgres

        with kernel.bound():
            assert kernel.database is not None  # bound() has checked it
            kernel.database.execute_sql("SELECT 1")
        return jsonify(status="ok",
                       database="PostgreSQL" if is_postgres(kernel.database) else "SQLite",
                       plugins=sorted(kernel.plugins.active - {"core"}))

    _plugin_routes(bp, kernel)
    _field_routes(bp, kernel)
    _role_routes(bp, kernel)
    _audit_routes(bp, kernel)
    _token_routes(bp, kernel)


# Request bodies --------------------------------------------------------------------

class EnableBody(ma.Schema):
    with_deps = fields.Boolean(load_default=False)


class DisableBody(ma.Schema):
    cascade = fields.Boolean(load_default=False)


class FieldBody(ma.Schema):
    record_type = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(FIELD_KINDS))
    label = fields.String(allow_none=True, validate=validate.Length(max=200))
    required = fields.Boolean(load_default=False)
    choices = fields.List(fields.String(), allow_none=True)
    indexed = fields.Boolean(load_default=False)
    personal = fields.Boolean(load_default=False)


class RoleBody(ma.Schema):
    name = fields.String(required=True)
    description = fields.String(load_default="")
    grants = fields.List(fields.String(), load_default=list)
    rules = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)


class RoleChanges(ma.Schema):
    description = fields.String()
    grants = fields.List(fields.String())
    rules = fields.Dict(keys=fields.String(), values=fields.String())


class TokenBody(ma.Schema):
    name = fields.String(required=True)


def _load(schema: type[ma.Schema], data: dict[str, Any]) -> dict[str, Any]:
    """A body loaded by ``schema``; its errors become a 422 naming each field."""
    try:
        loaded: dict[str, Any] = schema().load(data)
    except ma.ValidationError as exc:
        raise ValidationError(flatten_messages(exc.messages)) from None
    return loaded


def _optional_body() -> dict[str, Any]:
    """The JSON object sent, or {} for an empty body."""
    return json_object() if request.get_data(cache=True) else {}


# Plugins ---------------------------------------------------------------------------

def _plugin_info(kernel: Accord, name: str) -> dict[str, Any]:
    p = kernel.plugins.get(name)
    return {"name": name, "version": p.version, "state": p.state, "source": p.source,
            "requires": p.requires, "error": p.error or kernel.plugins.inactive_reason(name)}


def _plugin_routes(bp: Blueprint, kernel: Accord) -> None:
    from ..services.plugins import disable, enable, set_settings

    @bp.get("/plugins", endpoint="plugins")
    def plugins() -> Any:
        require(current_actor(), PLUGINS)
        return jsonify({"items": [_plugin_info(kernel, n) for n in sorted(kernel.plugins.plugins)]})

    @bp.get("/plugins/<name>", endpoint="plugin")
    def plugin(name: str) -> Any:
        require(current_actor(), PLUGINS)
        return jsonify(_plugin_info(kernel, name))

    @bp.post("/plugins/<name>/enable", endpoint="plugin_enable")
    def plugin_enable(name: str) -> Any:
        require(current_actor(), PLUGINS)
        body = _load(EnableBody, _optional_body())
        kernel.plugins.get(name)  # an unknown plugin is a 404 whatever the body says
        done = enable(kernel, name, actor=current_actor(), with_deps=body["with_deps"])
        return jsonify({"enabled": done, "plugin": _plugin_info(kernel, name)})

    @bp.post("/plugins/<name>/disable", endpoint="plugin_disable")
    def plugin_disable(name: str) -> Any:
        require(current_actor(), PLUGINS)
        body = _load(DisableBody, _optional_body())
        kernel.plugins.get(name)
        done = disable(kernel, name, actor=current_actor(), cascade=body["cascade"])
        return jsonify({"disabled": done, "plugin": _plugin_info(kernel, name)})

    @bp.route("/plugins/<name>/settings", methods=["GET", "PUT"], endpoint="plugin_settings")
    def plugin_settings(name: str) -> Any:
        """PUT sets the keys sent; keys not sent keep their values."""
        require(current_actor(), PLUGINS)
        kernel.plugins.get(name)
        if request.method == "PUT":
            current = set_settings(kernel, name, json_object(), actor=current_actor())
        else:
            current = kernel.settings(name)
        return jsonify(jsonable(current))


# Custom fields ---------------------------------------------------------------------

def _field_info(field: FieldDef) -> dict[str, Any]:
    return {"record_type": field.record_type, "name": field.name, "kind": field.kind,
            "label": field.label, "required": field.required,
            "choices": list(field.choices) if field.choices else None,
            "indexed": field.indexed, "personal": field.personal, "source": field.source}


def _field_routes(bp: Blueprint, kernel: Accord) -> None:
    from ..services.fields import add_field, remove_field

    @bp.route("/custom_fields", methods=["GET", "POST"], endpoint="custom_fields")
    def custom_fields() -> Any:
        actor = current_actor()
        require(actor, FIELDS)
        if request.method == "GET":
            only = request.args.get("record_type")
            if only is not None and only not in kernel.records:
                raise ApiError(400, "unknown record type in ?record_type=",
                               errors={"record_type": [f"unknown record type {only!r}"]})
            names = [only] if only else kernel.records.names()
            return jsonify({"items": [_field_info(f) for n in names
                                      for f in kernel.fields.of(n).values()]})
        body = _load(FieldBody, json_object())
        if body["record_type"] not in kernel.records:
            known = ", ".join(sorted(kernel.records.names()))
            raise ValidationError({"record_type": [
                f"unknown record type {body['record_type']!r} (known: {known})"]})
        field = add_field(kernel, body.pop("record_type"), body.pop("name"), body.pop("kind"),
                          actor=actor, **body)
        response = jsonify(_field_info(field))
        response.status_code = 201
        response.headers["Location"] = f"/api/v1/custom_fields/{field.record_type}/{field.name}"
        return response

    @bp.delete("/custom_fields/<record_type>/<name>", endpoint="custom_field")
    def custom_field(record_type: str, name: str) -> Any:
        actor = current_actor()
        require(actor, FIELDS)
        remove_field(kernel, record_type, name, actor=actor)
        return Response(status=204)


# Roles -----------------------------------------------------------------------------

def _role_routes(bp: Blueprint, kernel: Accord) -> None:
    from ..services import roles

    @bp.route("/roles", methods=["GET", "POST"], endpoint="roles")
    def role_list() -> Any:
        actor = current_actor()
        require(actor, USERS)
        if request.method == "GET":
            return jsonify({"items": [r.as_dict() for r in roles.list_roles(kernel)]})
        body = _load(RoleBody, json_object())
        role = roles.add_role(kernel, body["name"], actor=actor,
                              description=body["description"], grants=body["grants"],
                              rules=body["rules"])
        response = jsonify(role.as_dict())
        response.status_code = 201
        response.headers["Location"] = f"/api/v1/roles/{role.name}"
        return response

    @bp.route("/roles/<name>", methods=["GET", "PATCH", "DELETE"], endpoint="role")
    def role(name: str) -> Any:
        """PATCH replaces what it names: the description, all grants, all rules."""
        actor = current_actor()
        require(actor, USERS)
        if request.method == "GET":
            return jsonify(roles.get_role(kernel, name).as_dict())
        if request.method == "DELETE":
            roles.delete_role(kernel, name, actor=actor)
            return Response(status=204)
        body = _load(RoleChanges, json_object())
        return jsonify(roles.update_role(kernel, name, actor=actor, **body).as_dict())


# Keyset pages by id, newest first ---------------------------------------------------

def _whole(raw: str) -> bool:
    # isdigit() alone admits "²", which int() refuses.
    return raw.isascii() and raw.isdigit()


def _limit() -> int:
    raw = request.args.get("limit", str(DEFAULT_LIMIT))
    if not _whole(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(400, f"limit must be a whole number from 1 to {MAX_LIMIT}",
                       errors={"limit": [f"{raw!r} is not between 1 and {MAX_LIMIT}"]})
    return int(raw)


def _newest_first(query: Any, model: Any) -> tuple[list[Any], str | None]:
    """One page of ``query`` by id descending, and the cursor of the next (or None)."""
    limit = _limit()
    cursor = request.args.get("cursor")
    if cursor:
        try:
            (last,) = decode_cursor(cursor, 1)
        except ValidationError as exc:
            raise ApiError(400, "bad cursor", errors=exc.flat()) from None
        if not isinstance(last, int) or isinstance(last, bool) or not 0 < last <= MAX_ID:
            raise ApiError(400, "bad cursor", errors={"cursor": ["not a cursor of this list"]})
        query = query.where(model.id < last)
    rows = list(query.order_by(model.id.desc()).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor([rows[-1].id]) if more else None


def _only_params(*allowed: str) -> None:
    nul = sorted({k for k, v in request.args.items(multi=True) if "\x00" in k + v})
    if nul:
        # PostgreSQL cannot compare text with U+0000; refused on both engines alike.
        raise ApiError(400, "list parameters may not contain the NUL character (%00)",
                       errors={k: ["holds a NUL character"] for k in nul})
    unknown = sorted(set(request.args) - {"limit", "cursor", *allowed})
    if unknown:
        raise ApiError(400, "unknown list parameters; see errors",
                       errors={k: [f"unknown parameter; use {', '.join(allowed)}, limit or "
                                   "cursor"] for k in unknown})


def _int_param(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if not _whole(raw) or int(raw) > MAX_ID:
        raise ApiError(400, f"{name} must be a whole number", errors={name: [
            f"{raw!r} is not a whole number from 0 to {MAX_ID}"]})
    return int(raw)


def _time_param(name: str) -> dt.datetime | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise ApiError(400, f"{name} must be an ISO datetime with a zone",
                       errors={name: [f"{raw!r} is not an ISO datetime with a zone, "
                                      "e.g. 2026-01-31T00:00:00Z"]})
    return value


# Audit -----------------------------------------------------------------------------

def _audit_routes(bp: Blueprint, kernel: Accord) -> None:

    @bp.get("/audit", endpoint="audit")
    def audit() -> Any:
        """Filters: record_type, record_id, actor (a user id), action, since (inclusive),
        until (exclusive)."""
        actor = current_actor()
        require(actor, AUDIT)
        _only_params("record_type", "record_id", "actor", "action", "since", "until")
        query = AuditEntry.select()
        wanted: dict[str, Any] = {
            "record_type": request.args.get("record_type"), "action": request.args.get("action"),
            "record_id": _int_param("record_id"), "actor_id": _int_param("actor")}
        for name, value in wanted.items():
            if value is not None:
                query = query.where(getattr(AuditEntry, name) == value)
        since, until = _time_param("since"), _time_param("until")
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        if until is not None:
            query = query.where(AuditEntry.at < until)
        with kernel.bound():
            rows, next_cursor = _newest_first(query, AuditEntry)
        return jsonify({"items": [_audit_item(kernel, e, actor) for e in rows],
                        "next_cursor": next_cursor})


def _audit_item(kernel: Accord, entry: AuditEntry, actor: Any) -> dict[str, Any]:
    hidden: set[str] = set()
    if entry.record_type in kernel.records and not actor.can("core.personal_data.read"):
        hidden = set(kernel.personal_fields(kernel.records.get(entry.record_type)))
    return {"id": entry.id, "at": entry.at.isoformat(), "action": entry.action,
            "record_type": entry.record_type, "record_id": entry.record_id,
            "actor": {"id": entry.actor_id, "label": entry.actor_label},
            "changes": {k: (None if k in hidden else v) for k, v in (entry.changes or {}).items()}}


# Tokens ----------------------------------------------------------------------------

def _token_info(row: ApiToken) -> dict[str, Any]:
    def when(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {"id": row.id, "user": {"id": row.user_id, "email": row.user.email},
            "name": row.name, "prefix": row.prefix, "created_at": when(row.created_at),
            "last_used_at": when(row.last_used_at), "revoked_at": when(row.revoked_at)}


def _token_routes(bp: Blueprint, kernel: Accord) -> None:
    from ..services.tokens import create_token, revoke_token

    @bp.route("/tokens", methods=["GET", "POST"], endpoint="tokens")
    def tokens() -> Any:
        """With admin.users, every token (``?user=ID`` for one user's); else your own."""
        actor = current_actor()
        if request.method == "POST":
            body = _load(TokenBody, json_object())
            with kernel.bound():
                user = User.get_by_id(actor.user_id)
            row, secret = create_token(kernel, user, name=body["name"], actor=actor)
            with kernel.bound():
                row = ApiToken.select(ApiToken, User).join(User).where(
                    ApiToken.id == row.id).get()
            response = jsonify({**_token_info(row), "token": secret})
            response.status_code = 201
            return response
        _only_params("user")
        query = ApiToken.select(ApiToken, User).join(User)
        user_id = _int_param("user")
        if not actor.can(USERS):
            if user_id not in (None, actor.user_id):
                require(actor, USERS)  # asking for someone else's tokens
            user_id = actor.user_id
        if user_id is not None:
            query = query.where(ApiToken.user == user_id)
        with kernel.bound():
            rows, next_cursor = _newest_first(query, ApiToken)
        return jsonify({"items": [_token_info(r) for r in rows], "next_cursor": next_cursor})

    @bp.delete("/tokens/<int:token_id>", endpoint="token")
    def token(token_id: int) -> Any:
        """Revoke a token: your own, or anyone's with admin.users."""
        actor = current_actor()
        with kernel.bound():
            row = ApiToken.get_or_none(ApiToken.id == token_id) if token_id <= MAX_ID else None
        if row is None:
            raise NotFound(f"no token {token_id}")
        if row.user_id != actor.user_id:
            require(actor, USERS)
        revoke_token(kernel, token_id, actor=actor)
        return Response(status=204)
