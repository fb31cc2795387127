"""Issue 11, item 30: a client generated from /api/v1/openapi.json by a mainstream
generator (openapi-python-client) is complete, importable and works.

The client is generated from the running app's document into the test's folder,
imported whole, and called over HTTP (an httpx transport that hands each request to
the Flask app): a list, creates, an audit history, actions and the audit trail, each
answer parsed into the generated classes. It exercises the document, not the engine,
so it runs on SQLite only.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

import accord_competitors.hooks
import accord_sales.hooks
from accord_sdk.openapi_check import document_problems

PACKAGE = "accord_generated_client"

pytestmark = [pytest.mark.sqlite_only,
              pytest.mark.plugins(accord_sales.hooks, accord_competitors.hooks)]


@pytest.fixture
def generated(api_client, tmp_path, monkeypatch) -> Any:
    """The client package generated from the app's document, imported whole."""
    document = api_client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    spec = tmp_path / "openapi.json"
    spec.write_bytes(document.get_data())
    config = tmp_path / "generator.yaml"
    config.write_text("post_hooks: []\n", encoding="utf-8")  # no ruff run: not needed
    out = tmp_path / "client" / PACKAGE
    run = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(spec),
         "--output-path", str(out), "--meta", "none", "--config", str(config)],
        capture_output=True, text=True, timeout=120)
    said = run.stdout + run.stderr
    assert run.returncode == 0, said
    # The generator warns for every schema or response it could not read and leaves
    # it out of the client ("Client was generated, but some pieces may be missing").
    assert "Warning" not in said and "Unable to" not in said, said
    monkeypatch.syspath_prepend(str(out.parent))
    package = importlib.import_module(PACKAGE)
    for module in pkgutil.walk_packages(package.__path__, f"{PACKAGE}."):
        importlib.import_module(module.name)
    yield package
    for name in [n for n in sys.modules if n.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def _client(generated: Any, api_client: Any) -> Any:
    transport = httpx.WSGITransport(app=api_client.client.application)
    return generated.AuthenticatedClient(base_url="http://accord.test", token=api_client.token,
                                         httpx_args={"transport": transport},
                                         raise_on_unexpected_status=True)


def _module(generated: Any, name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_item_30_a_generated_client_lists_creates_reads_history_and_runs_actions(
        generated, api_client):
    api = Path(generated.__file__).parent / "api"
    # One module per tag, named as the tag: no "competitorscompetitors".
    tags = [t["name"] for t in api_client.get("/api/v1/openapi.json").get_json()["tags"]]
    modules = {p.name for p in api.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert modules == {tag.replace("-", "_") for tag in tags}
    assert {"contacts", "competitors", "competitors_prices", "competitors_products",
            "sales_opportunities", "sales_quotes", "admin", "metrics"} <= modules
    models = _module(generated, "models")
    client = _client(generated, api_client)
    organizations = _module(generated, "api.organizations")
    deals = _module(generated, "api.sales_opportunities")
    quotes = _module(generated, "api.sales_quotes")

    # Creates.
    create_org = importlib.import_module(f"{organizations.__name__}.create_organization")
    org = create_org.sync(client=client, body=models.OrganizationInput(name="Acme GmbH"))
    assert isinstance(org, models.Organization) and (org.name, org.version) == ("Acme GmbH", 1)
    create_deal = importlib.import_module(f"{deals.__name__}.create_sales_opportunity")
    deal = create_deal.sync(client=client, body=models.SalesOpportunityInput(
        name="Seats", organization_id=org.id,
        amount=models.SalesOpportunityInputAmount(amount="1200.00", currency="EUR")))
    assert isinstance(deal, models.SalesOpportunity)
    assert (deal.name, deal.stage, deal.amount.amount, deal.amount.currency,
            deal.organization_id) == ("Seats", "Prospecting", "1200.00", "EUR", org.id)
    create_deal.sync(client=client, body=models.SalesOpportunityInput(
        name="Other", organization_id=org.id))

    # A list, with a filter.
    list_deals = importlib.import_module(f"{deals.__name__}.list_sales_opportunities")
    page = list_deals.sync(client=client, sort="name",
                           filters=models.ListSalesOpportunitiesFilters(stage="Prospecting"))
    assert isinstance(page, models.ListSalesOpportunitiesResponse200)
    assert [(d.id, d.name) for d in page.items] == [(deal.id + 1, "Other"), (deal.id, "Seats")]
    assert page.next_cursor is None

    # An action answering with the record it acted on.
    move = importlib.import_module(f"{deals.__name__}.move_sales_opportunity")
    moved = move.sync(deal.id, client=client,
                      body=models.MoveSalesOpportunityBody(stage="Qualification"))
    assert isinstance(moved, models.SalesOpportunity)
    assert (moved.id, moved.stage, moved.probability, moved.version) == (
        deal.id, "Qualification", 25, 2)

    # The history, with each change parsed as [before, after].
    history_of = importlib.import_module(f"{deals.__name__}.history_of_sales_opportunity")
    history = history_of.sync(deal.id, client=client)
    assert isinstance(history, models.History)
    assert all(isinstance(e, models.HistoryEntry) for e in history.items)
    assert [e.action for e in history.items] == ["created", "updated"]
    created, updated = history.items
    assert created.changes["name"] == [None, "Seats"]
    assert created.changes["amount"] == [None, {"amount": "1200.00", "currency": "EUR"}]
    assert (updated.changes["stage"], updated.changes["probability"]) == (
        ["Prospecting", "Qualification"], [10, 25])
    assert isinstance(updated.actor, models.Actor)
    assert updated.actor.id == api_client.user.id

    # An action answering with another record: accepting a quote gives its order.
    create_quote = importlib.import_module(f"{quotes.__name__}.create_sales_quote")
    quote = create_quote.sync(client=client, body=models.SalesQuoteInput.from_dict({
        "name": "Seats", "opportunity_id": deal.id,
        "lines": [{"description": "Seat", "quantity": "4", "unit_price": "250"}]}))
    assert isinstance(quote, models.SalesQuote) and quote.status == "draft"
    send = importlib.import_module(f"{quotes.__name__}.send_sales_quote")
    assert send.sync(quote.id, client=client).status == "sent"
    accept = importlib.import_module(f"{quotes.__name__}.accept_sales_quote")
    order = accept.sync(quote.id, client=client,
                        body=models.AcceptSalesQuoteBody(reference="PO-77"))
    assert isinstance(order, models.SalesOrder)
    assert (order.quote_id, order.status, order.reference, order.net_total,
            [line.net for line in order.lines]) == (
        quote.id, "confirmed", "PO-77", "1000.00", ["1000.00"])

    # The audit trail, parsed the same way.
    list_audit = importlib.import_module(f"{PACKAGE}.api.admin.list_audit")
    trail = list_audit.sync(client=client, record_type="sales.opportunity", limit=10)
    assert all(isinstance(e, models.AuditEntry) for e in trail.items)
    newest = trail.items[0]
    assert (newest.record_type, newest.record_id, newest.action) == (
        "sales.opportunity", deal.id, "updated")
    before, after = newest.changes["amount"]  # what was sold is what the deal is worth
    assert (Decimal(before["amount"]), Decimal(after["amount"]), after["currency"]) == (
        1200, 1000, "EUR")


def test_item_30_the_document_has_what_client_generators_need(api_client):
    document = api_client.get("/api/v1/openapi.json").get_json()
    assert document_problems(document) == []
    change = document["components"]["schemas"]["Changes"]["additionalProperties"]
    assert (change["type"], change["items"], change["minItems"], change["maxItems"]) == (
        "array", {}, 2, 2)
    tags = [t["name"] for t in document["tags"]]
    assert {"competitors", "competitors-prices", "sales-opportunities", "contacts"} <= set(tags)
    assert not [t for t in tags if "/" in t]
    deals = document["paths"]["/api/v1/sales/opportunities/{id}/move"]["post"]
    assert deals["tags"] == ["sales-opportunities"]
    assert deals["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SalesOpportunity"}
    compare = document["paths"]["/api/v1/competitors/products/{id}/compare_prices"]["post"]
    assert compare["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "object"}

    # The check fails for what the generator could not read.
    broken = {**document, "components": {**document["components"], "schemas": {
        **document["components"]["schemas"],
        "Pair": {"type": ["array", "null"], "minItems": 2}}}}
    broken["paths"] = {**document["paths"], "/api/v1/x": {"get": {
        "tags": ["acme/x"], "operationId": "list_contacts", "responses": {}}}}
    assert document_problems(broken) == [
        "#/components/schemas/Pair: an array schema without items (give items, {} for any "
        "value, or prefixItems)",
        "GET /api/v1/x: tag 'acme/x' is not a module name (letters, digits, '_' and '-' "
        "only, a letter first)",
        "GET /api/v1/x: operationId 'list_contacts' is also GET /api/v1/contacts's"]
