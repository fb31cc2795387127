"""The pipeline board, its stage history panel, the pipeline stages page and the
sales API routes the pages need (pipeline summary, stage history, adding a stage),
without a browser: Flask's test client on the test kernel, within the reader's
permissions and record rules."""

from __future__ import annotations

import html
import re

import pytest

import accord_competitors.hooks
import accord_sales.hooks
from accord import services
from accord.models import User
from accord.services import Actor
from accord_sales.models import Opportunity, StageChange
from accord_sales.services import move_opportunity
from accord_sdk.assertions import problem

pytestmark = pytest.mark.plugins(accord_sales.hooks, accord_competitors.hooks)

SYSTEM = Actor.system("test")


def _user(kernel, email, role):
    return services.create(kernel, "user", {"email": email, "name": email.split("@")[0].title(),
                                            "role": role}, actor=SYSTEM)


def _text(body):
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))).strip()


def _deal(kernel, name, owner, amount="1000.00", currency="EUR", **extra):
    org = services.create(kernel, "organization", {"name": f"{name} GmbH"}, actor=SYSTEM)
    return services.create(kernel, "sales.opportunity", {
        "name": name, "owner_id": owner.id, "organization_id": org.id,
        "amount": {"amount": amount, "currency": currency}, **extra}, actor=SYSTEM)


def _column(body, stage):
    """The text of the board column of ``stage``."""
    match = re.search(rf'<li class="board-column[^"]*" data-stage="{re.escape(stage)}".*?'
                      r'</ul>\s*</li>', body, re.DOTALL)
    assert match, f"no column {stage!r}"
    return _text(match[0])


def _stage(kernel, deal_id):
    with kernel.bound():
        return Opportunity.get_by_id(deal_id).stage


@pytest.fixture
def story(kernel):
    """Ada (admin), Maria and Tom (sales); Maria has two deals in Prospecting and one in
    Proposal, Tom one in Prospecting."""
    ada = _user(kernel, "ada@example.com", "admin")
    maria = _user(kernel, "maria@example.com", "sales")
    tom = _user(kernel, "tom@example.com", "sales")
    northwind = _deal(kernel, "Northwind rollout", maria, "1000.00")
    kestrel = _deal(kernel, "Kestrel pilot", maria, "2500.50")
    orbit = _deal(kernel, "Orbit upgrade", maria, "4000.00")
    move_opportunity(kernel, orbit.id, "Proposal", actor=SYSTEM)
    toms = _deal(kernel, "Tom's big deal", tom, "9000.00")
    return dict(ada=ada, maria=maria, tom=tom, northwind=northwind, kestrel=kestrel,
                orbit=orbit, toms=toms)


def test_the_board_has_a_column_per_stage_with_cards_count_and_total(kernel, story,
                                                                     make_page_client):
    client = make_page_client(user=story["ada"])
    response = client.get("/sales/board")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    names = re.findall(r'<h2 class="board-head"[^>]*>([^<]+)</h2>', body)
    assert names == ["Prospecting", "Qualification", "Proposal", "Negotiation", "Won", "Lost"]
    prospecting = _column(body, "Prospecting")
    assert prospecting.startswith("Prospecting 3 opportunities 12,500.50 EUR")
    for text in ("Kestrel pilot", "Kestrel pilot GmbH", "2,500.50 EUR", "Maria",
                 "Northwind rollout", "Tom's big deal", "Tom"):
        assert text in prospecting
    assert _column(body, "Proposal").startswith("Proposal 1 opportunity 4,000.00 EUR")
    assert _column(body, "Won").startswith("Won 0 opportunities 0.00 EUR")
    # Each card's keyboard form: every stage but its own, with the CSRF token.
    form = re.search(rf'<form method="post" action="/sales/board/{story["orbit"].id}/move">'
                     r"(.*?)</form>", body, re.DOTALL)[1]
    assert 'name="csrf_token"' in form and 'name="version" value="2"' in form
    assert re.findall(r'<option value="([^"]+)"', form) == [
        "Prospecting", "Qualification", "Negotiation", "Won", "Lost"]
    assert '<script src="/sales/static/board.js" defer></script>' in body
    script = client.get("/sales/static/board.js")
    assert script.status_code == 200 and b"dragstart" in script.data
    assert 'href="/sales/board"' in client.get("/").get_data(as_text=True)  # navigation


def test_the_board_of_another_pipeline_and_an_unknown_one(kernel, story, make_page_client):
    _deal(kernel, "Renewal of Acme", story["maria"], pipeline="renewals")
    client = make_page_client(user=story["ada"])
    body = client.get("/sales/board?pipeline=renewals").get_data(as_text=True)
    assert re.findall(r'<h2 class="board-head"[^>]*>([^<]+)</h2>', body) == [
        "Upcoming", "Negotiation", "Renewed", "Churned"]
    assert "Renewal of Acme" in _column(body, "Upcoming")
    assert "Northwind rollout" not in body
    missing = client.get("/sales/board?pipeline=nope")
    assert missing.status_code == 404
    assert "No pipeline 'nope' (pipelines: new_business, renewals)." in _text(
        missing.get_data(as_text=True))


def test_a_salesperson_sees_only_their_own_cards_and_cannot_move_anothers(kernel, story,
                                                                          make_page_client):
    client = make_page_client(user=story["tom"])
    body = client.get("/sales/board").get_data(as_text=True)
    prospecting = _column(body, "Prospecting")
    assert prospecting.startswith("Prospecting 1 opportunity 9,000.00 EUR")
    assert "Tom's big deal" in prospecting
    for other in ("Northwind rollout", "Kestrel pilot", "Orbit upgrade", "12,500.50"):
        assert other not in body
    refused = client.post(f"/sales/board/{story['northwind'].id}/move",
                          data={"stage": "Proposal"})
    assert refused.status_code == 404
    assert _stage(kernel, story["northwind"].id) == "Prospecting"
    as_json = client.post(f"/sales/board/{story['northwind'].id}/move",
                          data={"stage": "Proposal"}, csrf=False,
                          headers={"Accept": "application/json",
                                   "X-CSRF-Token": client.csrf_token})
    assert as_json.status_code == 404 and as_json.json["ok"] is False
    assert _stage(kernel, story["northwind"].id) == "Prospecting"


def test_moving_a_card_by_its_form_and_the_stage_history_panel(kernel, story, make_page_client):
    client = make_page_client(user=story["maria"])
    deal = story["northwind"]
    response = client.post(f"/sales/board/{deal.id}/move", data={
        "stage": "Qualification", "version": "1", "reason": ""})
    assert response.status_code == 302
    assert response.location.endswith(f"/sales/board?pipeline=new_business#card-{deal.id}")
    assert _stage(kernel, deal.id) == "Qualification"
    body = client.get(response.location).get_data(as_text=True)
    assert "Moved “Northwind rollout” from Prospecting to Qualification." in _text(body)
    assert "Northwind rollout" in _column(body, "Qualification")
    assert "Northwind rollout" not in _column(body, "Prospecting")
    page = client.get(f"/records/sales.opportunity/{deal.id}").get_data(as_text=True)
    panel = re.search(r'<h2[^>]*>Stage history</h2>(.*?)</section>', page, re.DOTALL)[1]
    cells = [_text(c) for c in re.findall(r"<td>(.*?)</td>", panel, re.DOTALL)]
    assert cells[:2] == ["Qualification", "Prospecting"]
    assert cells[2].startswith("today ") and cells[3] == "maria@example.com"
    fresh = client.get(f"/records/sales.opportunity/{story['kestrel'].id}")
    assert ("Not moved yet: in Prospecting since it was created"
            in _text(fresh.get_data(as_text=True)))


def test_a_refused_move_shows_why_and_changes_nothing(kernel, story, make_page_client):
    client = make_page_client(user=story["maria"])
    deal = story["kestrel"]
    lost = client.post(f"/sales/board/{deal.id}/move", data={
        "stage": "Lost", "version": "1"})
    body = lost.get_data(as_text=True)
    assert lost.status_code == 422
    alert = re.search(r'<div id="board-alert" role="alert">(.*?)</div>', body, re.DOTALL)[1]
    assert _text(alert) == ("“Kestrel pilot” stays in Prospecting: Give a loss reason to "
                            "move the opportunity to the lost stage 'Lost'.")
    assert "Kestrel pilot" in _column(body, "Prospecting")
    stale = client.post(f"/sales/board/{deal.id}/move", data={
        "stage": "Proposal", "version": "7"})
    assert stale.status_code == 412
    assert ("“Kestrel pilot” stays in Prospecting: sales.opportunity "
            f"{deal.id} is at version 1, not 7; reload it and try again."
            in _text(stale.get_data(as_text=True)))
    assert _stage(kernel, deal.id) == "Prospecting"
    with kernel.bound():
        assert StageChange.select().where(StageChange.opportunity == deal.id).count() == 0
    # With a reason, the same move closes it as lost.
    done = client.post(f"/sales/board/{deal.id}/move", data={
        "stage": "Lost", "version": "1", "reason": "Budget cut"})
    assert done.status_code == 302
    with kernel.bound():
        closed = Opportunity.get_by_id(deal.id)
    assert (closed.stage, closed.loss_reason) == ("Lost", "Budget cut")
    without_token = client.post(f"/sales/board/{story['orbit'].id}/move",
                                data={"stage": "Won"}, csrf=False)
    assert without_token.status_code == 400
    assert _stage(kernel, story["orbit"].id) == "Proposal"


def test_the_scripts_move_answers_json_with_the_new_headers(kernel, story, make_page_client):
    client = make_page_client(user=story["maria"])
    headers = {"Accept": "application/json", "X-CSRF-Token": client.csrf_token}
    deal = story["northwind"]
    answer = client.post(f"/sales/board/{deal.id}/move", headers=headers, csrf=False,
                         data={"stage": "Proposal", "version": "1"})
    assert answer.status_code == 200
    assert answer.json["ok"] is True and answer.json["version"] == 2
    assert answer.json["message"] == "Moved “Northwind rollout” from Prospecting to Proposal."
    columns = {c["stage"]: (c["count_text"], c["total_text"]) for c in answer.json["columns"]}
    assert columns["Prospecting"] == ("1 opportunity", "2,500.50 EUR")
    assert columns["Proposal"] == ("2 opportunities", "5,000.00 EUR")
    stale = client.post(f"/sales/board/{deal.id}/move", headers=headers, csrf=False,
                        data={"stage": "Negotiation", "version": "1"})
    assert stale.status_code == 412 and stale.json["ok"] is False
    assert stale.json["message"].startswith("“Northwind rollout” stays in Proposal: ")
    assert _stage(kernel, deal.id) == "Proposal"


def test_competitors_veto_on_a_won_drop_is_the_message(kernel, story, make_page_client):
    rival = services.create(kernel, "competitors.competitor", {"name": "Salesflow Cloud"},
                            actor=SYSTEM)
    deal = story["orbit"]
    services.create(kernel, "competitors.involvement", {
        "opportunity_id": deal.id, "competitor_id": rival.id}, actor=SYSTEM)
    client = make_page_client(user=story["maria"])
    answer = client.post(f"/sales/board/{deal.id}/move",
                         headers={"Accept": "application/json", "X-CSRF-Token": client.csrf_token},
                         data={"stage": "Won", "version": "2", "reason": ""}, csrf=False)
    assert answer.status_code == 422
    assert answer.json == {"ok": False, "message": (
        "“Orbit upgrade” stays in Proposal: Give a win reason: the deal was contested by "
        "Salesflow Cloud.")}
    assert _stage(kernel, deal.id) == "Proposal"
    won = client.post(f"/sales/board/{deal.id}/move",
                      headers={"Accept": "application/json", "X-CSRF-Token": client.csrf_token},
                      data={"stage": "Won", "version": "2", "reason": "Better support"},
                      csrf=False)
    assert won.status_code == 200
    with kernel.bound():
        closed = Opportunity.get_by_id(deal.id)
    assert (closed.stage, closed.win_reason) == ("Won", "Better support")
    body = client.get("/sales/board").get_data(as_text=True)
    assert "Orbit upgrade" in _column(body, "Won")  # closed in the last 30 days


# The API routes -------------------------------------------------------------------------

def test_the_pipeline_summary_counts_what_the_reader_may_read(kernel, story,
                                                              make_api_client):
    admin = make_api_client("admin")
    answer = admin.get("/api/v1/sales/pipeline")
    assert answer.status_code == 200
    assert answer.json["base_currency"] == "EUR"
    first, second = answer.json["pipelines"]
    assert (first["name"], second["name"]) == ("new_business", "renewals")
    stages = {s["name"]: s for s in first["stages"]}
    assert stages["Prospecting"] == {
        "name": "Prospecting", "kind": "open", "probability": 10, "count": 3,
        "value": {"amount": "12500.50", "currency": "EUR"}, "unconverted": []}
    assert stages["Proposal"]["count"] == 1 and stages["Won"]["count"] == 0
    assert first["open_count"] == 4
    assert first["open_value"] == {"amount": "16500.50", "currency": "EUR"}
    renewals = admin.get("/api/v1/sales/pipeline?pipeline=renewals")
    assert [p["name"] for p in renewals.json["pipelines"]] == ["renewals"]
    assert renewals.json["pipelines"][0]["open_count"] == 0
    unknown = admin.get("/api/v1/sales/pipeline?pipeline=nope")
    assert problem(unknown, 404)["detail"] == ("no pipeline 'nope' (pipelines: "
                                               "new_business, renewals)")
    bad = admin.get("/api/v1/sales/pipeline?colour=red")
    assert problem(bad, 400)["errors"] == {"colour": ["unknown parameter"]}


def test_the_stage_history_route_and_its_404(kernel, story, make_api_client):
    deal = story["northwind"]
    move_opportunity(kernel, deal.id, "Qualification", actor=SYSTEM)
    move_opportunity(kernel, deal.id, "Negotiation", actor=SYSTEM)
    admin = make_api_client("admin")
    answer = admin.get(f"/api/v1/sales/opportunities/{deal.id}/stages")
    assert answer.status_code == 200
    body = answer.json
    assert (body["opportunity_id"], body["pipeline"], body["stage"]) == (
        deal.id, "new_business", "Negotiation")
    assert [(m["from_stage"], m["to_stage"], m["by"]) for m in body["moves"]] == [
        ("Prospecting", "Qualification", "test"), ("Qualification", "Negotiation", "test")]
    assert body["moves"][0]["at"].endswith("+00:00")
    sales = make_api_client("sales")
    hidden = sales.get(f"/api/v1/sales/opportunities/{deal.id}/stages")
    problem(hidden, 404)
    assert "Northwind" not in hidden.get_data(as_text=True)
    problem(admin.get("/api/v1/sales/opportunities/999999/stages"), 404)


def test_a_salespersons_summary_counts_their_own_deals_only(kernel, make_api_client):
    sales = make_api_client("sales", email="sam@example.com")
    with kernel.bound():
        sam = User.get(User.email == "sam@example.com")
    other = _user(kernel, "other@example.com", "sales")
    _deal(kernel, "Sam's deal", sam, "700.00")
    _deal(kernel, "Someone else's", other, "5000.00")
    answer = sales.get("/api/v1/sales/pipeline?pipeline=new_business")
    prospecting = answer.json["pipelines"][0]["stages"][0]
    assert (prospecting["count"], prospecting["value"]["amount"]) == (1, "700.00")
    admin = make_api_client("admin")
    everyone = admin.get("/api/v1/sales/pipeline?pipeline=new_business")
    assert everyone.json["pipelines"][0]["stages"][0]["count"] == 2


def test_adding_one_stage_through_the_api(kernel, story, make_api_client):
    admin = make_api_client("admin")
    added = admin.post("/api/v1/sales/pipelines/new_business/stages",
                       json={"name": "Demo", "probability": 40, "position": 3})
    assert added.status_code == 201
    assert [s["name"] for s in added.json["stages"]] == [
        "Prospecting", "Qualification", "Demo", "Proposal", "Negotiation", "Won", "Lost"]
    assert added.json["stages"][2] == {"name": "Demo", "probability": 40, "kind": "open"}
    assert [s["name"] for s in kernel.settings("sales")["pipelines"]["renewals"]] == [
        "Upcoming", "Negotiation", "Renewed", "Churned"]  # the other pipeline kept
    default = admin.post("/api/v1/sales/pipelines/renewals/stages",
                         json={"name": "Review", "probability": 70})
    assert [s["name"] for s in default.json["stages"]] == [
        "Upcoming", "Negotiation", "Review", "Renewed", "Churned"]
    twice = admin.post("/api/v1/sales/pipelines/new_business/stages",
                       json={"name": "Closed", "probability": 100, "kind": "won"})
    assert problem(twice, 422)["errors"] == {"settings": [
        "plugins.settings.sales.pipelines: new_business: needs exactly one won stage "
        "(found 2)"]}  # the settings service's own message, as PATCH settings gives
    bad = admin.post("/api/v1/sales/pipelines/new_business/stages",
                     json={"name": "", "probability": 140})
    assert set(problem(bad, 400)["errors"]) == {"name", "probability"}
    problem(admin.post("/api/v1/sales/pipelines/nope/stages",
                       json={"name": "X", "probability": 5}), 404)
    refused = make_api_client("sales").post("/api/v1/sales/pipelines/new_business/stages",
                                            json={"name": "Mine", "probability": 5})
    assert "admin.plugins" in problem(refused, 403)["detail"]
    assert len(kernel.settings("sales")["pipelines"]["new_business"]) == 7


# The stages page -------------------------------------------------------------------------

def test_the_stages_page_adds_renames_and_moves_one_stage(kernel, story, make_page_client):
    client = make_page_client(user=story["ada"])
    page = client.get("/sales/stages")
    assert page.status_code == 200
    assert "Add a stage" in _text(page.get_data(as_text=True))
    added = client.post("/sales/stages/new_business/add", data={
        "name": "Demo", "probability": "40", "kind": "open", "position": "3"})
    assert added.status_code == 302 and added.location.endswith("#pipeline-new_business")
    names = [s["name"] for s in kernel.settings("sales")["pipelines"]["new_business"]]
    assert names == ["Prospecting", "Qualification", "Demo", "Proposal", "Negotiation",
                     "Won", "Lost"]
    assert "Added the stage “Demo” to the new_business pipeline." in _text(
        client.get(added.location).get_data(as_text=True))
    renamed = client.post("/sales/stages/new_business/rename", data={
        "stage": "Demo", "name": "Product demo"})
    assert renamed.status_code == 302
    moved = client.post("/sales/stages/new_business/move", data={
        "stage": "Product demo", "position": "4"})
    assert moved.status_code == 302
    names = [s["name"] for s in kernel.settings("sales")["pipelines"]["new_business"]]
    assert names[2:4] == ["Proposal", "Product demo"]
    board = client.get("/sales/board").get_data(as_text=True)
    assert re.findall(r'<h2 class="board-head"[^>]*>([^<]+)</h2>', board)[3] == "Product demo"


def test_the_stages_page_shows_the_settings_refusals(kernel, story, make_page_client):
    client = make_page_client(user=story["ada"])
    busy = client.post("/sales/stages/new_business/rename", data={
        "stage": "Prospecting", "name": "Discovery"})
    assert busy.status_code == 422
    text = _text(busy.get_data(as_text=True))
    assert ("The stage 'Prospecting' of the new_business pipeline cannot go: 3 "
            "opportunities are in it; move them to another stage first." in text)
    twice = client.post("/sales/stages/new_business/add", data={
        "name": "qualification", "probability": "30", "kind": "open", "position": ""})
    assert twice.status_code == 422
    body = twice.get_data(as_text=True)
    assert "new_business: the stage name 'qualification' is used twice." in _text(body)
    assert 'value="qualification" aria-invalid="true"' in body  # kept for fixing
    no_number = client.post("/sales/stages/new_business/add", data={
        "name": "Demo", "probability": "lots", "kind": "open"})
    assert no_number.status_code == 422
    assert "Probability: Give a whole number, not 'lots'." in _text(
        no_number.get_data(as_text=True))
    assert [s["name"] for s in kernel.settings("sales")["pipelines"]["new_business"]] == [
        "Prospecting", "Qualification", "Proposal", "Negotiation", "Won", "Lost"]


def test_the_stages_page_needs_the_permission_to_configure_plugins(kernel, story,
                                                                   make_page_client):
    client = make_page_client(user=story["maria"])
    page = client.get("/sales/stages")
    assert page.status_code == 403
    assert "admin.plugins" in _text(page.get_data(as_text=True))
    refused = client.post("/sales/stages/new_business/add", data={
        "name": "Mine", "probability": "5"})
    assert refused.status_code == 403
    assert len(kernel.settings("sales")["pipelines"]["new_business"]) == 6
    assert "Edit the stages" not in client.get("/sales/board").get_data(as_text=True)


def test_amounts_without_an_exchange_rate_are_shown_apart(kernel, story, make_page_client,
                                                          make_api_client):
    dollars = _deal(kernel, "Dollar deal", story["maria"], "300.00", "USD")
    move_opportunity(kernel, dollars.id, "Qualification", actor=SYSTEM)
    client = make_page_client(user=story["ada"])
    body = client.get("/sales/board").get_data(as_text=True)
    assert _column(body, "Qualification").startswith(
        "Qualification 1 opportunity 0.00 EUR + 300.00 USD (no rate)")
    answer = make_api_client("admin").get("/api/v1/sales/pipeline?pipeline=new_business")
    qualification = answer.json["pipelines"][0]["stages"][1]
    assert qualification["count"] == 1
    assert qualification["value"] == {"amount": "0.00", "currency": "EUR"}
    assert qualification["unconverted"] == [{"amount": "300.00", "currency": "USD"}]
