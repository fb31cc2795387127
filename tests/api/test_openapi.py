"""The OpenAPI document (/api/v1/openapi.json) and the docs page (/api/docs)."""

from __future__ import annotations

import re

import jsonschema
import pytest
from marshmallow import Schema, fields, validate
from openapi_spec_validator import validate as validate_openapi

from accord.api import openapi
from accord.hooks import hookimpl
from accord.plugins import PluginManifest
from accord.records import RecordAction
from accord.services.fields import add_field, remove_field
from accord.services.plugins import disable, enable
from accord.web import create_app

CORE_RESOURCES = {"organizations": "Organization", "contacts": "Contact", "users": "User",
                  "teams": "Team", "activities": "Activity", "products": "Product"}


def document(client):
    """The document as a client without a token gets it."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def conforms(doc, component, instance):
    """Validate ``instance`` against a component schema of ``doc`` (refs resolved)."""
    schema = {"$ref": f"#/components/schemas/{component}", "components": doc["components"]}
    jsonschema.Draft202012Validator(schema).validate(instance)


@pytest.fixture
def client(kernel):
    return create_app(kernel).test_client()


def test_the_document_is_valid_openapi_3_1_and_public(client):
    doc = document(client)  # no Authorization header
    assert doc["openapi"].startswith("3.1")
    validate_openapi(doc)
    assert doc["security"] == [{"bearer": []}]
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer",
        "description": "An API token (`accord tokens create USER`)"}
    assert doc["paths"]["/api/v1/health"]["get"]["security"] == []
    assert doc["paths"]["/api/v1/openapi.json"]["get"]["security"] == []


def test_every_core_resource_has_its_operations_and_schemas(client):
    doc = document(client)
    paths, schemas = doc["paths"], doc["components"]["schemas"]
    for plural, name in CORE_RESOURCES.items():
        base = f"/api/v1/{plural}"
        assert set(paths[base]) == {"get", "post"}
        assert set(paths[f"{base}/{{id}}"]) == {"get", "patch", "put", "delete", "parameters"}
        assert set(paths[f"{base}/{{id}}/history"]) == {"get", "parameters"}
        assert {name, f"{name}Input", f"{name}Patch"} <= set(schemas)
    contact = schemas["Contact"]["properties"]
    assert contact["id"] == {"type": "integer", "readOnly": True}
    assert contact["last_name"] == {"type": "string", "minLength": 1, "maxLength": 100}
    assert contact["organization_id"]["type"] == ["integer", "null"]
    assert contact["products_of_interest"]["items"]["type"] == "integer"
    created = schemas["ContactInput"]
    assert created["required"] == ["last_name"] and created["additionalProperties"] is False
    assert "id" not in created["properties"] and "version" not in created["properties"]
    assert "required" not in schemas["ContactPatch"]
    assert schemas["Activity"]["properties"]["kind"]["enum"] == [
        "call", "meeting", "email", "task", "note"]
    assert schemas["User"]["properties"]["role"]["type"] == "string"  # shown as role, not role_id
    assert schemas["Organization"]["properties"]["website"]["format"] == "uri"


def test_money_is_an_object_of_amount_and_currency(client):
    price = document(client)["components"]["schemas"]["Product"]["properties"]["unit_price"]
    assert price["type"] == ["object", "null"]
    assert price["properties"]["amount"]["type"] == "string"
    assert price["properties"]["currency"]["type"] == "string"
    assert price["required"] == ["amount", "currency"]


def test_personal_fields_are_nullable_where_records_are_shown(client):
    schemas = document(client)["components"]["schemas"]
    # A last name is required; a contact's personal fields may come back null.
    assert schemas["Organization"]["properties"]["phone"]["type"] == ["string", "null"]
    assert "core.personal_data.read" in schemas["Contact"]["properties"]["email"]["description"]
    assert "core.personal_data.read" not in str(schemas["ContactInput"]["properties"]["email"])


def test_list_item_and_error_responses(client):
    doc = document(client)
    listing = doc["paths"]["/api/v1/contacts"]["get"]
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert page["required"] == ["items", "next_cursor"]
    assert page["properties"]["items"]["items"] == {"$ref": "#/components/schemas/Contact"}
    assert page["properties"]["next_cursor"]["type"] == ["string", "null"]
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[1] for p in listing["parameters"]}
    assert names == {"Limit", "Cursor", "sort", "q", "Fields", "expand", "filters"}
    limit = doc["components"]["parameters"]["Limit"]["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, 500)
    filters = next(p for p in listing["parameters"] if p.get("name") == "filters")["schema"]
    assert {"last_name", "organization_id", "created_at"} <= set(filters["properties"])
    pattern = re.compile(next(iter(filters["patternProperties"])))
    assert pattern.match("created_at__gte") and pattern.match("email__isnull")
    assert not pattern.match("last_name__like") and not pattern.match("nothing__in")

    item = doc["paths"]["/api/v1/contacts/{id}"]
    assert "ETag" in item["get"]["responses"]["200"]["headers"]
    assert item["patch"]["parameters"] == [{"$ref": "#/components/parameters/IfMatch"}]
    assert item["patch"]["responses"]["412"] == {
        "$ref": "#/components/responses/PreconditionFailed"}
    assert item["patch"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ContactPatch"}
    assert doc["paths"]["/api/v1/contacts"]["post"]["responses"]["201"]["headers"].keys() == {
        "ETag", "Location"}
    responses = doc["components"]["responses"]
    for status, name in {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden",
                         404: "NotFound", 409: "Conflict", 412: "PreconditionFailed",
                         415: "UnsupportedMediaType", 422: "UnprocessableContent"}.items():
        assert responses[name]["content"]["application/problem+json"]["schema"] == {
            "$ref": "#/components/schemas/Problem"}, status
    assert doc["components"]["schemas"]["Problem"]["required"] == [
        "type", "title", "status", "detail"]


def test_what_the_api_answers_conforms_to_the_document(client, make_api_client):
    doc = document(client)
    admin, reader = make_api_client("admin"), make_api_client("read-only")
    product = admin.post("/api/v1/products", json={
        "sku": "P-1", "name": "Widget", "unit_price": {"amount": "12.50", "currency": "EUR"}})
    assert product.status_code == 201
    conforms(doc, "Product", product.get_json())
    contact = admin.post("/api/v1/contacts", json={
        "last_name": "Ng", "email": "ng@example.com", "products_of_interest": [
            product.get_json()["id"]]}).get_json()
    conforms(doc, "Contact", contact)
    masked = reader.get(f"/api/v1/contacts/{contact['id']}").get_json()
    assert masked["email"] is None
    conforms(doc, "Contact", masked)
    listing = reader.get("/api/v1/contacts").get_json()
    page = doc["paths"]["/api/v1/contacts"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    jsonschema.Draft202012Validator({**page, "components": doc["components"]}).validate(listing)
    admin.patch(f"/api/v1/contacts/{contact['id']}", json={"first_name": "Mai"})
    conforms(doc, "History", admin.get(f"/api/v1/contacts/{contact['id']}/history").get_json())
    problem = admin.post("/api/v1/contacts", json={"first_name": "no last name"})
    assert problem.status_code == 422
    conforms(doc, "Problem", problem.get_json())
    with pytest.raises(jsonschema.ValidationError):  # the check can fail
        conforms(doc, "Contact", {**contact, "last_name": 7})


def answered(doc, path, method, status, body):
    """Validate a response body against what the document says ``method path`` answers."""
    schema = doc["paths"][path][method]["responses"][str(status)]["content"][
        "application/json"]["schema"]
    jsonschema.Draft202012Validator({**schema, "components": doc["components"]}).validate(body)


def test_admin_answers_conform_to_the_document(kernel, client, api_client, actor):
    doc = document(client)
    add_field(kernel, "contact", "x_tier", "choice", choices=["gold"], actor=actor)
    api_client.post("/api/v1/contacts", json={"last_name": "Ng", "x_tier": "gold"})
    for path in ("/plugins", "/custom_fields", "/roles", "/roles/{name}", "/audit", "/tokens",
                 "/health"):
        response = api_client.get("/api/v1" + path.replace("{name}", "sales"))
        assert response.status_code == 200, (path, response.get_json())
        answered(doc, f"/api/v1{path}", "get", 200, response.get_json())
    created = api_client.post("/api/v1/tokens", json={"name": "ci"})
    assert created.status_code == 201
    answered(doc, "/api/v1/tokens", "post", 201, created.get_json())
    field = api_client.post("/api/v1/custom_fields", json={
        "record_type": "team", "name": "x_floor", "kind": "integer"})
    assert field.status_code == 201
    answered(doc, "/api/v1/custom_fields", "post", 201, field.get_json())
    body = doc["paths"]["/api/v1/custom_fields"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["properties"]["kind"]["enum"][:2] == [
        "text", "integer"]


def test_a_custom_field_shows_up_with_its_choices(kernel, client, actor):
    assert "x_tier" not in document(client)["components"]["schemas"]["Contact"]["properties"]
    add_field(kernel, "contact", "x_tier", "choice", choices=["gold", "silver"],
              required=True, label="Tier", actor=actor)
    doc = document(client)
    validate_openapi(doc)
    schemas = doc["components"]["schemas"]
    tier = schemas["Contact"]["properties"]["x_tier"]
    assert tier["enum"] == ["gold", "silver"]
    assert tier["type"] == "string"
    assert tier["x-custom-field"] is True and tier["description"] == "Tier"
    assert schemas["ContactInput"]["required"] == ["last_name", "x_tier"]
    filters = next(p for p in doc["paths"]["/api/v1/contacts"]["get"]["parameters"]
                   if p.get("name") == "filters")["schema"]
    assert "x_tier" in filters["properties"]
    remove_field(kernel, "contact", "x_tier", actor=actor)
    assert "x_tier" not in document(client)["components"]["schemas"]["Contact"]["properties"]


def test_custom_field_kinds_are_typed(kernel, client, actor):
    add_field(kernel, "organization", "x_score", "decimal", actor=actor)
    add_field(kernel, "organization", "x_tags", "multi_choice", choices=["a", "b"], actor=actor)
    props = document(client)["components"]["schemas"]["Organization"]["properties"]
    assert props["x_score"]["type"] == ["string", "null"]  # decimals are shown as strings
    assert props["x_tags"]["type"] == ["array", "null"]
    assert props["x_tags"]["items"]["enum"] == ["a", "b"]


def test_a_plugins_resources_are_there_only_while_it_is_enabled(make_kernel, plugins_folder,
                                                                make_api_client, actor):
    kernel = make_kernel(plugins_dir=plugins_folder, enable=["acme_notes"])
    client = create_app(kernel).test_client()
    doc = document(client)
    validate_openapi(doc)
    assert {"/api/v1/acme_notes/notes", "/api/v1/acme_notes/notes/{id}",
            "/api/v1/acme_notes/notes/{id}/history"} <= set(doc["paths"])
    note = doc["components"]["schemas"]["AcmeNotesNote"]["properties"]
    assert note["priority"] == {"type": "integer", "default": 3, "minimum": 1, "maximum": 5}
    assert doc["paths"]["/api/v1/acme_notes/notes"]["get"]["x-permission"] == (
        "acme_notes.note.read")
    assert "acme_notes-notes" in {t["name"] for t in doc["tags"]}
    admin = make_api_client(kernel=kernel)
    plugins = admin.get("/api/v1/plugins").get_json()
    assert [p["name"] for p in plugins["items"]][:1] == ["acme_extra"]
    answered(doc, "/api/v1/plugins", "get", 200, plugins)
    note = admin.post("/api/v1/acme_notes/notes", json={"title": "Call back"})
    answered(doc, "/api/v1/acme_notes/notes", "post", 201, note.get_json())

    disable(kernel, "acme_notes", actor=actor)
    doc = document(client)
    assert not [p for p in doc["paths"] if p.startswith("/api/v1/acme_notes/")]
    assert "AcmeNotesNote" not in doc["components"]["schemas"]

    enable(kernel, "acme_notes", actor=actor)
    assert "/api/v1/acme_notes/notes" in document(client)["paths"]


class ArchiveSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(["moved", "duplicate"]))


class Archiver:
    MANIFEST = PluginManifest(name="archiver", version="1.0.0", description="Archives")

    @hookimpl
    def register_actions(self):
        def archive(kernel, contact_id, *, actor, version, reason):
            return {"archived": contact_id, "reason": reason}

        return [RecordAction("contact", "archive", "core.contact.write", archive,
                             description="Archive a contact", schema=ArchiveSchema)]


def test_hook_register_actions(make_kernel, make_api_client, actor):
    """A declared action is documented with its body, and answers at its URL."""
    kernel = make_kernel(plugins=[Archiver()], enable=["archiver"])
    client = create_app(kernel).test_client()
    doc = document(client)
    validate_openapi(doc)
    action = doc["paths"]["/api/v1/contacts/{id}/archive"]["post"]
    assert action["summary"] == "Archive a contact"
    assert action["x-permission"] == "core.contact.write"
    body = action["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["reason"]["enum"] == ["moved", "duplicate"]
    assert body["required"] == ["reason"]

    admin = make_api_client(kernel=kernel)
    contact = admin.post("/api/v1/contacts", json={"last_name": "Ng"}).get_json()
    url = f"/api/v1/contacts/{contact['id']}/archive"
    assert admin.post(url, json={"reason": "moved"}).get_json() == {
        "archived": contact["id"], "reason": "moved"}
    refused = admin.post(url, json={"reason": "bored"})
    assert refused.status_code == 422 and "reason" in refused.get_json()["errors"]

    disable(kernel, "archiver", actor=actor)
    assert "/api/v1/contacts/{id}/archive" not in document(client)["paths"]
    assert admin.post(url, json={"reason": "moved"}).status_code == 404


def test_the_document_is_built_once_per_state(kernel, client, actor, monkeypatch):
    built = []
    real = openapi.build_document

    def counting(k):
        built.append(k)
        return real(k)

    monkeypatch.setattr(openapi, "build_document", counting)
    first = document(client)
    assert document(client) == first
    assert len(built) == 1
    add_field(kernel, "team", "x_floor", "integer", actor=actor)
    assert "x_floor" in document(client)["components"]["schemas"]["Team"]["properties"]
    document(client)
    assert len(built) == 2


def test_every_api_route_is_documented(kernel, client):
    """A route added to the API (an admin endpoint) fails here until it is in the
    document: add it to accord.api.openapi.ADMIN_ENDPOINTS."""
    doc = document(client)
    generic = {"api.collection", "api.item", "api.history", "api.timeline", "api.action",
               "api.plugin_collection", "api.plugin_item", "api.plugin_history",
               "api.plugin_timeline", "api.plugin_action",
               "api.export", "api.plugin_export"}  # documented per record type
    assert "get" in doc["paths"]["/api/v1/organizations/{id}/timeline"]
    app = client.application
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint in generic:
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method.lower() not in doc["paths"].get(path, {}):
                missing.append(f"{method} {path}")
    assert missing == []


def test_the_docs_page_uses_the_vendored_viewer(client):
    page = client.get("/api/docs")  # no token
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', html)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert scripts == ["/static/swagger-ui/swagger-ui-bundle.js"]
    assert styles == ["/static/swagger-ui/swagger-ui.css"]
    assert "/api/v1/openapi.json" in html
    assert "//" not in "".join(scripts + styles)  # nothing from another host
    script = client.get(scripts[0])
    assert script.status_code == 200
    assert script.mimetype in ("text/javascript", "application/javascript")
    assert b"SwaggerUIBundle" in script.get_data()
    script.close()
    style = client.get(styles[0])
    assert style.status_code == 200 and style.mimetype == "text/css"
    style.close()
