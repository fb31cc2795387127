"""The admin endpoints of the OpenAPI document: the routes outside the generic
record routes (plugins, custom fields, roles, audit, tokens, metrics, rates, goals,
teams' members), described in one table, ``admin_endpoints()``, with the shapes they
answer (``ADMIN_SCHEMAS``) and the small JSON Schema helpers the document shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import FIELD_KINDS

__all__ = ["AdminEndpoint", "ADMIN_SCHEMAS", "admin_endpoints", "links_to", "object_schema",
           "ref",
           "STRING", "NULLABLE_STRING", "ACTOR", "CHANGE", "CHANGES"]


@dataclass(frozen=True)
class AdminEndpoint:
    """One endpoint outside the generic record routes, as the document shows it.

    ``body`` and ``response`` are a marshmallow schema (class or instance), a JSON
    Schema dict, or None (no body; no content, as for a 204). ``parameters`` are
    query parameters: dicts, or names of the document's parameters (``"Limit"``).
    Path parameters (``{name}``) are documented from ``path``.
    """

    method: str
    path: str  # under /api/v1
    summary: str
    operation_id: str
    permission: str | None = None
    body: Any = None
    body_required: bool = True
    response: Any = None
    status: int = 200
    errors: tuple[int, ...] = ()
    parameters: tuple[Any, ...] = ()
    public: bool = False
    tag: str = "admin"
    description: str = ""
    #: OpenAPI links from the success answer to operations on what it made (see
    #: ``links_to``): clients, and stateful test tools, chain them.
    links: dict[str, Any] | None = None


def links_to(parameters: dict[str, str], **operations: str) -> dict[str, Any]:
    """``{Name: {"operationId": ..., "parameters": parameters}}`` per ``Name=operation``;
    the parameters are runtime expressions (``"$response.body#/id"``)."""
    return {name: {"operationId": op_id, "parameters": parameters}
            for name, op_id in operations.items()}


def object_schema(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, **extra}


def ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _page_of(name: str) -> dict[str, Any]:
    return object_schema({"items": {"type": "array", "items": ref("schemas", name)},
                    "next_cursor": {"type": ["string", "null"]}}, required=["items"])


def _query(name: str, description: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": {"type": kind}, "description": description}


STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
_STRINGS = {"type": "array", "items": STRING}
_WHEN = {"type": ["string", "null"], "format": "date-time"}
ACTOR = ref("schemas", "Actor")
# A change is the pair [before, after]; either value is any JSON value (a money object,
# a list of ids, null…), so each item is the empty schema. An array without "items"
# makes client generators drop the whole schema (openapi-python-client does).
CHANGE = {"type": "array", "items": {}, "minItems": 2, "maxItems": 2,
           "description": "[before, after]; null before on create, after on delete"}
CHANGES = ref("schemas", "Changes")

#: Shapes the admin endpoints answer with, as components of the document.
ADMIN_SCHEMAS: dict[str, dict[str, Any]] = {
    "Plugin": object_schema({
        "name": STRING, "version": NULLABLE_STRING,
        "state": {"type": "string", "enum": ["discovered", "enabled", "disabled", "purged",
                                             "failed"]},
        "source": STRING, "requires": {"type": "object", "additionalProperties": STRING},
        "error": {"type": ["string", "null"],
                  "description": "Why it failed, or why an enabled plugin is not running"}},
        required=["name", "version", "state", "source", "requires", "error"]),
    "CustomField": object_schema({
        "record_type": STRING, "name": STRING,
        "kind": {"type": "string", "enum": list(FIELD_KINDS)}, "label": NULLABLE_STRING,
        "required": {"type": "boolean"}, "choices": {"type": ["array", "null"], "items": STRING},
        "indexed": {"type": "boolean"}, "personal": {"type": "boolean"},
        "source": {"type": "string", "enum": ["database", "config"]}},
        required=["record_type", "name", "kind", "source"]),
    "Role": object_schema({
        "name": STRING, "description": STRING, "builtin": {"type": "boolean"},
        "grants": _STRINGS, "rules": {"type": "object", "additionalProperties": STRING,
                                      "description": "Record rule (own, team, all) by "
                                                     "record type or pattern"},
        "users": {"type": "integer", "description": "How many users hold the role"},
        "contributed": object_schema({
            "grants": {"type": "object", "additionalProperties": STRING,
                       "description": "The plugin giving each grant a plugin gives"},
            "rules": {"type": "object", "additionalProperties": STRING,
                      "description": "The plugin giving each rule a plugin gives"}},
            description="What running plugins give the role (register_role_grants)"),
        "withheld": {**_STRINGS, "description": "Grants plugins give that were revoked"}},
        required=["name", "description", "builtin", "grants", "rules", "users"]),
    "AuditEntry": object_schema({
        "id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
        "action": STRING, "record_type": STRING, "record_id": {"type": "integer"},
        "actor": ACTOR, "changes": CHANGES},
        required=["id", "at", "action", "record_type", "record_id", "actor", "changes"]),
    "ExchangeRate": object_schema({
        "id": {"type": "integer"},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "examples": ["EUR"]},
        "quote": {"type": "string", "pattern": "^[A-Z]{3}$", "examples": ["USD"]},
        "date": {"type": "string", "format": "date",
                 "description": "From this day on (until a later rate)"},
        "rate": {"type": "string", "format": "decimal", "examples": ["1.08"],
                 "description": "What 1 unit of the currency is worth in the quote "
                                "currency"},
        "source": {"type": "string", "description": "manual, or the plugin that gave it"},
        "updated_at": {"type": "string", "format": "date-time"}},
        required=["id", "currency", "quote", "date", "rate", "source", "updated_at"]),
    "Token": object_schema({
        "id": {"type": "integer"}, "name": STRING,
        "user": object_schema({"id": {"type": "integer"}, "email": STRING}),
        "prefix": {"type": "string", "description": "The first characters, to recognise it"},
        "created_at": _WHEN, "last_used_at": _WHEN, "revoked_at": _WHEN},
        required=["id", "name", "user", "prefix"]),
}

_LIST_PAGE = ("Limit", "Cursor")
_SETTINGS = {"type": "object", "description": "The plugin's settings, by key"}


def admin_endpoints() -> tuple[AdminEndpoint, ...]:
    """The admin and service endpoints. Add a row when core/api/admin.py gains a route
    (tests/api/test_openapi.py fails for a route the document lacks)."""
    from .admin import (AUDIT, FIELDS, PLUGINS, USERS, DisableBody, EnableBody, FieldBody,
                        MemberBody, RoleBody, RoleChanges, TokenBody)
    from ..goals import PACES
    from .metrics import METRICS
    from .rates import RATES, RATES_READ, FetchBody, RateBody
    from .merging import merge_endpoints
    from .imports import import_endpoints
    from .webhooks import webhook_endpoints

    plugin, field, role = (ref("schemas", n) for n in ("Plugin", "CustomField", "Role"))
    a = AdminEndpoint
    return (
        *merge_endpoints(),
        *import_endpoints(),
        *webhook_endpoints(),
        a("get", "/health", "Health of the service and its database", "health", public=True,
          tag="system", response=object_schema({
              "status": {"type": "string", "enum": ["ok"]},
              "database": {"type": "string", "enum": ["SQLite", "PostgreSQL"]},
              "plugins": {**_STRINGS, "description": "Plugins running now"}},
              required=["status", "database", "plugins"])),
        a("get", "/openapi.json", "This OpenAPI document", "openapi", public=True,
          tag="system", response={"type": "object"},
          description="Generated from the schemas that validate; it changes when a plugin "
                      "is enabled or disabled or a custom field changes."),
        a("get", "/plugins", "List the installed plugins", "list_plugins", PLUGINS,
          response=object_schema({"items": {"type": "array", "items": plugin}})),
        a("get", "/plugins/{name}", "Read a plugin", "get_plugin", PLUGINS, response=plugin,
          errors=(404,)),
        a("post", "/plugins/{name}/enable", "Enable a plugin", "enable_plugin", PLUGINS,
          body=EnableBody, body_required=False, errors=(404, 409, 415, 422),
          response=object_schema({"enabled": {**_STRINGS, "description": "Plugins enabled now"},
                            "plugin": plugin})),
        a("post", "/plugins/{name}/disable", "Disable a plugin (its data stays)",
          "disable_plugin", PLUGINS, body=DisableBody, body_required=False,
          errors=(404, 409, 415, 422), response=object_schema({
              "disabled": {**_STRINGS, "description": "Plugins disabled now"},
              "plugin": plugin})),
        a("get", "/plugins/{name}/settings", "A plugin's settings", "get_plugin_settings",
          PLUGINS, response=_SETTINGS, errors=(404,)),
        a("put", "/plugins/{name}/settings", "Set some of a plugin's settings",
          "set_plugin_settings", PLUGINS, body=_SETTINGS, response=_SETTINGS,
          errors=(404, 415, 422), description="Keys not sent keep their values."),
        a("patch", "/plugins/{name}/settings", "Change part of a plugin's settings",
          "patch_plugin_settings", PLUGINS, body=_SETTINGS, response=_SETTINGS,
          errors=(404, 415, 422),
          description="A JSON merge patch (RFC 7396) of the settings in force: an object "
                      "merges into the setting's object (`{\"pipelines\": {\"renewals\": "
                      "[...]}}` changes one pipeline, keeping the others), `null` removes a "
                      "key (a whole setting goes back to its default). The result is "
                      "checked like a whole set of settings."),
        a("get", "/custom_fields", "List the custom fields", "list_custom_fields", FIELDS,
          parameters=(_query("record_type", "Only this record type's fields"),),
          response=object_schema({"items": {"type": "array", "items": field}}), errors=(400,)),
        a("post", "/custom_fields", "Define a custom field", "add_custom_field", FIELDS,
          body=FieldBody, response=field, status=201, errors=(415, 422),
          links=links_to({"path.record_type": "$response.body#/record_type",
                          "path.name": "$response.body#/name"},
                         Remove="remove_custom_field")),
        a("delete", "/custom_fields/{record_type}/{name}", "Remove a custom field",
          "remove_custom_field", FIELDS, status=204, errors=(404, 422),
          description="Stored values stay in the records; defining the field again "
                      "brings them back."),
        a("get", "/roles", "List the roles", "list_roles", USERS,
          response=object_schema({"items": {"type": "array", "items": role}})),
        a("post", "/roles", "Add a role", "add_role", USERS, body=RoleBody, response=role,
          status=201, errors=(415, 422),
          links=links_to({"path.name": "$response.body#/name"}, Get="get_role",
                         Update="update_role", Delete="delete_role")),
        a("get", "/roles/{name}", "Read a role", "get_role", USERS, response=role,
          errors=(404,)),
        a("patch", "/roles/{name}", "Change a role", "update_role", USERS, body=RoleChanges,
          response=role, errors=(404, 409, 415, 422),
          description="Replaces what it names: the description, all grants, all rules."),
        a("delete", "/roles/{name}", "Delete a role", "delete_role", USERS, status=204,
          errors=(404, 409)),
        a("get", "/audit", "The audit trail, newest first", "list_audit", AUDIT,
          parameters=(*_LIST_PAGE, _query("record_type", "Only this record type"),
                      _query("record_id", "Only this record", "integer"),
                      _query("actor", "Only changes by this user id", "integer"),
                      _query("action", "Only this action (created, updated, …)"),
                      _query("since", "From this ISO datetime with a zone (inclusive)"),
                      _query("until", "Before this ISO datetime with a zone")),
          response=_page_of("AuditEntry"), errors=(400,)),
        a("get", "/tokens", "List API tokens", "list_tokens", errors=(400, 403),
          parameters=(*_LIST_PAGE, _query("user", "Only this user's (needs admin.users "
                                                  "for another user)", "integer")),
          response=_page_of("Token"),
          description=f"Your own tokens; every user's with `{USERS}`."),
        a("post", "/tokens", "Create an API token for yourself", "create_token",
          body=TokenBody, status=201, errors=(415, 422), response={"allOf": [
              ref("schemas", "Token"), object_schema({"token": {
                  "type": "string", "description": "The secret; shown this once only"}},
                  required=["token"])]},
          links=links_to({"path.token_id": "$response.body#/id"}, Revoke="revoke_token")),
        a("delete", "/tokens/{token_id}", "Revoke an API token", "revoke_token", status=204,
          errors=(403, 404), description=f"Your own, or anyone's with `{USERS}`."),
        a("get", "/teams/{team_id}/members", "The members of a team", "list_team_members",
          "core.user.read", response=object_schema({"items": {"type": "array", "items": ref(
              "schemas", "User")}}, required=["items"]), errors=(403, 404),
          description="The team's users, by id; reading them also needs `core.team.read`."),
        a("post", "/teams/{team_id}/members", "Add a member to a team", "add_team_member",
          USERS, body=MemberBody, errors=(404, 415, 422), response=object_schema({
              "added": {"type": "boolean", "description": "false: a member already"},
              "items": {"type": "array", "items": ref("schemas", "User")}},
              required=["added", "items"]),
          description="Audited as a change of the team's `members`, like a PATCH.",
          links={**links_to({"path.team_id": "$request.path.team_id"},
                            Members="list_team_members"),
                 **links_to({"path.team_id": "$request.path.team_id",
                             "path.user_id": "$request.body#/user_id"},
                            Remove="remove_team_member")}),
        a("delete", "/teams/{team_id}/members/{user_id}", "Take a member out of a team",
          "remove_team_member", USERS, status=204, errors=(404, 409),
          description="409 for the team's manager, who stays a member; 404 for a user who "
                      "is not one."),
        a("get", "/metrics", "List the metrics (KPIs) of the enabled plugins", "list_metrics",
          METRICS, tag="metrics", response=object_schema({"items": {"type": "array", "items": object_schema({
              "name": STRING, "plugin": STRING, "description": STRING, "unit": STRING,
              "group_by": {**NULLABLE_STRING, "description": "What the points are "
                                                             "broken down by, if anything"}},
              required=["name", "plugin", "description", "unit", "group_by"])}},
              required=["items"])),
        a("get", "/metrics/goals", "The goals you may see, with attainment and pace",
          "list_goal_progress", METRICS, tag="metrics", errors=(400, 403),
          parameters=(*_LIST_PAGE, _query("metric", "Only the goals of this metric"),
                      {"name": "scope", "in": "query", "schema": {
                          "type": "string", "enum": ["user", "team", "firm"]},
                       "description": "Only the goals of this scope"},
                      _query("owner_id", "Only the goals of this user", "integer"),
                      _query("team_id", "Only the goals of this team", "integer"),
                      _query("from", "Only goals whose period ends on or after this day, "
                                     "YYYY-MM-DD"),
                      _query("to", "Only goals whose period starts on or before this day, "
                                   "YYYY-MM-DD")),
          response=object_schema({
              "as_of": {"type": "string", "format": "date",
                        "description": "The day the pace is judged on (today)"},
              "items": {"type": "array", "items": object_schema({
                  "goal": ref("schemas", "Goal"),
                  "unit": {**NULLABLE_STRING, "description": "The metric's unit; null "
                                                              "when it is not available"},
                  "currency": {**NULLABLE_STRING, "description": "The base currency, for "
                                                                  "an amount"},
                  "actual": {**NULLABLE_STRING, "description": "The metric over the goal's "
                                                               "period and scope, a decimal"},
                  "expected": {**NULLABLE_STRING, "description": "What keeps pace today"},
                  "attainment": {**NULLABLE_STRING, "description": "actual / target, in "
                                                                   "percent"},
                  "elapsed": {**NULLABLE_STRING, "description": "The share of the period "
                                                                "gone by, in percent"},
                  "pace": {"type": "string", "enum": list(PACES)},
                  "unconverted": {"type": "array", "items": object_schema({
                      "currency": STRING, "amount": STRING},
                      required=["currency", "amount"])},
                  "problem": {**NULLABLE_STRING, "description": "Why there is no actual "
                                                                "(the metric's plugin is off)"}},
                  required=["goal", "unit", "currency", "actual", "expected", "attainment",
                            "elapsed", "pace", "unconverted", "problem"])},
              "next_cursor": NULLABLE_STRING},
              required=["as_of", "items", "next_cursor"]),
          description="Newest goal first. A goal is on_track while its attainment keeps up "
                      "with the share of its period elapsed (a metric that adds up: a count, "
                      "an amount), or reaches the target (a rate, an average); at_most goals "
                      "the other way round. Needs `core.goal.read` too; the rule on goals "
                      "reaches them through their scope."),
        a("get", "/metrics/{name}", "Compute a metric over a date range", "compute_metric",
          METRICS, tag="metrics", errors=(400, 404),
          parameters=(_query("from", "First day, YYYY-MM-DD (default: the first of the month "
                                     "eleven months back)"),
                      _query("to", "Last day, YYYY-MM-DD (default: today)"),
                      {"name": "by", "in": "query", "schema": {
                          "type": "string", "enum": ["month", "total"], "default": "month"},
                       "description": "One point per month, or one for the whole range"},
                      _query("owner_id", "Only the records of this user", "integer"),
                      _query("team_id", "Only the records of this team", "integer")),
          response=object_schema({
              "name": STRING, "unit": STRING, "group_by": NULLABLE_STRING,
              "start": {"type": "string", "format": "date"},
              "end": {"type": "string", "format": "date"},
              "by": {"type": "string", "enum": ["month", "total"]},
              "currency": {**NULLABLE_STRING, "description": "The base currency the "
                                                              "values of a currency "
                                                              "metric are in"},
              "points": {"type": "array", "items": object_schema({
                  "period": {"type": "string", "examples": ["2026-11", "total"]},
                  "group": NULLABLE_STRING,
                  "value": {"type": "string", "description": "A decimal number"},
                  "unconverted": {"type": "array", "items": object_schema({
                      "currency": STRING, "amount": {"type": "string",
                                                      "format": "decimal"}},
                      required=["currency", "amount"]),
                      "description": "Amounts the value leaves out: no exchange rate "
                                     "converts them into the base currency on their day "
                                     "(signed)"}},
                  required=["period", "group", "value", "unconverted"])}},
              required=["name", "unit", "group_by", "currency", "start", "end", "by",
                        "points"]),
          description="Every month of the range appears (zero when empty), for each group "
                      "of a broken-down metric. A metric counts only the records the "
                      "reader's record rules reach; an owner_id or team_id outside them is "
                      f"a 400. Reading it needs `{METRICS}`."),
        a("get", "/rates", "List the exchange rates, newest first", "list_rates",
          tag="rates", errors=(400, 403),
          parameters=(*_LIST_PAGE,
                      _query("currency", "Only rates of this currency (either side)"),
                      _query("quote", "Only rates into this currency"),
                      _query("from", "From this day, YYYY-MM-DD"),
                      _query("to", "To this day, YYYY-MM-DD")),
          response=_page_of("ExchangeRate"),
          description=f"Needs `{RATES_READ[0]}` or `{RATES_READ[1]}`."),
        a("get", "/rates/{currency}/{quote}/{date}", "Read the rate of a pair on a day",
          "get_rate", tag="rates", errors=(400, 403, 404), response=ref(
              "schemas", "ExchangeRate"),
          description=f"Needs `{RATES_READ[0]}` or `{RATES_READ[1]}`."),
        a("put", "/rates/{currency}/{quote}/{date}", "Set the rate of a pair from a day on",
          "set_rate", RATES, tag="rates", body=RateBody, status=200,
          errors=(403, 415, 422), response=ref("schemas", "ExchangeRate"),
          description="EUR/USD/2026-12-01 with {\"rate\": \"1.08\"}: one euro is worth "
                      "1.08 dollars from that day on; a rate of the same pair and day is "
                      "replaced."),
        a("delete", "/rates/{currency}/{quote}/{date}", "Delete the rate of a pair on a day",
          "delete_rate", RATES, tag="rates", status=204, errors=(400, 404)),
        a("post", "/rates/fetch", "Fetch rates from the rates-provider plugins",
          "fetch_rates", RATES, tag="rates", body=FetchBody, body_required=False,
          errors=(409, 415, 422), response=object_schema({"items": {
              "type": "array", "items": ref("schemas", "ExchangeRate")}},
              required=["items"]),
          description="Asks every running plugin implementing provide_exchange_rates; a "
                      "provider that fails is a 409 naming it, and nothing is stored."),
    )
