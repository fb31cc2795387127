"""The sales resources and actions over HTTP: the generic routes serve them, the
actions check permissions, versions and input, and a refused request writes nothing."""

from __future__ import annotations

import pytest

import accord_sales.hooks
from accord import services
from accord.models import Contact, Organization
from accord.services import Actor
from accord.services.plugins import disable, enable
from accord_sales.models import Lead, Opportunity, StageChange

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.plugins(accord_sales.hooks)
LEADS = "/api/v1/sales/leads"
OPPORTUNITIES = "/api/v1/sales/opportunities"


def _new_lead(client, **fields):
    response = client.post(LEADS, json={"name": "Ada Lovelace", "company": "Analytical Engines",
                                        "email": "ada@ae.example", "source": "web form",
                                        **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_leads_and_opportunities_are_served_by_the_generic_routes(sales, api_client, helpers):
    lead = _new_lead(api_client)
    assert (lead["status"], lead["converted_at"], lead["contact_id"]) == ("new", None, None)
    listed = api_client.get(f"{LEADS}?status=new&source=web%20form").get_json()
    assert [item["id"] for item in listed["items"]] == [lead["id"]]
    org = helpers.org(sales)
    made = api_client.post(OPPORTUNITIES, json={"name": "Seats", "organization_id": org.id,
                                                "amount": {"amount": "990", "currency": "EUR"}})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert (body["pipeline"], body["stage"], body["probability"], body["amount"],
            body["closed_at"]) == ("new_business", "Prospecting", 10,
                                   {"amount": "990.00", "currency": "EUR"}, None)
    patched = api_client.patch(f"{OPPORTUNITIES}/{body['id']}", json={"stage": "Won"})
    assert helpers.problem(patched, 422)["errors"] == {"stage": [
        f"set by the move action only (POST /api/v1/sales/opportunities/"
        f"{body['id']}/move)"]}


def test_convert_answers_the_converted_lead(sales, api_client, helpers):
    # A lead nobody owns (an import, say): what it becomes belongs to whoever converts it.
    lead = {"id": services.create(sales, "sales.lead", {
        "name": "Ada Lovelace", "company": "Analytical Engines"}, actor=SYSTEM).id}
    response = api_client.post(f"{LEADS}/{lead['id']}/convert", headers={"If-Match": '"1"'},
                               json={"create_opportunity": True, "opportunity": {
                                   "name": "Engines", "stage": "Proposal",
                                   "amount": {"amount": "5000", "currency": "GBP"}}})
    assert response.status_code == 200, response.get_json()
    assert response.headers["ETag"] == '"2"'
    body = response.get_json()
    [org] = helpers.rows(sales, Organization)
    [contact] = helpers.rows(sales, Contact)
    [deal] = helpers.rows(sales, Opportunity)
    assert (body["status"], body["organization_id"], body["contact_id"],
            body["opportunity_id"]) == ("qualified", org.id, contact.id, deal.id)
    assert body["converted_at"] is not None
    assert (deal.name, deal.stage, deal.amount_currency) == ("Engines", "Proposal", "GBP")
    assert {org.owner_id, contact.owner_id, deal.owner_id} == {api_client.user.id}
    again = api_client.post(f"{LEADS}/{lead['id']}/convert", json={})
    assert helpers.problem(again, 422)["errors"]["status"][0].startswith(
        f"lead {lead['id']} was already converted on ")


@pytest.mark.parametrize(("body", "status", "errors"), [
    ({"create_opportunity": "maybe"}, 422, {"create_opportunity": ["Not a valid boolean."]}),
    ({"colour": "red"}, 422, {"colour": ["unknown field 'colour'"]}),
    ({"opportunity": {"name": "X"}}, 422, {"opportunity": [
        "give create_opportunity: true to create an opportunity from these fields"]}),
    ({"create_opportunity": True, "opportunity": {"amount": "lots"}}, 422, {
        "opportunity.amount": ['Not a money value; give {"amount": "12.50", "currency": '
                               '"EUR"}.']}),
    ({"create_opportunity": True, "opportunity": {"organization_id": 1}}, 422, {
        "opportunity.organization_id": ["set by the conversion from the lead"]}),
    ({"create_opportunity": True, "opportunity": {"pipeline": "upsell"}}, 422, {
        "opportunity.pipeline": ["'upsell' is not a pipeline; use one of new_business, "
                                 "renewals"]}),
])
def test_bad_convert_requests_write_nothing(sales, api_client, helpers, body, status, errors):
    lead = _new_lead(api_client)
    problem = helpers.problem(api_client.post(f"{LEADS}/{lead['id']}/convert", json=body), status)
    assert problem["errors"] == errors
    assert (helpers.count(sales, Organization), helpers.count(sales, Contact),
            helpers.count(sales, Opportunity)) == (0, 0, 0)
    assert helpers.rows(sales, Lead)[0].version == 1


def test_convert_checks_the_record_its_version_and_the_permission(sales, api_client, helpers,
                                                                   make_api_client):
    lead = _new_lead(api_client)
    path = f"{LEADS}/{lead['id']}/convert"
    helpers.problem(api_client.post(path, json={}, headers={"If-Match": '"4"'}), 412)
    helpers.problem(api_client.post(f"{LEADS}/4711/convert", json={}), 404)
    reader = make_api_client("read-only")
    assert helpers.problem(reader.post(path, json={}), 403)["detail"].endswith(
        "lacks the permission sales.lead.convert")
    out = services.create(sales, "sales.lead", {"name": "Bo", "status": "disqualified",
                                                "disqualify_reason": "Spam"}, actor=SYSTEM)
    response = api_client.post(f"{LEADS}/{out.id}/convert", json={})
    assert helpers.problem(response, 422)["errors"] == {
        "status": [f"lead {out.id} is disqualified (Spam); change its status before "
                   "converting it"]}
    # A salesperson reaches only their own leads (the built-in rule): another's is not found.
    seller = make_api_client("sales")
    helpers.problem(seller.post(path, json={}), 404)
    assert (helpers.count(sales, Contact), helpers.rows(sales, Lead)[0].version) == (0, 1)


def test_move_closes_and_bad_moves_are_refused(sales, api_client, helpers, make_api_client):
    deal = helpers.opportunity(sales, "Seats", stage="Negotiation")
    path = f"{OPPORTUNITIES}/{deal.id}/move"
    cases = [
        ({}, 422, {"stage": ["Missing data for required field."]}),
        ({"stage": "Signed"}, 422, {"stage": [
            "'Signed' is not a stage of the new_business pipeline; use one of Prospecting, "
            "Qualification, Proposal, Negotiation, Won, Lost"]}),
        ({"stage": "Lost"}, 422, {"loss_reason": [
            "give a loss reason to move the opportunity to the lost stage 'Lost'"]}),
        ({"stage": "Won", "probability": "high"}, 422, {"probability": [
            "Not a valid integer."]}),
        ({"stage": "Won", "colour": "red"}, 422, {"colour": ["unknown field 'colour'"]}),
    ]
    for body, status, errors in cases:
        assert helpers.problem(api_client.post(path, json=body), status)["errors"] == errors, body
    helpers.problem(api_client.post(path, json={"stage": "Won"}, headers={"If-Match": '"9"'}), 412)
    helpers.problem(api_client.post(f"{OPPORTUNITIES}/4711/move", json={"stage": "Won"}), 404)
    reader = make_api_client("read-only")
    assert helpers.problem(reader.post(path, json={"stage": "Won"}), 403)["detail"].endswith(
        "lacks the permission sales.opportunity.move")
    assert (helpers.count(sales, StageChange),
            helpers.rows(sales, Opportunity)[0].version) == (0, 1)

    won = api_client.post(path, json={"stage": "Won"}, headers={"If-Match": '"1"'})
    assert won.status_code == 200, won.get_json()
    assert won.headers["ETag"] == '"2"'
    assert (won.get_json()["stage"], won.get_json()["probability"]) == ("Won", 100)
    assert won.get_json()["closed_at"] is not None
    [change] = helpers.rows(sales, StageChange)
    assert (change.from_stage, change.to_stage, change.actor_id,
            change.actor_label) == ("Negotiation", "Won", api_client.user.id,
                                    api_client.user.email)
    history = api_client.get(f"{OPPORTUNITIES}/{deal.id}/history").get_json()["items"]
    assert history[-1]["changes"]["stage"] == ["Negotiation", "Won"]


def test_disabling_keeps_every_row_and_enabling_brings_the_api_back(sales, api_client, helpers):
    lead = _new_lead(api_client)
    api_client.post(f"{LEADS}/{lead['id']}/convert", json={"create_opportunity": True})
    [deal] = helpers.rows(sales, Opportunity)
    api_client.post(f"{OPPORTUNITIES}/{deal.id}/move", json={"stage": "Proposal"})
    counts = [helpers.count(sales, m) for m in (Lead, Opportunity, StageChange)]
    assert counts == [1, 1, 1]

    disable(sales, "sales", actor=SYSTEM)
    gone = helpers.problem(api_client.get(LEADS), 404)
    assert gone["detail"] == ("the sales plugin is disabled, so its resources are not served; "
                              "an admin can enable sales: POST /api/v1/plugins/sales/enable")
    helpers.problem(api_client.post(f"{OPPORTUNITIES}/{deal.id}/move", json={"stage": "Won"}), 404)
    paths = api_client.get("/api/v1/openapi.json").get_json()["paths"]
    assert not [p for p in paths if p.startswith(LEADS)]
    assert [helpers.count(sales, m) for m in (Lead, Opportunity, StageChange)] == counts

    enable(sales, "sales", actor=SYSTEM)
    back = api_client.get(f"{LEADS}/{lead['id']}").get_json()
    assert (back["status"], back["opportunity_id"]) == ("qualified", deal.id)
    assert api_client.get(f"{OPPORTUNITIES}/{deal.id}").get_json()["stage"] == "Proposal"
    paths = api_client.get("/api/v1/openapi.json").get_json()["paths"]
    assert f"{LEADS}/{{id}}/convert" in paths and f"{OPPORTUNITIES}/{{id}}/move" in paths


def test_the_openapi_document_describes_the_sales_resources(sales, api_client, helpers):
    import jsonschema
    from openapi_spec_validator import validate as validate_openapi

    doc = api_client.get("/api/v1/openapi.json").get_json()
    validate_openapi(doc)
    convert = doc["paths"][f"{LEADS}/{{id}}/convert"]["post"]
    assert convert["x-permission"] == "sales.lead.convert"
    body = convert["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"create_opportunity", "opportunity", "contact",
                                       "organization"}
    move = doc["paths"][f"{OPPORTUNITIES}/{{id}}/move"]["post"]
    assert move["requestBody"]["content"]["application/json"]["schema"]["required"] == ["stage"]
    shown = doc["components"]["schemas"]["SalesOpportunity"]["properties"]
    assert shown["closed_at"]["readOnly"] is True
    assert "closed_at" not in doc["components"]["schemas"]["SalesOpportunityInput"]["properties"]

    def conforms(component, instance):
        jsonschema.Draft202012Validator({"$ref": f"#/components/schemas/{component}",
                                         "components": doc["components"]}).validate(instance)

    lead = _new_lead(api_client)
    converted = api_client.post(f"{LEADS}/{lead['id']}/convert",
                                json={"create_opportunity": True}).get_json()
    conforms("SalesLead", converted)
    moved = api_client.post(f"{OPPORTUNITIES}/{converted['opportunity_id']}/move",
                            json={"stage": "Lost", "loss_reason": "Price"}).get_json()
    conforms("SalesOpportunity", moved)
    with pytest.raises(jsonschema.ValidationError):  # the check can fail
        conforms("SalesOpportunity", {**moved, "probability": "high"})
