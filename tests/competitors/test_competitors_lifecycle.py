"""The plugin's life: it is refused without sales, disabling it leaves sales working
and its rows in place, enabling it again brings them back (and catches up with the
deals closed meanwhile); intelligence notes appear on a competitor's timeline. (Its
migrations, tables and permissions are the conformance kit's:
tests/sdk/test_sdk_conformance_shipped.py.)"""

from __future__ import annotations

import datetime as dt

import pytest

import accord_competitors.hooks
import accord_sales.hooks
from accord import services
from accord.errors import NotFound, PluginError
from accord.services import Actor
from accord.services.plugins import disable, enable, purge
from accord_competitors.models import Involvement, Outcome
from accord_competitors.services import observe_price
from accord_sales.services import move_opportunity

SYSTEM = Actor.system("test")
BOTH = (accord_sales.hooks, accord_competitors.hooks)


# Without sales ---------------------------------------------------------------------

def test_enabling_without_sales_installed_is_refused(make_kernel):
    kernel = make_kernel(plugins=[accord_competitors.hooks])
    assert kernel.plugins.get("competitors").error is None  # it loads, then waits for sales
    with pytest.raises(PluginError) as caught:
        enable(kernel, "competitors", actor=SYSTEM, with_deps=True)
    assert str(caught.value) == "cannot enable competitors: sales (>=1,<2) is not installed"
    assert "competitors" not in kernel.plugins.active
    with kernel.bound():
        assert not [t for t in kernel.database.get_tables() if t.startswith("competitors_")]


def test_the_cli_names_what_is_missing(make_kernel):
    from accord_sdk.pytest_plugin import CliRunner

    kernel = make_kernel(plugins=[accord_competitors.hooks])
    result = CliRunner(kernel)("plugins", "enable", "competitors")
    assert (result.exit_code, result.output) == (
        1, "Error: cannot enable competitors: sales (>=1,<2) is not installed\n")


def test_enabling_with_sales_disabled_asks_for_it_first(make_kernel):
    kernel = make_kernel(plugins=list(BOTH))
    with pytest.raises(PluginError) as caught:
        enable(kernel, "competitors", actor=SYSTEM)
    assert str(caught.value) == ("cannot enable competitors: it requires sales (>=1,<2), not "
                                 "enabled; enable it first")
    assert enable(kernel, "competitors", actor=SYSTEM, with_deps=True) == ["sales",
                                                                           "competitors"]
    assert {"sales", "competitors"} <= kernel.plugins.active


def test_sales_cannot_go_while_competitors_needs_it(make_kernel, tmp_path):
    kernel = make_kernel(plugins=list(BOTH), enable=["sales", "competitors"])
    with pytest.raises(PluginError) as caught:
        disable(kernel, "sales", actor=SYSTEM)
    assert str(caught.value) == ("cannot disable sales: competitors requires it; disable it "
                                 "first")
    assert disable(kernel, "sales", actor=SYSTEM, cascade=True) == ["competitors", "sales"]
    assert kernel.plugins.active == {"core"}
    # Disabled, competitors still keeps links naming sales' deals: sales is not purged
    # under it (a new deal could take a purged one's id and inherit its competitors).
    with pytest.raises(PluginError) as caught:
        purge(kernel, "sales", export_to=tmp_path / "sales.json", actor=SYSTEM)
    assert str(caught.value) == ("cannot purge sales: competitors requires it and keeps data "
                                 "that may name its records; purge competitors first")
    assert not (tmp_path / "sales.json").exists()
    purge(kernel, "competitors", export_to=tmp_path / "competitors.json", actor=SYSTEM)
    purge(kernel, "sales", export_to=tmp_path / "sales.json", actor=SYSTEM)


# Disabling and enabling again ---------------------------------------------------------

@pytest.fixture
def contested(rivals, helpers):
    rival = helpers.competitor(rivals)
    deal = helpers.opportunity(rivals, "Seats", "1200")
    link = helpers.link(rivals, deal, rival, quoted_price=helpers.money("990"))
    return rivals, deal, rival, link


@pytest.mark.plugins(*BOTH)
def test_disabled_the_veto_is_gone_sales_works_and_the_links_stay(contested, api_client, helpers):
    kernel, deal, rival, link = contested
    disable(kernel, "competitors", actor=SYSTEM)
    assert "sales" in kernel.plugins.active
    response = api_client.get(f"/api/v1/competitors/involvements/{link.id}")
    assert helpers.problem(response, 404)["status"] == 404
    # No veto: sales closes the contested deal without naming a competitor.
    response = api_client.post(f"/api/v1/sales/opportunities/{deal.id}/move",
                               json={"stage": "Lost", "loss_reason": "Price"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["stage"] == "Lost"
    assert [(i.opportunity_id, i.competitor_id) for i in helpers.rows(kernel, Involvement)] == [
        (deal.id, rival.id)]
    assert helpers.count(kernel, Outcome) == 0  # its hooks did not run
    # A new deal lives its whole life in sales alone.
    other = helpers.opportunity(kernel, "Desks")
    move_opportunity(kernel, other.id, "Won", actor=SYSTEM)

    enable(kernel, "competitors", actor=SYSTEM)
    body = api_client.get(f"/api/v1/competitors/involvements/{link.id}").get_json()
    assert (body["opportunity_id"], body["competitor_id"], body["quoted_price"]) == (
        deal.id, rival.id, {"amount": "990.00", "currency": "EUR"})
    # The close it missed is caught up with: lost, to no competitor it knows of.
    assert [(o.opportunity_id, o.result, o.lost_to_id, o.reason)
            for o in helpers.rows(kernel, Outcome)] == [(deal.id, "lost", None, "Price")]
    # And its veto is back.
    move_opportunity(kernel, deal.id, "Negotiation", actor=SYSTEM)
    response = api_client.post(f"/api/v1/sales/opportunities/{deal.id}/move",
                               json={"stage": "Lost", "loss_reason": "Price"})
    assert list(helpers.problem(response, 422)["errors"]) == ["details.lost_to"]


@pytest.mark.plugins(*BOTH)
def test_links_of_a_deal_deleted_meanwhile_never_pass_to_a_new_one(contested, helpers):
    kernel, deal, rival, link = contested
    move_opportunity(kernel, deal.id, "Lost", loss_reason="Price",
                     details={"lost_to": rival.id}, actor=SYSTEM)
    disable(kernel, "competitors", actor=SYSTEM)
    services.delete(kernel, "sales.opportunity", deal.id, actor=SYSTEM)
    newer = helpers.opportunity(kernel, "Newer", "500")  # may take the deleted deal's id
    enable(kernel, "competitors", actor=SYSTEM)
    assert (helpers.count(kernel, Involvement), helpers.count(kernel, Outcome)) == (0, 0)
    lost = move_opportunity(kernel, newer.id, "Lost", loss_reason="Price", actor=SYSTEM)
    assert lost.stage == "Lost"  # no competitor's veto on a deal nobody contests


@pytest.mark.plugins(*BOTH)
def test_enabling_again_forgets_outcomes_of_deals_reopened_or_deleted_meanwhile(contested,
                                                                                 helpers):
    kernel, deal, rival, link = contested
    move_opportunity(kernel, deal.id, "Lost", loss_reason="Price",
                     details={"lost_to": rival.id}, actor=SYSTEM)
    gone = helpers.opportunity(kernel, "Gone")
    helpers.link(kernel, gone, rival)
    disable(kernel, "competitors", actor=SYSTEM)
    move_opportunity(kernel, deal.id, "Proposal", actor=SYSTEM)
    services.delete(kernel, "sales.opportunity", gone.id, actor=SYSTEM)
    enable(kernel, "competitors", actor=SYSTEM)
    assert helpers.count(kernel, Outcome) == 0
    assert [i.opportunity_id for i in helpers.rows(kernel, Involvement)] == [deal.id]


@pytest.mark.plugins(*BOTH)
def test_a_close_seen_by_the_plugin_is_kept_as_it_was(contested, helpers):
    kernel, deal, rival, _ = contested
    move_opportunity(kernel, deal.id, "Lost", loss_reason="Price",
                     details={"lost_to": rival.id}, actor=SYSTEM)
    disable(kernel, "competitors", actor=SYSTEM)
    enable(kernel, "competitors", actor=SYSTEM)
    assert [(o.result, o.lost_to_id) for o in helpers.rows(kernel, Outcome)] == [("lost", rival.id)]


@pytest.mark.plugins(*BOTH)
def test_the_sales_role_works_with_competitors_and_read_only_reads(rivals, make_api_client,
                                                                   helpers):
    seller = make_api_client("sales")
    made = seller.post("/api/v1/competitors/competitors", json={"name": "Rival Inc"})
    assert made.status_code == 201, made.get_json()
    reader = make_api_client("read-only")
    assert reader.get("/api/v1/competitors/competitors").get_json()["items"][0]["name"] == \
        "Rival Inc"
    refused = reader.post("/api/v1/competitors/competitors", json={"name": "Other"})
    assert helpers.problem(refused, 403)["detail"].endswith(
        "lacks the permission competitors.competitor.write")


# Timeline -----------------------------------------------------------------------------

@pytest.mark.plugins(*BOTH)
def test_notes_prices_and_deals_appear_on_the_competitor_timeline(rivals, helpers, api_client):
    rival = helpers.competitor(rivals)
    services.create(rivals, "activity", {
        "kind": "note", "subject": "News: Rival Inc bought by PE fund",
        "record_type": "competitors.competitor", "record_id": rival.id,
        "done_at": "2026-01-05T09:00:00+00:00"}, actor=SYSTEM)
    product = services.create(rivals, "competitors.product", {
        "competitor_id": rival.id, "name": "Throne"}, actor=SYSTEM)
    observe_price(rivals, product.id, helpers.money("125"), observed_on=dt.date(2026, 1, 3),
                  source="website", actor=SYSTEM)
    deal = helpers.opportunity(rivals, "Seats")
    helpers.link(rivals, deal, rival, quoted_price=helpers.money("990"))
    move_opportunity(rivals, deal.id, "Lost", loss_reason="Price",
                     details={"lost_to": rival.id}, actor=SYSTEM)
    entries = services.timeline(rivals, "competitors.competitor", rival.id)
    assert sorted((e.kind, e.title) for e in entries) == [
        ("activity.note", "News: Rival Inc bought by PE fund"),
        ("competitors.outcome", "Lost Seats to this competitor"),
        ("competitors.price", "Throne: 125.00 EUR on 2026-01-03")]
    body = api_client.get(f"/api/v1/competitors/competitors/{rival.id}/timeline").get_json()
    assert [item["kind"] for item in body["items"]] == [e.kind for e in entries]
    assert body["items"][-1]["details"] == {"done": True}  # the note, oldest
    on_deal = services.timeline(rivals, "sales.opportunity", deal.id)
    assert ("competitors.involvement", "Competitor: Rival Inc, quoted 990.00 EUR") in [
        (e.kind, e.title) for e in on_deal]


@pytest.mark.plugins(*BOTH)
def test_a_note_about_a_missing_competitor_is_refused(rivals):
    from accord.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.create(rivals, "activity", {
            "kind": "note", "subject": "x", "record_type": "competitors.competitor",
            "record_id": 99}, actor=SYSTEM)
    assert caught.value.messages == {"record_id": ["there is no competitors.competitor 99"]}


@pytest.mark.plugins(*BOTH)
def test_disabled_its_records_are_not_found(rivals, helpers):
    rival = helpers.competitor(rivals)
    disable(rivals, "competitors", actor=SYSTEM)
    with pytest.raises(NotFound):
        services.get(rivals, "competitors.competitor", rival.id)
    enable(rivals, "competitors", actor=SYSTEM)
    assert services.get(rivals, "competitors.competitor", rival.id).name == "Rival Inc"


@pytest.mark.plugins(*BOTH)
def test_hook_load_demo_data_builds_on_the_sales_demo(rivals, cli, helpers):
    from accord.demo import load_demo
    from accord_competitors.models import CompetingProduct, Competitor, PriceObservation

    load_demo(rivals)
    assert [helpers.count(rivals, m) for m in (Competitor, CompetingProduct, PriceObservation,
                                               Involvement, Outcome)] == [3, 3, 5, 6, 2]
    result = cli("competitors", "winloss")
    assert (result.exit_code, result.output.splitlines()[2:]) == (0, [
        "PipeCRM              1    1     0   100.00%              -",
        "Salesflow Cloud      1    0     1     0.00%  14,160.00 EUR"])
