"""SLA policies, worked out by hand: a customer with an active contract (sales enabled)
takes the ``contract`` policy, else its tier's (the organization field ``tier_field``
names), else the default targets; the ticket keeps which one applied (``sla_policy``).
A firm's plugin replaces the due times through ``ticket_due_times``. Bad settings are
refused, naming the key.

Default calendar: Monday to Friday 09:00-17:00 UTC. March 2026: Monday 2, Tuesday 3.
"""

from __future__ import annotations

import marshmallow as ma
import pytest

from accord import services
from accord.errors import ValidationError
from accord.hooks import hookimpl
from accord.plugins import PluginManifest
from accord.services import Actor
from accord.services.actions import run_action
from accord.services.fields import add_field
from accord.services.plugins import set_settings

import accord_sales.hooks
import accord_service.hooks
from accord_service.models import Ticket
from accord_service.settings import ServiceSettings

pytestmark = pytest.mark.plugins(accord_service.hooks)
SYSTEM = Actor.system("test")
TICKET = "service.ticket"

#: Gold customers: a quarter of the default targets.
GOLD = {"urgent": {"first_response": 15, "resolution": 120},
        "high": {"first_response": 30, "resolution": 240},
        "normal": {"first_response": 60, "resolution": 480},
        "low": {"first_response": 120, "resolution": 960}}
#: Customers under contract: faster still.
CONTRACT = {"urgent": {"first_response": 10, "resolution": 60},
            "high": {"first_response": 20, "resolution": 120},
            "normal": {"first_response": 30, "resolution": 240},
            "low": {"first_response": 60, "resolution": 480}}
POLICIES = {"tier_field": "x_tier", "sla_tiers": {"gold": GOLD}, "sla_contract": CONTRACT}


def due(ticket):
    return ticket.sla_policy, ticket.first_response_due_at, ticket.resolution_due_at


def _tiered(kernel, **settings):
    add_field(kernel, "organization", "x_tier", "choice", choices=["gold", "silver"],
              actor=SYSTEM)
    set_settings(kernel, "service", {**POLICIES, **settings}, actor=SYSTEM)
    return kernel


def _org(kernel, name, tier=None):
    extra = {"x_tier": tier} if tier else {}
    return services.create(kernel, "organization", {"name": name, **extra}, actor=SYSTEM)


def test_a_tier_policy_and_the_default_targets(kernel, helpers):
    _tiered(kernel)
    gold, silver, plain = (_org(kernel, "Gold AG", "gold"), _org(kernel, "Silver AG", "silver"),
                           _org(kernel, "Plain AG"))
    utc = helpers.utc
    # Gold, normal, Monday 16:00: 60 minutes -> 17:00 (closing time itself); 480: one
    # hour on Monday, seven on Tuesday -> Tuesday 16:00.
    ticket = helpers.ticket(kernel, organization_id=gold.id,
                            received_at="2026-03-02T16:00:00+00:00")
    assert due(ticket) == ("tier:gold", utc(2026, 3, 2, 17), utc(2026, 3, 3, 16))
    # Silver has no policy, and Plain no tier: the default, 240 and 1440 minutes: one
    # hour on Monday, three on Tuesday -> 12:00; 1 + 8 + 8 + 7 hours -> Thursday 16:00.
    for org in (silver, plain):
        other = helpers.ticket(kernel, organization_id=org.id,
                               received_at="2026-03-02T16:00:00+00:00")
        assert due(other) == ("default", utc(2026, 3, 3, 12), utc(2026, 3, 5, 16))
    # A ticket naming only a contact takes the policy of the contact's organization.
    person = services.create(kernel, "contact", {"last_name": "Gold",
                                                 "organization_id": gold.id}, actor=SYSTEM)
    urgent = helpers.ticket(kernel, contact_id=person.id, priority="urgent",
                            received_at="2026-03-02T16:55:00+00:00")
    # Urgent gold: 15 minutes: 5 on Monday, 10 on Tuesday -> 09:10; 120 -> 10:55.
    assert due(urgent) == ("tier:gold", utc(2026, 3, 3, 9, 10), utc(2026, 3, 3, 10, 55))
    # The customer changes: the policy and the due times follow.
    moved = services.update(kernel, TICKET, ticket.id, {"organization_id": plain.id},
                            actor=SYSTEM)
    assert due(moved) == ("default", utc(2026, 3, 3, 12), utc(2026, 3, 5, 16))
    with kernel.bound():
        stored = Ticket.get_by_id(ticket.id)
    assert stored.sla_policy == "default"


def test_the_api_shows_the_policy_and_refuses_setting_it(kernel, helpers, make_api_client):
    _tiered(kernel)
    gold = _org(kernel, "Gold AG", "gold")
    client = make_api_client("admin")
    made = client.post("/api/v1/service/tickets", json={
        "organization_id": gold.id, "channel": "phone", "subject": "Down",
        "received_at": "2026-03-02T16:00:00+00:00"})
    assert made.status_code == 201, made.get_json()
    body = client.get(f"/api/v1/service/tickets/{made.get_json()['id']}").get_json()
    assert (body["sla_policy"], body["first_response_due_at"], body["resolution_due_at"]) == (
        "tier:gold", "2026-03-02T17:00:00+00:00", "2026-03-03T16:00:00+00:00")
    refused = client.patch(f"/api/v1/service/tickets/{body['id']}",
                           json={"sla_policy": "contract"})
    assert refused.status_code == 422
    assert "sla_policy" in str(refused.get_json())
    with kernel.bound():
        assert Ticket.get_by_id(body["id"]).sla_policy == "tier:gold"


def test_a_core_field_as_the_tier(kernel, helpers):
    set_settings(kernel, "service", {"tier_field": "industry", "sla_tiers": {"banking": GOLD}},
                 actor=SYSTEM)
    bank = services.create(kernel, "organization", {"name": "Bank", "industry": "banking"},
                           actor=SYSTEM)
    ticket = helpers.ticket(kernel, organization_id=bank.id, priority="high",
                            received_at="2026-03-02T09:00:00+00:00")
    # High gold: 30 and 240 minutes from Monday 09:00.
    assert due(ticket) == ("tier:banking", helpers.utc(2026, 3, 2, 9, 30),
                           helpers.utc(2026, 3, 2, 13))


@pytest.fixture
def sales(make_kernel):
    return _tiered(make_kernel(plugins=[accord_service.hooks, accord_sales.hooks],
                               enable=["service", "sales"]))


def _contract(kernel, org, *, start="2026-03-03", end="2027-03-02", activate=True):
    contract = services.create(kernel, "sales.contract", {
        "name": "Support", "organization_id": org.id, "start_date": start,
        "end_date": end, "value": {"amount": "1200.00", "currency": "EUR"}}, actor=SYSTEM)
    if activate:
        run_action(kernel, "sales.contract", contract.id, "activate", actor=SYSTEM)
    return contract


def test_a_contract_policy_comes_first(sales, helpers):
    utc = helpers.utc
    gold = _org(sales, "Gold AG", "gold")
    _contract(sales, gold)
    drafted = _org(sales, "Draft AG", "gold")
    _contract(sales, drafted, activate=False)
    # Tuesday 3 March, urgent, 16:55, the contract active from that day: 10 minutes:
    # 5 on Tuesday, 5 on Wednesday -> 09:05; 60: 5 + 55 -> Wednesday 09:55.
    covered = helpers.ticket(sales, organization_id=gold.id, priority="urgent",
                             received_at="2026-03-03T16:55:00+00:00")
    assert due(covered) == ("contract", utc(2026, 3, 4, 9, 5), utc(2026, 3, 4, 9, 55))
    # Monday 2 March, the day before the contract starts: the tier's policy. Urgent gold
    # from 16:55: 15 minutes -> Tuesday 09:10; 120 -> Tuesday 10:55.
    before = helpers.ticket(sales, organization_id=gold.id, priority="urgent",
                            received_at="2026-03-02T16:55:00+00:00")
    assert due(before) == ("tier:gold", utc(2026, 3, 3, 9, 10), utc(2026, 3, 3, 10, 55))
    # A draft contract is no contract: the tier's policy.
    draft = helpers.ticket(sales, organization_id=drafted.id, priority="urgent",
                           received_at="2026-03-03T16:55:00+00:00")
    assert due(draft) == ("tier:gold", utc(2026, 3, 4, 9, 10), utc(2026, 3, 4, 10, 55))
    # Several tickets at once: each its own policy (one batch, a few queries).
    made = services.bulk_create(sales, TICKET, [
        {"channel": "phone", "subject": f"Call {i}", "organization_id": org.id,
         "received_at": "2026-03-03T16:55:00+00:00", "priority": "urgent"}
        for i, org in enumerate((gold, drafted, helpers.customer(sales)))], actor=SYSTEM)
    with sales.bound():
        policies = [Ticket.get_by_id(ticket_id).sla_policy for ticket_id in made]
    assert policies == ["contract", "tier:gold", "default"]


def test_without_sales_the_contract_policy_is_not_used(kernel, helpers):
    _tiered(kernel)
    assert "sales.contract" not in kernel.records
    gold = _org(kernel, "Gold AG", "gold")
    ticket = helpers.ticket(kernel, organization_id=gold.id, priority="urgent",
                            received_at="2026-03-03T16:55:00+00:00")
    assert due(ticket) == ("tier:gold", helpers.utc(2026, 3, 4, 9, 10),
                           helpers.utc(2026, 3, 4, 10, 55))


class Express:
    """A firm's due times: complaints are due an hour and a day after they came, in
    wall-clock time; the rest is left to the policies (None)."""

    MANIFEST = PluginManifest(name="express", version="1.0", requires={"service": ">=1,<2"})

    def __init__(self):
        self.seen = []

    @hookimpl
    def ticket_due_times(self, ticket, first_response_due_at, resolution_due_at):
        self.seen.append((ticket["subject"], ticket["sla_policy"], first_response_due_at,
                          resolution_due_at))
        if ticket["category"] == "complaint":
            return (ticket["received_at"].replace(hour=ticket["received_at"].hour + 1),
                    ticket["received_at"].replace(day=ticket["received_at"].day + 1))
        return None


def test_hook_ticket_due_times(make_kernel, helpers):
    express = Express()
    kernel = make_kernel(plugins=[accord_service.hooks, express],
                         enable=["service", "express"])
    utc = helpers.utc
    complaint = helpers.ticket(kernel, category="complaint", subject="Rude driver",
                               received_at="2026-03-02T16:00:00+00:00")
    assert due(complaint) == ("hook", utc(2026, 3, 2, 17), utc(2026, 3, 3, 16))
    question = helpers.ticket(kernel, category="question", subject="Opening hours?",
                              received_at="2026-03-02T16:00:00+00:00")
    assert due(question) == ("default", utc(2026, 3, 3, 12), utc(2026, 3, 5, 16))
    # The hook saw the policy's due times; asked again when the priority changes.
    services.update(kernel, TICKET, complaint.id, {"priority": "urgent"}, actor=SYSTEM)
    assert express.seen == [
        ("Rude driver", "default", utc(2026, 3, 3, 12), utc(2026, 3, 5, 16)),
        ("Opening hours?", "default", utc(2026, 3, 3, 12), utc(2026, 3, 5, 16)),
        ("Rude driver", "default", utc(2026, 3, 2, 16, 30), utc(2026, 3, 3, 12))]
    # Not asked while the due times stay as they are.
    services.update(kernel, TICKET, question.id, {"subject": "Hours?"}, actor=SYSTEM)
    assert len(express.seen) == 3


class Broken:
    MANIFEST = PluginManifest(name="broken", version="1.0", requires={"service": ">=1,<2"})

    @hookimpl
    def ticket_due_times(self):
        return "tomorrow"


def test_a_hook_giving_no_due_times_is_refused(make_kernel, helpers):
    kernel = make_kernel(plugins=[accord_service.hooks, Broken()], enable=["service", "broken"])
    customer = helpers.customer(kernel)
    with pytest.raises(ValidationError) as caught:
        helpers.ticket(kernel, organization_id=customer.id)
    assert caught.value.messages == {"resolution_due_at": [
        "ticket_due_times returned 'tomorrow', not a pair of aware datetimes"]}
    with kernel.bound():
        assert Ticket.select().count() == 0


@pytest.mark.parametrize("settings, errors", [
    ({"tier_field": "x_tier", "sla_tiers": {"gold": {"urgent": GOLD["urgent"]}}},
     {"sla_tiers": ["gold: give the targets of every priority: low, normal, high missing"]}),
    ({"sla_contract": {**CONTRACT, "low": {"first_response": 600, "resolution": 60}}},
     {"sla_contract": ["low: the first response target is longer than the resolution "
                       "target"]}),
    ({"sla_tiers": {"gold": GOLD}}, {"tier_field": [
        "give the organization field holding the tier: sla_tiers are set"]}),
    ({"tier_field": "Tier!"}, {"tier_field": [
        "Give an organization field: lowercase letters, digits and '_' (a custom field's "
        "x_ name)"]}),
    ({"sla_contract": {**CONTRACT, "someday": GOLD["low"]}},
     {"sla_contract": {"someday": {"key": ["Must be one of: low, normal, high, urgent."]}}}),
])
def test_bad_policy_settings_are_refused_by_name(settings, errors):
    with pytest.raises(ma.ValidationError) as caught:
        ServiceSettings().load(settings)
    assert caught.value.messages == errors


def test_a_tier_field_organizations_lack_is_refused(kernel):
    before = kernel.settings("service")
    for field in ("x_tier", "custom", "nothing"):
        with pytest.raises(ValidationError) as caught:
            set_settings(kernel, "service", {"tier_field": field}, actor=SYSTEM)
        assert caught.value.messages == {"tier_field": [
            f"organizations have no field {field!r}: give a custom field (x_…) or a core "
            "field such as industry or relationship"]}
    assert kernel.settings("service") == before
    with pytest.raises(ValidationError) as caught:
        set_settings(kernel, "service", {"sla_contract": {"urgent": GOLD["urgent"]}},
                     actor=SYSTEM)
    assert caught.value.messages == {"settings": [
        "plugins.settings.service.sla_contract: give the targets of every priority: low, "
        "normal, high missing"]}
    assert kernel.settings("service") == before
