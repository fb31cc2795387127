"""The administration endpoints: plugins, custom fields, roles, the audit trail and
tokens, each guarded by its permission, each checked against the stored rows."""

from __future__ import annotations

import datetime as dt
import hashlib

import marshmallow as ma
import pytest
from marshmallow import fields

from accord import services
from accord.errors import ValidationError
from accord.hooks import hookimpl
from accord.models import (ApiToken, AuditEntry, CustomField, PluginState, Role, RolePermission,
                           RoleRule, User)
from accord.plugins import PluginManifest



@pytest.fixture
def pk(make_kernel, plugins_folder):
    """A kernel with the local test plugins found (none enabled)."""
    return make_kernel(plugins_dir=plugins_folder)


def states(kernel):
    with kernel.bound():
        return dict(PluginState.select(PluginState.name, PluginState.state).tuples())


def audit_count(kernel):
    with kernel.bound():
        return AuditEntry.select().count()


def grants_of(kernel, role):
    with kernel.bound():
        return sorted(p.permission for p in
                      RolePermission.select().where(RolePermission.role == role))


def rules_of(kernel, role):
    with kernel.bound():
        return dict(RoleRule.select(RoleRule.record_type, RoleRule.scope)
                    .where(RoleRule.role == role).tuples())


def assert_problem(response, status, detail=None, errors=None):
    body = response.get_json()
    assert response.status_code == status, body
    assert response.mimetype == "application/problem+json"
    if detail is not None:
        assert body["detail"] == detail
    if errors is not None:
        assert body["errors"] == errors
    return body


def forbidden(client, permission):
    return (f"{client.user.email} ({client.user.role_id}) lacks the permission "
            f"{permission}")


# Routing ---------------------------------------------------------------------------

def test_admin_paths_resolve_to_the_admin_views_not_the_record_routes(api_client):
    app = api_client.client.application
    urls = app.url_map.bind("localhost")
    for method, path, endpoint in [
        ("GET", "/api/v1/plugins", "api.plugins"),
        ("POST", "/api/v1/plugins/acme_notes/enable", "api.plugin_enable"),
        ("GET", "/api/v1/plugins/acme_notes/settings", "api.plugin_settings"),
        ("GET", "/api/v1/custom_fields", "api.custom_fields"),
        ("DELETE", "/api/v1/custom_fields/contact/x_tier", "api.custom_field"),
        ("GET", "/api/v1/roles", "api.roles"),
        ("PATCH", "/api/v1/roles/sales", "api.role"),
        ("GET", "/api/v1/audit", "api.audit"),
        ("GET", "/api/v1/tokens", "api.tokens"),
        ("DELETE", "/api/v1/tokens/3", "api.token"),
        ("GET", "/api/v1/users", "api.collection"),
        ("GET", "/api/v1/teams/1", "api.item"),
    ]:
        assert urls.match(path, method=method)[0] == endpoint, path


# Plugins ---------------------------------------------------------------------------

def test_plugins_list_name_version_state_source_requires_error(pk, make_api_client):
    admin = make_api_client("admin", kernel=pk)
    response = admin.get("/api/v1/plugins")
    assert response.status_code == 200
    items = {p["name"]: p for p in response.get_json()["items"]}
    assert items["acme_notes"] == {"name": "acme_notes", "version": "1.2.0",
                                   "state": "discovered", "source": items["acme_notes"]["source"],
                                   "requires": {}, "error": None}
    assert "plugins_folder" in items["acme_notes"]["source"]
    assert items["acme_extra"]["requires"] == {"acme_notes": ">=1,<2"}
    assert items["broken_import"]["state"] == "failed"
    assert items["broken_import"]["error"]
    one = admin.get("/api/v1/plugins/acme_extra")
    assert one.get_json() == items["acme_extra"]


def test_enable_refuses_a_missing_requirement_then_enables_with_deps(pk, make_api_client):
    admin = make_api_client("admin", kernel=pk)
    before, entries = states(pk), audit_count(pk)
    refused = admin.post("/api/v1/plugins/acme_extra/enable", json={})
    assert_problem(refused, 409, "cannot enable acme_extra: it requires acme_notes (>=1,<2), "
                                 "not enabled; enable it first or send {\"with_deps\": true}")
    assert states(pk) == before and audit_count(pk) == entries

    response = admin.post("/api/v1/plugins/acme_extra/enable", json={"with_deps": True})
    assert response.status_code == 200
    body = response.get_json()
    assert body["enabled"] == ["acme_notes", "acme_extra"]
    assert body["plugin"]["state"] == "enabled"
    assert states(pk)["acme_notes"] == states(pk)["acme_extra"] == "enabled"
    with pk.bound():
        entry = AuditEntry.select().where(AuditEntry.record_type == "plugin").order_by(
            AuditEntry.id.desc()).get()
    assert (entry.action, entry.actor_id, entry.changes["plugin"]) == (
        "enabled", admin.user.id, ["acme_extra", "acme_extra"])
    # The plugin's resources answer on the next request.
    assert admin.get("/api/v1/acme_notes/notes").status_code == 200


def test_enable_without_a_body_and_an_enabled_plugin(pk, make_api_client):
    admin = make_api_client("admin", kernel=pk)
    assert admin.post("/api/v1/plugins/acme_notes/enable").get_json()["enabled"] == ["acme_notes"]
    assert admin.post("/api/v1/plugins/acme_notes/enable").get_json()["enabled"] == []
    assert states(pk)["acme_notes"] == "enabled"


def test_disable_refuses_while_required_then_cascades(pk, make_api_client):
    admin = make_api_client("admin", kernel=pk)
    admin.post("/api/v1/plugins/acme_extra/enable", json={"with_deps": True})
    before = states(pk)
    refused = admin.post("/api/v1/plugins/acme_notes/disable", json={"cascade": False})
    assert_problem(refused, 409, "cannot disable acme_notes: acme_extra requires it; disable "
                                 "it first or send {\"cascade\": true}")
    assert states(pk) == before
    response = admin.post("/api/v1/plugins/acme_notes/disable", json={"cascade": True})
    assert response.status_code == 200
    assert response.get_json()["disabled"] == ["acme_extra", "acme_notes"]
    assert states(pk)["acme_notes"] == states(pk)["acme_extra"] == "disabled"
    again = admin.post("/api/v1/plugins/acme_notes/disable")
    assert_problem(again, 409, "acme_notes is not enabled (it is disabled)")
    gone = admin.get("/api/v1/acme_notes/notes")
    assert_problem(gone, 404, "the acme_notes plugin is disabled, so its resources are not "
                              "served; an admin can enable acme_notes: POST "
                              "/api/v1/plugins/acme_notes/enable")


def test_plugin_errors_unknown_bad_body_failed(pk, make_api_client):
    admin = make_api_client("admin", kernel=pk)
    body = assert_problem(admin.post("/api/v1/plugins/nope/enable", json={}), 404)
    assert body["detail"].startswith("unknown plugin 'nope' (known: ")
    assert_problem(admin.get("/api/v1/plugins/nope"), 404)
    assert_problem(admin.post("/api/v1/plugins/acme_notes/enable", json={"with_deps": "maybe"}),
                   422, errors={"with_deps": ["Not a valid boolean."]})
    assert_problem(admin.post("/api/v1/plugins/acme_notes/disable", json={"force": True}),
                   422, errors={"force": ["unknown field 'force'"]})
    assert_problem(admin.post("/api/v1/plugins/acme_notes/enable", data="with_deps",
                              content_type="text/plain"), 415)
    failed = admin.post("/api/v1/plugins/broken_import/enable", json={})
    assert failed.status_code == 409
    assert "broken_import" in failed.get_json()["detail"]
    assert "broken_import" not in states(pk)


def test_plugins_need_admin_plugins(pk, make_api_client):
    sales = make_api_client("sales", kernel=pk)
    for method, path in [("get", "/api/v1/plugins"), ("get", "/api/v1/plugins/acme_notes"),
                         ("post", "/api/v1/plugins/acme_notes/enable"),
                         ("post", "/api/v1/plugins/acme_notes/disable"),
                         ("get", "/api/v1/plugins/acme_notes/settings"),
                         ("put", "/api/v1/plugins/acme_notes/settings")]:
        response = getattr(sales, method)(path, json={})
        assert_problem(response, 403, forbidden(sales, "admin.plugins"))
    assert "acme_notes" not in states(pk)


class CurrencySettings(ma.Schema):
    currency = fields.String(load_default="EUR")
    rounding = fields.Integer(load_default=2)


class Priced:
    MANIFEST = PluginManifest(name="priced", version="1.0", settings_schema=CurrencySettings)

    @hookimpl
    def validate_settings(self, settings):
        if settings["currency"] == "XXX":
            raise ValidationError({"currency": ["XXX is not a currency"]})


def test_plugin_settings_read_and_set(make_kernel, make_api_client):
    k = make_kernel(plugins=[Priced()], enable=["priced"])
    admin = make_api_client("admin", kernel=k)
    assert admin.get("/api/v1/plugins/priced/settings").get_json() == {
        "currency": "EUR", "rounding": 2}
    response = admin.put("/api/v1/plugins/priced/settings", json={"currency": "USD"})
    assert response.status_code == 200
    assert response.get_json() == {"currency": "USD", "rounding": 2}
    with k.bound():
        assert PluginState.get_by_id("priced").settings == {"currency": "USD"}
    # Refusals leave the stored settings as they were.
    assert_problem(admin.put("/api/v1/plugins/priced/settings", json={"currency": "XXX"}),
                   422, errors={"currency": ["XXX is not a currency"]})
    assert_problem(admin.put("/api/v1/plugins/priced/settings", json={"colour": "red"}),
                   422, errors={"settings": ["plugins.settings.priced.colour: unknown setting"]})
    assert_problem(admin.put("/api/v1/plugins/priced/settings", json=["currency"]), 400,
                   "the body must be a JSON object")
    with k.bound():
        assert PluginState.get_by_id("priced").settings == {"currency": "USD"}
    assert_problem(admin.get("/api/v1/plugins/nope/settings"), 404)


# Custom fields ---------------------------------------------------------------------

def test_custom_field_add_list_use_remove(api_client, kernel):
    response = api_client.post("/api/v1/custom_fields", json={
        "record_type": "contact", "name": "x_tier", "kind": "choice", "label": "Tier",
        "choices": ["gold", "silver"], "indexed": True})
    assert response.status_code == 201
    assert response.headers["Location"] == "/api/v1/custom_fields/contact/x_tier"
    assert response.get_json() == {"record_type": "contact", "name": "x_tier", "kind": "choice",
                                   "label": "Tier", "required": False,
                                   "choices": ["gold", "silver"], "indexed": True,
                                   "personal": False, "source": "database"}
    with kernel.bound():
        row = CustomField.get(CustomField.name == "x_tier")
    assert (row.record_type, row.kind, row.choices, row.indexed) == (
        "contact", "choice", ["gold", "silver"], True)
    listed = api_client.get("/api/v1/custom_fields?record_type=contact").get_json()["items"]
    assert [f["name"] for f in listed] == ["x_tier"]
    assert api_client.get("/api/v1/custom_fields?record_type=organization").get_json() == {
        "items": []}
    assert [f["name"] for f in api_client.get("/api/v1/custom_fields").get_json()["items"]] == [
        "x_tier"]
    # The field takes values on the next request.
    contact = api_client.post("/api/v1/contacts", json={"last_name": "Ng", "x_tier": "gold"})
    assert contact.status_code == 201 and contact.get_json()["x_tier"] == "gold"

    assert api_client.delete("/api/v1/custom_fields/contact/x_tier").status_code == 204
    with kernel.bound():
        assert not CustomField.select().exists()
        assert AuditEntry.select().where(AuditEntry.action == "field_removed",
                                         AuditEntry.actor_id == api_client.user.id).count() == 1
    assert_problem(api_client.delete("/api/v1/custom_fields/contact/x_tier"), 404,
                   "contact has no custom field 'x_tier'")


def test_custom_field_refusals(api_client, kernel):
    post = lambda body: api_client.post("/api/v1/custom_fields", json=body)  # noqa: E731
    assert_problem(post({"record_type": "boat", "name": "x_keel", "kind": "text"}), 422)
    body = post({"record_type": "boat", "name": "x_keel", "kind": "text"}).get_json()
    assert list(body["errors"]) == ["record_type"]
    assert body["errors"]["record_type"][0].startswith("unknown record type 'boat' (known: ")
    assert_problem(post({"record_type": "contact", "name": "tier", "kind": "text"}), 422,
                   errors={"name": ["'tier': custom field names start with 'x_', then a "
                                    "lowercase letter, then lowercase letters, digits or '_' "
                                    "(at most 62)"]})
    errors = post({"record_type": "contact", "name": "x_a", "kind": "colour"}).get_json()["errors"]
    assert list(errors) == ["kind"]
    assert_problem(post({"record_type": "contact", "name": "x_a", "kind": "choice"}), 422,
                   errors={"choices": ["a choice field needs a list of choices"]})
    assert_problem(post({}), 422, errors={"record_type": ["Missing data for required field."],
                                          "name": ["Missing data for required field."],
                                          "kind": ["Missing data for required field."]})
    assert post({"record_type": "contact", "name": "x_a", "kind": "text"}).status_code == 201
    assert_problem(post({"record_type": "contact", "name": "x_a", "kind": "text"}), 422,
                   errors={"name": ["contact already has a field 'x_a'"]})
    assert_problem(api_client.get("/api/v1/custom_fields?record_type=boat"), 400,
                   errors={"record_type": ["unknown record type 'boat'"]})
    assert_problem(api_client.delete("/api/v1/custom_fields/boat/x_a"), 404)
    with kernel.bound():
        assert [f.name for f in CustomField.select()] == ["x_a"]


def test_custom_fields_need_admin_fields(make_api_client, kernel):
    manager = make_api_client("manager")
    assert_problem(manager.get("/api/v1/custom_fields"), 403, forbidden(manager, "admin.fields"))
    refused = manager.post("/api/v1/custom_fields",
                           json={"record_type": "contact", "name": "x_a", "kind": "text"})
    assert_problem(refused, 403, forbidden(manager, "admin.fields"))
    assert_problem(manager.delete("/api/v1/custom_fields/contact/x_a"), 403,
                   forbidden(manager, "admin.fields"))
    with kernel.bound():
        assert not CustomField.select().exists()


# Roles -----------------------------------------------------------------------------

def test_roles_list_the_built_in_roles(api_client):
    roles = {r["name"]: r for r in api_client.get("/api/v1/roles").get_json()["items"]}
    assert set(roles) == {"admin", "manager", "sales", "service", "marketing", "read-only"}
    assert roles["admin"] == {"name": "admin", "builtin": True, "grants": ["*"],
                              "rules": {"*": "all"}, "users": 1,
                              "description": "Everything, including plugins, users and roles",
                              "contributed": {"grants": {}, "rules": {}}, "withheld": []}
    assert roles["read-only"]["grants"] == ["*.read"]
    assert roles["sales"]["rules"]["*"] == "own"
    assert api_client.get("/api/v1/roles/sales").get_json() == roles["sales"]
    assert_problem(api_client.get("/api/v1/roles/boss"), 404)


def test_role_add_grants_rules_and_audit(api_client, kernel):
    response = api_client.post("/api/v1/roles", json={
        "name": "auditor", "description": "Reads the trail",
        "grants": ["core.*.read", "admin.audit"], "rules": {"contact": "own", "*": "team"}})
    assert response.status_code == 201
    assert response.headers["Location"] == "/api/v1/roles/auditor"
    assert response.get_json() == {"name": "auditor", "description": "Reads the trail",
                                   "builtin": False, "grants": ["admin.audit", "core.*.read"],
                                   "rules": {"*": "team", "contact": "own"}, "users": 0,
                                   "contributed": {"grants": {}, "rules": {}},
                                   "withheld": []}
    assert grants_of(kernel, "auditor") == ["admin.audit", "core.*.read"]
    assert rules_of(kernel, "auditor") == {"contact": "own", "*": "team"}
    with kernel.bound():
        entry = AuditEntry.get(AuditEntry.record_type == "role")
    assert (entry.action, entry.actor_id, entry.changes["role"]) == (
        "created", api_client.user.id, [None, "auditor"])


def test_role_refusals_write_nothing(api_client, kernel):
    entries = audit_count(kernel)
    response = api_client.post("/api/v1/roles", json={
        "name": "Bad Name", "grants": ["sales.*", "core.contact.read", "core.boats.read"],
        "rules": {"boat": "own", "contact": "mine"}})
    assert_problem(response, 422, errors={
        "name": ["'Bad Name': a role name is a lowercase letter, then up to 63 lowercase "
                 "letters, digits, '-' or '_'"],
        "grants": ["'sales.*' matches no permission the core or an enabled plugin declares",
                   "'core.boats.read' matches no permission the core or an enabled plugin "
                   "declares"],
        "rules.boat": [response.get_json()["errors"]["rules.boat"][0]],
        "rules.contact": ["'mine' is not a scope; use own, team, all"]})
    assert response.get_json()["errors"]["rules.boat"][0].startswith(
        "unknown record type 'boat' (known: ")
    assert_problem(api_client.post("/api/v1/roles", json={"name": "sales"}), 422,
                   errors={"name": ["a role 'sales' already exists"]})
    assert_problem(api_client.post("/api/v1/roles", json={"name": "x", "grants": "core.*"}),
                   422, errors={"grants": ["Not a valid list."]})
    with kernel.bound():
        assert Role.select().count() == 6
    assert audit_count(kernel) == entries


def test_role_patch_replaces_grants_and_rules_and_takes_effect(api_client, make_api_client,
                                                               kernel):
    api_client.post("/api/v1/roles", json={"name": "auditor", "grants": ["core.*.read"]})
    auditor = make_api_client("auditor")
    assert_problem(auditor.get("/api/v1/audit"), 403, forbidden(auditor, "admin.audit"))
    response = api_client.patch("/api/v1/roles/auditor", json={
        "grants": ["admin.audit", "core.contact.read"], "rules": {"contact": "own"},
        "description": "Audits"})
    assert response.status_code == 200
    assert response.get_json()["grants"] == ["admin.audit", "core.contact.read"]
    assert grants_of(kernel, "auditor") == ["admin.audit", "core.contact.read"]
    assert rules_of(kernel, "auditor") == {"contact": "own"}
    with kernel.bound():
        assert Role.get_by_id("auditor").description == "Audits"
        entry = AuditEntry.select().where(AuditEntry.record_type == "role").order_by(
            AuditEntry.id.desc()).get()
    assert entry.action == "updated"
    assert entry.changes["grants"] == [["core.*.read"],
                                       ["admin.audit", "core.contact.read"]]
    # The next request of a user holding the role sees the change.
    assert auditor.get("/api/v1/audit").status_code == 200
    assert_problem(auditor.get("/api/v1/organizations"), 403,
                   forbidden(auditor, "core.organization.read"))


def test_role_patch_refusals(api_client, kernel):
    assert_problem(api_client.patch("/api/v1/roles/admin", json={"grants": ["core.*"]}), 409,
                   "the admin role always holds every permission ('*') and reaches all "
                   "records; its grants and rules cannot be changed")
    assert grants_of(kernel, "admin") == ["*"]
    assert_problem(api_client.patch("/api/v1/roles/boss", json={"grants": ["core.*"]}), 404)
    assert_problem(api_client.patch("/api/v1/roles/sales", json={"grants": ["nope.*"]}), 422,
                   errors={"grants": ["'nope.*' matches no permission the core or an enabled "
                                      "plugin declares"]})
    assert_problem(api_client.patch("/api/v1/roles/sales", json={"name": "seller"}), 422,
                   errors={"name": ["unknown field 'name'"]})
    assert "core.contact.write" in grants_of(kernel, "sales")


def test_role_delete(api_client, make_api_client, kernel):
    assert_problem(api_client.delete("/api/v1/roles/sales"), 409,
                   "sales is a built-in role; it cannot be deleted")
    api_client.post("/api/v1/roles", json={"name": "auditor", "grants": ["admin.audit"],
                                           "rules": {"*": "own"}})
    holder = make_api_client("auditor", email="ann@example.com")
    assert_problem(api_client.delete("/api/v1/roles/auditor"), 409,
                   "auditor is the role of 1 user (ann@example.com); give them another "
                   "role first")
    assert grants_of(kernel, "auditor") == ["admin.audit"]
    api_client.patch(f"/api/v1/users/{holder.user.id}", json={"role": "sales"})
    assert api_client.delete("/api/v1/roles/auditor").status_code == 204
    with kernel.bound():
        assert Role.get_or_none(Role.name == "auditor") is None
    assert grants_of(kernel, "auditor") == [] and rules_of(kernel, "auditor") == {}
    assert_problem(api_client.delete("/api/v1/roles/auditor"), 404)


def test_a_plugin_permission_can_be_granted_while_the_plugin_runs(pk, make_api_client):
    admin = make_api_client("admin", kernel=pk)
    refused = admin.post("/api/v1/roles", json={"name": "noter", "grants": ["acme_notes.*"]})
    assert refused.status_code == 422
    admin.post("/api/v1/plugins/acme_notes/enable")
    added = admin.post("/api/v1/roles", json={"name": "noter", "grants": ["acme_notes.*"],
                                              "rules": {"acme_notes.note": "own"}})
    assert added.status_code == 201
    assert grants_of(pk, "noter") == ["acme_notes.*"]


def test_roles_need_admin_users(make_api_client, kernel):
    manager = make_api_client("manager")
    before = grants_of(kernel, "sales")
    for method, path, body in [
            ("get", "/api/v1/roles", None), ("post", "/api/v1/roles", {"name": "x"}),
            ("get", "/api/v1/roles/sales", None),
            ("patch", "/api/v1/roles/sales", {"grants": ["*"]}),
            ("delete", "/api/v1/roles/sales", None)]:
        response = getattr(manager, method)(path, json=body)
        assert_problem(response, 403, forbidden(manager, "admin.users"))
    # The body's shape is checked first (it reveals nothing stored); then the permission.
    assert_problem(manager.patch("/api/v1/roles/sales", json={"name": "x"}), 422,
                   errors={"name": ["unknown field 'name'"]})
    with kernel.bound():
        assert Role.select().count() == 6
    assert grants_of(kernel, "sales") == before


# The last admin --------------------------------------------------------------------

def test_the_last_active_admin_cannot_be_deactivated_demoted_or_deleted(api_client,
                                                                       make_api_client,
                                                                       kernel):
    me = api_client.user
    message = f"{me.email} is the last active admin; make another user admin first"
    assert_problem(api_client.patch(f"/api/v1/users/{me.id}", json={"active": False}), 422,
                   errors={"active": [message]})
    assert_problem(api_client.patch(f"/api/v1/users/{me.id}", json={"role": "sales"}), 422,
                   errors={"role": [message]})
    assert_problem(api_client.delete(f"/api/v1/users/{me.id}"), 422,
                   errors={"user": [message]})
    with kernel.bound():
        user = User.get_by_id(me.id)
    assert (user.active, user.role_id) == (True, "admin")
    other = make_api_client("admin")
    response = api_client.patch(f"/api/v1/users/{me.id}", json={"active": False})
    assert response.status_code == 200
    # A deactivated user's token is refused on the next request.
    assert_problem(api_client.get("/api/v1/roles"), 401,
                   "the token is unknown, revoked, or its user is deactivated")
    assert_problem(other.patch(f"/api/v1/users/{other.user.id}", json={"role": "sales"}), 422,
                   errors={"role": [f"{other.user.email} is the last active admin; make "
                                    "another user admin first"]})


# Audit -----------------------------------------------------------------------------

def test_audit_filters_and_newest_first(api_client, make_api_client, kernel):
    sales = make_api_client("sales")
    ann = api_client.post("/api/v1/contacts", json={"last_name": "Ann"}).get_json()
    sales.post("/api/v1/contacts", json={"last_name": "Bob"})
    api_client.patch(f"/api/v1/contacts/{ann['id']}", json={"first_name": "A"})
    api_client.post("/api/v1/organizations", json={"name": "Acme"})

    def items(query):
        response = api_client.get(f"/api/v1/audit?{query}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]

    contacts = items("record_type=contact")
    assert [(e["action"], e["record_id"]) for e in contacts] == [
        ("updated", ann["id"]), ("created", ann["id"] + 1), ("created", ann["id"])]
    assert [e["id"] for e in contacts] == sorted((e["id"] for e in contacts), reverse=True)
    assert contacts[0]["changes"] == {"first_name": [None, "A"]}
    assert contacts[0]["actor"] == {"id": api_client.user.id, "label": api_client.user.email}
    assert [e["record_id"] for e in items(f"record_type=contact&actor={sales.user.id}")] == [
        ann["id"] + 1]
    assert [e["action"] for e in items(f"record_type=contact&record_id={ann['id']}")] == [
        "updated", "created"]
    assert [e["record_type"] for e in items("action=updated")] == ["contact"]
    everything = items("limit=500")
    with kernel.bound():
        assert len(everything) == AuditEntry.select().count()
    middle = everything[len(everything) // 2]
    at = dt.datetime.fromisoformat(middle["at"])
    since = items("since=" + at.isoformat().replace("+00:00", "Z"))
    assert all(dt.datetime.fromisoformat(e["at"]) >= at for e in since)
    assert middle["id"] in [e["id"] for e in since]
    until = items("until=" + at.isoformat().replace("+", "%2B"))
    assert middle["id"] not in [e["id"] for e in until]
    assert {e["id"] for e in since} | {e["id"] for e in until} == {e["id"] for e in everything}


def test_audit_pages_by_cursor(api_client, kernel, actor):
    services.bulk_create(kernel, "product", [{"sku": f"P{i}", "name": f"P{i}"} for i in range(7)],
                         actor=actor)
    seen, cursor = [], None
    while True:
        response = api_client.get("/api/v1/audit?record_type=product&limit=3"
                                  + (f"&cursor={cursor}" if cursor else ""))
        body = response.get_json()
        seen += [e["record_id"] for e in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    with kernel.bound():
        ids = [e.record_id for e in AuditEntry.select().where(
            AuditEntry.record_type == "product").order_by(AuditEntry.id.desc())]
    assert seen == ids and len(seen) == 7


def test_audit_bad_parameters_are_400(api_client):
    cases = {
        "limit=501": {"limit": ["'501' is not between 1 and 500"]},
        "limit=0": {"limit": ["'0' is not between 1 and 500"]},
        "record_id=seven": {"record_id": [f"'seven' is not a whole number from 0 to {2**63 - 1}"]},
        "actor=-1": {"actor": [f"'-1' is not a whole number from 0 to {2**63 - 1}"]},
        f"actor={2**64}": {"actor": [f"'{2**64}' is not a whole number from 0 to {2**63 - 1}"]},
        "since=yesterday": {"since": ["'yesterday' is not an ISO datetime with a zone, "
                                      "e.g. 2026-01-31T00:00:00Z"]},
        "until=2026-01-01T00:00:00": {"until": ["'2026-01-01T00:00:00' is not an ISO datetime "
                                                "with a zone, e.g. 2026-01-31T00:00:00Z"]},
        "colour=red": {"colour": ["unknown parameter; use record_type, record_id, actor, "
                                  "action, since, until, limit or cursor"]},
        "record_type=con%00tact": {"record_type": ["holds a NUL character"]},
    }
    for query, errors in cases.items():
        assert_problem(api_client.get(f"/api/v1/audit?{query}"), 400, errors=errors)
    from accord.pagination import encode_cursor

    for cursor in ("notacursor", encode_cursor([2**70]), encode_cursor(["7"])):
        body = assert_problem(api_client.get(f"/api/v1/audit?cursor={cursor}"), 400,
                              "bad cursor")
        assert list(body["errors"]) == ["cursor"]


def test_audit_needs_admin_audit_and_masks_personal_data(api_client, make_api_client):
    api_client.post("/api/v1/contacts", json={"last_name": "Ng", "email": "ng@example.com"})
    sales = make_api_client("sales")
    assert_problem(sales.get("/api/v1/audit"), 403, forbidden(sales, "admin.audit"))
    manager = make_api_client("manager")  # holds admin.audit and personal data
    entry = manager.get("/api/v1/audit?record_type=contact").get_json()["items"][0]
    assert entry["changes"]["email"] == [None, "ng@example.com"]
    api_client.post("/api/v1/roles", json={"name": "auditor", "grants": ["admin.audit"]})
    auditor = make_api_client("auditor")
    # The audit shows only the record types its reader may read.
    assert auditor.get("/api/v1/audit?record_type=contact").get_json()["items"] == []
    changed = api_client.patch("/api/v1/roles/auditor",
                               json={"grants": ["admin.audit", "core.contact.read"]})
    assert changed.status_code == 200, changed.get_json()
    entry = auditor.get("/api/v1/audit?record_type=contact").get_json()["items"][0]
    assert entry["changes"]["email"] is None
    assert entry["changes"]["last_name"] == [None, "Ng"]


# Tokens ----------------------------------------------------------------------------

def test_token_create_for_yourself_shown_once_and_stored_hashed(make_api_client, kernel):
    sales = make_api_client("sales")
    response = sales.post("/api/v1/tokens", json={"name": "laptop"})
    assert response.status_code == 201
    body = response.get_json()
    token = body["token"]
    assert token.startswith("acc_") and body["prefix"] == token[:10]
    assert body["user"] == {"id": sales.user.id, "email": sales.user.email}
    assert (body["name"], body["last_used_at"], body["revoked_at"]) == ("laptop", None, None)
    with kernel.bound():
        row = ApiToken.get_by_id(body["id"])
        stored = [str(v) for v in ApiToken.select().where(ApiToken.id == row.id).tuples().get()]
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored
    # Never shown again: the list has no secret.
    listed = sales.get("/api/v1/tokens").get_json()["items"]
    assert [t["name"] for t in listed] == ["laptop", "test"]
    assert all("token" not in t and "token_hash" not in t for t in listed)
    # The new token works, and its use is noted.
    sales.token = token
    assert sales.get("/api/v1/tokens").status_code == 200
    with kernel.bound():
        assert ApiToken.get_by_id(body["id"]).last_used_at is not None


def test_token_list_own_or_all_with_admin_users(api_client, make_api_client):
    sales = make_api_client("sales")
    own = sales.get("/api/v1/tokens").get_json()["items"]
    assert [t["user"]["id"] for t in own] == [sales.user.id]
    assert own[0]["last_used_at"] is not None  # this very request used it
    everyone = api_client.get("/api/v1/tokens").get_json()["items"]
    assert {t["user"]["id"] for t in everyone} == {sales.user.id, api_client.user.id}
    one = api_client.get(f"/api/v1/tokens?user={sales.user.id}").get_json()["items"]
    assert [t["id"] for t in one] == [own[0]["id"]]
    assert_problem(sales.get(f"/api/v1/tokens?user={api_client.user.id}"), 403,
                   forbidden(sales, "admin.users"))
    page = api_client.get("/api/v1/tokens?limit=1").get_json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = api_client.get(f"/api/v1/tokens?limit=1&cursor={page['next_cursor']}").get_json()
    assert rest["next_cursor"] is None
    assert [t["id"] for t in page["items"] + rest["items"]] == [t["id"] for t in everyone]


def test_token_revoke_own_or_with_admin_users(api_client, make_api_client, kernel):
    sales = make_api_client("sales")
    created = sales.post("/api/v1/tokens", json={"name": "laptop"}).get_json()
    other = make_api_client("sales")
    admins_token = api_client.get(f"/api/v1/tokens?user={api_client.user.id}").get_json()
    assert_problem(sales.delete(f"/api/v1/tokens/{admins_token['items'][0]['id']}"), 403,
                   forbidden(sales, "admin.users"))
    assert_problem(sales.delete("/api/v1/tokens/9999"), 404, "no token 9999")
    assert_problem(sales.delete(f"/api/v1/tokens/{2**80}"), 404, f"no token {2**80}")
    assert sales.delete(f"/api/v1/tokens/{created['id']}").status_code == 204
    with kernel.bound():
        assert ApiToken.get_by_id(created["id"]).revoked_at is not None
        assert AuditEntry.select().where(AuditEntry.action == "token_revoked").count() == 1
    # An admin revokes anyone's; the revoked token is refused on the next request.
    other_id = other.get("/api/v1/tokens").get_json()["items"][0]["id"]
    assert api_client.delete(f"/api/v1/tokens/{other_id}").status_code == 204
    assert_problem(other.get("/api/v1/tokens"), 401,
                   "the token is unknown, revoked, or its user is deactivated")
    assert sales.get("/api/v1/tokens").status_code == 200  # its other token still works


def test_token_create_refusals(make_api_client, kernel):
    sales = make_api_client("sales")
    assert_problem(sales.post("/api/v1/tokens", json={"name": "  "}), 422,
                   errors={"name": ["a token name is 1 to 100 characters"]})
    assert_problem(sales.post("/api/v1/tokens", json={}), 422,
                   errors={"name": ["Missing data for required field."]})
    assert_problem(sales.post("/api/v1/tokens", json={"name": "a", "user": 1}), 422,
                   errors={"user": ["unknown field 'user'"]})
    with kernel.bound():
        assert ApiToken.select().count() == 1
