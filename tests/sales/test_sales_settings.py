"""Pipelines, stages, sources and channels come from the settings; a change that would
orphan opportunities is refused, naming the stage and how many are in it."""

from __future__ import annotations

import copy
import json

import pytest

import accord_sales.hooks
from accord import services
from accord.errors import ValidationError
from accord.services import Actor
from accord.services.plugins import set_settings
from accord_sales.models import Opportunity
from accord_sales.services import move_opportunity
from accord_sales.settings import DEFAULT_PIPELINES

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.plugins(accord_sales.hooks)


def _without(pipeline: str, *stages: str) -> dict:
    pipelines = copy.deepcopy(DEFAULT_PIPELINES)
    pipelines[pipeline] = [s for s in pipelines[pipeline] if s["name"] not in stages]
    return pipelines


def test_the_defaults_are_two_pipelines_and_the_usual_choices(sales):
    settings = sales.settings("sales")
    assert list(settings["pipelines"]) == ["new_business", "renewals"]
    assert [(s["name"], s["probability"], s["kind"]) for s in
            settings["pipelines"]["new_business"]] == [
        ("Prospecting", 10, "open"), ("Qualification", 25, "open"), ("Proposal", 50, "open"),
        ("Negotiation", 75, "open"), ("Won", 100, "won"), ("Lost", 0, "lost")]
    assert settings["default_pipeline"] == "new_business"
    assert settings["lead_sources"] == ["web form", "referral", "campaign", "trade show",
                                        "cold call"]
    assert settings["channels"] == ["telesales", "field", "e-commerce", "partner"]
    assert settings["currency"] == "EUR"


def test_pipelines_from_the_configuration_file_are_used(make_kernel, helpers):
    kernel = make_kernel(plugins=[accord_sales.hooks], enable=["sales"], plugin_settings={
        "sales": {"pipelines": {"projects": [
            {"name": "Scoping", "probability": 20}, {"name": "Signed", "probability": 100,
                                                     "kind": "won"},
            {"name": "Dropped", "probability": 0, "kind": "lost"}]},
            "default_pipeline": "projects", "currency": "CHF", "channels": ["direct"]}})
    deal = helpers.opportunity(kernel, "Audit", channel="direct")
    assert (deal.pipeline, deal.stage, deal.probability, deal.amount,
            deal.amount_currency) == ("projects", "Scoping", 20, 0, "CHF")


@pytest.mark.parametrize(("pipelines", "message"), [
    ({"x": [{"name": "A", "probability": 10}, {"name": "W", "probability": 100, "kind": "won"},
            {"name": "V", "probability": 100, "kind": "won"},
            {"name": "L", "probability": 0, "kind": "lost"}]},
     "x: needs exactly one won stage (found 2)"),
    ({"x": [{"name": "A", "probability": 10}, {"name": "W", "probability": 100, "kind": "won"},
            {"name": "B", "probability": 50}]},
     "x: needs at least one lost stage"),
    ({"x": [{"name": "A", "probability": 10}, {"name": "a", "probability": 20},
            {"name": "W", "probability": 100, "kind": "won"},
            {"name": "L", "probability": 0, "kind": "lost"}]},
     "x: the stage name 'a' is used twice"),
    ({"x": [{"name": "A", "probability": 10}, {"name": "W", "probability": 90, "kind": "won"},
            {"name": "L", "probability": 0, "kind": "lost"}]},
     "x: the won stage 'W' has probability 100, not 90"),
    ({"x": [{"name": "W", "probability": 100, "kind": "won"},
            {"name": "L", "probability": 0, "kind": "lost"},
            {"name": "M", "probability": 0, "kind": "lost"}]},
     "x: needs at least one open stage, where opportunities start"),
])
def test_a_pipeline_needs_one_won_a_lost_and_unique_stage_names(sales, pipelines, message):
    with pytest.raises(ValidationError) as caught:
        set_settings(sales, "sales", {"pipelines": pipelines, "default_pipeline": "x"},
                     actor=SYSTEM)
    assert caught.value.messages == {"settings": [f"plugins.settings.sales.pipelines: {message}"]}
    assert list(sales.settings("sales")["pipelines"]) == ["new_business", "renewals"]


@pytest.mark.parametrize(("values", "message"), [
    ({"default_pipeline": "projects"},
     "plugins.settings.sales.default_pipeline: 'projects' is not one of the pipelines "
     "(new_business, renewals)"),
    ({"pipelines": {"New Business": DEFAULT_PIPELINES["new_business"]}},
     "plugins.settings.sales.pipelines.New Business.key: A pipeline name is lowercase letters, "
     "digits and '_' (at most 40), such as new_business."),
    ({"pipelines": {"new_business": [{"name": "A", "probability": 101}]}},
     "plugins.settings.sales.pipelines.new_business.value.0.probability: "
     "Must be greater than or equal to 0 and less than or equal to 100."),
    ({"currency": "XYZ"}, "plugins.settings.sales.currency: Not an ISO 4217 currency code: "
                          "'XYZ'."),
    ({"channels": ["field", "field"]}, "plugins.settings.sales.channels: 'field' listed twice"),
    ({"colour": "red"}, "plugins.settings.sales.colour: unknown setting"),
])
def test_bad_settings_are_refused_by_name(sales, values, message):
    with pytest.raises(ValidationError) as caught:
        set_settings(sales, "sales", values, actor=SYSTEM)
    assert caught.value.messages == {"settings": [message]}


def test_a_stage_in_use_cannot_be_removed_until_its_opportunities_move(sales, helpers):
    first = helpers.opportunity(sales, "First", stage="Proposal")
    helpers.opportunity(sales, "Second", stage="Proposal")
    helpers.opportunity(sales, "Third", stage="Qualification")
    with pytest.raises(ValidationError) as caught:
        set_settings(sales, "sales", {"pipelines": _without("new_business", "Proposal")},
                     actor=SYSTEM)
    assert caught.value.messages == {"pipelines": [
        "the stage 'Proposal' of the new_business pipeline cannot go: 2 opportunities are in "
        "it; move them to another stage first"]}
    assert [s["name"] for s in sales.settings("sales")["pipelines"]["new_business"]][2] == \
        "Proposal"

    # Removing a stage nobody is in is fine; so is removing Proposal once it is empty.
    set_settings(sales, "sales", {"pipelines": _without("new_business", "Prospecting")},
                 actor=SYSTEM)
    move_opportunity(sales, first.id, "Negotiation", actor=SYSTEM)
    with pytest.raises(ValidationError) as still:
        set_settings(sales, "sales", {"pipelines": _without("new_business", "Proposal")},
                     actor=SYSTEM)
    assert "cannot go: 1 opportunity is in it" in still.value.messages["pipelines"][0]
    second = next(o for o in helpers.rows(sales, Opportunity) if o.name == "Second")
    move_opportunity(sales, second.id, "Lost", loss_reason="Went quiet", actor=SYSTEM)
    now = set_settings(sales, "sales", {"pipelines": _without("new_business", "Proposal")},
                       actor=SYSTEM)
    assert [s["name"] for s in now["pipelines"]["new_business"]] == [
        "Prospecting", "Qualification", "Negotiation", "Won", "Lost"]


def test_a_pipeline_in_use_cannot_go_and_a_used_stage_keeps_its_kind(sales, helpers):
    helpers.opportunity(sales, "Renewal", pipeline="renewals")
    helpers.opportunity(sales, "Renewal 2", pipeline="renewals", stage="Negotiation")
    only_new = {"new_business": DEFAULT_PIPELINES["new_business"]}
    with pytest.raises(ValidationError) as caught:
        set_settings(sales, "sales", {"pipelines": only_new}, actor=SYSTEM)
    assert caught.value.messages == {"pipelines": [
        "the pipeline 'renewals' cannot go: 2 opportunities are in it (Upcoming: 1, "
        "Negotiation: 1)"]}

    flipped = copy.deepcopy(DEFAULT_PIPELINES)
    flipped["renewals"][0] = {"name": "Upcoming", "probability": 0, "kind": "lost"}
    flipped["renewals"][3]["kind"] = "open"  # the old lost stage, empty: may change
    flipped["renewals"][3]["probability"] = 5
    with pytest.raises(ValidationError) as turned:
        set_settings(sales, "sales", {"pipelines": flipped}, actor=SYSTEM)
    assert turned.value.messages == {"pipelines": [
        "the stage 'Upcoming' of the renewals pipeline cannot turn from open to lost: "
        "1 opportunity is in it"]}


def test_a_probability_change_keeps_the_probability_of_existing_deals(sales, helpers):
    deal = helpers.opportunity(sales, "Kept")
    cheaper = copy.deepcopy(DEFAULT_PIPELINES)
    cheaper["new_business"][0]["probability"] = 5
    set_settings(sales, "sales", {"pipelines": cheaper}, actor=SYSTEM)
    assert services.get(sales, "sales.opportunity", deal.id).probability == 10
    assert helpers.opportunity(sales, "New").probability == 5


def test_the_cli_and_the_api_refuse_the_same_change(sales, helpers, cli, make_api_client):
    helpers.opportunity(sales, "In proposal", stage="Proposal")
    message = ("the stage 'Proposal' of the new_business pipeline cannot go: 1 opportunity "
               "is in it; move them to another stage first")
    shrunk = _without("new_business", "Proposal")
    result = cli("plugins", "settings", "sales", f"pipelines={json.dumps(shrunk)}")
    assert result.exit_code == 1
    assert result.output == f"Error: invalid input:\n  pipelines: {message}\n"
    client = make_api_client("admin")
    problem = helpers.problem(client.put("/api/v1/plugins/sales/settings",
                                         json={"pipelines": shrunk}), 422)
    assert problem["errors"] == {"pipelines": [message]}
    assert len(sales.settings("sales")["pipelines"]["new_business"]) == 6
