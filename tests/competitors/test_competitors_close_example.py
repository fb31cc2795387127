"""A lost deal names the competitor it went to: the worked example of docs/competitors.md."""

import pytest

import accord_competitors.hooks
import accord_sales.hooks
from accord import services
from accord.errors import ValidationError
from accord.services import Actor
from accord.services.plugins import disable
from accord_competitors.reports import winloss
from accord_sales.services import move_opportunity

pytestmark = pytest.mark.plugins(accord_sales.hooks, accord_competitors.hooks)
actor = Actor.system("example")


def test_a_lost_deal_names_the_competitor_it_went_to(kernel):
    rival = services.create(kernel, "competitors.competitor", {"name": "Rival Inc"},
                            actor=actor)
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=actor)
    deal = services.create(kernel, "sales.opportunity", {
        "name": "Seats", "organization_id": org.id,
        "amount": {"amount": "1200", "currency": "EUR"}}, actor=actor)
    services.create(kernel, "competitors.involvement", {
        "opportunity_id": deal.id, "competitor_id": rival.id,
        "quoted_price": {"amount": "990", "currency": "EUR"}}, actor=actor)

    with pytest.raises(ValidationError) as caught:  # sales' closing hook, vetoed
        move_opportunity(kernel, deal.id, "Lost", loss_reason="Too dear", actor=actor)
    assert caught.value.messages == {"details.lost_to": [
        f'name the competitor this deal was lost to: {rival.id} (Rival Inc), or "none" '
        "if it went to none of them"]}

    move_opportunity(kernel, deal.id, "Lost", loss_reason="Too dear",
                     details={"lost_to": rival.id}, actor=actor)
    [row] = winloss(kernel)
    assert (row.name, row.deals, row.lost, row.revenue_lost) == ("Rival Inc", 1, 1,
                                                                 {"EUR": 1200})


def test_disabled_the_plugin_vetoes_nothing(kernel):
    org = services.create(kernel, "organization", {"name": "Acme"}, actor=actor)
    deal = services.create(kernel, "sales.opportunity", {"name": "Seats",
                                                         "organization_id": org.id},
                           actor=actor)
    rival = services.create(kernel, "competitors.competitor", {"name": "Rival Inc"},
                            actor=actor)
    services.create(kernel, "competitors.involvement", {
        "opportunity_id": deal.id, "competitor_id": rival.id}, actor=actor)
    disable(kernel, "competitors", actor=actor)
    lost = move_opportunity(kernel, deal.id, "Lost", loss_reason="Too dear", actor=actor)
    assert lost.stage == "Lost"
