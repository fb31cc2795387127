"""Competitors on deals: linking them, the veto on closing a contested deal (through
sales' hook), the outcome kept for win/loss, and deletes that would orphan links."""

from __future__ import annotations

import pytest

import accord_competitors.hooks
import accord_sales.hooks
from accord import services
from accord.errors import Conflict, NotFound, PermissionDenied, ValidationError
from accord.services import Actor
from accord.services.authz import actor_for
from accord_competitors.models import Involvement, Outcome
from accord_sales.models import Opportunity
from accord_sales.services import move_opportunity
from accord_sdk.assertions import refused

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.plugins(accord_sales.hooks, accord_competitors.hooks)
OPPORTUNITIES = "/api/v1/sales/opportunities"
INVOLVEMENTS = "/api/v1/competitors/involvements"



@pytest.fixture
def contested(rivals, helpers):
    """Seats (1,200 EUR) contested by Rival Inc and Cheapo Ltd."""
    rival, cheapo = helpers.competitor(rivals), helpers.competitor(rivals, "Cheapo Ltd")
    deal = helpers.opportunity(rivals, "Seats", "1200")
    helpers.link(rivals, deal, rival, quoted_price=helpers.money("990"))
    helpers.link(rivals, deal, cheapo)
    return rivals, deal, rival, cheapo


def _outcomes(kernel, helpers):
    return [(o.opportunity_id, o.result, o.amount, o.currency, o.lost_to_id, o.reason)
            for o in helpers.rows(kernel, Outcome)]


# Linking competitors ----------------------------------------------------------------

def test_a_competitor_is_linked_to_a_deal_with_its_quoted_price(contested, helpers):
    kernel, deal, rival, _ = contested
    [first, _] = helpers.rows(kernel, Involvement)
    assert (first.opportunity_id, first.competitor_id, first.quoted_price,
            first.quoted_price_currency) == (deal.id, rival.id, 990, "EUR")
    assert services.dump(kernel, "competitors.involvement", first)["quoted_price"] == {
        "amount": "990.00", "currency": "EUR"}


@pytest.mark.parametrize(("fields", "messages"), [
    ({"opportunity_id": 999}, {"opportunity_id": ["there is no sales opportunity 999"]}),
    ({"competitor_id": 999}, {"competitor_id": ["there is no competitor 999"]}),
    ({"quoted_price": {"amount": "-1", "currency": "EUR"}},
     {"quoted_price": ["The amount may not be negative."]}),
    ({"opportunity_id": None}, {"opportunity_id": ["Field may not be null."]}),
])
def test_a_bad_link_names_its_field(contested, helpers, fields, messages):
    kernel, deal, _, _ = contested
    other = helpers.competitor(kernel, "Other")
    data = {"opportunity_id": deal.id, "competitor_id": other.id, **fields}
    assert refused(lambda: services.create(kernel, "competitors.involvement", data,
                                            actor=SYSTEM)) == messages


def test_a_competitor_is_linked_once_per_deal(contested, helpers):
    kernel, deal, rival, _ = contested
    [first, _] = helpers.rows(kernel, Involvement)
    assert refused(lambda: helpers.link(kernel, deal, rival)) == {"competitor_id": [
        f"competitor {rival.id} is already linked to opportunity {deal.id} "
        f"(competitors.involvement {first.id})"]}
    other = helpers.opportunity(kernel, "Desks")
    third = helpers.competitor(kernel, "Third")
    with pytest.raises(ValidationError) as caught:
        services.bulk_create(kernel, "competitors.involvement", [
            {"opportunity_id": other.id, "competitor_id": third.id},
            {"opportunity_id": other.id, "competitor_id": third.id}], actor=SYSTEM)
    assert caught.value.messages == {"rows[1].competitor_id": [
        f"competitor {third.id} appears twice for opportunity {other.id} (also in rows[0])"]}


def test_a_link_keeps_its_deal_and_competitor_but_its_price_and_notes_change(contested, helpers):
    kernel, deal, _, cheapo = contested
    [first, _] = helpers.rows(kernel, Involvement)
    assert refused(lambda: services.update(kernel, "competitors.involvement", first.id, {
        "competitor_id": cheapo.id}, actor=SYSTEM)) == {"competitor_id": [
            "a link stays between its opportunity and its competitor; delete it and link "
            "the competitor again"]}
    changed = services.update(kernel, "competitors.involvement", first.id, {
        "quoted_price": helpers.money("950"), "notes": "Dropped their price"}, actor=SYSTEM)
    assert (changed.quoted_price, changed.notes, changed.version) == (
        950, "Dropped their price", 2)


def test_a_closed_deal_takes_no_new_competitor(contested, helpers):
    kernel, deal, rival, cheapo = contested
    move_opportunity(kernel, deal.id, "Lost", loss_reason="Price",
                     details={"lost_to": rival.id}, actor=SYSTEM)
    late = helpers.competitor(kernel, "Latecomer")
    assert refused(lambda: helpers.link(kernel, deal, late)) == {"opportunity_id": [
        f"opportunity {deal.id} (Seats) is closed (Lost); competitors are linked to open "
        "deals: reopen it first"]}


def test_a_salesperson_links_competitors_to_their_own_deals_only(contested, make_api_client,
                                                                 helpers):
    kernel, deal, rival, _ = contested
    client = make_api_client("sales")
    response = client.post(INVOLVEMENTS, json={"opportunity_id": deal.id,
                                               "competitor_id": helpers.competitor(kernel, "X").id})
    # Not theirs (rule: own), so it is as if it did not exist.
    assert helpers.problem(response, 422)["errors"] == {"opportunity_id": [
        f"there is no sales opportunity {deal.id}"]}
    mine = helpers.opportunity(kernel, "Mine", owner_id=client.user.id)
    response = client.post(INVOLVEMENTS, json={"opportunity_id": mine.id,
                                               "competitor_id": rival.id})
    assert response.status_code == 201, response.get_json()
    read_only = make_api_client("read-only")
    response = read_only.post(INVOLVEMENTS, json={"opportunity_id": mine.id,
                                                  "competitor_id": rival.id})
    assert helpers.problem(response, 403)["detail"].endswith(
        "lacks the permission competitors.involvement.write")


# Closing a contested deal -----------------------------------------------------------

def test_losing_a_contested_deal_needs_the_competitor_it_went_to(contested, helpers):
    kernel, deal, rival, cheapo = contested
    messages = refused(lambda: move_opportunity(kernel, deal.id, "Lost", loss_reason="Price",
                                                 actor=SYSTEM))
    assert messages == {"details.lost_to": [
        f'name the competitor this deal was lost to: {cheapo.id} (Cheapo Ltd) or {rival.id} '
        '(Rival Inc), or "none" if it went to none of them']}
    [stored] = helpers.rows(kernel, Opportunity)
    assert (stored.stage, stored.loss_reason, stored.version) == ("Prospecting", None, 1)
    assert helpers.count(kernel, Outcome) == 0
    lost = move_opportunity(kernel, deal.id, "Lost", loss_reason="Price",
                            details={"lost_to": rival.id}, actor=SYSTEM)
    assert (lost.stage, lost.loss_reason) == ("Lost", "Price")
    assert _outcomes(kernel, helpers) == [(deal.id, "lost", 1200, "EUR", rival.id, "Price")]


@pytest.mark.parametrize(("lost_to", "message"), [
    ("abc", 'give the id of a competitor (a number) or "none", not \'abc\''),
    (True, 'give the id of a competitor (a number) or "none", not True'),
    (999, "competitor 999 is not linked to this opportunity; use {cheapo} (Cheapo Ltd) or "
          '{rival} (Rival Inc), or "none"'),
])
def test_a_wrong_lost_to_is_named(contested, lost_to, message):
    kernel, deal, rival, cheapo = contested
    assert refused(lambda: move_opportunity(kernel, deal.id, "Lost", loss_reason="Price",
                                             details={"lost_to": lost_to}, actor=SYSTEM)) == {
        "details.lost_to": [message.format(rival=rival.id, cheapo=cheapo.id)]}


@pytest.mark.parametrize("none", ["none", None])
def test_a_deal_may_go_to_none_of_its_competitors(contested, helpers, none):
    kernel, deal, _, _ = contested
    move_opportunity(kernel, deal.id, "Lost", loss_reason="Project cancelled",
                     details={"lost_to": none}, actor=SYSTEM)
    assert _outcomes(kernel, helpers) == [(deal.id, "lost", 1200, "EUR", None, "Project cancelled")]


def test_winning_a_contested_deal_needs_a_win_reason(contested, helpers):
    kernel, deal, rival, _ = contested
    assert refused(lambda: move_opportunity(kernel, deal.id, "Won", actor=SYSTEM)) == {
        "win_reason": ["give a win reason: the deal was contested by Cheapo Ltd and Rival Inc"]}
    assert refused(lambda: move_opportunity(kernel, deal.id, "Won", win_reason="Service",
                                             details={"lost_to": rival.id}, actor=SYSTEM)) == {
        "details.lost_to": ["only a lost deal is lost to a competitor"]}
    move_opportunity(kernel, deal.id, "Won", win_reason="Service", actor=SYSTEM)
    assert _outcomes(kernel, helpers) == [(deal.id, "won", 1200, "EUR", None, "Service")]


def test_reopening_forgets_the_outcome_and_closing_again_records_the_new_one(contested, helpers):
    kernel, deal, rival, cheapo = contested
    move_opportunity(kernel, deal.id, "Lost", loss_reason="Price",
                     details={"lost_to": rival.id}, actor=SYSTEM)
    move_opportunity(kernel, deal.id, "Negotiation", actor=SYSTEM)
    assert helpers.count(kernel, Outcome) == 0
    move_opportunity(kernel, deal.id, "Lost", loss_reason="Features",
                     details={"lost_to": cheapo.id}, actor=SYSTEM)
    assert _outcomes(kernel, helpers) == [(deal.id, "lost", 1200, "EUR", cheapo.id, "Features")]


def test_an_uncontested_deal_closes_as_sales_alone_would(rivals, helpers):
    deal = helpers.opportunity(rivals, "Quiet", "500")
    move_opportunity(rivals, deal.id, "Won", actor=SYSTEM)
    other = helpers.opportunity(rivals, "Quiet too", "500")
    named = helpers.competitor(rivals)
    assert refused(lambda: move_opportunity(rivals, other.id, "Lost", loss_reason="Price",
                                             details={"lost_to": named.id}, actor=SYSTEM)) == {
        "details.lost_to": [f"competitor {named.id} is not linked to this opportunity; link it "
                            "first (POST /api/v1/competitors/involvements) or leave "
                            "details.lost_to out"]}
    move_opportunity(rivals, other.id, "Lost", loss_reason="Price", actor=SYSTEM)
    assert helpers.count(rivals, Outcome) == 0


def test_the_veto_through_the_api_is_a_422_and_writes_nothing(contested, api_client, helpers):
    kernel, deal, rival, _ = contested
    url = f"{OPPORTUNITIES}/{deal.id}/move"
    response = api_client.post(url, json={"stage": "Lost", "loss_reason": "Price"})
    errors = helpers.problem(response, 422)["errors"]
    assert list(errors) == ["details.lost_to"]
    assert errors["details.lost_to"][0].startswith("name the competitor this deal was lost to")
    assert helpers.rows(kernel, Opportunity)[0].stage == "Prospecting"
    response = api_client.post(url, json={"stage": "Lost", "loss_reason": "Price",
                                          "details": {"lost_to": rival.id}})
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["stage"], _outcomes(kernel, helpers)[0][4]) == ("Lost", rival.id)


def test_the_outcome_keeps_the_deal_owner_and_team(rivals, helpers):
    user = services.create(rivals, "user", {"email": "ana@example.com", "name": "Ana",
                                            "role": "sales"}, actor=SYSTEM)
    team = services.create(rivals, "team", {"name": "Field"}, actor=SYSTEM)
    deal = helpers.opportunity(rivals, "Owned", "10", owner_id=user.id, team_id=team.id)
    helpers.link(rivals, deal, helpers.competitor(rivals))
    move_opportunity(rivals, deal.id, "Lost", loss_reason="Price",
                     details={"lost_to": "none"}, actor=actor_for(rivals, user))
    [outcome] = helpers.rows(rivals, Outcome)
    assert (outcome.owner_id, outcome.team_id) == (user.id, team.id)


# Deletes ----------------------------------------------------------------------------

def test_a_contested_deal_is_deleted_once_its_links_are(contested, helpers):
    kernel, deal, _, _ = contested
    with pytest.raises(Conflict) as caught:
        services.delete(kernel, "sales.opportunity", deal.id, actor=SYSTEM)
    assert str(caught.value) == (
        f"opportunity {deal.id} is contested by 2 competitors (competitors plugin); delete "
        "those links first (DELETE /api/v1/competitors/involvements/<id>)")
    for link in helpers.rows(kernel, Involvement):
        services.delete(kernel, "competitors.involvement", link.id, actor=SYSTEM)
    services.delete(kernel, "sales.opportunity", deal.id, actor=SYSTEM)
    with pytest.raises(NotFound):
        services.get(kernel, "sales.opportunity", deal.id)


def test_a_competitor_in_use_is_kept(contested, api_client, helpers):
    kernel, _, rival, _ = contested
    response = api_client.delete(f"/api/v1/competitors/competitors/{rival.id}")
    assert helpers.problem(response, 409)["detail"] == (
        f"competitor {rival.id} has 1 opportunity link; set its status to inactive "
        "instead, or delete those first")
    unused = helpers.competitor(kernel, "Unused")
    assert api_client.delete(f"/api/v1/competitors/competitors/{unused.id}").status_code == 204


def test_read_only_neither_moves_deals_nor_writes_competitors(contested, make_api_client,
                                                             helpers):
    kernel, deal, _, _ = contested
    client = make_api_client("read-only")
    response = client.post(f"{OPPORTUNITIES}/{deal.id}/move", json={"stage": "Won"})
    assert helpers.problem(response, 403)["status"] == 403
    with pytest.raises(PermissionDenied):
        services.create(kernel, "competitors.competitor", {"name": "Nope"},
                        actor=actor_for(kernel, client.user))


def test_a_closed_deals_competitors_stay_as_its_win_loss_history(contested, helpers):
    kernel, deal, rival, _ = contested
    move_opportunity(kernel, deal.id, "Lost", loss_reason="Price",
                     details={"lost_to": rival.id}, actor=SYSTEM)
    [first, _] = helpers.rows(kernel, Involvement)
    with pytest.raises(Conflict, match=f"opportunity {deal.id} is closed; its competitors are "
                                       "its win/loss history: reopen it"):
        services.delete(kernel, "competitors.involvement", first.id, actor=SYSTEM)
    assert len(helpers.rows(kernel, Involvement)) == 2
    # Reopened, the deal's links may change again.
    move_opportunity(kernel, deal.id, "Proposal", actor=SYSTEM)
    services.delete(kernel, "competitors.involvement", first.id, actor=SYSTEM)
    assert len(helpers.rows(kernel, Involvement)) == 1
