"""Administration endpoints: health (public) and the plugins, custom fields, roles,
the audit trail and API tokens.

Each endpoint parses the request, calls one service and serializes its answer. The
services check the ``admin.*`` permissions (a 403 names the one missing) and every
other rule, for the CLI alike, so both refuse the same things with the same messages;
a body of the wrong shape is a 422 before that. The generic record routes serve
``/users`` and ``/teams`` (a team's ``members`` included); ``/teams/<id>/members``
adds and removes one member at a time. These routes are static, so
Flask prefers them to the generic ``/<plural>`` ones registered on the same blueprint.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import marshmallow as ma
from flask import Blueprint, Response, jsonify, request
from marshmallow import fields, validate

from ..config import FIELD_KINDS
from ..errors import ValidationError, flatten_messages
from ..pagination import decode_cursor, encode_cursor
from ..plugins.manager import refusal_in_terms
from ..services.audit import AUDIT
from ..services.fields import FIELDS
from ..services.paging import MAX_ID, Page
from ..services.plugins import PLUGINS
from ..services.roles import USERS
from ..services.values import jsonable
from .auth import current_actor
from .bodies import json_object
from .lists import limit_arg
from .problems import ApiError

if TYPE_CHECKING:
    from ..customfields import FieldDef
    from ..kernel import Accord
    from ..models import ApiToken

__all__ = ["register", "PLUGINS", "FIELDS", "USERS", "AUDIT"]


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
    _team_routes(bp, kernel)


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
    #: Remove values of an earlier field of that name that this kind cannot hold.
    discard_values = fields.Boolean(load_default=False)


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


class MemberBody(ma.Schema):
    user_id = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_ID))


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

def _plugin_routes(bp: Blueprint, kernel: Accord) -> None:
    from ..services import plugins as service

    @bp.get("/plugins", endpoint="plugins")
    def plugins() -> Any:
        return jsonify({"items": [p.as_dict() for p in
                                  service.list_plugins(kernel, actor=current_actor())]})

    @bp.get("/plugins/<name>", endpoint="plugin")
    def plugin(name: str) -> Any:
        return jsonify(service.plugin_info(kernel, name, actor=current_actor()).as_dict())

    # Enabling and disabling answer with the plugin as it is now: a second service call
    # reads it back, as the record routes read back what they wrote.
    @bp.post("/plugins/<name>/enable", endpoint="plugin_enable")
    def plugin_enable(name: str) -> Any:
        actor = current_actor()
        body = _load(EnableBody, _optional_body())
        with refusal_in_terms(kernel.plugins, "api"):
            done = service.enable(kernel, name, actor=actor, with_deps=body["with_deps"])
        return jsonify({"enabled": done,
                        "plugin": service.plugin_info(kernel, name, actor=actor).as_dict()})

    @bp.post("/plugins/<name>/disable", endpoint="plugin_disable")
    def plugin_disable(name: str) -> Any:
        actor = current_actor()
        body = _load(DisableBody, _optional_body())
        with refusal_in_terms(kernel.plugins, "api"):
            done = service.disable(kernel, name, actor=actor, cascade=body["cascade"])
        return jsonify({"disabled": done,
                        "plugin": service.plugin_info(kernel, name, actor=actor).as_dict()})

    @bp.route("/plugins/<name>/settings", methods=["GET", "PUT", "PATCH"],
              endpoint="plugin_settings")
    def plugin_settings(name: str) -> Any:
        """PUT sets the keys sent; keys not sent keep their values. PATCH is a JSON
        merge patch (RFC 7396): ``{"pipelines": {"renewals": [...]}}`` changes one
        pipeline and keeps the others; ``null`` removes a key."""
        actor = current_actor()
        if request.method == "PUT":
            current = service.set_settings(kernel, name, json_object(), actor=actor)
        elif request.method == "PATCH":
            current = service.patch_settings(kernel, name, json_object(), actor=actor)
        else:
            current = service.plugin_settings(kernel, name, actor=actor)
        return jsonify(jsonable(current))


# Custom fields ---------------------------------------------------------------------

def _field_info(field: FieldDef) -> dict[str, Any]:
    return {"record_type": field.record_type, "name": field.name, "kind": field.kind,
            "label": field.label, "required": field.required,
            "choices": list(field.choices) if field.choices else None,
            "indexed": field.indexed, "personal": field.personal, "source": field.source}


def _field_routes(bp: Blueprint, kernel: Accord) -> None:
    from ..services.fields import add_field, list_fields, remove_field

    @bp.route("/custom_fields", methods=["GET", "POST"], endpoint="custom_fields")
    def custom_fields() -> Any:
        actor = current_actor()
        if request.method == "GET":
            try:
                found = list_fields(kernel, actor=actor,
                                    record_type=request.args.get("record_type"))
            except ValidationError as exc:
                raise ApiError(400, "unknown record type in ?record_type=",
                               errors=exc.flat()) from None
            return jsonify({"items": [_field_info(f) for f in found]})
        body = _load(FieldBody, json_object())
        field = add_field(kernel, body.pop("record_type"), body.pop("name"), body.pop("kind"),
                          actor=actor, **body)
        response = jsonify(_field_info(field))
        response.status_code = 201
        response.headers["Location"] = f"/api/v1/custom_fields/{field.record_type}/{field.name}"
        return response

    @bp.delete("/custom_fields/<record_type>/<name>", endpoint="custom_field")
    def custom_field(record_type: str, name: str) -> Any:
        remove_field(kernel, record_type, name, actor=current_actor())
        return Response(status=204)


# Roles -----------------------------------------------------------------------------

def _role_routes(bp: Blueprint, kernel: Accord) -> None:
    from ..services import roles

    @bp.route("/roles", methods=["GET", "POST"], endpoint="roles")
    def role_list() -> Any:
        actor = current_actor()
        if request.method == "GET":
            return jsonify({"items": [r.as_dict() for r in roles.list_roles(kernel, actor=actor)]})
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
        if request.method == "GET":
            return jsonify(roles.get_role(kernel, name, actor=actor).as_dict())
        if request.method == "DELETE":
            roles.delete_role(kernel, name, actor=actor)
            return Response(status=204)
        body = _load(RoleChanges, json_object())
        return jsonify(roles.update_role(kernel, name, actor=actor, **body).as_dict())


# Keyset pages by id, newest first: the services page, the cursor is the API's -------

def _whole(raw: str) -> bool:
    # isdigit() alone admits "²", which int() refuses.
    return raw.isascii() and raw.isdigit()


def _before() -> int | None:
    """The id ``?cursor=`` continues below, or None for the first page."""
    cursor = request.args.get("cursor")
    if not cursor:
        return None
    try:
        (last,) = decode_cursor(cursor, 1)
    except ValidationError as exc:
        raise ApiError(400, "bad cursor", errors=exc.flat()) from None
    if not isinstance(last, int) or isinstance(last, bool) or not 0 < last <= MAX_ID:
        raise ApiError(400, "bad cursor", errors={"cursor": ["not a cursor of this list"]})
    return last


def _next_cursor(page: Page[Any]) -> str | None:
    return encode_cursor([page.next_before]) if page.next_before is not None else None


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
    from ..services.audit import audit_entries

    @bp.get("/audit", endpoint="audit")
    def audit() -> Any:
        """Filters: record_type, record_id, actor (a user id), action, since (inclusive),
        until (exclusive)."""
        _only_params("record_type", "record_id", "actor", "action", "since", "until")
        page = audit_entries(
            kernel, actor=current_actor(), record_type=request.args.get("record_type"),
            record_id=_int_param("record_id"), actor_id=_int_param("actor"),
            action=request.args.get("action"), since=_time_param("since"),
            until=_time_param("until"), limit=limit_arg(), before=_before())
        return jsonify({"items": [e.as_dict() for e in page.items],
                        "next_cursor": _next_cursor(page)})


# Tokens ----------------------------------------------------------------------------

def _token_info(row: ApiToken) -> dict[str, Any]:
    def when(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {"id": row.id, "user": {"id": row.user_id, "email": row.user.email},
            "name": row.name, "prefix": row.prefix, "created_at": when(row.created_at),
            "last_used_at": when(row.last_used_at), "revoked_at": when(row.revoked_at)}


def _token_routes(bp: Blueprint, kernel: Accord) -> None:
    from ..services.assignment import find_user
    from ..services.tokens import create_token, list_tokens, revoke_token

    @bp.route("/tokens", methods=["GET", "POST"], endpoint="tokens")
    def tokens() -> Any:
        """With admin.users, every token (``?user=ID`` for one user's); else your own."""
        actor = current_actor()
        if request.method == "POST":
            body = _load(TokenBody, json_object())
            assert actor.user_id is not None  # the API's actors are users
            row, secret = create_token(kernel, find_user(kernel, actor.user_id),
                                       name=body["name"], actor=actor)
            response = jsonify({**_token_info(row), "token": secret})
            response.status_code = 201
            return response
        _only_params("user")
        page = list_tokens(kernel, actor=actor, user_id=_int_param("user"), limit=limit_arg(),
                           before=_before())
        return jsonify({"items": [_token_info(r) for r in page.items],
                        "next_cursor": _next_cursor(page)})

    @bp.delete("/tokens/<int:token_id>", endpoint="token")
    def token(token_id: int) -> Any:
        """Revoke a token: your own, or anyone's with admin.users."""
        revoke_token(kernel, token_id, actor=current_actor())
        return Response(status=204)


# Team members ----------------------------------------------------------------------

def _team_routes(bp: Blueprint, kernel: Accord) -> None:
    from ..services.teams import add_member, remove_member, team_members

    @bp.route("/teams/<int:team_id>/members", methods=["GET", "POST"],
              endpoint="team_members")
    def members(team_id: int) -> Any:
        """GET: the members as user records. POST ``{"user_id": 7}``: add one; answered
        with whether it was added (false: a member already) and the members now."""
        actor = current_actor()
        if request.method == "GET":
            return jsonify({"items": team_members(kernel, team_id, actor=actor)})
        body = _load(MemberBody, json_object())
        added = add_member(kernel, team_id, body["user_id"], actor=actor)
        return jsonify({"added": added,
                        "items": team_members(kernel, team_id, actor=actor)})

    @bp.delete("/teams/<int:team_id>/members/<int:user_id>", endpoint="team_member")
    def member(team_id: int, user_id: int) -> Any:
        """Take a user out of the team (204); 404 if they are not a member."""
        if not remove_member(kernel, team_id, user_id, actor=current_actor()):
            raise ApiError(404, f"user {user_id} is not a member of team {team_id}")
        return Response(status=204)
