"""Opportunities: defaults from the pipeline, the move verb and its stage history, the
stage-changed signal, and the closing hook other plugins veto through."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import accord_sales.hooks
from accord import services
from accord.errors import Conflict, ValidationError
from accord.hooks import hookimpl
from accord.models import AuditEntry
from accord.plugins import PluginManifest
from accord.services import Actor
from accord.services.plugins import disable, enable
from accord_sales.models import Lead, StageChange
from accord_sales.services import (convert_lead, current_stage_since, move_opportunity,
                                   stage_spells)
from accord_sales.signals import opportunity_stage_changed

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.plugins(accord_sales.hooks)


def _problem(call):
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.messages


# Defaults and rules ----------------------------------------------------------------

def test_a_new_opportunity_takes_the_default_pipeline_first_stage_and_its_probability(sales,
                                                                                      helpers):
    deal = helpers.opportunity(sales, "Seats")
    assert (deal.pipeline, deal.stage, deal.probability, deal.amount, deal.amount_currency,
            deal.closed_at, deal.loss_reason) == ("new_business", "Prospecting", 10,
                                                   Decimal(0), "EUR", None, None)


def test_the_probability_defaults_from_the_stage_and_can_be_overridden(sales, helpers):
    assert helpers.opportunity(sales, "A", stage="Proposal").probability == 50
    assert helpers.opportunity(sales, "B", pipeline="renewals").probability == 60
    own = helpers.opportunity(sales, "C", stage="Proposal", probability=35)
    assert own.probability == 35
    changed = services.update(sales, "sales.opportunity", own.id, {"probability": 40},
                              actor=SYSTEM)
    assert (changed.probability, changed.stage) == (40, "Proposal")


@pytest.mark.parametrize(("fields", "messages"), [
    ({"pipeline": "upsell"}, {"pipeline": [
        "'upsell' is not a pipeline; use one of new_business, renewals"]}),
    ({"stage": "Renewed"}, {"stage": [
        "'Renewed' is not a stage of the new_business pipeline; use one of Prospecting, "
        "Qualification, Proposal, Negotiation, Won, Lost"]}),
    ({"stage": "Won"}, {"stage": [
        "a new opportunity starts in an open stage, not in the won stage 'Won'; close it with "
        "the move action"]}),
    ({"loss_reason": "Too dear"}, {"loss_reason": ["only a lost opportunity has a loss reason"]}),
    ({"channel": "carrier pigeon"}, {"channel": [
        "'carrier pigeon' is not a sales channel; use one of telesales, field, e-commerce, "
        "partner"]}),
    ({"organization_id": None}, {"organization_id": [
        "give an organization or a contact (or both)"]}),
    ({"amount": {"amount": "-5", "currency": "EUR"}}, {"amount": [
        "The amount may not be negative."]}),
    ({"amount": {"amount": 1.5, "currency": "EUR"}}, {"amount": [
        "Give the amount as a string or an integer, not a float."]}),
    ({"probability": 101}, {"probability": [
        "Must be greater than or equal to 0 and less than or equal to 100."]}),
])
def test_bad_opportunities_are_refused_by_field(sales, helpers, fields, messages):
    org = helpers.org(sales)
    data = {"name": "Deal", "organization_id": org.id, **fields}
    assert _problem(lambda: services.create(sales, "sales.opportunity", data,
                                            actor=SYSTEM)) == messages


def test_the_stage_and_pipeline_do_not_change_through_an_update(sales, helpers):
    deal = helpers.opportunity(sales, "Seats")
    assert _problem(lambda: services.update(sales, "sales.opportunity", deal.id,
                                            {"stage": "Proposal"}, actor=SYSTEM)) == {
        "stage": [f"set by the move action only (POST "
                  f"/api/v1/sales/opportunities/{deal.id}/move)"]}
    assert _problem(lambda: services.update(sales, "sales.opportunity", deal.id,
                                            {"pipeline": "renewals"}, actor=SYSTEM)) == {
        "pipeline": ["an opportunity stays in its pipeline (new_business)"]}
    # The same values sent back are no change.
    same = services.update(sales, "sales.opportunity", deal.id,
                           {"stage": "Prospecting", "pipeline": "new_business", "name": "Seats+"},
                           actor=SYSTEM)
    assert (same.name, same.stage, same.version) == ("Seats+", "Prospecting", 2)


# Moving ------------------------------------------------------------------------------

def test_a_move_records_its_history_audit_and_signal_after_commit(sales, helpers):
    deal = helpers.opportunity(sales, "Seats")
    heard = []

    def receiver(sender, **kwargs):
        # Sent after commit: the history row is visible from the kernel's database.
        heard.append((sender, kwargs, helpers.count(sales, StageChange)))

    opportunity_stage_changed.connect(receiver)
    try:
        moved = move_opportunity(sales, deal.id, "Proposal", actor=SYSTEM)
    finally:
        opportunity_stage_changed.disconnect(receiver)
    assert (moved.stage, moved.probability, moved.closed_at, moved.version) == (
        "Proposal", 50, None, 2)
    [change] = helpers.rows(sales, StageChange)
    assert (change.opportunity_id, change.pipeline, change.from_stage, change.to_stage,
            change.actor_id, change.actor_label) == (deal.id, "new_business", "Prospecting",
                                                    "Proposal", None, "test")
    [(sender, kwargs, rows_then)] = heard
    assert sender is sales and rows_then == 1
    assert kwargs == {"opportunity_id": deal.id, "pipeline": "new_business",
                      "from_stage": "Prospecting", "to_stage": "Proposal", "kind": "open",
                      "at": change.at, "actor": SYSTEM}
    with sales.bound():
        entry = AuditEntry.select().where(AuditEntry.record_type == "sales.opportunity",
                                          AuditEntry.action == "updated").get()
    assert entry.changes == {"stage": ["Prospecting", "Proposal"], "probability": [10, 50]}


def test_winning_closes_and_reopening_clears_the_close(sales, helpers):
    deal = helpers.opportunity(sales, "Seats", stage="Negotiation", probability=80)
    won = move_opportunity(sales, deal.id, "Won", actor=SYSTEM)
    assert (won.stage, won.probability) == ("Won", 100)
    assert won.closed_at is not None
    assert _problem(lambda: services.update(sales, "sales.opportunity", deal.id,
                                            {"probability": 90}, actor=SYSTEM)) == {
        "probability": ["a won opportunity's probability is its stage's (100)"]}
    back = move_opportunity(sales, deal.id, "Negotiation", actor=SYSTEM, probability=70)
    assert (back.stage, back.probability, back.closed_at) == ("Negotiation", 70, None)


def test_losing_needs_a_reason_which_goes_when_it_reopens(sales, helpers):
    deal = helpers.opportunity(sales, "Seats", stage="Proposal")
    assert _problem(lambda: move_opportunity(sales, deal.id, "Lost", actor=SYSTEM)) == {
        "loss_reason": ["give a loss reason to move the opportunity to the lost stage 'Lost'"]}
    assert _problem(lambda: move_opportunity(sales, deal.id, "Lost", loss_reason="   ",
                                             actor=SYSTEM)) == {
        "loss_reason": ["give a loss reason to move the opportunity to the lost stage 'Lost'"]}
    assert helpers.count(sales, StageChange) == 0
    assert services.get(sales, "sales.opportunity", deal.id).version == 1
    lost = move_opportunity(sales, deal.id, "Lost", loss_reason="Price", actor=SYSTEM)
    assert (lost.stage, lost.probability, lost.loss_reason) == ("Lost", 0, "Price")
    assert _problem(lambda: services.update(sales, "sales.opportunity", deal.id,
                                            {"loss_reason": None}, actor=SYSTEM)) == {
        "loss_reason": ["give a loss reason to close the opportunity as lost"]}
    reopened = move_opportunity(sales, deal.id, "Qualification", actor=SYSTEM)
    assert (reopened.loss_reason, reopened.closed_at, reopened.probability) == (None, None, 25)


@pytest.mark.parametrize(("stage", "extra", "messages"), [
    ("Signed", {}, {"stage": ["'Signed' is not a stage of the new_business pipeline; use one "
                              "of Prospecting, Qualification, Proposal, Negotiation, Won, "
                              "Lost"]}),
    ("Prospecting", {}, {"stage": ["the opportunity is already in 'Prospecting'"]}),
    ("Won", {"loss_reason": "Price"}, {"loss_reason": [
        "only a move to a lost stage takes a loss reason"]}),
    ("Won", {"probability": 90}, {"probability": [
        "a won opportunity's probability is its stage's (100)"]}),
    ("Proposal", {"probability": 120}, {"probability": [
        "Must be greater than or equal to 0 and less than or equal to 100."]}),
])
def test_bad_moves_write_nothing(sales, helpers, stage, extra, messages):
    deal = helpers.opportunity(sales, "Seats")
    assert _problem(lambda: move_opportunity(sales, deal.id, stage, actor=SYSTEM,
                                             **extra)) == messages
    assert helpers.count(sales, StageChange) == 0
    assert services.get(sales, "sales.opportunity", deal.id).version == 1


def test_time_in_stage_comes_from_the_history(sales, helpers):
    deal = helpers.opportunity(sales, "Seats")
    move_opportunity(sales, deal.id, "Qualification", actor=SYSTEM)
    move_opportunity(sales, deal.id, "Negotiation", actor=SYSTEM)
    changes = helpers.rows(sales, StageChange)
    spells = stage_spells(sales, deal.id)
    assert [(s.stage, s.entered_at, s.left_at) for s in spells] == [
        ("Prospecting", deal.created_at, changes[0].at),
        ("Qualification", changes[0].at, changes[1].at),
        ("Negotiation", changes[1].at, None)]
    later = changes[1].at + dt.timedelta(days=3)
    assert spells[-1].duration(now=later) == dt.timedelta(days=3)
    assert spells[0].duration() == changes[0].at - deal.created_at
    other = helpers.opportunity(sales, "Fresh")
    assert current_stage_since(sales, [deal.id, other.id]) == {
        deal.id: changes[1].at, other.id: other.created_at}
    assert [s.stage for s in stage_spells(sales, other.id)] == ["Prospecting"]


def test_deleting_a_customer_with_opportunities_is_refused(sales, helpers):
    deal = helpers.opportunity(sales, "Seats")
    with pytest.raises(Conflict) as caught:
        services.delete(sales, "organization", deal.organization_id, actor=SYSTEM)
    assert str(caught.value) == (f"organization {deal.organization_id} is named by 1 sales "
                                 "opportunity; give it another organization or delete it first")
    services.delete(sales, "sales.opportunity", deal.id, actor=SYSTEM)
    services.delete(sales, "organization", deal.organization_id, actor=SYSTEM)


def test_deleting_an_opportunity_takes_its_history_and_unlinks_its_lead(sales, helpers):
    lead = services.create(sales, "sales.lead", {"name": "Ada Lovelace", "company": "AE"},
                           actor=SYSTEM)
    converted = convert_lead(sales, lead.id, actor=SYSTEM, create_opportunity=True)
    move_opportunity(sales, converted.opportunity_id, "Proposal", actor=SYSTEM)
    services.delete(sales, "sales.opportunity", converted.opportunity_id, actor=SYSTEM)
    assert helpers.count(sales, StageChange) == 0
    [stored] = helpers.rows(sales, Lead)
    assert (stored.opportunity_id, stored.organization_id, stored.converted_at) == (
        None, converted.organization_id, converted.converted_at)


# The closing hook --------------------------------------------------------------------

class NamesTheCompetitor:
    """What the competitors plugin will do: a lost deal's reason must name a competitor."""

    MANIFEST = PluginManifest(name="rivals", version="1.0", requires={"sales": ">=1,<2"})

    def __init__(self):
        self.calls = []

    @hookimpl
    def validate_opportunity_close(self, opportunity, stage, data):
        self.calls.append((opportunity.stage, stage.name, stage.kind, dict(data)))
        if stage.kind == "lost" and "Rival" not in data["loss_reason"]:
            raise ValidationError({"loss_reason": ["name the competitor who won (Rival Inc)"]})


def test_hook_validate_opportunity_close(make_kernel, helpers):
    rivals = NamesTheCompetitor()
    kernel = make_kernel(plugins=[accord_sales.hooks, rivals], enable=["sales", "rivals"])
    lost_one = helpers.opportunity(kernel, "Lost one", stage="Proposal")
    heard = []

    def receiver(sender, **kwargs):
        heard.append(kwargs["to_stage"])

    opportunity_stage_changed.connect(receiver)
    try:
        assert _problem(lambda: move_opportunity(kernel, lost_one.id, "Lost",
                                                 loss_reason="Too dear", actor=SYSTEM)) == {
            "loss_reason": ["name the competitor who won (Rival Inc)"]}
        assert (heard, helpers.count(kernel, StageChange)) == ([], 0)
        assert services.get(kernel, "sales.opportunity", lost_one.id).stage == "Proposal"
        move_opportunity(kernel, lost_one.id, "Lost", loss_reason="Rival Inc was cheaper",
                         actor=SYSTEM)
        # Moves between open stages are not closes; the hook is not asked.
        won_one = helpers.opportunity(kernel, "Won one")
        move_opportunity(kernel, won_one.id, "Negotiation", actor=SYSTEM)
        move_opportunity(kernel, won_one.id, "Won", actor=SYSTEM)
        assert rivals.calls == [
            ("Proposal", "Lost", "lost", {"stage": "Lost", "loss_reason": "Too dear",
                                          "win_reason": None, "probability": 0,
                                          "details": {}}),
            ("Proposal", "Lost", "lost", {"stage": "Lost", "probability": 0,
                                          "loss_reason": "Rival Inc was cheaper",
                                          "win_reason": None, "details": {}}),
            ("Negotiation", "Won", "won", {"stage": "Won", "loss_reason": None,
                                           "win_reason": None, "probability": 100,
                                           "details": {}})]

        # Once the other plugin is disabled, its veto is gone.
        disable(kernel, "rivals", actor=SYSTEM)
        third = helpers.opportunity(kernel, "Third")
        assert move_opportunity(kernel, third.id, "Lost", loss_reason="Too dear",
                                actor=SYSTEM).stage == "Lost"
        assert len(rivals.calls) == 3
        enable(kernel, "rivals", actor=SYSTEM)
        fourth = helpers.opportunity(kernel, "Fourth")
        assert "loss_reason" in _problem(lambda: move_opportunity(
            kernel, fourth.id, "Lost", loss_reason="Too dear", actor=SYSTEM))
    finally:
        opportunity_stage_changed.disconnect(receiver)
    assert heard == ["Lost", "Negotiation", "Won", "Lost"]


def test_the_closing_hook_is_declared_with_the_plugin(make_kernel):
    kernel = make_kernel(plugins=[accord_sales.hooks])
    assert "validate_opportunity_close" in kernel.plugins.hook_names()
    without = make_kernel(plugins=[])
    assert "validate_opportunity_close" not in without.plugins.hook_names()
