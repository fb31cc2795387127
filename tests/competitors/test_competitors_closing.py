"""Closing a contested deal as lost from its record page: the competitors' panel posts
sales' move action with ``details.lost_to``, which the generic action form cannot send."""

from __future__ import annotations

import pytest

import accord_competitors.hooks
import accord_sales.hooks
from accord import services
from accord.services import Actor
from accord_competitors.models import Outcome

pytestmark = pytest.mark.plugins(accord_sales.hooks, accord_competitors.hooks)

SYSTEM = Actor.system("test")


@pytest.fixture
def contested(kernel, make_page_client):
    rep = make_page_client("sales", email="rep@example.com")
    org = services.create(kernel, "organization", {"name": "Kestrel Ltd"}, actor=SYSTEM)
    deal = services.create(kernel, "sales.opportunity", {
        "name": "Fleet renewal", "owner_id": rep.user.id, "organization_id": org.id,
        "amount": {"amount": "1000", "currency": "EUR"}}, actor=SYSTEM)
    rival = services.create(kernel, "competitors.competitor", {"name": "Rival Inc"},
                            actor=SYSTEM)
    services.create(kernel, "competitors.involvement", {
        "opportunity_id": deal.id, "competitor_id": rival.id}, actor=SYSTEM)
    return rep, deal, rival


def _stored(kernel, deal):
    with kernel.bound():
        return kernel.records.get("sales.opportunity").model.get_by_id(deal.id)


def test_a_contested_deal_is_closed_as_lost_to_its_competitor(kernel, contested):
    rep, deal, rival = contested
    page = rep.get(f"/records/sales.opportunity/{deal.id}").get_data(as_text=True)
    assert ">Lost to a competitor</h2>" in page
    assert f'<option value="{rival.id}">Rival Inc</option>' in page
    done = rep.post(f"/competitors/deals/{deal.id}/lost", {
        "stage": "Lost", "lost_to": str(rival.id), "loss_reason": "price",
        "version": str(deal.version)})
    assert done.status_code == 302
    assert "Closed as lost." in rep.get(done.location).get_data(as_text=True)
    stored = _stored(kernel, deal)
    assert (stored.stage, stored.loss_reason) == ("Lost", "price")
    with kernel.bound():
        outcome = Outcome.get(Outcome.opportunity_id == deal.id)
    assert (outcome.result, outcome.lost_to_id, outcome.reason) == ("lost", rival.id, "price")
    closed = rep.get(f"/records/sales.opportunity/{deal.id}").get_data(as_text=True)
    assert ">Lost to a competitor</h2>" not in closed  # a closed deal has no such form


def test_a_refused_close_says_why_and_changes_nothing(kernel, contested):
    rep, deal, _ = contested
    answer = rep.post(f"/competitors/deals/{deal.id}/lost", {
        "stage": "Lost", "lost_to": "9999", "loss_reason": "price",
        "version": str(deal.version)})
    page = rep.get(answer.location).get_data(as_text=True)
    assert "Not closed: competitor 9999 is not linked to this opportunity" in page
    no_reason = rep.post(f"/competitors/deals/{deal.id}/lost", {
        "stage": "Lost", "lost_to": "none", "version": str(deal.version)})
    assert "Not closed: give a loss reason" in rep.get(no_reason.location).get_data(
        as_text=True)
    stale = rep.post(f"/competitors/deals/{deal.id}/lost", {
        "stage": "Lost", "lost_to": "none", "loss_reason": "price",
        "version": str(deal.version - 1)})
    assert "Not closed:" in rep.get(stale.location).get_data(as_text=True)
    assert _stored(kernel, deal).stage == "Prospecting"
    other = services.create(kernel, "user", {"email": "o@example.com", "name": "O",
                                             "role": "admin"}, actor=SYSTEM)
    services.update(kernel, "sales.opportunity", deal.id, {"owner_id": other.id},
                    actor=SYSTEM)
    hidden = rep.post(f"/competitors/deals/{deal.id}/lost", {
        "stage": "Lost", "lost_to": "none", "version": str(deal.version + 1)})
    assert hidden.status_code == 404  # another's deal now: the record rule's 404 page
